//! Graph's `identityProtection/riskyUsers`: the list, one user, its history, and the three
//! actions.

use riskfeedback::errors::NotFound;
use riskfeedback::feedback::FeedbackAction;
use riskfeedback::model::{RiskLevel, RiskState};
use riskfeedback::openapi::{Id, Idempotency};
use riskfeedback::principal::{principal_key, PrincipalKind};
use riskfeedback::store::{Page, ReadStore, UserFilter, UserRow};
use riskfeedback::views::RiskyUser;
use riskfeedback_http::graph::{entity, Collection, ListOptions, NewestFirst, COUNT};
use riskfeedback_http::odata::{Allowed, Filter, Op};
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::HttpError;

use super::shapes::{GraphHistoryItem, GraphRiskyUser, UserIdsBody};
use super::{act, count_of};
use crate::App;

const USERS: Allowed<'static> = Allowed {
    text: &[
        ("id", &[Op::Eq, Op::Ne]),
        ("riskLevel", &[Op::Eq, Op::Ne]),
        ("riskState", &[Op::Eq, Op::Ne]),
        ("riskDetail", &[Op::Eq, Op::Ne]),
        ("userPrincipalName", &[Op::Eq, Op::Ne, Op::StartsWith]),
        ("userDisplayName", &[Op::Eq, Op::Ne, Op::StartsWith]),
    ],
    times: &["riskLastUpdatedDateTime"],
};

const HISTORY: Allowed<'static> = Allowed {
    text: &[
        ("riskLevel", &[Op::Eq, Op::Ne]),
        ("riskState", &[Op::Eq, Op::Ne]),
        ("riskDetail", &[Op::Eq, Op::Ne]),
        ("initiatedBy", &[Op::Eq, Op::Ne]),
    ],
    times: &["riskLastUpdatedDateTime"],
};

/// An `eq` clause's text as an enum the store can filter on, when it is one exactly; other
/// spellings are left to the filter itself.
pub(crate) fn pushed_down<T: serde::de::DeserializeOwned>(
    filter: &Filter,
    field: &str,
) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(filter.equals(field)?.to_string())).ok()
}

#[utoipa::path(get, path = "/graph/v1.0/identityProtection/riskyUsers", tag = "Graph-compatible",
    params(ListOptions, NewestFirst),
    responses((status = 200, description = "One page of risky users, newest riskLastUpdatedDateTime first; \
        `$filter` takes id, riskLevel, riskState, riskDetail, userPrincipalName and \
        userDisplayName (eq, ne; startswith for the names), and riskLastUpdatedDateTime \
        compared with a time", body = Collection<GraphRiskyUser>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn graph_list_risky_users(app: &App, call: Call) -> RouteResult {
    let (options, page) = principals(app, &call, PrincipalKind::User, &USERS).await?;
    let page = page.map(|row| GraphRiskyUser::from(RiskyUser::new(row, app.policy_level)));
    options.collection(&call, "identityProtection/riskyUsers", page)
}

/// The list options of `call` and one page of the principals of `kind`, newest
/// `riskLastUpdatedDateTime` first: what `$filter` says of level and state read from their lists,
/// the rest of it left to `ListOptions::collection`.
pub(crate) async fn principals(
    app: &App,
    call: &Call,
    kind: PrincipalKind,
    allowed: &Allowed<'_>,
) -> Result<(ListOptions, Page<UserRow>), HttpError> {
    let options = ListOptions::of(call, allowed, Some("riskLastUpdatedDateTime"))?;
    let filter = UserFilter {
        kind,
        risk_level: pushed_down::<RiskLevel>(&options.filter, "riskLevel"),
        risk_state: pushed_down::<RiskState>(&options.filter, "riskState"),
    };
    let page = app
        .store
        .users(&call.caller.tenant_id, &filter, &options.page()?)
        .await?;
    Ok((options, page))
}

#[utoipa::path(get, path = "/graph/v1.0/identityProtection/riskyUsers/{userId}", tag = "Graph-compatible",
    params(("userId" = Id, Path)),
    responses((status = 200, description = "The risky user; for `$count`, how many risky users \
        there are, as text (reading them all)", content(
        (GraphRiskyUser = "application/json"), (u64 = "text/plain")))),
    security(("jwt" = ["Risk.Read"])))]
pub async fn graph_get_risky_user(app: &App, call: Call) -> RouteResult {
    let id = call.id("userId")?;
    let tenant = &call.caller.tenant_id;
    if id == COUNT {
        let users = &UserFilter {
            kind: PrincipalKind::User,
            ..UserFilter::default()
        };
        return count_of(|page| async move { app.store.users(tenant, users, &page).await }).await;
    }
    match app.store.user(tenant, id).await? {
        Some(row) => Ok(entity(
            &call,
            "identityProtection/riskyUsers/$entity",
            GraphRiskyUser::from(RiskyUser::new(row, app.policy_level)),
        )),
        None => Err(NotFound::new("user", id).into()),
    }
}

#[utoipa::path(get, path = "/graph/v1.0/identityProtection/riskyUsers/{userId}/history", tag = "Graph-compatible",
    params(("userId" = Id, Path), ListOptions),
    responses((status = 200, description = "The user's risk history, newest first; `$filter` \
        takes riskLevel, riskState, riskDetail and initiatedBy (eq, ne), and \
        riskLastUpdatedDateTime compared with a time", body = Collection<GraphHistoryItem>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn graph_risky_user_history(app: &App, call: Call) -> RouteResult {
    history(app, &call, PrincipalKind::User).await
}

/// The history of the principal of `kind` the path names (`userId`, `servicePrincipalId`),
/// newest first, as Graph lists it.
pub(crate) async fn history(app: &App, call: &Call, kind: PrincipalKind) -> RouteResult {
    let options = ListOptions::of(call, &HISTORY, None)?;
    let (param, what, context) = match kind {
        PrincipalKind::User => ("userId", "user", "identityProtection/riskyUsers/history"),
        PrincipalKind::ServicePrincipal => (
            "servicePrincipalId",
            "service principal",
            "identityProtection/riskyServicePrincipals/history",
        ),
    };
    let id = call.id(param)?;
    let key = principal_key(kind, id);
    let tenant = &call.caller.tenant_id;
    let Some(principal) = app.store.user(tenant, &key).await? else {
        return Err(NotFound::new(what, id).into());
    };
    let page = app
        .store
        .user_history(tenant, &key, &options.page()?)
        .await?;
    options.collection(
        call,
        context,
        page.map(|entry| GraphHistoryItem::new(entry, &principal.user)),
    )
}

#[utoipa::path(post, path = "/graph/v1.0/identityProtection/riskyUsers/confirmCompromised", tag = "Graph-compatible",
    params(Idempotency), request_body = UserIdsBody,
    responses((status = 204, description = "Accepted, as Graph answers; `Location` names the feedback that carries it out")),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn graph_confirm_users_compromised(app: &App, call: Call) -> RouteResult {
    let body: UserIdsBody = call.json()?;
    act(
        app,
        &call,
        FeedbackAction::ConfirmUserCompromised,
        "userIds",
        body.user_ids,
    )
    .await
}

#[utoipa::path(post, path = "/graph/v1.0/identityProtection/riskyUsers/confirmSafe", tag = "Graph-compatible",
    params(Idempotency), request_body = UserIdsBody,
    responses((status = 204, description = "Accepted, as Graph answers; `Location` names the feedback that carries it out")),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn graph_confirm_users_safe(app: &App, call: Call) -> RouteResult {
    let body: UserIdsBody = call.json()?;
    act(
        app,
        &call,
        FeedbackAction::ConfirmUserSafe,
        "userIds",
        body.user_ids,
    )
    .await
}

#[utoipa::path(post, path = "/graph/v1.0/identityProtection/riskyUsers/dismiss", tag = "Graph-compatible",
    params(Idempotency), request_body = UserIdsBody,
    responses((status = 204, description = "Accepted, as Graph answers; `Location` names the feedback that carries it out")),
    security(("jwt" = ["Risk.Feedback"])))]
pub async fn graph_dismiss_users(app: &App, call: Call) -> RouteResult {
    let body: UserIdsBody = call.json()?;
    act(
        app,
        &call,
        FeedbackAction::DismissUser,
        "userIds",
        body.user_ids,
    )
    .await
}
