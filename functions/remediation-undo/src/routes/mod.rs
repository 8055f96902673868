//! The remediation routes of SPEC 8, a file per job. Each handler's `#[utoipa::path]` is the
//! route's one declaration (`riskfeedback_http::router`); `crate::routes` lists them.

pub mod action_center;
pub mod admin_actions;
pub mod signals;
pub mod undo;

pub use riskfeedback::openapi::Idempotency;

use serde::Deserialize;
use utoipa::ToSchema;

use riskfeedback::limits::MAX_COMMENT_LEN;
use riskfeedback::validate::Errors;
use riskfeedback_http::router::Call;
use riskfeedback_http::HttpError;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReasonBody {
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Comment>)]
    reason: Option<String>,
}

/// A body that may be left out entirely; when present it must be valid JSON of the route.
fn reason_body(call: &Call) -> Result<Option<String>, HttpError> {
    // JSON `null`, as the document's optional body allows, says no more than no body. Whitespace
    // alone is neither, and `json_body` refuses it.
    if call.body.is_empty() || call.body.trim_ascii() == b"null" {
        return Ok(None);
    }
    let body: ReasonBody = call.json()?;
    let mut errors = Errors::default();
    errors.optional_text("reason", body.reason.as_deref(), MAX_COMMENT_LEN);
    errors.into_result()?;
    Ok(body.reason)
}
