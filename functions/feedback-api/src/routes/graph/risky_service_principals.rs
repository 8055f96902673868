//! Graph's `identityProtection/riskyServicePrincipals` (the list, one, its history, and the two
//! actions) and `identityProtection/servicePrincipalRiskDetections` (the list and one).

use riskfeedback::errors::NotFound;
use riskfeedback::feedback::FeedbackAction;
use riskfeedback::openapi::{Id, Idempotency};
use riskfeedback::principal::{principal_key, PrincipalKind};
use riskfeedback::store::{ReadStore, UserFilter};
use riskfeedback::views::RiskyServicePrincipal;
use riskfeedback_http::graph::{entity, Collection, ListOptions, NewestFirst, COUNT};
use riskfeedback_http::odata::{Allowed, Op};
use riskfeedback_http::router::{Call, RouteResult};

use super::risk_detections;
use super::risky_users;
use super::shapes::{GraphHistoryItem, GraphRiskDetection, ServicePrincipalIdsBody};
use super::{act, count_of};
use crate::App;

const SERVICE_PRINCIPALS: Allowed<'static> = Allowed {
    text: &[
        ("id", &[Op::Eq, Op::Ne]),
        ("appId", &[Op::Eq, Op::Ne]),
        ("riskLevel", &[Op::Eq, Op::Ne]),
        ("riskState", &[Op::Eq, Op::Ne]),
        ("riskDetail", &[Op::Eq, Op::Ne]),
        ("displayName", &[Op::Eq, Op::Ne, Op::StartsWith]),
    ],
    times: &["riskLastUpdatedDateTime"],
};

const DETECTIONS: Allowed<'static> = Allowed {
    text: &[
        ("id", &[Op::Eq, Op::Ne]),
        ("servicePrincipalId", &[Op::Eq, Op::Ne]),
        (
            "servicePrincipalDisplayName",
            &[Op::Eq, Op::Ne, Op::StartsWith],
        ),
        ("appId", &[Op::Eq, Op::Ne]),
        ("riskEventType", &[Op::Eq, Op::Ne]),
        ("riskLevel", &[Op::Eq, Op::Ne]),
        ("riskState", &[Op::Eq, Op::Ne]),
        ("riskDetail", &[Op::Eq, Op::Ne]),
        ("source", &[Op::Eq, Op::Ne]),
        ("ipAddress", &[Op::Eq, Op::Ne]),
    ],
    times: &[
        "detectedDateTime",
        "activityDateTime",
        "lastUpdatedDateTime",
    ],
};

#[utoipa::path(get, path = "/graph/v1.0/identityProtection/riskyServicePrincipals", tag = "Graph-compatible",
    params(ListOptions, NewestFirst),
    responses((status = 200, description = "One page of risky service principals, newest \
        riskLastUpdatedDateTime first; `$filter` takes id, appId, riskLevel, riskState, riskDetail and displayName (eq, ne; \
        startswith for the name), and riskLastUpdatedDateTime compared with a time",
        body = Collection<RiskyServicePrincipal>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn graph_list_risky_service_principals(app: &App, call: Call) -> RouteResult {
    let kind = PrincipalKind::ServicePrincipal;
    let (options, page) = risky_users::principals(app, &call, kind, &SERVICE_PRINCIPALS).await?;
    let page = page.map(RiskyServicePrincipal::from);
    options.collection(&call, "identityProtection/riskyServicePrincipals", page)
}

#[utoipa::path(get, path = "/graph/v1.0/identityProtection/riskyServicePrincipals/{servicePrincipalId}", tag = "Graph-compatible",
    params(("servicePrincipalId" = Id, Path)),
    responses((status = 200, description = "The risky service principal; for `$count`, how many \
        there are, as text (reading them all)", content(
        (RiskyServicePrincipal = "application/json"), (u64 = "text/plain")))),
    security(("jwt" = ["Risk.Read"])))]
pub async fn graph_get_risky_service_principal(app: &App, call: Call) -> RouteResult {
    let id = call.id("servicePrincipalId")?;
    let tenant = &call.caller.tenant_id;
    if id == COUNT {
        let apps = &UserFilter {
            kind: PrincipalKind::ServicePrincipal,
            ..UserFilter::default()
        };
        return count_of(|page| async move { app.store.users(tenant, apps, &page).await }).await;
    }
    let key = principal_key(PrincipalKind::ServicePrincipal, id);
    match app.store.user(tenant, &key).await? {
        Some(row) => Ok(entity(
            &call,
            "identityProtection/riskyServicePrincipals/$entity",
            RiskyServicePrincipal::from(row),
        )),
        None => Err(NotFound::new("service principal", id).into()),
    }
}

#[utoipa::path(get, path = "/graph/v1.0/identityProtection/riskyServicePrincipals/{servicePrincipalId}/history", tag = "Graph-compatible",
    params(("servicePrincipalId" = Id, Path), ListOptions),
    responses((status = 200, description = "The service principal's risk history, newest first; \
        `$filter` takes riskLevel, riskState, riskDetail and initiatedBy (eq, ne), and \
        riskLastUpdatedDateTime compared with a time", body = Collection<GraphHistoryItem>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn graph_risky_service_principal_history(app: &App, call: Call) -> RouteResult {
    risky_users::history(app, &call, PrincipalKind::ServicePrincipal).await
}

#[utoipa::path(post, path = "/graph/v1.0/identityProtection/riskyServicePrincipals/confirmCompromised", tag = "Graph-compatible",
    params(Idempotency), request_body = ServicePrincipalIdsBody,
    responses((status = 204, description = "Accepted, as Graph answers; `Location` names the feedback that carries it out")),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn graph_confirm_service_principals_compromised(app: &App, call: Call) -> RouteResult {
    let body: ServicePrincipalIdsBody = call.json()?;
    let action = FeedbackAction::ConfirmServicePrincipalCompromised;
    act(
        app,
        &call,
        action,
        "servicePrincipalIds",
        body.service_principal_ids,
    )
    .await
}

#[utoipa::path(post, path = "/graph/v1.0/identityProtection/riskyServicePrincipals/dismiss", tag = "Graph-compatible",
    params(Idempotency), request_body = ServicePrincipalIdsBody,
    responses((status = 204, description = "Accepted, as Graph answers; `Location` names the feedback that carries it out")),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn graph_dismiss_service_principals(app: &App, call: Call) -> RouteResult {
    let body: ServicePrincipalIdsBody = call.json()?;
    let action = FeedbackAction::DismissServicePrincipal;
    act(
        app,
        &call,
        action,
        "servicePrincipalIds",
        body.service_principal_ids,
    )
    .await
}

#[utoipa::path(get, path = "/graph/v1.0/identityProtection/servicePrincipalRiskDetections", tag = "Graph-compatible",
    params(ListOptions),
    responses((status = 200, description = "One page of service principals' risk detections, as \
        Graph lists them; `$filter` takes id, servicePrincipalId, servicePrincipalDisplayName, \
        appId, riskEventType, riskLevel, riskState, riskDetail, source and ipAddress (eq, ne; \
        startswith for the name), and detectedDateTime, activityDateTime and lastUpdatedDateTime \
        compared with a time", body = Collection<GraphRiskDetection>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn graph_list_service_principal_risk_detections(app: &App, call: Call) -> RouteResult {
    risk_detections::list(app, &call, PrincipalKind::ServicePrincipal, &DETECTIONS).await
}

#[utoipa::path(get, path = "/graph/v1.0/identityProtection/servicePrincipalRiskDetections/{riskDetectionId}", tag = "Graph-compatible",
    params(("riskDetectionId" = Id, Path)),
    responses((status = 200, description = "The service principal's risk detection; for `$count`, \
        how many there are, as text (reading them all)", content(
        (GraphRiskDetection = "application/json"), (u64 = "text/plain")))),
    security(("jwt" = ["Risk.Read"])))]
pub async fn graph_get_service_principal_risk_detection(app: &App, call: Call) -> RouteResult {
    risk_detections::get(app, &call, PrincipalKind::ServicePrincipal).await
}
