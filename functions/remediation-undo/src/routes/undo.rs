//! Undo: one completed action, or many (by id or by investigation), each with a compensating
//! command to the remediation command queue.

use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use riskfeedback::actions;
use riskfeedback::errors::Invalid;
use riskfeedback::limits::{MAX_BULK_TARGETS, MAX_COMMENT_LEN};
use riskfeedback::openapi::{Comment, Id};
use riskfeedback::remediation::RemediationAction;
use riskfeedback::validate::Errors;
use riskfeedback_http::answers::UndoResult;
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{json, ListBody};

use super::reason_body;
use crate::App;

/// Why the action is undone: an undo must say why. (The route reads a `ReasonBody` and
/// requires its reason.)
#[derive(ToSchema, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UndoBody {
    #[schema(value_type = Comment)]
    pub reason: String,
}

#[utoipa::path(post, path = "/remediation-actions/{actionId}/undo", tag = "Action center",
    params(("actionId" = Id, Path)), request_body = UndoBody,
    responses((status = 200, description = "undoRequested: the compensating command is sent", body = RemediationAction)),
    security(("jwt" = ["Remediation.Manage"])))]
pub async fn undo_action(app: &App, call: Call) -> RouteResult {
    let id = call.id("actionId")?;
    let reason =
        reason_body(&call)?.ok_or_else(|| Invalid::field("reason", "an undo must say why"))?;
    let action = actions::undo(
        &app.store,
        &app.commands,
        &call.caller,
        id,
        &reason,
        Utc::now(),
    )
    .await?;
    Ok(json(StatusCode::OK, &action))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UndoManyBody {
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::IdList>)]
    action_ids: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Id>)]
    investigation_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<riskfeedback::openapi::Comment>)]
    reason: Option<String>,
}

#[utoipa::path(post, path = "/remediation-actions/undo", tag = "Action center",
    request_body = UndoManyBody,
    responses((status = 200, description = "Each action's result, or the problem that refused it", body = ListBody<UndoResult>)),
    security(("jwt" = ["Remediation.Manage"])))]
pub async fn undo_actions(app: &App, call: Call) -> RouteResult {
    let body: UndoManyBody = call.json()?;
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
    let caller = &call.caller;
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
