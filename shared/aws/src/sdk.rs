//! The AWS SDK configuration every function starts from.

/// The AWS SDK configuration every function uses: the standard environment (endpoints,
/// region, credentials), with timeouts so a stalled dependency becomes a `503`, never a hang.
pub async fn load_sdk_config() -> aws_config::SdkConfig {
    use aws_config::timeout::TimeoutConfig;
    use aws_config::BehaviorVersion;
    use std::time::Duration;

    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .load()
        .await
}
