//! Password events from the identity provider: a reset, a change (in the cloud or on
//! premises), an administrator's temporary password, MFA passed on a sign-in.

use serde::Deserialize;
use utoipa::ToSchema;

use riskfeedback::feedback::{Feedback, PasswordEventKind};
use riskfeedback::intake::FeedbackRequest;
use riskfeedback_http::router::{Call, RouteResult};

use super::feedback::accept;
use super::Idempotency;
use crate::App;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordEventBody {
    #[schema(value_type = riskfeedback::openapi::Id)]
    user_id: String,
    kind: PasswordEventKind,
    /// The sign-in an `mfaPassed` event passed on; only `mfaPassed` names one.
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Id>)]
    sign_in_id: Option<String>,
}

#[utoipa::path(post, path = "/password-events", tag = "Risky users",
    params(Idempotency), request_body = PasswordEventBody,
    responses((status = 202, description = "Accepted; watch it at `Location`", body = Feedback)),
    security(("jwt" = ["Signals.Ingest"])))]
pub async fn password_event(app: &App, call: Call) -> RouteResult {
    let body: PasswordEventBody = call.json()?;
    let work = FeedbackRequest::password(body.user_id, body.kind, body.sign_in_id)?;
    accept(app, &call, work).await
}
