//! RFC 9457 problem details: the one mapping from everything the use cases can refuse or fail
//! with (`riskfeedback::problem::ApiError`) to a status code and a problem+json body.

use serde::{Deserialize, Serialize};

use riskfeedback::problem::{ApiError, FieldError};
use riskfeedback::remediation::Refusal;
use riskfeedback::store::StoreError;

/// Seconds a caller should wait before retrying after `429` or `503`.
pub const RETRY_AFTER_SECONDS: u32 = 2;

/// What can go wrong with an HTTP request: what the use cases say, and what the edge finds
/// before any of them runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Domain(#[from] ApiError),
    #[error("no route {method} {path}")]
    RouteNotFound { method: String, path: String },
    /// The path is a route's, the method none of its: the answer's `Allow` names them.
    #[error("{path} does not take {method}")]
    MethodNotAllowed { method: String, path: String },
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
}

impl From<StoreError> for HttpError {
    fn from(error: StoreError) -> HttpError {
        HttpError::Domain(error.into())
    }
}

/// The kind of problem each error is: its status, title and `type`.
pub fn problem_type(error: &HttpError) -> ProblemType {
    match error {
        HttpError::Domain(error) => domain_problem_type(error),
        HttpError::RouteNotFound { .. } => ProblemType::ROUTE_NOT_FOUND,
        HttpError::MethodNotAllowed { .. } => ProblemType::METHOD_NOT_ALLOWED,
        HttpError::UnsupportedMediaType => ProblemType::UNSUPPORTED_MEDIA_TYPE,
        HttpError::PayloadTooLarge { .. } => ProblemType::PAYLOAD_TOO_LARGE,
    }
}

fn domain_problem_type(error: &ApiError) -> ProblemType {
    match error {
        ApiError::Validation(_) => ProblemType::VALIDATION,
        ApiError::Unauthenticated => ProblemType::UNAUTHENTICATED,
        ApiError::Forbidden(_) => ProblemType::FORBIDDEN,
        ApiError::NotFound { .. } => ProblemType::NOT_FOUND,
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
pub fn retry_after(error: &HttpError) -> Option<u32> {
    matches!(
        error,
        HttpError::Domain(ApiError::Throttled | ApiError::Unavailable)
    )
    .then_some(RETRY_AFTER_SECONDS)
}

/// The problem+json body of an error.
pub fn to_problem(error: &HttpError) -> Problem {
    let kind = problem_type(error);
    Problem {
        r#type: kind.uri(),
        title: kind.title.to_string(),
        status: kind.status,
        detail: error.to_string(),
        errors: match error {
            HttpError::Domain(ApiError::Validation(errors)) => errors.clone(),
            _ => Vec::new(),
        },
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
