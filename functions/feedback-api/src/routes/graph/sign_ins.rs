//! Graph's beta `auditLogs/signIns` actions: an analyst's verdict on sign-ins, named by their
//! `requestIds`.

use riskfeedback::feedback::FeedbackAction;
use riskfeedback::openapi::Idempotency;
use riskfeedback_http::router::{Call, RouteResult};

use super::act;
use super::shapes::RequestIdsBody;
use crate::App;

#[utoipa::path(post, path = "/graph/beta/auditLogs/signIns/confirmSafe", tag = "Graph-compatible",
    params(Idempotency), request_body = RequestIdsBody,
    responses((status = 204, description = "Accepted, as Graph answers; `Location` names the feedback that carries it out")),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn graph_confirm_sign_ins_safe(app: &App, call: Call) -> RouteResult {
    let body: RequestIdsBody = call.json()?;
    act(
        app,
        &call,
        FeedbackAction::ConfirmSignInSafe,
        "requestIds",
        body.request_ids,
    )
    .await
}

#[utoipa::path(post, path = "/graph/beta/auditLogs/signIns/confirmCompromised", tag = "Graph-compatible",
    params(Idempotency), request_body = RequestIdsBody,
    responses((status = 204, description = "Accepted, as Graph answers; `Location` names the feedback that carries it out")),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn graph_confirm_sign_ins_compromised(app: &App, call: Call) -> RouteResult {
    let body: RequestIdsBody = call.json()?;
    act(
        app,
        &call,
        FeedbackAction::ConfirmSignInCompromised,
        "requestIds",
        body.request_ids,
    )
    .await
}
