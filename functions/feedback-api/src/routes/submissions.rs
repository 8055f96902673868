//! False positive and false negative submissions.

use chrono::Utc;
use http::StatusCode;

use riskfeedback::errors::NotFound;
use riskfeedback::openapi::Id;
use riskfeedback::store::SubmissionStore;
use riskfeedback::submissions::{Submission, SubmissionIn};
use riskfeedback::submit;
use riskfeedback_http::answers::Submitted;
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{created, json};

use crate::App;

#[utoipa::path(post, path = "/submissions", tag = "Submissions",
    request_body = SubmissionIn,
    responses((status = 201, description = "Recorded, with what it undid and allowed", body = Submitted)),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn create_submission(app: &App, call: Call) -> RouteResult {
    let input: SubmissionIn = call.json()?;
    let key = call.idempotency_key()?;
    let submitted = submit::submit(
        &app.store,
        &app.commands,
        &call.caller,
        input,
        key,
        Utc::now(),
    )
    .await?;
    let location = format!("/submissions/{}", submitted.submission.id);
    Ok(created(&location, &Submitted::from(submitted)))
}

#[utoipa::path(get, path = "/submissions/{submissionId}", tag = "Submissions",
    params(("submissionId" = Id, Path)),
    responses((status = 200, description = "The submission", body = Submission)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn get_submission(app: &App, call: Call) -> RouteResult {
    let id = call.id("submissionId")?;
    match app.store.submission(&call.caller.tenant_id, id).await? {
        Some(stored) => Ok(json(StatusCode::OK, &stored.submission)),
        None => Err(NotFound::new("submission", id).into()),
    }
}
