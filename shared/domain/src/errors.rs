//! The failures several use cases share. Each use case's own error enum (`IntakeError`,
//! `ActionError`, `SubmitError`, `IndicatorError`) names which of these it can meet; what each
//! answers over HTTP is the edge's to say, once: `riskfeedback_http::problem`.

use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The request has invalid fields: every one of them, each with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the request has invalid fields")]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    /// One field at fault.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }
}

/// What a request names does not exist (in the caller's tenant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {id} does not exist")]
pub struct NotFound {
    pub what: &'static str,
    pub id: String,
}

impl NotFound {
    pub fn new(what: &'static str, id: &str) -> NotFound {
        NotFound {
            what,
            id: id.to_string(),
        }
    }
}

/// An `Idempotency-Key` sent again with another body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the Idempotency-Key was already used for a different request")]
pub struct KeyReused;
