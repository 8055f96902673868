use lambda_runtime::{run, service_fn, tracing, Error};
use risk_processor::{handle, App};
use riskfeedback::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let sdk = riskfeedback::config::load_sdk_config().await;
    let app = App::new(&sdk, &config);
    run(service_fn(|event| handle(&app, event))).await
}
