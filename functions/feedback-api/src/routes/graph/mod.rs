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

use std::future::Future;

use riskfeedback::feedback::FeedbackAction;
use riskfeedback::intake::FeedbackRequest;
use riskfeedback::limits::MAX_PAGE_SIZE;
use riskfeedback::store::{Page, PageRequest, StoreError};
use riskfeedback_http::graph::{accepted_as_no_content, count};
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

/// Graph's `$count` of a whole collection, read a page at a time from `page_of`: its cost grows
/// with the collection, as Graph's documentation warns of its own.
pub(crate) async fn count_of<T, F, Fut>(mut page_of: F) -> RouteResult
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let mut size = 0;
    let mut cursor = None;
    loop {
        let page = page_of(PageRequest {
            limit: MAX_PAGE_SIZE,
            cursor,
        })
        .await?;
        size += page.value.len() as u64;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(count(size)),
        }
    }
}
