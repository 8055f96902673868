//! Feedback: reading one, and what every feedback and ingestion route shares, preview
//! (`?dryRun=true`) or acceptance (`202`, honouring `Idempotency-Key`).

use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use riskfeedback::admin_actions::follow_up;
use riskfeedback::errors::NotFound;
use riskfeedback::feedback::{Feedback, FeedbackAction};
use riskfeedback::idempotency::{new_id, request_hash};
use riskfeedback::intake::{submit, FeedbackRequest};
use riskfeedback::openapi::Id;
use riskfeedback::preview::preview;
use riskfeedback::remediation::AdminAction;
use riskfeedback::role::Role;
use riskfeedback::sign_in_blocks::{self, BlockIndicatorRequest};
use riskfeedback::store::{FeedbackRecord, FeedbackStore, IntakeState};
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{accepted, json, HttpError, HttpResponse};

use crate::App;

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct FeedbackOptions {
    /// `true`: answer `200` with what would change, and change nothing.
    pub dry_run: Option<bool>,
}

#[utoipa::path(get, path = "/feedback/{feedbackId}", tag = "Feedback",
    params(("feedbackId" = Id, Path)),
    responses((status = 200, description = "The feedback and each target's result", body = Feedback)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn get_feedback(app: &App, call: Call) -> RouteResult {
    let id = call.id("feedbackId")?;
    match app.store.work(&call.caller.tenant_id, id).await? {
        // A request still being stored in several transactions is not accepted, and may never
        // be: until it is, there is no such feedback (a `202` is only answered after).
        Some(record) if record.intake_state != IntakeState::Accepting => {
            Ok(json(StatusCode::OK, &record.view()))
        }
        _ => Err(NotFound::new("feedback", id).into()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserFeedbackBody {
    #[schema(value_type = riskfeedback::openapi::IdList)]
    user_ids: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Comment>)]
    comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePrincipalFeedbackBody {
    #[schema(value_type = riskfeedback::openapi::IdList)]
    service_principal_ids: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Comment>)]
    comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInFeedbackBody {
    #[schema(value_type = riskfeedback::openapi::IdList)]
    sign_in_ids: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Comment>)]
    comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserCompromisedBody {
    #[schema(value_type = riskfeedback::openapi::IdList)]
    user_ids: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Comment>)]
    comment: Option<String>,
    /// Also ask the executor to act on the users (needs `Remediation.Manage` too), each action
    /// once: all or nothing.
    #[serde(default)]
    #[schema(schema_with = riskfeedback::remediation::admin_action_list)]
    then: Vec<AdminAction>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInCompromisedBody {
    #[schema(value_type = riskfeedback::openapi::IdList)]
    sign_in_ids: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Comment>)]
    comment: Option<String>,
    /// Also block each sign-in's IP address, tenant-wide (needs `Indicators.Manage` too): all
    /// or nothing.
    #[serde(default)]
    block_indicator: Option<BlockIndicatorRequest>,
    /// Also ask the executor to act on the sign-ins' users (needs `Remediation.Manage` too),
    /// each action once: all or nothing.
    #[serde(default)]
    #[schema(schema_with = riskfeedback::remediation::admin_action_list)]
    then: Vec<AdminAction>,
}

/// Every feedback route: validate, then preview (`?dryRun=true`) or accept.
pub(crate) async fn feedback(app: &App, call: &Call, action: FeedbackAction) -> RouteResult {
    let dry_run = call.query.flag("dryRun")?;
    let (field, target_ids, comment, block, then) = match action {
        FeedbackAction::ConfirmSignInCompromised => {
            let body: SignInCompromisedBody = call.json()?;
            let (block, then) = (body.block_indicator, body.then);
            ("signInIds", body.sign_in_ids, body.comment, block, then)
        }
        FeedbackAction::ConfirmUserCompromised => {
            let body: UserCompromisedBody = call.json()?;
            ("userIds", body.user_ids, body.comment, None, body.then)
        }
        _ if action.targets_service_principals() => {
            let body: ServicePrincipalFeedbackBody = call.json()?;
            let ids = body.service_principal_ids;
            ("servicePrincipalIds", ids, body.comment, None, Vec::new())
        }
        _ if action.targets_sign_ins() => {
            let body: SignInFeedbackBody = call.json()?;
            (
                "signInIds",
                body.sign_in_ids,
                body.comment,
                None,
                Vec::new(),
            )
        }
        _ => {
            let body: UserFeedbackBody = call.json()?;
            ("userIds", body.user_ids, body.comment, None, Vec::new())
        }
    };
    if !then.is_empty() {
        call.caller.require(Role::RemediationManage)?;
    }
    let sign_in_ids = target_ids.clone();
    let work = FeedbackRequest::feedback(action, field, target_ids, comment)?
        .with_follow_up(block.clone(), then.clone())?;
    // A dry run stores nothing under the key, but a bad key is as bad as in a real run.
    let key = call.idempotency_key()?;
    let now = Utc::now();
    let caller = &call.caller;
    let blocks = match &block {
        Some(request) => {
            let id = new_id(caller, key);
            sign_in_blocks::plan(&app.store, caller, &id, &sign_in_ids, request, now).await?
        }
        None => Vec::new(),
    };
    if dry_run {
        let preview = preview(&app.store, caller, &work, now, &app.settings).await?;
        return Ok(json(StatusCode::OK, &preview));
    }
    let hash = request_hash(&work);
    // Intake first: a reused Idempotency-Key is refused before any indicator or action is
    // made, and a keyed retry after a failure here replays the feedback and makes what is
    // missing.
    let record = submit_work(app, call, work).await?;
    sign_in_blocks::create(&app.store, &caller.tenant_id, &blocks, &hash).await?;
    if !then.is_empty() {
        follow_up(&app.store, &app.commands, caller, &record, &then, now).await?;
    }
    Ok(answer(&record))
}

/// `202` with the feedback and where to watch it; honours `Idempotency-Key`.
pub(crate) async fn accept(app: &App, call: &Call, work: FeedbackRequest) -> RouteResult {
    Ok(answer(&submit_work(app, call, work).await?))
}

fn answer(record: &FeedbackRecord) -> HttpResponse {
    accepted(&format!("/feedback/{}", record.id), &record.view())
}

/// Accepts the work, honouring `Idempotency-Key`.
pub(crate) async fn submit_work(
    app: &App,
    call: &Call,
    work: FeedbackRequest,
) -> Result<FeedbackRecord, HttpError> {
    let key = call.idempotency_key()?;
    let caller = &call.caller;
    let record = submit(
        &app.store,
        &app.work_queue,
        &app.events,
        caller,
        work,
        key,
        Utc::now(),
    )
    .await?;
    tracing::info!(tenant = %caller.tenant_id, feedback = %record.id, action = ?record.action, "accepted");
    Ok(record)
}
