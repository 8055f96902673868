//! RFC 9457 problem details: the one mapping from everything that can go wrong to a status code.

use serde::{Deserialize, Serialize};

use crate::remediation::Refusal;
use crate::role::Role;

/// Seconds a caller should wait before retrying after `429` or `503`.
pub const RETRY_AFTER_SECONDS: u32 = 2;

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
    #[error("no route {method} {path}")]
    RouteNotFound { method: String, path: String },
    /// The path is a route's, the method none of its: the answer's `Allow` names them.
    #[error("{path} does not take {method}")]
    MethodNotAllowed { method: String, path: String },
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
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

    pub fn status(&self) -> u16 {
        self.problem_type().status
    }

    pub fn problem_type(&self) -> ProblemType {
        match self {
            ApiError::Validation(_) => ProblemType::VALIDATION,
            ApiError::Unauthenticated => ProblemType::UNAUTHENTICATED,
            ApiError::Forbidden(_) => ProblemType::FORBIDDEN,
            ApiError::NotFound { .. } => ProblemType::NOT_FOUND,
            ApiError::RouteNotFound { .. } => ProblemType::ROUTE_NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => ProblemType::METHOD_NOT_ALLOWED,
            ApiError::UnsupportedMediaType => ProblemType::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => ProblemType::PAYLOAD_TOO_LARGE,
            ApiError::IdempotencyKeyReused => ProblemType::IDEMPOTENCY_KEY_REUSED,
            ApiError::IntakeAbandoned => ProblemType::INTAKE_ABANDONED,
            ApiError::Refused(Refusal::WrongStatus { .. }) => ProblemType::INVALID_ACTION_STATUS,
            ApiError::Refused(Refusal::NotUndoable { .. }) => ProblemType::ACTION_NOT_UNDOABLE,
            ApiError::Refused(Refusal::Conflicting { .. }) => ProblemType::ACTION_CONFLICT,
            ApiError::Throttled => ProblemType::THROTTLED,
            ApiError::Unavailable => ProblemType::UNAVAILABLE,
            ApiError::Internal => ProblemType::INTERNAL,
        }
    }

    /// `Retry-After` for the answers that invite a retry.
    pub fn retry_after(&self) -> Option<u32> {
        matches!(self, ApiError::Throttled | ApiError::Unavailable).then_some(RETRY_AFTER_SECONDS)
    }

    pub fn to_problem(&self) -> Problem {
        let kind = self.problem_type();
        Problem {
            r#type: kind.uri(),
            title: kind.title.to_string(),
            status: kind.status,
            detail: self.to_string(),
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

/// One kind of problem: its `type` is `/problems/{slug}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemType {
    pub slug: &'static str,
    pub title: &'static str,
    pub status: u16,
}

impl ProblemType {
    const fn new(slug: &'static str, title: &'static str, status: u16) -> Self {
        ProblemType {
            slug,
            title,
            status,
        }
    }

    pub const VALIDATION: Self = Self::new("validation", "Invalid request", 400);
    pub const UNAUTHENTICATED: Self = Self::new("unauthenticated", "Authentication required", 401);
    pub const FORBIDDEN: Self = Self::new("forbidden", "Missing role", 403);
    pub const NOT_FOUND: Self = Self::new("not-found", "Not found", 404);
    pub const ROUTE_NOT_FOUND: Self = Self::new("route-not-found", "No such route", 404);
    pub const METHOD_NOT_ALLOWED: Self = Self::new("method-not-allowed", "Method not allowed", 405);
    pub const INVALID_ACTION_STATUS: Self = Self::new(
        "invalid-action-status",
        "Action status does not allow this",
        409,
    );
    pub const ACTION_NOT_UNDOABLE: Self =
        Self::new("action-not-undoable", "Action cannot be undone", 409);
    pub const ACTION_CONFLICT: Self = Self::new(
        "action-conflict",
        "Action conflicts with the stored one",
        409,
    );
    pub const INTAKE_ABANDONED: Self =
        Self::new("intake-abandoned", "Request abandoned unfinished", 409);
    pub const PAYLOAD_TOO_LARGE: Self = Self::new("payload-too-large", "Payload too large", 413);
    pub const UNSUPPORTED_MEDIA_TYPE: Self =
        Self::new("unsupported-media-type", "Unsupported media type", 415);
    pub const IDEMPOTENCY_KEY_REUSED: Self =
        Self::new("idempotency-key-reused", "Idempotency key reused", 422);
    pub const THROTTLED: Self = Self::new("throttled", "Too many requests", 429);
    pub const INTERNAL: Self = Self::new("internal", "Internal error", 500);
    pub const UNAVAILABLE: Self = Self::new("unavailable", "Service unavailable", 503);

    /// Every problem type the API answers with, by status: what its documentation lists.
    pub const ALL: [Self; 16] = [
        Self::VALIDATION,
        Self::UNAUTHENTICATED,
        Self::FORBIDDEN,
        Self::NOT_FOUND,
        Self::ROUTE_NOT_FOUND,
        Self::METHOD_NOT_ALLOWED,
        Self::INVALID_ACTION_STATUS,
        Self::ACTION_NOT_UNDOABLE,
        Self::ACTION_CONFLICT,
        Self::INTAKE_ABANDONED,
        Self::PAYLOAD_TOO_LARGE,
        Self::UNSUPPORTED_MEDIA_TYPE,
        Self::IDEMPOTENCY_KEY_REUSED,
        Self::THROTTLED,
        Self::INTERNAL,
        Self::UNAVAILABLE,
    ];

    pub fn uri(&self) -> String {
        format!("/problems/{}", self.slug)
    }
}

/// The `application/problem+json` body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}
