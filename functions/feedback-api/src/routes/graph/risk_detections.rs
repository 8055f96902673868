//! Graph's `identityProtection/riskDetections`: the list and one detection.

use riskfeedback::errors::NotFound;
use riskfeedback::model::RiskState;
use riskfeedback::openapi::Id;
use riskfeedback::principal::PrincipalKind;
use riskfeedback::store::{DetectionFilter, ReadStore};
use riskfeedback_http::graph::{entity, Collection, ListOptions, COUNT};
use riskfeedback_http::odata::{Allowed, Op};
use riskfeedback_http::router::{Call, RouteResult};

use super::count_of;
use super::risky_users::pushed_down;
use super::shapes::GraphRiskDetection;
use crate::App;

const DETECTIONS: Allowed<'static> = Allowed {
    text: &[
        ("id", &[Op::Eq, Op::Ne]),
        ("userId", &[Op::Eq, Op::Ne]),
        ("userPrincipalName", &[Op::Eq, Op::Ne, Op::StartsWith]),
        ("requestId", &[Op::Eq, Op::Ne]),
        ("riskEventType", &[Op::Eq, Op::Ne]),
        ("riskLevel", &[Op::Eq, Op::Ne]),
        ("riskState", &[Op::Eq, Op::Ne]),
        ("riskDetail", &[Op::Eq, Op::Ne]),
        ("source", &[Op::Eq, Op::Ne]),
        ("activity", &[Op::Eq, Op::Ne]),
        ("ipAddress", &[Op::Eq, Op::Ne]),
    ],
    times: &[
        "detectedDateTime",
        "activityDateTime",
        "lastUpdatedDateTime",
    ],
};

#[utoipa::path(get, path = "/graph/v1.0/identityProtection/riskDetections", tag = "Graph-compatible",
    params(ListOptions),
    responses((status = 200, description = "One page of risk detections, as Graph lists them; \
        `$filter` takes id, userId, userPrincipalName, requestId, riskEventType, riskLevel, \
        riskState, riskDetail, source, activity and ipAddress (eq, ne; startswith for the user's \
        name), and detectedDateTime, activityDateTime and lastUpdatedDateTime compared with a \
        time", body = Collection<GraphRiskDetection>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn graph_list_risk_detections(app: &App, call: Call) -> RouteResult {
    list(app, &call, PrincipalKind::User, &DETECTIONS).await
}

/// A page of the detections of principals of `kind`: a user's are filtered by `userId` and
/// their sign-in's `requestId`, a service principal's by `servicePrincipalId`.
pub(crate) async fn list(
    app: &App,
    call: &Call,
    kind: PrincipalKind,
    allowed: &Allowed<'_>,
) -> RouteResult {
    let options = ListOptions::of(call, allowed, None)?;
    let text = |field: &str| options.filter.equals(field).map(str::to_string);
    let (principal, what) = match kind {
        PrincipalKind::User => ("userId", "identityProtection/riskDetections"),
        PrincipalKind::ServicePrincipal => (
            "servicePrincipalId",
            "identityProtection/servicePrincipalRiskDetections",
        ),
    };
    let filter = DetectionFilter {
        kind,
        user_id: text(principal),
        sign_in_id: text("requestId").filter(|_| kind == PrincipalKind::User),
        risk_event_type: text("riskEventType"),
        risk_state: pushed_down::<RiskState>(&options.filter, "riskState"),
    };
    let page = app
        .store
        .detections(&call.caller.tenant_id, &filter, &options.page()?)
        .await?;
    options.collection(call, what, page.map(GraphRiskDetection::from))
}

/// One detection of a principal of `kind`, by the path's `riskDetectionId`.
pub(crate) async fn get(app: &App, call: &Call, kind: PrincipalKind) -> RouteResult {
    let id = call.id("riskDetectionId")?;
    let tenant = &call.caller.tenant_id;
    if id == COUNT {
        let detections = &DetectionFilter {
            kind,
            ..DetectionFilter::default()
        };
        let page_of = |page| async move { app.store.detections(tenant, detections, &page).await };
        return count_of(page_of).await;
    }
    let what = match kind {
        PrincipalKind::User => "identityProtection/riskDetections/$entity",
        PrincipalKind::ServicePrincipal => {
            "identityProtection/servicePrincipalRiskDetections/$entity"
        }
    };
    match app
        .store
        .detection(&call.caller.tenant_id, kind, id)
        .await?
    {
        Some(detection) => Ok(entity(call, what, GraphRiskDetection::from(detection))),
        None => Err(NotFound::new("risk detection", id).into()),
    }
}

#[utoipa::path(get, path = "/graph/v1.0/identityProtection/riskDetections/{riskDetectionId}", tag = "Graph-compatible",
    params(("riskDetectionId" = Id, Path)),
    responses((status = 200, description = "The risk detection; for `$count`, how many there are, \
        as text (reading them all)", content(
        (GraphRiskDetection = "application/json"), (u64 = "text/plain")))),
    security(("jwt" = ["Risk.Read"])))]
pub async fn graph_get_risk_detection(app: &App, call: Call) -> RouteResult {
    get(app, &call, PrincipalKind::User).await
}
