//! Risk detections: the list, and ingestion by identity-protection systems.

use utoipa::{IntoParams, ToSchema};

use riskfeedback::errors::Invalid;
use riskfeedback::feedback::{DetectionIn, Feedback};
use riskfeedback::intake::FeedbackRequest;
use riskfeedback::model::{Detection, RiskState};
use riskfeedback::openapi::{Id, Name, Paging};
use riskfeedback::principal::PrincipalKind;
use riskfeedback::store::{DetectionFilter, ReadStore};
use riskfeedback::validate::Errors;
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{list_page, ListBody};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::feedback::accept;
use super::Idempotency;
use crate::App;

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct DetectionQuery {
    #[param(value_type = Option<Id>)]
    pub user_id: Option<String>,
    #[param(value_type = Option<Id>)]
    pub sign_in_id: Option<String>,
    /// For example `unfamiliarFeatures`, `leakedCredentials`, `adminConfirmedUserCompromised`.
    #[param(value_type = Option<Name>)]
    pub risk_event_type: Option<String>,
    pub risk_state: Option<RiskState>,
}

#[utoipa::path(get, path = "/risk-detections", tag = "Risk detections",
    params(DetectionQuery, Paging),
    responses((status = 200, description = "One page of detections, with or without a sign-in", body = ListBody<Detection>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn list_detections(app: &App, call: Call) -> RouteResult {
    list(app, &call, PrincipalKind::User).await
}

/// A page of the detections of principals of `kind`, filtered by the principal (`userId` or
/// `servicePrincipalId`), a user's sign-in, the type and the state.
pub(crate) async fn list(app: &App, call: &Call, kind: PrincipalKind) -> RouteResult {
    let query = &call.query;
    let principal = match kind {
        PrincipalKind::User => "userId",
        PrincipalKind::ServicePrincipal => "servicePrincipalId",
    };
    let mut errors = Errors::default();
    for name in [principal, "signInId"] {
        if let Some(value) = query.get(name) {
            errors.id(name, value);
        }
    }
    if let Some(value) = query.get("riskEventType") {
        errors.name("riskEventType", value);
    }
    errors.into_result()?;
    let filter = DetectionFilter {
        kind,
        user_id: query.get(principal).map(str::to_string),
        sign_in_id: query.get("signInId").map(str::to_string),
        risk_event_type: query.get("riskEventType").map(str::to_string),
        risk_state: query.parsed::<RiskState>("riskState")?,
    };
    let page = app
        .store
        .detections(&call.caller.tenant_id, &filter, &query.page()?)
        .await?;
    Ok(list_page(page.map(Detection::as_seen)))
}

/// The detections to ingest, under `detections`, or a Graph `riskDetections` page as Graph
/// returned it, under `value` (SPEC 8): one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DetectionsBody {
    #[schema(min_items = 1, max_items = 100)]
    detections: Option<Vec<DetectionIn>>,
    /// A Graph page's `value`, posted with the rest of the page.
    #[schema(min_items = 1, max_items = 100)]
    value: Option<Vec<DetectionIn>>,
    /// Graph's, taken with the page and not used.
    #[serde(rename = "@odata.context", default)]
    #[schema(value_type = Option<String>)]
    _odata_context: Option<IgnoredAny>,
    /// Graph's, taken with the page and not used: the caller fetches the next page itself.
    #[serde(rename = "@odata.nextLink", default)]
    #[schema(value_type = Option<String>)]
    _odata_next_link: Option<IgnoredAny>,
}

#[utoipa::path(post, path = "/risk-detections", tag = "Risk detections",
    params(Idempotency), request_body = DetectionsBody,
    responses((status = 202, description = "Accepted; watch it at `Location`", body = Feedback)),
    security(("jwt" = ["Signals.Ingest"])))]
pub async fn ingest_detections(app: &App, call: Call) -> RouteResult {
    let body: DetectionsBody = call.json()?;
    let (field, detections) = match (body.detections, body.value) {
        (Some(detections), None) => ("detections", detections),
        (None, Some(value)) => ("value", value),
        (Some(_), Some(_)) => {
            return Err(Invalid::field(
                "value",
                "send detections or a Graph page's value, not both",
            )
            .into())
        }
        (None, None) => return Err(Invalid::field("detections", "is required").into()),
    };
    accept(app, &call, FeedbackRequest::detections(field, detections)?).await
}
