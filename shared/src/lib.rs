//! The riskfeedback domain: risk rules and feedback as plain Rust, plus the DynamoDB and SQS
//! adapters behind the small traits the use cases need.

pub mod actions;
pub mod auth;
pub mod config;
pub mod feedback;
pub mod http;
pub mod indicators;
pub mod intake;
pub mod lambda;
pub mod model;
pub mod preview;
pub mod problem;
pub mod processing;
pub mod quality;
pub mod queue;
pub mod remediation;
pub mod risk;
pub mod store;
pub mod submissions;
pub mod validate;
pub mod views;
