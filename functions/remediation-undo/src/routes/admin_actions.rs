//! Admin actions that act (SPEC 3b): reset password, block user, revoke sessions. Each makes
//! an approved remediation action per user and sends its command to the executor.

use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use riskfeedback::admin_actions::{act, AdminOutcome, AdminRequest};
use riskfeedback::idempotency::new_id;
use riskfeedback::remediation::AdminAction;
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{json, ListBody};

use super::Idempotency;
use crate::App;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminActionBody {
    #[schema(value_type = riskfeedback::openapi::IdList)]
    user_ids: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Comment>)]
    comment: Option<String>,
}

#[utoipa::path(post, path = "/risky-users/reset-password", tag = "Admin actions",
    params(Idempotency), request_body = AdminActionBody,
    responses((status = 200, description = "Per user: a `resetPassword` action, approved, its command sent to the executor", body = ListBody<AdminOutcome>)),
    security(("jwt" = ["Remediation.Manage"])))]
pub async fn reset_password(app: &App, call: Call) -> RouteResult {
    admin_action(app, &call, AdminAction::ResetPassword).await
}

#[utoipa::path(post, path = "/risky-users/block", tag = "Admin actions",
    params(Idempotency), request_body = AdminActionBody,
    responses((status = 200, description = "Per user: a `disableUser` action, approved, its command sent to the executor", body = ListBody<AdminOutcome>)),
    security(("jwt" = ["Remediation.Manage"])))]
pub async fn block_users(app: &App, call: Call) -> RouteResult {
    admin_action(app, &call, AdminAction::DisableUser).await
}

#[utoipa::path(post, path = "/risky-users/revoke-sessions", tag = "Admin actions",
    params(Idempotency), request_body = AdminActionBody,
    responses((status = 200, description = "Per user: a `revokeSessions` action, approved, its command sent to the executor", body = ListBody<AdminOutcome>)),
    security(("jwt" = ["Remediation.Manage"])))]
pub async fn revoke_sessions(app: &App, call: Call) -> RouteResult {
    admin_action(app, &call, AdminAction::RevokeSessions).await
}

async fn admin_action(app: &App, call: &Call, kind: AdminAction) -> RouteResult {
    let body: AdminActionBody = call.json()?;
    let request = AdminRequest::new(kind, body.user_ids, body.comment)?;
    let request_id = new_id(&call.caller, call.idempotency_key()?);
    let outcomes = act(
        &app.store,
        &app.commands,
        &call.caller,
        &request,
        &request_id,
        Utc::now(),
    )
    .await?;
    Ok(json(
        StatusCode::OK,
        &ListBody {
            value: outcomes,
            next_cursor: None,
        },
    ))
}
