use lambda_http::{run, service_fn, tracing, Error};
use remediation_undo::handle;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    run(service_fn(handle)).await
}
