//! The action center: pending and history views, one action, approve and reject.

use chrono::Utc;
use http::StatusCode;
use utoipa::{IntoParams, ToSchema};

use riskfeedback::actions;
use riskfeedback::errors::{Invalid, NotFound};
use riskfeedback::openapi::{Id, Paging};
use riskfeedback::remediation::{ActionStatus, ActionView, EntityType, RemediationAction};
use riskfeedback::store::{ActionFilter, ActionStore};
use riskfeedback::validate::check_id;
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{json, list_page, ListBody};

use super::{reason_body, ReasonBody};
use crate::App;

/// Which tab of the action center: `pending` (pending, approved) or `history` (the rest).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub enum View {
    Pending,
    History,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ActionQuery {
    #[param(inline)]
    pub view: Option<View>,
    pub status: Option<ActionStatus>,
    #[param(value_type = Option<Id>)]
    pub investigation_id: Option<String>,
    pub entity_type: Option<EntityType>,
}

#[utoipa::path(get, path = "/remediation-actions", tag = "Action center",
    params(ActionQuery, Paging),
    responses((status = 200, description = "One page of actions, newest first", body = ListBody<RemediationAction>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn list_actions(app: &App, call: Call) -> RouteResult {
    let query = &call.query;
    let view = match query.get("view") {
        None => None,
        Some("pending") => Some(ActionView::Pending),
        Some("history") => Some(ActionView::History),
        Some(_) => return Err(Invalid::field("view", "must be pending or history").into()),
    };
    let status = query.parsed::<ActionStatus>("status")?;
    if status.is_some_and(|s| view.is_some_and(|v| s.view() != v)) {
        return Err(Invalid::field("status", "is not a status of this view").into());
    }
    if let Some(investigation) = query.get("investigationId") {
        check_id("investigationId", investigation)?;
    }
    let filter = ActionFilter {
        view,
        status,
        investigation_id: query.get("investigationId").map(str::to_string),
        entity_type: query.parsed::<EntityType>("entityType")?,
    };
    let page = app
        .store
        .actions(&call.caller.tenant_id, &filter, &query.page()?)
        .await?;
    Ok(list_page(page))
}

#[utoipa::path(get, path = "/remediation-actions/{actionId}", tag = "Action center",
    params(("actionId" = Id, Path)),
    responses((status = 200, description = "The action", body = RemediationAction)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn get_action(app: &App, call: Call) -> RouteResult {
    let id = call.id("actionId")?;
    match app.store.action(&call.caller.tenant_id, id).await? {
        Some(stored) => Ok(json(StatusCode::OK, &stored.action)),
        None => Err(NotFound::new("remediation action", id).into()),
    }
}

#[utoipa::path(post, path = "/remediation-actions/{actionId}/approve", tag = "Action center",
    params(("actionId" = Id, Path)), request_body(content = Option<ReasonBody>),
    responses((status = 200, description = "Approved", body = RemediationAction)),
    security(("jwt" = ["Remediation.Manage"])))]
pub async fn approve_action(app: &App, call: Call) -> RouteResult {
    let id = call.id("actionId")?;
    let reason = reason_body(&call)?;
    let action = actions::approve(
        &app.store,
        &app.commands,
        &call.caller,
        id,
        reason,
        Utc::now(),
    )
    .await?;
    Ok(json(StatusCode::OK, &action))
}

#[utoipa::path(post, path = "/remediation-actions/{actionId}/reject", tag = "Action center",
    params(("actionId" = Id, Path)), request_body(content = Option<ReasonBody>),
    responses((status = 200, description = "Rejected", body = RemediationAction)),
    security(("jwt" = ["Remediation.Manage"])))]
pub async fn reject_action(app: &App, call: Call) -> RouteResult {
    let id = call.id("actionId")?;
    let reason = reason_body(&call)?;
    let action = actions::reject(&app.store, &call.caller, id, reason, Utc::now()).await?;
    Ok(json(StatusCode::OK, &action))
}
