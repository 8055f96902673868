use lambda_http::{service_fn, Error};
use metrics_cloudwatch_embedded::lambda::service::run_http;
use remediation_undo::{handle, routes, App};
use riskfeedback::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let metrics = riskfeedback_aws::lambda::init_telemetry("remediation-undo")?;
    let config = Config::from_env()?;
    let sdk = riskfeedback_aws::sdk::load_sdk_config().await;
    let app = App::new(&sdk, &config);
    // In the init phase, not on the first request.
    routes();
    run_http(metrics, service_fn(|request| handle(&app, request))).await
}
