//! RFC 9457 problem details: the one mapping from everything that can go wrong to a status code.

use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::remediation::Refusal;

/// Seconds a caller should wait before retrying after `429` or `503`.
pub const RETRY_AFTER_SECONDS: u32 = 2;

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
    #[error("no route {method} {path}")]
    RouteNotFound { method: String, path: String },
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
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

    pub fn status(&self) -> u16 {
        match self {
            ApiError::Validation(_) => 400,
            ApiError::Unauthenticated => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound { .. } | ApiError::RouteNotFound { .. } => 404,
            ApiError::IdempotencyKeyReused => 422,
            ApiError::Refused(_) => 409,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::UnsupportedMediaType => 415,
            ApiError::Throttled => 429,
            ApiError::Internal => 500,
            ApiError::Unavailable => 503,
        }
    }

    /// `Retry-After` for the answers that invite a retry.
    pub fn retry_after(&self) -> Option<u32> {
        matches!(self, ApiError::Throttled | ApiError::Unavailable).then_some(RETRY_AFTER_SECONDS)
    }

    pub fn to_problem(&self) -> Problem {
        let (slug, title) = match self {
            ApiError::Validation(_) => ("validation", "Invalid request"),
            ApiError::Unauthenticated => ("unauthenticated", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Missing role"),
            ApiError::NotFound { .. } => ("not-found", "Not found"),
            ApiError::RouteNotFound { .. } => ("route-not-found", "No such route"),
            ApiError::UnsupportedMediaType => ("unsupported-media-type", "Unsupported media type"),
            ApiError::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            ApiError::IdempotencyKeyReused => ("idempotency-key-reused", "Idempotency key reused"),
            ApiError::Refused(Refusal::WrongStatus { .. }) => {
                ("invalid-action-status", "Action status does not allow this")
            }
            ApiError::Refused(Refusal::NotUndoable { .. }) => {
                ("action-not-undoable", "Action cannot be undone")
            }
            ApiError::Refused(Refusal::Conflicting { .. }) => {
                ("action-conflict", "Action conflicts with the stored one")
            }
            ApiError::Throttled => ("throttled", "Too many requests"),
            ApiError::Unavailable => ("unavailable", "Service unavailable"),
            ApiError::Internal => ("internal", "Internal error"),
        };
        Problem {
            r#type: format!("/problems/{slug}"),
            title: title.to_string(),
            status: self.status(),
            detail: self.to_string(),
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

/// The `application/problem+json` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}
