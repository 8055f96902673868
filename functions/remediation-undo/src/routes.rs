//! One function per remediation route of SPEC 8.

use chrono::Utc;
use http::{Method, StatusCode};
use lambda_http::Request;
use serde::Deserialize;

use riskfeedback::actions;
use riskfeedback::auth::Caller;
use riskfeedback::limits::{MAX_BULK_TARGETS, MAX_COMMENT_LEN, MAX_TEXT_LEN};
use riskfeedback::problem::ApiError;
use riskfeedback::remediation::{ActionIn, ActionStatus, EntityType};
use riskfeedback::role::Role;
use riskfeedback::store::{ActionFilter, ActionStore};
use riskfeedback::validate::{check_id, Errors};
use riskfeedback_aws::lambda;
use riskfeedback_http::answers::UndoResult;
use riskfeedback_http::{json, json_body, list_page, segments, HttpError, ListBody, Query};

use crate::App;

type RouteResult = Result<riskfeedback_http::HttpResponse, HttpError>;

pub(crate) async fn route(app: &App, request: &Request) -> RouteResult {
    let caller = lambda::caller(request)?;
    let path = lambda::path(request);
    let method = request.method().clone();
    let query = lambda::query_pairs(request);
    let segments = segments(&path)?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    // Only the two read routes take parameters; the others take none at all.
    let reads = method == Method::GET && matches!(segments.as_slice(), ["remediation-actions", ..]);
    if !reads {
        Query::none(&query)?;
    }
    match (&method, segments.as_slice()) {
        (&Method::POST, ["remediation-actions"]) => ingest(app, &caller, request).await,
        (&Method::GET, ["remediation-actions"]) => list(app, &caller, &query).await,
        (&Method::POST, ["remediation-actions", "undo"]) => undo_many(app, &caller, request).await,
        (&Method::GET, ["remediation-actions", id]) => get(app, &caller, id, &query).await,
        (&Method::POST, ["remediation-actions", id, "approve"]) => {
            approve(app, &caller, request, id).await
        }
        (&Method::POST, ["remediation-actions", id, "reject"]) => {
            reject(app, &caller, request, id).await
        }
        (&Method::POST, ["remediation-actions", id, "undo"]) => {
            undo(app, &caller, request, id).await
        }
        (&Method::POST, ["remediation-actions", id, "undo-result"]) => {
            undo_result(app, &caller, request, id).await
        }
        _ => Err(HttpError::RouteNotFound {
            method: method.to_string(),
            path: path.chars().take(MAX_TEXT_LEN).collect(),
        }),
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ActionsBody {
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    actions: Vec<ActionIn>,
}

async fn ingest(app: &App, caller: &Caller, request: &Request) -> RouteResult {
    caller.require(Role::SignalsIngest)?;
    let body: ActionsBody = json_body(request.headers(), request.body())?;
    let results = actions::ingest(&app.store, &caller.tenant_id, body.actions).await?;
    Ok(json(
        StatusCode::OK,
        &ListBody {
            value: results,
            next_cursor: None,
        },
    ))
}

async fn list(app: &App, caller: &Caller, query: &[(String, String)]) -> RouteResult {
    caller.require(Role::RiskRead)?;
    let query = Query::parse_list(query, &["view", "status", "investigationId", "entityType"])?;
    let view_statuses: Vec<ActionStatus> = match query.get("view") {
        None => Vec::new(),
        Some("pending") => vec![ActionStatus::Pending, ActionStatus::Approved],
        Some("history") => vec![
            ActionStatus::Completed,
            ActionStatus::Failed,
            ActionStatus::Rejected,
            ActionStatus::UndoRequested,
            ActionStatus::Undone,
            ActionStatus::UndoFailed,
        ],
        Some(_) => {
            return Err(HttpError::from(ApiError::invalid(
                "view",
                "must be pending or history",
            )))
        }
    };
    let statuses = match query.parsed::<ActionStatus>("status")? {
        Some(status) if view_statuses.is_empty() || view_statuses.contains(&status) => vec![status],
        Some(_) => {
            return Err(HttpError::from(ApiError::invalid(
                "status",
                "is not a status of this view",
            )))
        }
        None => view_statuses,
    };
    if let Some(investigation) = query.get("investigationId") {
        check_id("investigationId", investigation)?;
    }
    let filter = ActionFilter {
        statuses,
        investigation_id: query.get("investigationId").map(str::to_string),
        entity_type: query.parsed::<EntityType>("entityType")?,
    };
    let page = app
        .store
        .actions(&caller.tenant_id, &filter, &query.page()?)
        .await?;
    Ok(list_page(page))
}

async fn get(app: &App, caller: &Caller, id: &str, query: &[(String, String)]) -> RouteResult {
    caller.require(Role::RiskRead)?;
    Query::parse(query, &[])?;
    check_id("actionId", id)?;
    match app.store.action(&caller.tenant_id, id).await? {
        Some(stored) => Ok(json(StatusCode::OK, &stored.action)),
        None => Err(HttpError::from(ApiError::NotFound {
            what: "remediation action",
            id: id.to_string(),
        })),
    }
}

async fn approve(app: &App, caller: &Caller, request: &Request, id: &str) -> RouteResult {
    caller.require(Role::RemediationManage)?;
    check_id("actionId", id)?;
    let reason = reason_body(request)?;
    let action = actions::approve(&app.store, caller, id, reason, Utc::now()).await?;
    Ok(json(StatusCode::OK, &action))
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ReasonBody {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<riskfeedback::openapi::Comment>))]
    reason: Option<String>,
}

/// A body that may be left out entirely; when present it must be valid JSON of the route.
fn reason_body(request: &Request) -> Result<Option<String>, HttpError> {
    // JSON `null`, as the document's optional body allows, says no more than no body. Whitespace
    // alone is neither, and `json_body` refuses it.
    if request.body().is_empty() || request.body().trim_ascii() == b"null" {
        return Ok(None);
    }
    let body: ReasonBody = json_body(request.headers(), request.body())?;
    let mut errors = Errors::default();
    errors.optional_text("reason", body.reason.as_deref(), MAX_COMMENT_LEN);
    errors.into_result()?;
    Ok(body.reason)
}

/// An undo must say why: the body `openapi::UndoBody` documents.
fn required_reason(request: &Request) -> Result<String, HttpError> {
    reason_body(request)?.ok_or_else(|| ApiError::invalid("reason", "an undo must say why").into())
}

async fn reject(app: &App, caller: &Caller, request: &Request, id: &str) -> RouteResult {
    caller.require(Role::RemediationManage)?;
    check_id("actionId", id)?;
    let reason = reason_body(request)?;
    let action = actions::reject(&app.store, caller, id, reason, Utc::now()).await?;
    Ok(json(StatusCode::OK, &action))
}

async fn undo(app: &App, caller: &Caller, request: &Request, id: &str) -> RouteResult {
    caller.require(Role::RemediationManage)?;
    check_id("actionId", id)?;
    let reason = required_reason(request)?;
    let action = actions::undo(&app.store, &app.commands, caller, id, &reason, Utc::now()).await?;
    Ok(json(StatusCode::OK, &action))
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UndoManyBody {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<riskfeedback::openapi::IdList>))]
    action_ids: Option<Vec<String>>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<riskfeedback::openapi::Id>))]
    investigation_id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<riskfeedback::openapi::Comment>))]
    reason: Option<String>,
}

async fn undo_many(app: &App, caller: &Caller, request: &Request) -> RouteResult {
    caller.require(Role::RemediationManage)?;
    let body: UndoManyBody = json_body(request.headers(), request.body())?;
    let mut errors = Errors::default();
    match (&body.action_ids, &body.investigation_id) {
        (Some(ids), None) => errors.id_list("actionIds", ids, MAX_BULK_TARGETS),
        (None, Some(investigation)) => errors.id("investigationId", investigation),
        _ => errors.add("actionIds", "name either actionIds or investigationId"),
    }
    match &body.reason {
        Some(reason) => errors.text("reason", reason, MAX_COMMENT_LEN),
        None => errors.add("reason", "an undo must say why"),
    }
    errors.into_result()?;
    let ids = match (body.action_ids, body.investigation_id) {
        (Some(ids), _) => ids,
        (None, Some(investigation)) => {
            actions::investigation_action_ids(&app.store, &caller.tenant_id, &investigation).await?
        }
        (None, None) => Vec::new(),
    };
    let reason = body.reason.unwrap_or_default();
    let results =
        actions::undo_many(&app.store, &app.commands, caller, ids, &reason, Utc::now()).await?;
    Ok(json(
        StatusCode::OK,
        &ListBody {
            value: results
                .into_iter()
                .map(UndoResult::from)
                .collect::<Vec<_>>(),
            next_cursor: None,
        },
    ))
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UndoResultBody {
    #[cfg_attr(feature = "openapi", schema(schema_with = undo_outcomes))]
    status: ActionStatus,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<riskfeedback::openapi::Id>))]
    command_id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<riskfeedback::openapi::Comment>))]
    failure_reason: Option<String>,
}

/// The executor reports how an undo ended.
#[cfg(feature = "openapi")]
fn undo_outcomes() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    riskfeedback::openapi::some_of(
        &[ActionStatus::Undone, ActionStatus::UndoFailed],
        "`undone` or `undoFailed`.",
    )
}

async fn undo_result(app: &App, caller: &Caller, request: &Request, id: &str) -> RouteResult {
    caller.require(Role::SignalsIngest)?;
    check_id("actionId", id)?;
    let body: UndoResultBody = json_body(request.headers(), request.body())?;
    let mut errors = Errors::default();
    let undone = match body.status {
        ActionStatus::Undone => true,
        ActionStatus::UndoFailed => false,
        _ => {
            errors.add("status", "must be undone or undoFailed");
            false
        }
    };
    if let Some(command) = &body.command_id {
        errors.id("commandId", command);
    }
    errors.optional_text(
        "failureReason",
        body.failure_reason.as_deref(),
        MAX_COMMENT_LEN,
    );
    errors.into_result()?;
    let action = actions::record_undo_result(
        &app.store,
        &caller.tenant_id,
        id,
        body.command_id.as_deref(),
        undone,
        body.failure_reason,
        Utc::now(),
    )
    .await?;
    Ok(json(StatusCode::OK, &action))
}
