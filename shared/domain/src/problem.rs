//! Everything that can go wrong, as the use cases say it. What each answers over HTTP is the
//! edge's to say, once: `riskfeedback_http::problem`.

use serde::{Deserialize, Serialize};

use crate::role::Role;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("no verified identity")]
    Unauthenticated,
    #[error("the caller lacks the role {}", .0.name())]
    Forbidden(Role),
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("the Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error(
        "the request under this Idempotency-Key was abandoned before it was stored whole, and \
         none of it applies; send it again under a new Idempotency-Key"
    )]
    IntakeAbandoned,
    #[error(transparent)]
    Refused(#[from] crate::remediation::Refusal),
    #[error("too many requests")]
    Throttled,
    #[error("a dependency is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }
}
