//! The routes of SPEC 8 this function serves, a file per resource. Each handler's
//! `#[utoipa::path]` is the route's one declaration (`riskfeedback_http::router`); `crate::routes`
//! lists them.

pub mod detection_quality;
pub mod familiar_contexts;
pub mod feedback;
pub mod graph;
pub mod indicators;
pub mod password_events;
pub mod risk_detections;
pub mod risky_service_principals;
pub mod risky_sign_ins;
pub mod risky_users;
pub mod submissions;

pub use riskfeedback::openapi::Idempotency;
