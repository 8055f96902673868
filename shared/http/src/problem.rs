//! RFC 9457 problem details: the one mapping from every use case's error, and from what the
//! edge itself refuses, to a status code and a problem+json body.

use serde::{Deserialize, Serialize};

use riskfeedback::actions::ActionError;
use riskfeedback::auth::AuthError;
use riskfeedback::errors::{FieldError, Invalid, KeyReused, NotFound};
use riskfeedback::intake::IntakeError;
use riskfeedback::manage_indicators::IndicatorError;
use riskfeedback::queue::QueueError;
use riskfeedback::remediation::Refusal;
use riskfeedback::sign_in_blocks::BlockError;
use riskfeedback::store::StoreError;
use riskfeedback::submit::SubmitError;

/// Seconds a caller should wait before retrying after `429` or `503`.
pub const RETRY_AFTER_SECONDS: u32 = 2;

/// What can go wrong with an HTTP request: what the use cases say, and what the edge finds
/// before any of them runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    NotFound(#[from] NotFound),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Intake(#[from] IntakeError),
    #[error(transparent)]
    Action(#[from] ActionError),
    #[error(transparent)]
    Submit(#[from] SubmitError),
    #[error(transparent)]
    Indicator(#[from] IndicatorError),
    #[error(transparent)]
    Block(#[from] BlockError),
    #[error("no route {method} {path}")]
    RouteNotFound { method: String, path: String },
    /// The path is a route's, the method none of its: the answer's `Allow` names them.
    #[error("{path} does not take {method}")]
    MethodNotAllowed { method: String, path: String },
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// A fault of the service itself, such as a route declared without a role.
    #[error("internal error")]
    Internal,
}

/// What an error answers: its kind, the `detail` in the API's words, and the fields at fault.
struct Answer {
    kind: ProblemType,
    detail: String,
    errors: Vec<FieldError>,
}

impl Answer {
    fn new(kind: ProblemType, detail: impl ToString) -> Answer {
        Answer {
            kind,
            detail: detail.to_string(),
            errors: Vec::new(),
        }
    }
}

fn answer(error: &HttpError) -> Answer {
    match error {
        HttpError::Invalid(invalid) => invalid_answer(invalid),
        HttpError::Auth(auth) => auth_answer(auth),
        HttpError::NotFound(missing) => Answer::new(ProblemType::NOT_FOUND, missing),
        HttpError::Store(store) => store_answer(store),
        HttpError::Intake(intake) => intake_answer(intake),
        HttpError::Action(action) => action_answer(action),
        HttpError::Submit(submit) => submit_answer(submit),
        HttpError::Indicator(indicator) => indicator_answer(indicator),
        HttpError::Block(block) => block_answer(block),
        HttpError::RouteNotFound { .. } => Answer::new(ProblemType::ROUTE_NOT_FOUND, error),
        HttpError::MethodNotAllowed { .. } => Answer::new(ProblemType::METHOD_NOT_ALLOWED, error),
        HttpError::UnsupportedMediaType => Answer::new(ProblemType::UNSUPPORTED_MEDIA_TYPE, error),
        HttpError::PayloadTooLarge { .. } => Answer::new(ProblemType::PAYLOAD_TOO_LARGE, error),
        HttpError::Internal => internal(),
    }
}

fn invalid_answer(invalid: &Invalid) -> Answer {
    Answer {
        kind: ProblemType::VALIDATION,
        detail: invalid.to_string(),
        errors: invalid.0.clone(),
    }
}

fn auth_answer(error: &AuthError) -> Answer {
    match error {
        AuthError::Unauthenticated => Answer::new(ProblemType::UNAUTHENTICATED, error),
        AuthError::Forbidden(_) => Answer::new(ProblemType::FORBIDDEN, error),
    }
}

fn key_reused(error: &KeyReused) -> Answer {
    Answer::new(ProblemType::IDEMPOTENCY_KEY_REUSED, error)
}

/// A dependency's fault says no more than that: what the store found stays in the logs.
fn store_answer(error: &StoreError) -> Answer {
    match error {
        StoreError::Throttled => Answer::new(ProblemType::THROTTLED, "too many requests"),
        StoreError::Conflict | StoreError::Unavailable(_) => unavailable(),
        StoreError::InvalidCursor => invalid_answer(&Invalid::field(
            "cursor",
            "is not a cursor this API issued for this query",
        )),
        StoreError::Corrupt(_) => internal(),
    }
}

fn queue_answer(_: &QueueError) -> Answer {
    unavailable()
}

fn unavailable() -> Answer {
    Answer::new(ProblemType::UNAVAILABLE, "a dependency is unavailable")
}

fn internal() -> Answer {
    Answer::new(ProblemType::INTERNAL, "internal error")
}

fn refusal_answer(refusal: &Refusal) -> Answer {
    let kind = match refusal {
        Refusal::WrongStatus { .. } => ProblemType::INVALID_ACTION_STATUS,
        Refusal::NotUndoable { .. } => ProblemType::ACTION_NOT_UNDOABLE,
        Refusal::Conflicting { .. } => ProblemType::ACTION_CONFLICT,
    };
    Answer::new(kind, refusal)
}

fn intake_answer(error: &IntakeError) -> Answer {
    match error {
        IntakeError::Invalid(invalid) => invalid_answer(invalid),
        IntakeError::KeyReused(reused) => key_reused(reused),
        IntakeError::Abandoned => Answer::new(ProblemType::INTAKE_ABANDONED, error),
        IntakeError::Store(store) => store_answer(store),
        IntakeError::Queue(queue) => queue_answer(queue),
    }
}

fn action_answer(error: &ActionError) -> Answer {
    match error {
        ActionError::Invalid(invalid) => invalid_answer(invalid),
        ActionError::NotFound(missing) => Answer::new(ProblemType::NOT_FOUND, missing),
        ActionError::Refused(refusal) => refusal_answer(refusal),
        ActionError::Store(store) => store_answer(store),
        ActionError::Queue(queue) => queue_answer(queue),
    }
}

fn submit_answer(error: &SubmitError) -> Answer {
    match error {
        SubmitError::Invalid(invalid) => invalid_answer(invalid),
        SubmitError::Forbidden(auth) => auth_answer(auth),
        SubmitError::Refused(refusal) => refusal_answer(refusal),
        SubmitError::KeyReused(reused) => key_reused(reused),
        SubmitError::Action(action) => action_answer(action),
        SubmitError::Store(store) => store_answer(store),
    }
}

fn indicator_answer(error: &IndicatorError) -> Answer {
    match error {
        IndicatorError::Invalid(invalid) => invalid_answer(invalid),
        IndicatorError::NotFound(missing) => Answer::new(ProblemType::NOT_FOUND, missing),
        IndicatorError::KeyReused(reused) => key_reused(reused),
        IndicatorError::Store(store) => store_answer(store),
    }
}

fn block_answer(error: &BlockError) -> Answer {
    match error {
        BlockError::Invalid(invalid) => invalid_answer(invalid),
        BlockError::Forbidden(auth) => auth_answer(auth),
        BlockError::Store(store) => store_answer(store),
    }
}

/// The kind of problem each error is: its status, title and `type`.
pub fn problem_type(error: &HttpError) -> ProblemType {
    answer(error).kind
}

/// `Retry-After` for the answers that invite a retry, by their status.
pub fn retry_after(status: u16) -> Option<u32> {
    matches!(status, 429 | 503).then_some(RETRY_AFTER_SECONDS)
}

/// The problem+json body of an error.
pub fn to_problem(error: &HttpError) -> Problem {
    let Answer {
        kind,
        detail,
        errors,
    } = answer(error);
    Problem {
        r#type: kind.uri(),
        title: kind.title.to_string(),
        status: kind.status,
        detail,
        errors,
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
