//! The riskfeedback domain: risk rules, feedback and the use cases as plain Rust, with the small
//! traits they need from storage and queues. Nothing here knows AWS, Lambda or HTTP: the
//! adapters and the HTTP edge are the crate `riskfeedback-aws` (`shared/aws`), and Cargo keeps
//! the dependency running that way.

pub mod actions;
pub mod admin_actions;
pub mod auth;
pub mod config;
pub mod digest;
pub mod errors;
pub mod familiar;
pub mod feedback;
pub mod history;
pub mod idempotency;
pub mod indicators;
pub mod intake;
pub mod limits;
pub mod location;
pub mod manage_indicators;
pub mod model;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod preview;
pub mod principal;
pub mod processing;
pub mod quality;
pub mod queue;
pub mod remediation;
pub mod retry;
pub mod risk;
pub mod role;
pub mod sign_in_blocks;
pub mod store;
pub mod submissions;
pub mod submit;
pub mod telemetry;
pub mod validate;
pub mod views;
