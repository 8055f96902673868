//! What investigation systems and the executor send: actions taken, and how undos ended.

use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use riskfeedback::actions::{self, IngestResult};
use riskfeedback::admin_actions::apply_completed_resets;
use riskfeedback::limits::MAX_COMMENT_LEN;
use riskfeedback::openapi::Id;
use riskfeedback::remediation::{ActionIn, ActionStatus, RemediationAction};
use riskfeedback::validate::Errors;
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{json, ListBody};

use crate::App;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionsBody {
    #[schema(min_items = 1, max_items = 100)]
    actions: Vec<ActionIn>,
}

#[utoipa::path(post, path = "/remediation-actions", tag = "Action center",
    request_body = ActionsBody,
    responses((status = 200, description = "Each action's result: created, updated, unchanged or conflict", body = ListBody<IngestResult>)),
    security(("jwt" = ["Signals.Ingest"])))]
pub async fn ingest_actions(app: &App, call: Call) -> RouteResult {
    let body: ActionsBody = call.json()?;
    let reports = body.actions.clone();
    let results = actions::ingest(&app.store, &call.caller.tenant_id, body.actions).await?;
    // A failure here answers 503: the executor's retry finds its reports recorded, and applies
    // each completed reset once.
    apply_completed_resets(
        &app.store,
        &app.work_queue,
        &app.events,
        &call.caller,
        &reports,
        Utc::now(),
    )
    .await?;
    Ok(json(
        StatusCode::OK,
        &ListBody {
            value: results,
            next_cursor: None,
        },
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UndoResultBody {
    #[schema(schema_with = undo_outcomes)]
    status: ActionStatus,
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Id>)]
    command_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Comment>)]
    failure_reason: Option<String>,
}

/// The executor reports how an undo ended.
fn undo_outcomes() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    riskfeedback::openapi::some_of(
        &[ActionStatus::Undone, ActionStatus::UndoFailed],
        "`undone` or `undoFailed`.",
    )
}

#[utoipa::path(post, path = "/remediation-actions/{actionId}/undo-result", tag = "Action center",
    params(("actionId" = Id, Path)), request_body = UndoResultBody,
    responses((status = 200, description = "The executor's result, recorded", body = RemediationAction)),
    security(("jwt" = ["Signals.Ingest"])))]
pub async fn record_undo_result(app: &App, call: Call) -> RouteResult {
    let id = call.id("actionId")?;
    let body: UndoResultBody = call.json()?;
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
        &call.caller.tenant_id,
        id,
        body.command_id.as_deref(),
        undone,
        body.failure_reason,
        Utc::now(),
    )
    .await?;
    Ok(json(StatusCode::OK, &action))
}
