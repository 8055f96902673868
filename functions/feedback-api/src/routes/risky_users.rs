//! Risky users: the list, one user and its history, and the analyst's feedback on users.

use http::StatusCode;
use utoipa::IntoParams;

use riskfeedback::errors::NotFound;
use riskfeedback::feedback::{Feedback, FeedbackAction};
use riskfeedback::history::HistoryEntry;
use riskfeedback::model::{RiskLevel, RiskState};
use riskfeedback::openapi::{Id, Paging};
use riskfeedback::preview::Preview;
use riskfeedback::principal::PrincipalKind;
use riskfeedback::store::{Page, ReadStore, UserFilter, UserRow};
use riskfeedback::views::RiskyUser;
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{json, list_page, HttpError, ListBody};

use super::feedback::{feedback, FeedbackOptions, UserCompromisedBody, UserFeedbackBody};
use super::Idempotency;
use crate::App;

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct UserQuery {
    pub risk_level: Option<RiskLevel>,
    pub risk_state: Option<RiskState>,
}

#[utoipa::path(get, path = "/risky-users", tag = "Risky users",
    params(UserQuery, Paging),
    responses((status = 200, description = "One page of risky users, newest riskLastUpdatedDateTime first", body = ListBody<RiskyUser>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn list_users(app: &App, call: Call) -> RouteResult {
    let page = principals(app, &call, PrincipalKind::User).await?;
    Ok(list_page(
        page.map(|row| RiskyUser::new(row, app.policy_level)),
    ))
}

/// One page of the principals of `kind`, by the query's `riskLevel` and `riskState`.
pub(crate) async fn principals(
    app: &App,
    call: &Call,
    kind: PrincipalKind,
) -> Result<Page<UserRow>, HttpError> {
    let filter = UserFilter {
        kind,
        risk_level: call.query.parsed::<RiskLevel>("riskLevel")?,
        risk_state: call.query.parsed::<RiskState>("riskState")?,
    };
    Ok(app
        .store
        .users(&call.caller.tenant_id, &filter, &call.query.page()?)
        .await?)
}

#[utoipa::path(get, path = "/risky-users/{userId}", tag = "Risky users",
    params(("userId" = Id, Path)),
    responses((status = 200, description = "The user", body = RiskyUser)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn get_user(app: &App, call: Call) -> RouteResult {
    let id = call.id("userId")?;
    match app.store.user(&call.caller.tenant_id, id).await? {
        Some(row) => Ok(json(StatusCode::OK, &RiskyUser::new(row, app.policy_level))),
        None => Err(NotFound::new("user", id).into()),
    }
}

#[utoipa::path(get, path = "/risky-users/{userId}/history", tag = "Risky users",
    params(("userId" = Id, Path), Paging),
    responses((status = 200, description = "The user's history, newest first", body = ListBody<HistoryEntry>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn user_history(app: &App, call: Call) -> RouteResult {
    let id = known_user(app, &call).await?;
    let tenant = &call.caller.tenant_id;
    let page = app
        .store
        .user_history(tenant, id, &call.query.page()?)
        .await?;
    Ok(list_page(page))
}

/// The path's `userId`, if the caller's tenant has that user: what a user's sub-resources
/// answer `404` without.
pub(crate) async fn known_user<'a>(app: &App, call: &'a Call) -> Result<&'a str, HttpError> {
    let id = call.id("userId")?;
    match app.store.user(&call.caller.tenant_id, id).await? {
        Some(_) => Ok(id),
        None => Err(NotFound::new("user", id).into()),
    }
}

#[utoipa::path(post, path = "/risky-users/confirm-compromised", tag = "Risky users",
    params(FeedbackOptions, Idempotency), request_body = UserCompromisedBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn confirm_users_compromised(app: &App, call: Call) -> RouteResult {
    feedback(app, &call, FeedbackAction::ConfirmUserCompromised).await
}

#[utoipa::path(post, path = "/risky-users/confirm-safe", tag = "Risky users",
    params(FeedbackOptions, Idempotency), request_body = UserFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn confirm_users_safe(app: &App, call: Call) -> RouteResult {
    feedback(app, &call, FeedbackAction::ConfirmUserSafe).await
}

#[utoipa::path(post, path = "/risky-users/dismiss", tag = "Risky users",
    params(FeedbackOptions, Idempotency), request_body = UserFeedbackBody,
    responses(
        (status = 202, description = "Accepted; watch it at `Location`", body = Feedback),
        (status = 200, description = "Dry run: what would change", body = Preview)),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn dismiss_users(app: &App, call: Call) -> RouteResult {
    feedback(app, &call, FeedbackAction::DismissUser).await
}
