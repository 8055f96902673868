use lambda_runtime::{service_fn, Error};
use metrics_cloudwatch_embedded::lambda::service::run;
use risk_processor::{handle, App};
use riskfeedback::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let metrics = riskfeedback_aws::lambda::init_telemetry("risk-processor")?;
    let config = Config::from_env()?;
    let sdk = riskfeedback_aws::sdk::load_sdk_config().await;
    let app = App::new(&sdk, &config);
    run(metrics, service_fn(|event| handle(&app, event))).await
}
