//! What feedback taught (SPEC 3a): a user's familiar contexts, and forgetting one. Forgetting is
//! feedback like any other: queued behind the user's earlier work, applied in order, recorded
//! in the user's history.

use riskfeedback::errors::NotFound;
use riskfeedback::familiar::FamiliarContext;
use riskfeedback::feedback::{Feedback, FeedbackAction};
use riskfeedback::intake::FeedbackRequest;
use riskfeedback::openapi::{Id, Paging};
use riskfeedback::store::ReadStore;
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{list_page, ListBody};

use super::feedback::accept;
use super::risky_users::known_user;
use super::Idempotency;
use crate::App;

#[utoipa::path(get, path = "/risky-users/{userId}/familiar-contexts", tag = "Risky users",
    params(("userId" = Id, Path), Paging),
    responses((status = 200, description = "The networks and places feedback taught are familiar for the user, expired ones included until they are pruned", body = ListBody<FamiliarContext>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn list_familiar_contexts(app: &App, call: Call) -> RouteResult {
    let id = known_user(app, &call).await?;
    let tenant = &call.caller.tenant_id;
    let page = app
        .store
        .familiar_contexts(tenant, id, &call.query.page()?)
        .await?;
    Ok(list_page(page))
}

#[utoipa::path(delete, path = "/familiar-contexts/{familiarContextId}", tag = "Risky users",
    params(("familiarContextId" = Id, Path), Idempotency),
    responses((status = 202, description = "Accepted: the context is forgotten in order with the user's other feedback; watch it at `Location`", body = Feedback)),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn forget_familiar_context(app: &App, call: Call) -> RouteResult {
    let id = call.id("familiarContextId")?;
    if app
        .store
        .familiar_context(&call.caller.tenant_id, id)
        .await?
        .is_none()
    {
        return Err(NotFound::new("familiar context", id).into());
    }
    let work = FeedbackRequest::feedback(
        FeedbackAction::ForgetFamiliarContext,
        "familiarContextId",
        vec![id.to_string()],
        None,
    )?;
    accept(app, &call, work).await
}
