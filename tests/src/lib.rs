//! What the integration tests share: the harness that brings up a stack of the local servers
//! (`riskfeedback-devstack`) for a test, and the fault proxy that cuts its requests.

pub mod faults;
pub mod harness;
