//! Risky sign-ins: the list, one sign-in, and the analyst's feedback on sign-ins.

use http::StatusCode;
use utoipa::IntoParams;

use riskfeedback::errors::NotFound;
use riskfeedback::feedback::{Feedback, FeedbackAction};
use riskfeedback::model::RiskState;
use riskfeedback::openapi::{Id, Paging};
use riskfeedback::preview::Preview;
use riskfeedback::store::{ReadStore, SignInFilter};
use riskfeedback::validate::check_id;
use riskfeedback::views::RiskySignIn;
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{json, list_page, ListBody};

use super::feedback::{feedback, FeedbackOptions, SignInCompromisedBody, SignInFeedbackBody};
use super::Idempotency;
use crate::App;

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct SignInQuery {
    #[param(value_type = Option<Id>)]
    pub user_id: Option<String>,
    pub risk_state: Option<RiskState>,
}

#[utoipa::path(get, path = "/risky-signins", tag = "Risky sign-ins",
    params(SignInQuery, Paging),
    responses((status = 200, description = "One page of risky sign-ins", body = ListBody<RiskySignIn>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn list_sign_ins(app: &App, call: Call) -> RouteResult {
    let query = &call.query;
    if let Some(user) = query.get("userId") {
        check_id("userId", user)?;
    }
    let filter = SignInFilter {
        user_id: query.get("userId").map(str::to_string),
        risk_state: query.parsed::<RiskState>("riskState")?,
    };
    let page = app
        .store
        .sign_ins(&call.caller.tenant_id, &filter, &query.page()?)
        .await?;
    Ok(list_page(page.map(RiskySignIn::from)))
}

#[utoipa::path(get, path = "/risky-signins/{signInId}", tag = "Risky sign-ins",
    params(("signInId" = Id, Path)),
    responses((status = 200, description = "The sign-in", body = RiskySignIn)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn get_sign_in(app: &App, call: Call) -> RouteResult {
    let id = call.id("signInId")?;
    match app.store.sign_in(&call.caller.tenant_id, id).await? {
        Some(row) => Ok(json(StatusCode::OK, &RiskySignIn::from(row))),
        None => Err(NotFound::new("sign-in", id).into()),
    }
}

#[utoipa::path(post, path = "/risky-signins/confirm-safe", tag = "Risky sign-ins",
    params(FeedbackOptions, Idempotency), request_body = SignInFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn confirm_sign_ins_safe(app: &App, call: Call) -> RouteResult {
    feedback(app, &call, FeedbackAction::ConfirmSignInSafe).await
}

#[utoipa::path(post, path = "/risky-signins/confirm-compromised", tag = "Risky sign-ins",
    params(FeedbackOptions, Idempotency), request_body = SignInCompromisedBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn confirm_sign_ins_compromised(app: &App, call: Call) -> RouteResult {
    feedback(app, &call, FeedbackAction::ConfirmSignInCompromised).await
}

#[utoipa::path(post, path = "/risky-signins/dismiss", tag = "Risky sign-ins",
    params(FeedbackOptions, Idempotency), request_body = SignInFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn dismiss_sign_ins(app: &App, call: Call) -> RouteResult {
    feedback(app, &call, FeedbackAction::DismissSignIn).await
}
