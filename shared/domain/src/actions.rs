//! The action center's use cases (SPEC 4): ingest actions, approve, reject, undo (one, many,
//! a whole investigation), and the executor's undo results. Each change is a read, a pure
//! decision from `remediation`, and a version-checked write; conflicts are retried.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::Caller;
use crate::errors::{Invalid, NotFound};
use crate::limits::{MAX_ACTIONS_PER_CALL, MAX_INVESTIGATION_ACTIONS, MAX_TEXT_LEN};
use crate::queue::{Message, Queue, QueueError};
use crate::remediation::{
    ActionIn, ActionStatus, Decided, Refusal, RemediationAction, RemediationCommand,
};
use crate::retry::retry_after_conflict;
use crate::store::{ActionFilter, ActionStore, PageRequest, StoreError};
use crate::validate::Errors;

/// Why a change to an action is not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    NotFound(#[from] NotFound),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl ActionError {
    /// A dependency failed, not the action: the whole call is answered with it, to be retried.
    fn is_dependency_failure(&self) -> bool {
        matches!(
            self,
            ActionError::Queue(_)
                | ActionError::Store(
                    StoreError::Throttled | StoreError::Unavailable(_) | StoreError::Conflict
                )
        )
    }
}

/// Conflicts in a row a change retries before it answers `503`.
const CHANGE_CONFLICTS: u32 = 4;

/// Applies `decide` to the stored action and saves the result under the version it read.
pub(crate) async fn change(
    store: &impl ActionStore,
    tenant: &str,
    id: &str,
    decide: impl Fn(&RemediationAction) -> Result<Decided, Refusal>,
) -> Result<RemediationAction, ActionError> {
    let mut conflicts = 0;
    loop {
        let stored = store
            .action(tenant, id)
            .await?
            .ok_or_else(|| NotFound::new("remediation action", id))?;
        let decided = decide(&stored.action)?;
        if !decided.changed {
            return Ok(decided.action);
        }
        match store
            .save_action(tenant, &decided.action, Some(stored.version))
            .await
        {
            Ok(()) => {
                let action = decided.action;
                tracing::info!(tenant, action = id, from = ?stored.action.status, to = ?action.status, "remediation action changed");
                return Ok(action);
            }
            Err(StoreError::Conflict) => {
                conflicts += 1;
                if !retry_after_conflict(conflicts, CHANGE_CONFLICTS).await {
                    return Err(StoreError::Conflict.into());
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestResult {
    pub id: String,
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The rules of an ingestion batch: 1 to `MAX_ACTIONS_PER_CALL` actions with distinct ids, each
/// valid, reported as they stand (an executor reports `pending`, `completed` or `failed`).
fn check_batch(actions: &[ActionIn]) -> Result<(), Invalid> {
    let mut errors = Errors::default();
    if actions.is_empty() || actions.len() > MAX_ACTIONS_PER_CALL {
        errors.add(
            "actions",
            format!("must hold 1 to {MAX_ACTIONS_PER_CALL} actions"),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (i, action) in actions.iter().enumerate() {
        let at = |field: &str| format!("actions[{i}].{field}");
        errors.id(at("id"), &action.id);
        if !seen.insert(&action.id) {
            errors.add(at("id"), "repeats an earlier action id");
        }
        errors.id(at("investigationId"), &action.investigation_id);
        errors.name(at("actionType"), &action.action_type);
        errors.entity_id(at("entity.id"), &action.entity.id);
        errors.optional_text(
            at("entity.displayName"),
            action.entity.display_name.as_deref(),
            MAX_TEXT_LEN,
        );
        if !matches!(
            action.status,
            ActionStatus::Pending | ActionStatus::Completed | ActionStatus::Failed
        ) {
            errors.add(at("status"), "must be pending, completed or failed");
        }
    }
    errors.into_result()
}

/// Stores new actions and the executor's progress on known ones; each action gets its result.
pub async fn ingest(
    store: &impl ActionStore,
    tenant: &str,
    actions: Vec<ActionIn>,
) -> Result<Vec<IngestResult>, ActionError> {
    check_batch(&actions)?;
    let mut results = Vec::with_capacity(actions.len());
    for input in actions {
        let id = input.id.clone();
        let result = match store
            .save_action(tenant, &RemediationAction::from_input(input.clone()), None)
            .await
        {
            Ok(()) => {
                tracing::info!(tenant, action = %id, status = ?input.status, "remediation action recorded");
                Ok("created")
            }
            Err(StoreError::Conflict) => {
                let outcome = change(store, tenant, &id, |stored| stored.update_from(&input)).await;
                match outcome {
                    Ok(action) if action.status == input.status => Ok("updated"),
                    Ok(_) => Ok("unchanged"),
                    Err(ActionError::Refused(refusal)) => Err(refusal.to_string()),
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e.into()),
        };
        results.push(match result {
            Ok(result) => IngestResult {
                id,
                result,
                reason: None,
            },
            Err(reason) => IngestResult {
                id,
                result: "conflict",
                reason: Some(reason),
            },
        });
    }
    Ok(results)
}

/// Approves a pending action and sends its command to the executor, so that no executor has
/// to poll; as with undo, a retry sends the same command until it has gone, then nothing.
pub async fn approve(
    store: &impl ActionStore,
    commands: &impl Queue,
    caller: &Caller,
    id: &str,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<RemediationAction, ActionError> {
    let tenant = caller.tenant_id.as_str();
    let action = change(store, tenant, id, |a| {
        a.approve(&caller.actor, reason.clone(), now)
    })
    .await?;
    send_pending_command(store, commands, tenant, action, now).await
}

/// Sends the command the action's status calls for, if it has not gone yet, then records that
/// it went. A failure to send leaves it unsent, for the caller's retry to send under the same
/// command id; one to record leaves it to be sent again, which the executor de-duplicates.
pub(crate) async fn send_pending_command(
    store: &impl ActionStore,
    commands: &impl Queue,
    tenant: &str,
    action: RemediationAction,
    now: DateTime<Utc>,
) -> Result<RemediationAction, ActionError> {
    let Some(command) = RemediationCommand::pending(tenant, &action) else {
        return Ok(action);
    };
    commands.send(&[Message::command(&command)]).await?;
    tracing::info!(tenant, action = %action.id, command = %command.command, command_id = %command.command_id, "remediation command sent");
    if action.status == ActionStatus::UndoRequested {
        crate::telemetry::undo_requested();
    }
    change(store, tenant, &action.id, |a| a.mark_command_sent(now)).await
}

pub async fn reject(
    store: &impl ActionStore,
    caller: &Caller,
    id: &str,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<RemediationAction, ActionError> {
    change(store, &caller.tenant_id, id, |a| {
        a.reject(&caller.actor, reason.clone(), now)
    })
    .await
}

/// Undoes one action: records who and why, moves it to `undoRequested`, and sends the
/// compensating command once. If sending fails the caller gets `503`; asking again sends the
/// same command (same id) until it has gone, and nothing after that.
pub async fn undo(
    store: &impl ActionStore,
    commands: &impl Queue,
    caller: &Caller,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<RemediationAction, ActionError> {
    let tenant = caller.tenant_id.as_str();
    let action = change(store, tenant, id, |a| {
        a.request_undo(&caller.actor, reason, now)
    })
    .await?;
    send_pending_command(store, commands, tenant, action, now).await
}

/// What undoing one action of a bulk undo came to: the action, undo requested (or undone), or
/// the refusal, which the edge answers as that action's problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoOutcome {
    pub id: String,
    pub outcome: Result<RemediationAction, ActionError>,
}

/// Undoes each named action independently, or every action of an investigation.
pub async fn undo_many(
    store: &impl ActionStore,
    commands: &impl Queue,
    caller: &Caller,
    ids: Vec<String>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<UndoOutcome>, ActionError> {
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        results.push(
            match undo(store, commands, caller, &id, reason, now).await {
                Ok(action) => UndoOutcome {
                    id,
                    outcome: Ok(action),
                },
                // Dependencies failing fail the call: the caller retries it as a whole.
                Err(e) if e.is_dependency_failure() => return Err(e),
                Err(e) => UndoOutcome {
                    id,
                    outcome: Err(e),
                },
            },
        );
    }
    Ok(results)
}

/// Expires every pending action, of every tenant, posted more than `days` ago and still
/// undecided (SPEC 3b): the scheduled maintenance the processor runs. Returns how many it
/// expired; one decided meanwhile is left as decided.
pub async fn expire_pending(
    store: &impl ActionStore,
    days: u32,
    now: DateTime<Utc>,
) -> Result<u32, ActionError> {
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let mut expired = 0;
    for (tenant, id) in store.pending_posted_before(cutoff).await? {
        let action = change(store, &tenant, &id, |a| Ok(a.expire(days, now))).await;
        match action {
            Ok(action) if action.status == ActionStatus::Expired => {
                expired += 1;
                tracing::info!(tenant, action = %id, "pending action expired");
            }
            Ok(_) | Err(ActionError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(expired)
}

/// The ids of an investigation's actions, newest first.
pub async fn investigation_action_ids(
    store: &impl ActionStore,
    tenant: &str,
    investigation_id: &str,
) -> Result<Vec<String>, ActionError> {
    let filter = ActionFilter {
        investigation_id: Some(investigation_id.to_string()),
        ..ActionFilter::default()
    };
    let mut page = PageRequest {
        limit: 500,
        cursor: None,
    };
    let mut ids = Vec::new();
    loop {
        let found = store.actions(tenant, &filter, &page).await?;
        ids.extend(found.value.into_iter().map(|a| a.id));
        if ids.len() > MAX_INVESTIGATION_ACTIONS {
            return Err(Invalid::field(
                "investigationId",
                format!(
                    "has more than {MAX_INVESTIGATION_ACTIONS} actions; undo them by actionIds"
                ),
            )
            .into());
        }
        match found.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(ids),
        }
    }
}

/// The executor's report on an undo command.
pub async fn record_undo_result(
    store: &impl ActionStore,
    tenant: &str,
    id: &str,
    command_id: Option<&str>,
    undone: bool,
    failure_reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<RemediationAction, ActionError> {
    if let Some(command_id) = command_id {
        let stored = store.action(tenant, id).await?;
        let expected = stored
            .as_ref()
            .and_then(|s| s.action.undo.as_ref())
            .map(|u| u.command_id.as_str());
        if stored.is_some() && expected != Some(command_id) {
            return Err(
                Invalid::field("commandId", "is not the undo command of this action").into(),
            );
        }
    }
    let action = change(store, tenant, id, |a| {
        a.record_undo_result(undone, failure_reason.clone(), now)
    })
    .await?;
    crate::telemetry::undo_result(undone);
    Ok(action)
}
