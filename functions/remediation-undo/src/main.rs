use lambda_http::{run, service_fn, tracing, Error};
use remediation_undo::{handle, App};
use riskfeedback::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let sdk = riskfeedback::config::load_sdk_config().await;
    let app = App::new(&sdk, &config);
    run(service_fn(|request| handle(&app, request))).await
}
