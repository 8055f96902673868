//! One function per route of SPEC 8 that this API serves.

use chrono::Utc;
use http::{Method, StatusCode};
use lambda_http::Request;
use serde::Deserialize;

use riskfeedback::auth::Caller;
use riskfeedback::feedback::{DetectionIn, FeedbackAction, PasswordEventKind};
use riskfeedback::idempotency::validate_idempotency_key;
use riskfeedback::indicators::IndicatorIn;
use riskfeedback::intake::{submit, FeedbackRequest};
use riskfeedback::limits::MAX_TEXT_LEN;
use riskfeedback::manage_indicators;
use riskfeedback::model::{RiskLevel, RiskState};
use riskfeedback::preview::preview;
use riskfeedback::problem::ApiError;
use riskfeedback::quality::{self, QualityReport};
use riskfeedback::role::Role;
use riskfeedback::store::{
    DetectionFilter, FeedbackStore, IndicatorStore, IntakeState, QualityStore, ReadStore,
    SignInFilter, SubmissionStore, UserFilter,
};
use riskfeedback::submissions::SubmissionIn;
use riskfeedback::submit;
use riskfeedback::validate::{check_id, Errors};
use riskfeedback::views::{RiskySignIn, RiskyUser};
use riskfeedback_aws::lambda;
use riskfeedback_http::answers::Submitted;
use riskfeedback_http::{
    accepted, created, json, json_body, list_page, no_content, segments, HttpError, Query,
};

use crate::{App, RouteResult};

pub(crate) async fn route(app: &App, request: &Request) -> RouteResult {
    let caller = lambda::caller(request)?;
    let path = lambda::path(request);
    let method = request.method().clone();
    let query = lambda::query_pairs(request);
    let segments = segments(&path)?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (&method, segments.as_slice()) {
        (&Method::GET, ["risky-users"]) => list_users(app, &caller, &query).await,
        (&Method::GET, ["risky-users", id]) => get_user(app, &caller, id, &query).await,
        (&Method::GET, ["risky-users", id, "history"]) => {
            user_history(app, &caller, id, &query).await
        }
        (&Method::POST, ["risky-users", verb]) => {
            let action = match *verb {
                "confirm-compromised" => FeedbackAction::ConfirmUserCompromised,
                "confirm-safe" => FeedbackAction::ConfirmUserSafe,
                "dismiss" => FeedbackAction::DismissUser,
                _ => return Err(not_found_route(&method, &path)),
            };
            feedback(app, &caller, request, action, &query).await
        }
        (&Method::GET, ["risky-signins"]) => list_sign_ins(app, &caller, &query).await,
        (&Method::GET, ["risky-signins", id]) => get_sign_in(app, &caller, id, &query).await,
        (&Method::POST, ["risky-signins", verb]) => {
            let action = match *verb {
                "confirm-safe" => FeedbackAction::ConfirmSignInSafe,
                "confirm-compromised" => FeedbackAction::ConfirmSignInCompromised,
                "dismiss" => FeedbackAction::DismissSignIn,
                _ => return Err(not_found_route(&method, &path)),
            };
            feedback(app, &caller, request, action, &query).await
        }
        (&Method::GET, ["risk-detections"]) => list_detections(app, &caller, &query).await,
        (&Method::POST, ["risk-detections"]) => {
            ingest_detections(app, &caller, request, &query).await
        }
        (&Method::POST, ["password-events"]) => password_event(app, &caller, request, &query).await,
        (&Method::GET, ["feedback", id]) => get_feedback(app, &caller, id, &query).await,
        (&Method::GET, ["indicators"]) => list_indicators(app, &caller, &query).await,
        (&Method::POST, ["indicators"]) => {
            Query::none(&query)?;
            create_indicator(app, &caller, request).await
        }
        (&Method::GET, ["indicators", id]) => {
            Query::none(&query)?;
            get_indicator(app, &caller, id).await
        }
        (&Method::DELETE, ["indicators", id]) => {
            Query::none(&query)?;
            delete_indicator(app, &caller, id).await
        }
        (&Method::GET, ["detection-quality"]) => detection_quality(app, &caller, &query).await,
        (&Method::POST, ["submissions"]) => {
            Query::none(&query)?;
            create_submission(app, &caller, request).await
        }
        (&Method::GET, ["submissions", id]) => {
            Query::none(&query)?;
            get_submission(app, &caller, id).await
        }
        _ => Err(not_found_route(&method, &path)),
    }
}

fn not_found_route(method: &Method, path: &str) -> HttpError {
    HttpError::RouteNotFound {
        method: method.to_string(),
        path: path.chars().take(MAX_TEXT_LEN).collect(),
    }
}

async fn list_users(app: &App, caller: &Caller, query: &[(String, String)]) -> RouteResult {
    caller.require(Role::RiskRead)?;
    let query = Query::parse_list(query, &["riskLevel", "riskState"])?;
    let filter = UserFilter {
        risk_level: query.parsed::<RiskLevel>("riskLevel")?,
        risk_state: query.parsed::<RiskState>("riskState")?,
    };
    let page = app
        .store
        .users(&caller.tenant_id, &filter, &query.page()?)
        .await?;
    Ok(list_page(
        page.map(|row| RiskyUser::new(row, app.policy_level)),
    ))
}

async fn get_user(app: &App, caller: &Caller, id: &str, query: &[(String, String)]) -> RouteResult {
    caller.require(Role::RiskRead)?;
    Query::parse(query, &[])?;
    check_id("userId", id)?;
    match app.store.user(&caller.tenant_id, id).await? {
        Some(row) => Ok(json(StatusCode::OK, &RiskyUser::new(row, app.policy_level))),
        None => Err(HttpError::from(ApiError::NotFound {
            what: "user",
            id: id.to_string(),
        })),
    }
}

async fn user_history(
    app: &App,
    caller: &Caller,
    id: &str,
    query: &[(String, String)],
) -> RouteResult {
    caller.require(Role::RiskRead)?;
    let query = Query::parse_list(query, &[])?;
    check_id("userId", id)?;
    if app.store.user(&caller.tenant_id, id).await?.is_none() {
        return Err(HttpError::from(ApiError::NotFound {
            what: "user",
            id: id.to_string(),
        }));
    }
    let page = app
        .store
        .user_history(&caller.tenant_id, id, &query.page()?)
        .await?;
    Ok(list_page(page))
}

async fn list_sign_ins(app: &App, caller: &Caller, query: &[(String, String)]) -> RouteResult {
    caller.require(Role::RiskRead)?;
    let query = Query::parse_list(query, &["userId", "riskState"])?;
    if let Some(user) = query.get("userId") {
        check_id("userId", user)?;
    }
    let filter = SignInFilter {
        user_id: query.get("userId").map(str::to_string),
        risk_state: query.parsed::<RiskState>("riskState")?,
    };
    let page = app
        .store
        .sign_ins(&caller.tenant_id, &filter, &query.page()?)
        .await?;
    Ok(list_page(page.map(RiskySignIn::from)))
}

async fn get_sign_in(
    app: &App,
    caller: &Caller,
    id: &str,
    query: &[(String, String)],
) -> RouteResult {
    caller.require(Role::RiskRead)?;
    Query::parse(query, &[])?;
    check_id("signInId", id)?;
    match app.store.sign_in(&caller.tenant_id, id).await? {
        Some(row) => Ok(json(StatusCode::OK, &RiskySignIn::from(row))),
        None => Err(HttpError::from(ApiError::NotFound {
            what: "sign-in",
            id: id.to_string(),
        })),
    }
}

async fn list_detections(app: &App, caller: &Caller, query: &[(String, String)]) -> RouteResult {
    caller.require(Role::RiskRead)?;
    let query = Query::parse_list(query, &["userId", "signInId", "riskEventType", "riskState"])?;
    let mut errors = Errors::default();
    for name in ["userId", "signInId"] {
        if let Some(value) = query.get(name) {
            errors.id(name, value);
        }
    }
    if let Some(value) = query.get("riskEventType") {
        errors.name("riskEventType", value);
    }
    errors.into_result()?;
    let filter = DetectionFilter {
        user_id: query.get("userId").map(str::to_string),
        sign_in_id: query.get("signInId").map(str::to_string),
        risk_event_type: query.get("riskEventType").map(str::to_string),
        risk_state: query.parsed::<RiskState>("riskState")?,
    };
    let page = app
        .store
        .detections(&caller.tenant_id, &filter, &query.page()?)
        .await?;
    Ok(list_page(page))
}

async fn get_feedback(
    app: &App,
    caller: &Caller,
    id: &str,
    query: &[(String, String)],
) -> RouteResult {
    caller.require(Role::RiskRead)?;
    Query::parse(query, &[])?;
    check_id("feedbackId", id)?;
    match app.store.work(&caller.tenant_id, id).await? {
        // A request still being stored in several transactions is not accepted, and may never
        // be: until it is, there is no such feedback (a `202` is only answered after).
        Some(record) if record.intake_state != IntakeState::Accepting => {
            Ok(json(StatusCode::OK, &record.view()))
        }
        _ => Err(HttpError::from(ApiError::NotFound {
            what: "feedback",
            id: id.to_string(),
        })),
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UserFeedbackBody {
    #[cfg_attr(feature = "openapi", schema(value_type = riskfeedback::openapi::IdList))]
    user_ids: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<riskfeedback::openapi::Comment>))]
    comment: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SignInFeedbackBody {
    #[cfg_attr(feature = "openapi", schema(value_type = riskfeedback::openapi::IdList))]
    sign_in_ids: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<riskfeedback::openapi::Comment>))]
    comment: Option<String>,
}

/// Every feedback route: validate, then preview (`?dryRun=true`) or accept.
async fn feedback(
    app: &App,
    caller: &Caller,
    request: &Request,
    action: FeedbackAction,
    query: &[(String, String)],
) -> RouteResult {
    caller.require(Role::RiskFeedback)?;
    let query = Query::parse(query, &["dryRun"])?;
    let dry_run = query.flag("dryRun")?;
    let (field, target_ids, comment) = if action.targets_sign_ins() {
        let body: SignInFeedbackBody = json_body(request.headers(), request.body())?;
        ("signInIds", body.sign_in_ids, body.comment)
    } else {
        let body: UserFeedbackBody = json_body(request.headers(), request.body())?;
        ("userIds", body.user_ids, body.comment)
    };
    let work = FeedbackRequest::feedback(action, field, target_ids, comment)?;
    if dry_run {
        // A dry run stores nothing under the key, but a bad key is as bad as in a real run.
        idempotency_key(request)?;
        let preview = preview(&app.store, caller, &work, Utc::now()).await?;
        return Ok(json(StatusCode::OK, &preview));
    }
    accept(app, caller, request, work).await
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DetectionsBody {
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    detections: Vec<DetectionIn>,
}

async fn ingest_detections(
    app: &App,
    caller: &Caller,
    request: &Request,
    query: &[(String, String)],
) -> RouteResult {
    caller.require(Role::SignalsIngest)?;
    Query::parse(query, &[])?;
    let body: DetectionsBody = json_body(request.headers(), request.body())?;
    accept(
        app,
        caller,
        request,
        FeedbackRequest::detections(body.detections)?,
    )
    .await
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PasswordEventBody {
    #[cfg_attr(feature = "openapi", schema(value_type = riskfeedback::openapi::Id))]
    user_id: String,
    kind: PasswordEventKind,
}

async fn password_event(
    app: &App,
    caller: &Caller,
    request: &Request,
    query: &[(String, String)],
) -> RouteResult {
    caller.require(Role::SignalsIngest)?;
    Query::parse(query, &[])?;
    let body: PasswordEventBody = json_body(request.headers(), request.body())?;
    let work = FeedbackRequest::password(body.user_id, body.kind)?;
    accept(app, caller, request, work).await
}

/// The caller's `Idempotency-Key`, if it sent a valid one.
fn idempotency_key(request: &Request) -> Result<Option<&str>, HttpError> {
    match request.headers().get("idempotency-key") {
        Some(value) => {
            let key = value
                .to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?;
            validate_idempotency_key(key)?;
            Ok(Some(key))
        }
        None => Ok(None),
    }
}

/// `202` with the feedback and where to watch it; honours `Idempotency-Key`.
async fn accept(
    app: &App,
    caller: &Caller,
    request: &Request,
    work: FeedbackRequest,
) -> RouteResult {
    let key = idempotency_key(request)?;
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
    Ok(accepted(
        &format!("/feedback/{}", record.id),
        &record.view(),
    ))
}

async fn list_indicators(app: &App, caller: &Caller, query: &[(String, String)]) -> RouteResult {
    caller.require(Role::RiskRead)?;
    let query = Query::parse_list(query, &[])?;
    let page = app
        .store
        .indicators(&caller.tenant_id, &query.page()?)
        .await?;
    Ok(list_page(page))
}

async fn create_indicator(app: &App, caller: &Caller, request: &Request) -> RouteResult {
    caller.require(Role::IndicatorsManage)?;
    let input: IndicatorIn = json_body(request.headers(), request.body())?;
    let key = idempotency_key(request)?;
    let indicator = manage_indicators::create(&app.store, caller, input, key, Utc::now()).await?;
    Ok(created(
        &format!("/indicators/{}", indicator.id),
        &indicator,
    ))
}

async fn get_indicator(app: &App, caller: &Caller, id: &str) -> RouteResult {
    caller.require(Role::RiskRead)?;
    check_id("indicatorId", id)?;
    match app.store.indicator(&caller.tenant_id, id).await? {
        Some(stored) => Ok(json(StatusCode::OK, &stored.indicator)),
        None => Err(HttpError::from(ApiError::NotFound {
            what: "indicator",
            id: id.to_string(),
        })),
    }
}

async fn delete_indicator(app: &App, caller: &Caller, id: &str) -> RouteResult {
    caller.require(Role::IndicatorsManage)?;
    check_id("indicatorId", id)?;
    manage_indicators::delete(&app.store, caller, id).await?;
    Ok(no_content())
}

async fn detection_quality(app: &App, caller: &Caller, query: &[(String, String)]) -> RouteResult {
    caller.require(Role::RiskRead)?;
    let query = Query::parse(query, &["from", "to"])?;
    let (from, to) = quality::report_days(query.get("from"), query.get("to"), Utc::now())?;
    let totals = app
        .store
        .quality_totals(&caller.tenant_id, from, to)
        .await?;
    Ok(json(StatusCode::OK, &QualityReport::new(from, to, totals)))
}

async fn create_submission(app: &App, caller: &Caller, request: &Request) -> RouteResult {
    // Before the body is read: a caller without the role learns nothing from validation.
    caller.require(Role::RiskFeedback)?;
    let input: SubmissionIn = json_body(request.headers(), request.body())?;
    let key = idempotency_key(request)?;
    let submitted =
        submit::submit(&app.store, &app.commands, caller, input, key, Utc::now()).await?;
    let location = format!("/submissions/{}", submitted.submission.id);
    Ok(created(&location, &Submitted::from(submitted)))
}

async fn get_submission(app: &App, caller: &Caller, id: &str) -> RouteResult {
    caller.require(Role::RiskRead)?;
    check_id("submissionId", id)?;
    match app.store.submission(&caller.tenant_id, id).await? {
        Some(stored) => Ok(json(StatusCode::OK, &stored.submission)),
        None => Err(HttpError::from(ApiError::NotFound {
            what: "submission",
            id: id.to_string(),
        })),
    }
}
