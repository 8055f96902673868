//! The Graph-compatible surface (SPEC 8a): Microsoft Graph's identityProtection paths under
//! `/graph/v1.0` (and `/graph/beta` for what only beta has), with Graph's shapes, OData query
//! options and error envelope, so that Graph SDKs, PowerShell and playbooks written for Entra
//! ID Protection work by changing their base URL. A thin view: each route reads the same store
//! and submits the same feedback as the API's own routes, under the same roles.

pub mod risk_detections;
pub mod risky_service_principals;
pub mod risky_users;
pub mod shapes;
pub mod sign_ins;

use riskfeedback::feedback::FeedbackAction;
use riskfeedback::intake::FeedbackRequest;
use riskfeedback_http::graph::accepted_as_no_content;
use riskfeedback_http::router::{Call, RouteResult};

use super::feedback::submit_work;
use crate::App;

/// Graph's actions: the feedback `action` on the body's `field` ids, accepted as the API's
/// own route accepts it, answered `204` as Graph does, with the feedback's `Location`.
pub(crate) async fn act(
    app: &App,
    call: &Call,
    action: FeedbackAction,
    field: &str,
    ids: Vec<String>,
) -> RouteResult {
    let work = FeedbackRequest::feedback(action, field, ids, None)?;
    let record = submit_work(app, call, work).await?;
    Ok(accepted_as_no_content(&format!("/feedback/{}", record.id)))
}
