//! Remediation actions taken by automated investigations, and the analyst's decisions on them
//! (SPEC 4): approve, reject, undo, and the executor's report on an undo. Pure rules; the
//! store and the command queue are the callers' business.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::feedback::Actor;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntityType {
    EmailMessage,
    EmailAttachment,
    Url,
    File,
    Device,
    Mailbox,
    User,
    IpAddress,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "camelCase")]
#[strum(serialize_all = "camelCase")]
pub enum ActionStatus {
    Pending,
    Approved,
    Rejected,
    Completed,
    Failed,
    UndoRequested,
    Undone,
    UndoFailed,
}

impl ActionStatus {
    /// What the action center's history tab lists; `pending` (and `approved`, awaiting the
    /// executor) are the pending tab.
    pub fn is_history(self) -> bool {
        !matches!(self, ActionStatus::Pending | ActionStatus::Approved)
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entity {
    pub r#type: EntityType,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::EntityId))]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub display_name: Option<String>,
}

/// An action as an investigation system posts it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionIn {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Id))]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Id))]
    pub investigation_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub action_type: String,
    pub entity: Entity,
    #[cfg_attr(feature = "openapi", schema(schema_with = ingested_statuses))]
    pub status: ActionStatus,
    pub created_date_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_date_time: Option<DateTime<Utc>>,
}

/// An investigation reports an action waiting for approval, or one that ran.
#[cfg(feature = "openapi")]
fn ingested_statuses() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::openapi::some_of(
        &[
            ActionStatus::Pending,
            ActionStatus::Completed,
            ActionStatus::Failed,
        ],
        "`pending`, `completed` or `failed`.",
    )
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub actor: Actor,
    pub decided_date_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Undo {
    pub requested_by: Actor,
    pub reason: String,
    pub requested_date_time: DateTime<Utc>,
    /// Stable per action, so the executor can de-duplicate however often the command is sent.
    pub command_id: String,
    pub command: String,
    /// When the command reached the remediation command queue; until then a repeated undo
    /// sends it (again, under the same id), after that nothing is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_sent_date_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_date_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

/// A stored remediation action (SPEC 8 "remediation action", out).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemediationAction {
    pub id: String,
    pub investigation_id: String,
    pub action_type: String,
    pub entity: Entity,
    pub status: ActionStatus,
    pub created_date_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_date_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Decision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<Undo>,
}

/// The command that takes an action back, for the action types that can be taken back.
pub fn compensating_command(action_type: &str) -> Option<&'static str> {
    Some(match action_type {
        "softDeleteEmail" => "restoreEmail",
        "moveToJunk" | "moveToDeletedItems" => "moveToInbox",
        "quarantineEmail" => "releaseEmail",
        "quarantineFile" => "releaseFile",
        "isolateDevice" => "releaseDevice",
        "restrictAppExecution" => "removeAppRestriction",
        "blockUrl" => "unblockUrl",
        "blockSender" => "unblockSender",
        "blockIpAddress" => "unblockIpAddress",
        "disableUser" => "enableUser",
        "suspendMailbox" => "resumeMailbox",
        _ => return None,
    })
}

/// Why a decision on an action is refused; each has its own problem type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("action {id} is {status}; only {allowed} actions can be {verb}")]
    WrongStatus {
        id: String,
        status: ActionStatus,
        allowed: &'static str,
        verb: &'static str,
    },
    #[error("actions of type {action_type} cannot be undone")]
    NotUndoable { action_type: String },
    #[error("action {id} was posted before with different content ({status})")]
    Conflicting { id: String, status: ActionStatus },
}

/// What a decision did: the new action, and whether a command must be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub action: RemediationAction,
    /// False when the decision repeats one already taken: nothing changes, nothing is sent.
    pub changed: bool,
}

impl RemediationAction {
    pub fn from_input(input: ActionIn) -> RemediationAction {
        RemediationAction {
            id: input.id,
            investigation_id: input.investigation_id,
            action_type: input.action_type,
            entity: input.entity,
            status: input.status,
            created_date_time: input.created_date_time,
            completed_date_time: input.completed_date_time,
            decided_by: None,
            undo: None,
        }
    }

    /// A signal source re-posting an action: the same content is a retry; a `pending` or
    /// `approved` action may move on to `completed` or `failed` as the executor reports.
    pub fn update_from(&self, input: &ActionIn) -> Result<Decided, Refusal> {
        let same_identity = input.investigation_id == self.investigation_id
            && input.action_type == self.action_type
            && input.entity == self.entity;
        let progresses = matches!(self.status, ActionStatus::Pending | ActionStatus::Approved)
            && matches!(input.status, ActionStatus::Completed | ActionStatus::Failed);
        if same_identity && input.status == self.status {
            return Ok(self.unchanged());
        }
        if same_identity && progresses {
            let mut action = self.clone();
            action.status = input.status;
            action.completed_date_time = input.completed_date_time;
            return Ok(Decided {
                action,
                changed: true,
            });
        }
        // A report for an action already further along (e.g. completed, then undone) is stale.
        if same_identity && input.status == ActionStatus::Completed && self.status.is_history() {
            return Ok(self.unchanged());
        }
        Err(Refusal::Conflicting {
            id: self.id.clone(),
            status: self.status,
        })
    }

    pub fn approve(
        &self,
        actor: &Actor,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Decided, Refusal> {
        self.decide(ActionStatus::Approved, "approved", actor, reason, now)
    }

    pub fn reject(
        &self,
        actor: &Actor,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Decided, Refusal> {
        self.decide(ActionStatus::Rejected, "rejected", actor, reason, now)
    }

    fn decide(
        &self,
        to: ActionStatus,
        verb: &'static str,
        actor: &Actor,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Decided, Refusal> {
        match self.status {
            ActionStatus::Pending => {
                let mut action = self.clone();
                action.status = to;
                action.decided_by = Some(Decision {
                    actor: actor.clone(),
                    decided_date_time: now,
                    reason,
                });
                Ok(Decided {
                    action,
                    changed: true,
                })
            }
            status if status == to => Ok(self.unchanged()),
            status => Err(Refusal::WrongStatus {
                id: self.id.clone(),
                status,
                allowed: "pending",
                verb,
            }),
        }
    }

    /// `completed` → `undoRequested` with a compensating command. Asking again while the undo
    /// is requested or done changes nothing and sends nothing new.
    pub fn request_undo(
        &self,
        actor: &Actor,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Decided, Refusal> {
        let Some(command) = compensating_command(&self.action_type) else {
            return Err(Refusal::NotUndoable {
                action_type: self.action_type.clone(),
            });
        };
        match self.status {
            ActionStatus::Completed => {
                let mut action = self.clone();
                action.status = ActionStatus::UndoRequested;
                action.undo = Some(Undo {
                    requested_by: actor.clone(),
                    reason: reason.to_string(),
                    requested_date_time: now,
                    command_id: Uuid::new_v5(
                        &Uuid::NAMESPACE_OID,
                        format!("undo\n{}", self.id).as_bytes(),
                    )
                    .to_string(),
                    command: command.to_string(),
                    command_sent_date_time: None,
                    completed_date_time: None,
                    failure_reason: None,
                });
                Ok(Decided {
                    action,
                    changed: true,
                })
            }
            ActionStatus::UndoRequested | ActionStatus::Undone => Ok(self.unchanged()),
            status => Err(Refusal::WrongStatus {
                id: self.id.clone(),
                status,
                allowed: "completed",
                verb: "undone",
            }),
        }
    }

    /// The executor's report: `undoRequested` → `undone` or `undoFailed`. The same report twice
    /// is harmless; a report for an action whose undo was never requested is refused.
    pub fn record_undo_result(
        &self,
        undone: bool,
        failure_reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Decided, Refusal> {
        let to = if undone {
            ActionStatus::Undone
        } else {
            ActionStatus::UndoFailed
        };
        match (self.status, &self.undo) {
            (ActionStatus::UndoRequested, Some(undo)) => {
                let mut action = self.clone();
                action.status = to;
                action.undo = Some(Undo {
                    completed_date_time: Some(now),
                    failure_reason: if undone { None } else { failure_reason },
                    ..undo.clone()
                });
                Ok(Decided {
                    action,
                    changed: true,
                })
            }
            (status, _) if status == to => Ok(self.unchanged()),
            (status, _) => Err(Refusal::WrongStatus {
                id: self.id.clone(),
                status,
                allowed: "undoRequested",
                verb: "reported on",
            }),
        }
    }

    /// Whether the undo command still has to be sent.
    pub fn command_pending(&self) -> bool {
        self.status == ActionStatus::UndoRequested
            && self
                .undo
                .as_ref()
                .is_some_and(|u| u.command_sent_date_time.is_none())
    }

    pub fn mark_command_sent(&self, now: DateTime<Utc>) -> Result<Decided, Refusal> {
        if !self.command_pending() {
            return Ok(self.unchanged());
        }
        let mut action = self.clone();
        if let Some(undo) = action.undo.as_mut() {
            undo.command_sent_date_time = Some(now);
        }
        Ok(Decided {
            action,
            changed: true,
        })
    }

    fn unchanged(&self) -> Decided {
        Decided {
            action: self.clone(),
            changed: false,
        }
    }
}

/// The message the executor receives on the remediation command queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemediationCommand {
    pub command_id: String,
    pub command: String,
    pub tenant_id: String,
    pub action_id: String,
    pub investigation_id: String,
    pub action_type: String,
    pub entity: Entity,
    pub requested_by: Actor,
    pub reason: String,
    pub requested_date_time: DateTime<Utc>,
}

impl RemediationCommand {
    /// The undo command of an action whose undo was requested.
    pub fn undo_of(tenant_id: &str, action: &RemediationAction) -> Option<RemediationCommand> {
        let undo = action.undo.as_ref()?;
        Some(RemediationCommand {
            command_id: undo.command_id.clone(),
            command: undo.command.clone(),
            tenant_id: tenant_id.to_string(),
            action_id: action.id.clone(),
            investigation_id: action.investigation_id.clone(),
            action_type: action.action_type.clone(),
            entity: action.entity.clone(),
            requested_by: undo.requested_by.clone(),
            reason: undo.reason.clone(),
            requested_date_time: undo.requested_date_time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> Actor {
        Actor {
            id: "analyst".into(),
            display_name: None,
        }
    }

    fn action(status: ActionStatus, action_type: &str) -> RemediationAction {
        RemediationAction::from_input(ActionIn {
            id: "a1".into(),
            investigation_id: "inv".into(),
            action_type: action_type.into(),
            entity: Entity {
                r#type: EntityType::File,
                id: "f1".into(),
                display_name: None,
            },
            status,
            created_date_time: Utc::now(),
            completed_date_time: None,
        })
    }

    #[test]
    fn refusals_name_statuses_as_the_api_spells_them() {
        for status in [
            ActionStatus::Pending,
            ActionStatus::Approved,
            ActionStatus::Rejected,
            ActionStatus::Completed,
            ActionStatus::Failed,
            ActionStatus::UndoRequested,
            ActionStatus::Undone,
            ActionStatus::UndoFailed,
        ] {
            let json = serde_json::to_value(status).unwrap_or_default();
            assert_eq!(Some(status.to_string().as_str()), json.as_str());
        }
        let refusal = Refusal::WrongStatus {
            id: "act-2".into(),
            status: ActionStatus::UndoRequested,
            allowed: "pending",
            verb: "approved",
        };
        assert_eq!(
            refusal.to_string(),
            "action act-2 is undoRequested; only pending actions can be approved"
        );
    }

    #[test]
    fn undo_moves_a_completed_action_once() {
        let now = Utc::now();
        let done = action(ActionStatus::Completed, "quarantineFile");
        let first = done
            .request_undo(&actor(), "clean file", now)
            .expect("undoable");
        assert!(first.changed);
        assert_eq!(first.action.status, ActionStatus::UndoRequested);
        let undo = first.action.undo.clone().expect("undo recorded");
        assert_eq!(undo.command, "releaseFile");
        let again = first
            .action
            .request_undo(&actor(), "again", now)
            .expect("idempotent");
        assert!(!again.changed);
        assert_eq!(
            again.action.undo.map(|u| u.command_id),
            Some(undo.command_id)
        );
        let result = first
            .action
            .record_undo_result(true, None, now)
            .expect("report");
        assert_eq!(result.action.status, ActionStatus::Undone);
        assert!(
            !result
                .action
                .record_undo_result(true, None, now)
                .expect("repeat")
                .changed
        );
    }

    #[test]
    fn undo_is_refused_for_other_statuses_and_types() {
        let now = Utc::now();
        for status in [
            ActionStatus::Pending,
            ActionStatus::Rejected,
            ActionStatus::Failed,
        ] {
            assert!(matches!(
                action(status, "quarantineFile").request_undo(&actor(), "r", now),
                Err(Refusal::WrongStatus { .. })
            ));
        }
        assert!(matches!(
            action(ActionStatus::Completed, "hardDeleteEmail").request_undo(&actor(), "r", now),
            Err(Refusal::NotUndoable { .. })
        ));
    }

    #[test]
    fn only_pending_actions_are_approved_or_rejected() {
        let now = Utc::now();
        let pending = action(ActionStatus::Pending, "isolateDevice");
        let approved = pending.approve(&actor(), None, now).expect("approve");
        assert_eq!(approved.action.status, ActionStatus::Approved);
        assert!(approved.action.reject(&actor(), None, now).is_err());
        assert!(
            !approved
                .action
                .approve(&actor(), None, now)
                .expect("repeat")
                .changed
        );
    }
}
