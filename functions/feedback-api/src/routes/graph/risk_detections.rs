//! Graph's `identityProtection/riskDetections`: the list and one detection.

use riskfeedback::errors::NotFound;
use riskfeedback::model::RiskState;
use riskfeedback::openapi::Id;
use riskfeedback::principal::PrincipalKind;
use riskfeedback::store::{DetectionFilter, ReadStore};
use riskfeedback_http::graph::{entity, Collection, ListOptions};
use riskfeedback_http::odata::{Allowed, Op};
use riskfeedback_http::router::{Call, RouteResult};

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
    let options = ListOptions::of(&call, &DETECTIONS)?;
    let text = |field: &str| options.filter.equals(field).map(str::to_string);
    let filter = DetectionFilter {
        kind: PrincipalKind::User,
        user_id: text("userId"),
        sign_in_id: text("requestId"),
        risk_event_type: text("riskEventType"),
        risk_state: pushed_down::<RiskState>(&options.filter, "riskState"),
    };
    let page = app
        .store
        .detections(&call.caller.tenant_id, &filter, &options.page()?)
        .await?;
    options.collection(
        &call,
        "identityProtection/riskDetections",
        page.map(GraphRiskDetection::from),
    )
}

#[utoipa::path(get, path = "/graph/v1.0/identityProtection/riskDetections/{riskDetectionId}", tag = "Graph-compatible",
    params(("riskDetectionId" = Id, Path)),
    responses((status = 200, description = "The risk detection", body = GraphRiskDetection)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn graph_get_risk_detection(app: &App, call: Call) -> RouteResult {
    let id = call.id("riskDetectionId")?;
    match app
        .store
        .detection(&call.caller.tenant_id, PrincipalKind::User, id)
        .await?
    {
        Some(detection) => Ok(entity(
            &call,
            "identityProtection/riskDetections/$entity",
            GraphRiskDetection::from(detection),
        )),
        None => Err(NotFound::new("risk detection", id).into()),
    }
}
