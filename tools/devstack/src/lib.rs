//! The local stack that `scripts/dev` serves and the integration tests run on: infrastructure
//! created from `template.yaml` in DynamoDB Local and the local SQS endpoint, an HTTP gateway
//! that verifies local tokens like the JWT authorizer, and a poller that drives the processor
//! like the SQS event source mapping.

pub mod console;
pub mod dlq;
pub mod executor;
pub mod gateway;
pub mod openapi;
pub mod poller;
pub mod provision;
pub mod template;
pub mod token;

use std::path::{Path, PathBuf};

/// The repository root, where `template.yaml` and `events/` live.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(PathBuf::from)
        .unwrap_or_default()
}
