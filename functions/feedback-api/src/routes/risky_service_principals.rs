//! Risky service principals (SPEC 3c): workload identities' risk, as users' is: the list, one
//! and its history, their detections, and the analyst's feedback on them.

use http::StatusCode;
use utoipa::IntoParams;

use riskfeedback::errors::NotFound;
use riskfeedback::feedback::{Feedback, FeedbackAction};
use riskfeedback::history::HistoryEntry;
use riskfeedback::model::{Detection, RiskLevel, RiskState};
use riskfeedback::openapi::{Id, Name, Paging};
use riskfeedback::preview::Preview;
use riskfeedback::principal::{principal_key, PrincipalKind};
use riskfeedback::store::ReadStore;
use riskfeedback::views::RiskyServicePrincipal;
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{json, list_page, HttpError, ListBody};

use super::feedback::{feedback, FeedbackOptions, ServicePrincipalFeedbackBody};
use super::risk_detections;
use super::risky_users::principals;
use super::Idempotency;
use crate::App;

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ServicePrincipalQuery {
    pub risk_level: Option<RiskLevel>,
    pub risk_state: Option<RiskState>,
}

#[utoipa::path(get, path = "/risky-service-principals", tag = "Risky service principals",
    params(ServicePrincipalQuery, Paging),
    responses((status = 200, description = "One page of risky service principals, newest riskLastUpdatedDateTime first", body = ListBody<RiskyServicePrincipal>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn list_service_principals(app: &App, call: Call) -> RouteResult {
    let page = principals(app, &call, PrincipalKind::ServicePrincipal).await?;
    Ok(list_page(page.map(RiskyServicePrincipal::from)))
}

#[utoipa::path(get, path = "/risky-service-principals/{servicePrincipalId}", tag = "Risky service principals",
    params(("servicePrincipalId" = Id, Path)),
    responses((status = 200, description = "The service principal", body = RiskyServicePrincipal)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn get_service_principal(app: &App, call: Call) -> RouteResult {
    let id = call.id("servicePrincipalId")?;
    let key = principal_key(PrincipalKind::ServicePrincipal, id);
    match app.store.user(&call.caller.tenant_id, &key).await? {
        Some(row) => Ok(json(StatusCode::OK, &RiskyServicePrincipal::from(row))),
        None => Err(NotFound::new("service principal", id).into()),
    }
}

/// The aggregate key of the path's `servicePrincipalId`, if the caller's tenant has it: what a
/// service principal's sub-resources answer `404` without.
pub(crate) async fn known_service_principal(app: &App, call: &Call) -> Result<String, HttpError> {
    let id = call.id("servicePrincipalId")?;
    let key = principal_key(PrincipalKind::ServicePrincipal, id);
    match app.store.user(&call.caller.tenant_id, &key).await? {
        Some(_) => Ok(key),
        None => Err(NotFound::new("service principal", id).into()),
    }
}

#[utoipa::path(get, path = "/risky-service-principals/{servicePrincipalId}/history", tag = "Risky service principals",
    params(("servicePrincipalId" = Id, Path), Paging),
    responses((status = 200, description = "The service principal's history, newest first", body = ListBody<HistoryEntry>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn service_principal_history(app: &App, call: Call) -> RouteResult {
    let key = known_service_principal(app, &call).await?;
    let page = app
        .store
        .user_history(&call.caller.tenant_id, &key, &call.query.page()?)
        .await?;
    Ok(list_page(page.map(HistoryEntry::as_seen)))
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ServicePrincipalDetectionQuery {
    #[param(value_type = Option<Id>)]
    pub service_principal_id: Option<String>,
    /// For example `investigationsThreatIntelligence`, `suspiciousAPITraffic`.
    #[param(value_type = Option<Name>)]
    pub risk_event_type: Option<String>,
    pub risk_state: Option<RiskState>,
}

#[utoipa::path(get, path = "/service-principal-risk-detections", tag = "Risky service principals",
    params(ServicePrincipalDetectionQuery, Paging),
    responses((status = 200, description = "One page of service principals' detections", body = ListBody<Detection>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn list_service_principal_detections(app: &App, call: Call) -> RouteResult {
    risk_detections::list(app, &call, PrincipalKind::ServicePrincipal).await
}

#[utoipa::path(post, path = "/risky-service-principals/confirm-compromised", tag = "Risky service principals",
    params(FeedbackOptions, Idempotency), request_body = ServicePrincipalFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn confirm_service_principals_compromised(app: &App, call: Call) -> RouteResult {
    feedback(
        app,
        &call,
        FeedbackAction::ConfirmServicePrincipalCompromised,
    )
    .await
}

#[utoipa::path(post, path = "/risky-service-principals/dismiss", tag = "Risky service principals",
    params(FeedbackOptions, Idempotency), request_body = ServicePrincipalFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn dismiss_service_principals(app: &App, call: Call) -> RouteResult {
    feedback(app, &call, FeedbackAction::DismissServicePrincipal).await
}
