//! The OpenAPI description of this function's routes: one documented operation per route of
//! `routes::route`, with the role it requires, its parameters, bodies and answers. The tests
//! merge it with remediation-undo's into `openapi.json` and check it against the router, the
//! template and the roles the handlers enforce.

use utoipa::{IntoParams, OpenApi};

use riskfeedback::feedback::{Feedback, HistoryEntry};
use riskfeedback::indicators::{Indicator, IndicatorIn};
use riskfeedback::model::{Detection, RiskLevel, RiskState};
use riskfeedback::openapi::{DayOrTime, Id, Name, Paging};
use riskfeedback::preview::Preview;
use riskfeedback::quality::QualityReport;
use riskfeedback::submissions::{Submission, SubmissionIn};
use riskfeedback::views::{RiskySignIn, RiskyUser};
use riskfeedback_http::answers::Submitted;
use riskfeedback_http::problem::Problem;
use riskfeedback_http::ListBody;

use crate::routes::{DetectionsBody, PasswordEventBody, SignInFeedbackBody, UserFeedbackBody};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_users,
        get_user,
        user_history,
        confirm_users_compromised,
        confirm_users_safe,
        dismiss_users,
        list_sign_ins,
        get_sign_in,
        confirm_sign_ins_safe,
        confirm_sign_ins_compromised,
        dismiss_sign_ins,
        list_detections,
        ingest_detections,
        password_event,
        get_feedback,
        list_indicators,
        create_indicator,
        get_indicator,
        delete_indicator,
        detection_quality,
        create_submission,
        get_submission,
    ),
    components(schemas(Problem))
)]
pub struct FeedbackApiDoc;

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct UserFilter {
    pub risk_level: Option<RiskLevel>,
    pub risk_state: Option<RiskState>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct SignInFilter {
    #[param(value_type = Option<Id>)]
    pub user_id: Option<String>,
    pub risk_state: Option<RiskState>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct DetectionFilter {
    #[param(value_type = Option<Id>)]
    pub user_id: Option<String>,
    #[param(value_type = Option<Id>)]
    pub sign_in_id: Option<String>,
    /// For example `unfamiliarFeatures`, `leakedCredentials`, `adminConfirmedUserCompromised`.
    #[param(value_type = Option<Name>)]
    pub risk_event_type: Option<String>,
    pub risk_state: Option<RiskState>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct FeedbackOptions {
    /// `true`: answer `200` with what would change, and change nothing.
    pub dry_run: Option<bool>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// First day, default 30 days before `to`; a time stands for its day (UTC).
    #[param(value_type = Option<DayOrTime>)]
    pub from: Option<String>,
    /// Last day, default today; a time stands for its day (UTC).
    #[param(value_type = Option<DayOrTime>)]
    pub to: Option<String>,
}

/// A retry with the same key and body answers with the first attempt's feedback.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct Idempotency {
    #[param(
        rename = "Idempotency-Key",
        nullable = false,
        min_length = 1,
        max_length = 128,
        pattern = "^[!-~]+$"
    )]
    pub idempotency_key: Option<String>,
}

#[utoipa::path(get, path = "/risky-users", tag = "Risky users",
    params(UserFilter, Paging),
    responses((status = 200, description = "One page of risky users", body = ListBody<RiskyUser>)),
    security(("jwt" = ["Risk.Read"])))]
pub fn list_users() {}

#[utoipa::path(get, path = "/risky-users/{userId}", tag = "Risky users",
    params(("userId" = Id, Path)),
    responses((status = 200, description = "The user", body = RiskyUser)),
    security(("jwt" = ["Risk.Read"])))]
pub fn get_user() {}

#[utoipa::path(get, path = "/risky-users/{userId}/history", tag = "Risky users",
    params(("userId" = Id, Path), Paging),
    responses((status = 200, description = "The user's history, newest first", body = ListBody<HistoryEntry>)),
    security(("jwt" = ["Risk.Read"])))]
pub fn user_history() {}

#[utoipa::path(post, path = "/risky-users/confirm-compromised", tag = "Risky users",
    params(FeedbackOptions, Idempotency), request_body = UserFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub fn confirm_users_compromised() {}

#[utoipa::path(post, path = "/risky-users/confirm-safe", tag = "Risky users",
    params(FeedbackOptions, Idempotency), request_body = UserFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub fn confirm_users_safe() {}

#[utoipa::path(post, path = "/risky-users/dismiss", tag = "Risky users",
    params(FeedbackOptions, Idempotency), request_body = UserFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub fn dismiss_users() {}

#[utoipa::path(get, path = "/risky-signins", tag = "Risky sign-ins",
    params(SignInFilter, Paging),
    responses((status = 200, description = "One page of risky sign-ins", body = ListBody<RiskySignIn>)),
    security(("jwt" = ["Risk.Read"])))]
pub fn list_sign_ins() {}

#[utoipa::path(get, path = "/risky-signins/{signInId}", tag = "Risky sign-ins",
    params(("signInId" = Id, Path)),
    responses((status = 200, description = "The sign-in", body = RiskySignIn)),
    security(("jwt" = ["Risk.Read"])))]
pub fn get_sign_in() {}

#[utoipa::path(post, path = "/risky-signins/confirm-safe", tag = "Risky sign-ins",
    params(FeedbackOptions, Idempotency), request_body = SignInFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub fn confirm_sign_ins_safe() {}

#[utoipa::path(post, path = "/risky-signins/confirm-compromised", tag = "Risky sign-ins",
    params(FeedbackOptions, Idempotency), request_body = SignInFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub fn confirm_sign_ins_compromised() {}

#[utoipa::path(post, path = "/risky-signins/dismiss", tag = "Risky sign-ins",
    params(FeedbackOptions, Idempotency), request_body = SignInFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub fn dismiss_sign_ins() {}

#[utoipa::path(get, path = "/risk-detections", tag = "Risk detections",
    params(DetectionFilter, Paging),
    responses((status = 200, description = "One page of detections, with or without a sign-in", body = ListBody<Detection>)),
    security(("jwt" = ["Risk.Read"])))]
pub fn list_detections() {}

#[utoipa::path(post, path = "/risk-detections", tag = "Risk detections",
    params(Idempotency), request_body = DetectionsBody,
    responses((status = 202, description = "Accepted; watch it at `Location`", body = Feedback)),
    security(("jwt" = ["Signals.Ingest"])))]
pub fn ingest_detections() {}

#[utoipa::path(post, path = "/password-events", tag = "Risky users",
    params(Idempotency), request_body = PasswordEventBody,
    responses((status = 202, description = "Accepted; watch it at `Location`", body = Feedback)),
    security(("jwt" = ["Signals.Ingest"])))]
pub fn password_event() {}

#[utoipa::path(get, path = "/feedback/{feedbackId}", tag = "Feedback",
    params(("feedbackId" = Id, Path)),
    responses((status = 200, description = "The feedback and each target's result", body = Feedback)),
    security(("jwt" = ["Risk.Read"])))]
pub fn get_feedback() {}

#[utoipa::path(get, path = "/indicators", tag = "Indicators",
    params(Paging),
    responses((status = 200, description = "One page of indicators, newest first", body = ListBody<Indicator>)),
    security(("jwt" = ["Risk.Read"])))]
pub fn list_indicators() {}

#[utoipa::path(post, path = "/indicators", tag = "Indicators",
    request_body = IndicatorIn,
    responses((status = 201, description = "Created (or the same indicator, already there)", body = Indicator)),
    security(("jwt" = ["Indicators.Manage"])))]
pub fn create_indicator() {}

#[utoipa::path(get, path = "/indicators/{indicatorId}", tag = "Indicators",
    params(("indicatorId" = Id, Path)),
    responses((status = 200, description = "The indicator", body = Indicator)),
    security(("jwt" = ["Risk.Read"])))]
pub fn get_indicator() {}

#[utoipa::path(delete, path = "/indicators/{indicatorId}", tag = "Indicators",
    params(("indicatorId" = Id, Path)),
    responses((status = 204, description = "Deleted")),
    security(("jwt" = ["Indicators.Manage"])))]
pub fn delete_indicator() {}

#[utoipa::path(get, path = "/detection-quality", tag = "Detection quality",
    params(Period),
    responses((status = 200, description = "Precision per detection type and source", body = QualityReport)),
    security(("jwt" = ["Risk.Read"])))]
pub fn detection_quality() {}

#[utoipa::path(post, path = "/submissions", tag = "Submissions",
    request_body = SubmissionIn,
    responses((status = 201, description = "Recorded, with what it undid and allowed", body = Submitted)),
    security(("jwt" = ["Risk.Feedback"])))]
pub fn create_submission() {}

#[utoipa::path(get, path = "/submissions/{submissionId}", tag = "Submissions",
    params(("submissionId" = Id, Path)),
    responses((status = 200, description = "The submission", body = Submission)),
    security(("jwt" = ["Risk.Read"])))]
pub fn get_submission() {}
