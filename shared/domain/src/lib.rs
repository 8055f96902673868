//! The riskfeedback domain: risk rules and feedback as plain Rust, plus the DynamoDB and SQS
//! adapters behind the small traits the use cases need. The adapters and the Lambda HTTP glue
//! are the default feature `aws`; without it the crate is the rules alone (the fuzz targets
//! build it that way, so they need not instrument the AWS SDK).

pub mod actions;
pub mod auth;
pub mod config;
pub mod digest;
pub mod feedback;
pub mod http;
pub mod idempotency;
pub mod indicators;
pub mod intake;
#[cfg(feature = "aws")]
pub mod lambda;
#[cfg(feature = "aws")]
pub mod local_token;
pub mod model;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod preview;
pub mod problem;
pub mod processing;
pub mod quality;
pub mod queue;
pub mod remediation;
pub mod risk;
pub mod store;
pub mod submissions;
pub mod telemetry;
pub mod validate;
pub mod views;
