//! Remediation actions taken by automated investigations, and the analyst's decisions on them
//! (SPEC 4): approve, reject, undo, and the executor's report on an undo. Pure rules; the
//! store and the command queue are the callers' business.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Actor;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::Display)]
#[cfg_attr(test, derive(strum::EnumIter))]
#[serde(rename_all = "camelCase")]
#[strum(serialize_all = "camelCase")]
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
#[cfg_attr(test, derive(strum::EnumIter))]
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
    /// A pending action nobody decided within the deployment's `pendingActionDays`.
    Expired,
}

impl ActionStatus {
    /// What the action center's history tab lists; `pending` (and `approved`, awaiting the
    /// executor) are the pending tab.
    pub fn is_history(self) -> bool {
        !matches!(self, ActionStatus::Pending | ActionStatus::Approved)
    }

    /// The action center's tab an action of this status is on.
    pub fn view(self) -> ActionView {
        if self.is_history() {
            ActionView::History
        } else {
            ActionView::Pending
        }
    }
}

/// The action center's two tabs: every status is on one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "camelCase")]
#[strum(serialize_all = "camelCase")]
pub enum ActionView {
    Pending,
    History,
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

/// The command that carries an approved action out, sent to the executor through the
/// remediation command queue exactly once in effect, as an undo's is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dispatch {
    /// Stable per action, so the executor can de-duplicate however often the command is sent.
    pub command_id: String,
    pub command: String,
    /// When the command reached the queue; until then a retry sends it again, under the same id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_date_time: Option<DateTime<Utc>>,
}

impl Dispatch {
    fn of(action_id: &str, command: &str) -> Dispatch {
        Dispatch {
            command_id: Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("run\n{action_id}").as_bytes())
                .to_string(),
            command: command.to_string(),
            sent_date_time: None,
        }
    }
}

/// What an analyst asks the identity provider's executor to do to users (SPEC 3b).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::Display)]
#[cfg_attr(test, derive(strum::EnumIter))]
#[serde(rename_all = "camelCase")]
#[strum(serialize_all = "camelCase")]
pub enum AdminAction {
    /// Reset password: revokes the user's sessions and sets a temporary password.
    ResetPassword,
    /// Block user: disables the account (undone with `enableUser`).
    DisableUser,
    RevokeSessions,
}

/// `then` on a confirm compromised: each admin action at most once.
#[cfg(feature = "openapi")]
pub fn admin_action_list() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::PartialSchema;
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(AdminAction::schema())
        .max_items(Some(3))
        .unique_items(true)
        .description(Some("Each action at most once.".to_string()))
        .into()
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
    /// The command that carries the action out, once approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch: Option<Dispatch>,
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

/// Who decides that a pending action expired: the service itself.
pub const EXPIRY_ACTOR: &str = "riskfeedback:pendingActionExpiry";

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
            dispatch: None,
            undo: None,
        }
    }

    /// An action an analyst takes on a user (SPEC 3b), approved as it is asked for, with its
    /// command to send. Its id follows from the request's and the user's, so a retried request
    /// finds the action it made; the request's id groups its actions as one investigation.
    pub fn admin(
        kind: AdminAction,
        user_id: &str,
        request_id: &str,
        actor: &Actor,
        comment: Option<String>,
        now: DateTime<Utc>,
    ) -> RemediationAction {
        let name = format!("admin\n{request_id}\n{kind}\n{user_id}");
        let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()).to_string();
        RemediationAction {
            dispatch: Some(Dispatch::of(&id, &kind.to_string())),
            id,
            investigation_id: request_id.to_string(),
            action_type: kind.to_string(),
            entity: Entity {
                r#type: EntityType::User,
                id: user_id.to_string(),
                display_name: None,
            },
            status: ActionStatus::Approved,
            created_date_time: now,
            completed_date_time: None,
            decided_by: Some(Decision {
                actor: actor.clone(),
                decided_date_time: now,
                reason: comment,
            }),
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

    /// `pending` → `approved`, with the command that carries the action out.
    pub fn approve(
        &self,
        actor: &Actor,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Decided, Refusal> {
        let mut decided = self.decide(ActionStatus::Approved, "approved", actor, reason, now)?;
        if decided.changed {
            decided.action.dispatch = Some(Dispatch::of(&self.id, &self.action_type));
        }
        Ok(decided)
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

    /// `pending` → `expired` once `days` have passed since it was posted undecided: recorded as
    /// the service's decision, with why, so nothing expires silently. Anything else, and a
    /// pending action still within its time, is left as it is.
    pub fn expire(&self, days: u32, now: DateTime<Utc>) -> Decided {
        let deadline = self.created_date_time + chrono::Duration::days(i64::from(days));
        if self.status != ActionStatus::Pending || now < deadline {
            return self.unchanged();
        }
        let mut action = self.clone();
        action.status = ActionStatus::Expired;
        action.decided_by = Some(Decision {
            actor: Actor {
                id: EXPIRY_ACTOR.to_string(),
                display_name: Some("riskfeedback".to_string()),
            },
            decided_date_time: now,
            reason: Some(format!(
                "not approved or rejected within {days} days of {}",
                self.created_date_time.to_rfc3339()
            )),
        });
        Decided {
            action,
            changed: true,
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

    /// Whether a command still has to be sent: an approved action's, or a requested undo's.
    pub fn command_pending(&self) -> bool {
        match self.status {
            ActionStatus::Approved => self
                .dispatch
                .as_ref()
                .is_some_and(|d| d.sent_date_time.is_none()),
            ActionStatus::UndoRequested => self
                .undo
                .as_ref()
                .is_some_and(|u| u.command_sent_date_time.is_none()),
            _ => false,
        }
    }

    pub fn mark_command_sent(&self, now: DateTime<Utc>) -> Result<Decided, Refusal> {
        if !self.command_pending() {
            return Ok(self.unchanged());
        }
        let mut action = self.clone();
        if let (ActionStatus::Approved, Some(dispatch)) = (action.status, action.dispatch.as_mut())
        {
            dispatch.sent_date_time = Some(now);
        }
        if let (ActionStatus::UndoRequested, Some(undo)) = (action.status, action.undo.as_mut()) {
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
    /// The command the action's status calls for, while it is still to be sent: an approved
    /// action's, or a requested undo's.
    pub fn pending(tenant_id: &str, action: &RemediationAction) -> Option<RemediationCommand> {
        if !action.command_pending() {
            return None;
        }
        match action.status {
            ActionStatus::Approved => Self::dispatch_of(tenant_id, action),
            _ => Self::undo_of(tenant_id, action),
        }
    }

    /// The command that carries an approved action out.
    fn dispatch_of(tenant_id: &str, action: &RemediationAction) -> Option<RemediationCommand> {
        let dispatch = action.dispatch.as_ref()?;
        let decision = action.decided_by.as_ref()?;
        Some(RemediationCommand {
            command_id: dispatch.command_id.clone(),
            command: dispatch.command.clone(),
            tenant_id: tenant_id.to_string(),
            action_id: action.id.clone(),
            investigation_id: action.investigation_id.clone(),
            action_type: action.action_type.clone(),
            entity: action.entity.clone(),
            requested_by: decision.actor.clone(),
            reason: decision.reason.clone().unwrap_or_default(),
            requested_date_time: decision.decided_date_time,
        })
    }

    /// The undo command of an action whose undo was requested.
    fn undo_of(tenant_id: &str, action: &RemediationAction) -> Option<RemediationCommand> {
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
            action_type: action_type.into(),
            ..input(status)
        })
    }

    #[test]
    fn refusals_name_statuses_as_the_api_spells_them() {
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

    const ALL_STATUSES: [ActionStatus; 8] = [
        ActionStatus::Pending,
        ActionStatus::Approved,
        ActionStatus::Rejected,
        ActionStatus::Completed,
        ActionStatus::Failed,
        ActionStatus::UndoRequested,
        ActionStatus::Undone,
        ActionStatus::UndoFailed,
    ];

    fn input(status: ActionStatus) -> ActionIn {
        ActionIn {
            id: "a1".into(),
            investigation_id: "inv".into(),
            action_type: "quarantineFile".into(),
            entity: Entity {
                r#type: EntityType::File,
                id: "f1".into(),
                display_name: None,
            },
            status,
            created_date_time: Utc::now(),
            completed_date_time: None,
        }
    }

    #[test]
    fn only_pending_and_approved_are_outside_the_history_tab() {
        for status in ALL_STATUSES {
            let pending_tab = matches!(status, ActionStatus::Pending | ActionStatus::Approved);
            assert_eq!(status.is_history(), !pending_tab, "{status}");
        }
    }

    #[test]
    fn each_undoable_type_has_its_own_compensating_command() {
        for (action_type, command) in [
            ("softDeleteEmail", "restoreEmail"),
            ("moveToJunk", "moveToInbox"),
            ("moveToDeletedItems", "moveToInbox"),
            ("quarantineEmail", "releaseEmail"),
            ("quarantineFile", "releaseFile"),
            ("isolateDevice", "releaseDevice"),
            ("restrictAppExecution", "removeAppRestriction"),
            ("blockUrl", "unblockUrl"),
            ("blockSender", "unblockSender"),
            ("blockIpAddress", "unblockIpAddress"),
            ("disableUser", "enableUser"),
            ("suspendMailbox", "resumeMailbox"),
        ] {
            assert_eq!(
                compensating_command(action_type),
                Some(command),
                "{action_type}"
            );
        }
        for final_type in ["hardDeleteEmail", "", "QuarantineFile"] {
            assert_eq!(compensating_command(final_type), None, "{final_type}");
        }
    }

    #[test]
    fn a_repost_of_the_same_action_is_a_retry() {
        for status in ALL_STATUSES {
            let stored = RemediationAction::from_input(input(status));
            let decided = stored.update_from(&input(status)).expect("a retry");
            assert!(!decided.changed, "{status}");
            assert_eq!(decided.action, stored);
        }
    }

    #[test]
    fn a_waiting_action_moves_on_as_the_executor_reports() {
        let done_at = Utc::now();
        for from in [ActionStatus::Pending, ActionStatus::Approved] {
            for to in [ActionStatus::Completed, ActionStatus::Failed] {
                let stored = RemediationAction::from_input(input(from));
                let report = ActionIn {
                    completed_date_time: Some(done_at),
                    ..input(to)
                };
                let decided = stored.update_from(&report).expect("progress");
                assert!(decided.changed, "{from} -> {to}");
                assert_eq!(decided.action.status, to);
                assert_eq!(decided.action.completed_date_time, Some(done_at));
                assert_eq!(decided.action.created_date_time, stored.created_date_time);
            }
        }
    }

    #[test]
    fn a_late_completed_report_is_stale_and_anything_else_conflicts() {
        // Completed, then undone (or otherwise further along): a late "completed" is stale.
        for status in ALL_STATUSES.into_iter().filter(|s| s.is_history()) {
            let stored = RemediationAction::from_input(input(status));
            let decided = stored
                .update_from(&input(ActionStatus::Completed))
                .expect("stale");
            assert!(!decided.changed, "{status}");
            assert_eq!(decided.action.status, status);
        }
        // Going back, or any other move out of the history tab, is someone else's action.
        for (from, to) in [
            (ActionStatus::Completed, ActionStatus::Pending),
            (ActionStatus::Undone, ActionStatus::Failed),
            (ActionStatus::Failed, ActionStatus::Approved),
            (ActionStatus::Pending, ActionStatus::Approved),
            (ActionStatus::Pending, ActionStatus::Undone),
        ] {
            let stored = RemediationAction::from_input(input(from));
            assert_eq!(
                stored.update_from(&input(to)),
                Err(Refusal::Conflicting {
                    id: "a1".into(),
                    status: from,
                }),
                "{from} -> {to}"
            );
        }
    }

    #[test]
    fn another_identity_under_the_same_id_conflicts() {
        let stored = RemediationAction::from_input(input(ActionStatus::Pending));
        let others = [
            ActionIn {
                investigation_id: "inv-2".into(),
                ..input(ActionStatus::Pending)
            },
            ActionIn {
                action_type: "isolateDevice".into(),
                ..input(ActionStatus::Pending)
            },
            ActionIn {
                entity: Entity {
                    display_name: Some("other".into()),
                    ..input(ActionStatus::Pending).entity
                },
                ..input(ActionStatus::Pending)
            },
            ActionIn {
                investigation_id: "inv-2".into(),
                ..input(ActionStatus::Completed)
            },
        ];
        for other in others {
            assert!(
                matches!(stored.update_from(&other), Err(Refusal::Conflicting { .. })),
                "{other:?}"
            );
        }
        let further = RemediationAction::from_input(input(ActionStatus::Undone));
        let elsewhere = ActionIn {
            investigation_id: "inv-2".into(),
            ..input(ActionStatus::Completed)
        };
        assert!(matches!(
            further.update_from(&elsewhere),
            Err(Refusal::Conflicting { .. })
        ));
    }

    #[test]
    fn decisions_record_who_why_and_when_and_refuse_decided_actions() {
        let now = Utc::now();
        let pending = action(ActionStatus::Pending, "isolateDevice");
        let rejected = pending
            .reject(&actor(), Some("false positive".into()), now)
            .expect("reject");
        assert!(rejected.changed);
        assert_eq!(rejected.action.status, ActionStatus::Rejected);
        assert_eq!(
            rejected.action.decided_by,
            Some(Decision {
                actor: actor(),
                decided_date_time: now,
                reason: Some("false positive".into()),
            })
        );
        assert_eq!(
            rejected.action.approve(&actor(), None, now),
            Err(Refusal::WrongStatus {
                id: "a1".into(),
                status: ActionStatus::Rejected,
                allowed: "pending",
                verb: "approved",
            })
        );
        let approved = pending.approve(&actor(), None, now).expect("approve");
        assert_eq!(
            approved.action.reject(&actor(), None, now),
            Err(Refusal::WrongStatus {
                id: "a1".into(),
                status: ActionStatus::Approved,
                allowed: "pending",
                verb: "rejected",
            })
        );
        let again = rejected
            .action
            .reject(&actor(), Some("other".into()), now)
            .expect("repeat");
        assert!(!again.changed);
        assert_eq!(again.action, rejected.action, "the first decision stands");
    }

    #[test]
    fn an_undo_says_who_why_when_and_has_one_command_id_per_action() {
        let now = Utc::now();
        let done = action(ActionStatus::Completed, "blockUrl");
        let undo = done
            .request_undo(&actor(), "benign", now)
            .expect("undoable")
            .action
            .undo
            .expect("undo");
        assert_eq!(undo.requested_by, actor());
        assert_eq!(undo.reason, "benign");
        assert_eq!(undo.requested_date_time, now);
        assert_eq!(undo.command, "unblockUrl");
        assert_eq!(
            (
                undo.command_sent_date_time,
                undo.completed_date_time,
                undo.failure_reason
            ),
            (None, None, None)
        );
        let same_id = action(ActionStatus::Completed, "quarantineFile")
            .request_undo(&actor(), "other reason", now)
            .expect("undoable")
            .action
            .undo
            .expect("undo");
        assert_eq!(same_id.command_id, undo.command_id);
        let other = RemediationAction {
            id: "a2".into(),
            ..done.clone()
        };
        let other_id = other
            .request_undo(&actor(), "benign", now)
            .expect("undoable")
            .action
            .undo
            .expect("undo")
            .command_id;
        assert_ne!(other_id, undo.command_id);
        for status in [ActionStatus::Approved, ActionStatus::UndoFailed] {
            assert_eq!(
                action(status, "blockUrl").request_undo(&actor(), "r", now),
                Err(Refusal::WrongStatus {
                    id: "a1".into(),
                    status,
                    allowed: "completed",
                    verb: "undone",
                })
            );
        }
        let undone = action(ActionStatus::Undone, "blockUrl");
        assert_eq!(
            undone.request_undo(&actor(), "r", now),
            Ok(Decided {
                action: undone.clone(),
                changed: false,
            })
        );
    }

    fn undo_requested() -> RemediationAction {
        action(ActionStatus::Completed, "quarantineFile")
            .request_undo(&actor(), "clean", Utc::now())
            .expect("undoable")
            .action
    }

    #[test]
    fn the_executors_report_ends_the_undo() {
        let now = Utc::now();
        let failed = undo_requested()
            .record_undo_result(false, Some("file gone".into()), now)
            .expect("report");
        assert!(failed.changed);
        assert_eq!(failed.action.status, ActionStatus::UndoFailed);
        let undo = failed.action.undo.clone().expect("undo");
        assert_eq!(undo.completed_date_time, Some(now));
        assert_eq!(undo.failure_reason.as_deref(), Some("file gone"));
        assert_eq!(undo.reason, "clean", "the request is kept");
        // An undone action has no failure, whatever the report carried.
        let undone = undo_requested()
            .record_undo_result(true, Some("ignored".into()), now)
            .expect("report");
        assert_eq!(undone.action.status, ActionStatus::Undone);
        assert_eq!(undone.action.undo.and_then(|u| u.failure_reason), None);
        // The same report twice changes nothing; the other report after it is refused.
        let repeat = failed
            .action
            .record_undo_result(false, Some("again".into()), now)
            .expect("repeat");
        assert!(!repeat.changed);
        assert_eq!(repeat.action, failed.action);
        assert_eq!(
            failed.action.record_undo_result(true, None, now),
            Err(Refusal::WrongStatus {
                id: "a1".into(),
                status: ActionStatus::UndoFailed,
                allowed: "undoRequested",
                verb: "reported on",
            })
        );
        // A report for an undo never requested is refused.
        let completed = action(ActionStatus::Completed, "quarantineFile");
        assert!(matches!(
            completed.record_undo_result(true, None, now),
            Err(Refusal::WrongStatus { .. })
        ));
        let no_undo = RemediationAction {
            undo: None,
            ..undo_requested()
        };
        assert!(matches!(
            no_undo.record_undo_result(true, None, now),
            Err(Refusal::WrongStatus { .. })
        ));
    }

    #[test]
    fn the_undo_command_is_pending_until_sent_once() {
        let now = Utc::now();
        let requested = undo_requested();
        assert!(requested.command_pending());
        let sent = requested.mark_command_sent(now).expect("mark");
        assert!(sent.changed);
        assert!(!sent.action.command_pending());
        assert_eq!(
            sent.action
                .undo
                .as_ref()
                .and_then(|u| u.command_sent_date_time),
            Some(now)
        );
        let again = sent.action.mark_command_sent(Utc::now()).expect("mark");
        assert!(!again.changed);
        assert_eq!(again.action, sent.action);
        // Not pending: no undo, or an undo already over.
        assert!(!action(ActionStatus::Completed, "quarantineFile").command_pending());
        let over = requested
            .record_undo_result(true, None, now)
            .expect("report")
            .action;
        assert!(
            !over.command_pending(),
            "sent or not, an undone action sends nothing"
        );
        assert!(!over.mark_command_sent(now).expect("mark").changed);
        let no_undo = RemediationAction {
            undo: None,
            ..requested
        };
        assert!(!no_undo.command_pending());
    }

    #[test]
    fn the_command_carries_the_action_and_its_undo() {
        assert_eq!(
            RemediationCommand::undo_of("t1", &action(ActionStatus::Completed, "blockUrl")),
            None
        );
        let requested = undo_requested();
        let undo = requested.undo.clone().expect("undo");
        assert_eq!(
            RemediationCommand::undo_of("t1", &requested),
            Some(RemediationCommand {
                command_id: undo.command_id,
                command: "releaseFile".into(),
                tenant_id: "t1".into(),
                action_id: "a1".into(),
                investigation_id: "inv".into(),
                action_type: "quarantineFile".into(),
                entity: requested.entity.clone(),
                requested_by: actor(),
                reason: "clean".into(),
                requested_date_time: undo.requested_date_time,
            })
        );
    }

    #[test]
    fn approving_gives_the_action_its_command_once_and_rejecting_none() {
        let now = Utc::now();
        let pending = action(ActionStatus::Pending, "isolateDevice");
        let approved = pending
            .approve(&actor(), Some("go".into()), now)
            .expect("approvable")
            .action;
        let dispatch = approved.dispatch.clone().expect("a command");
        assert_eq!(dispatch.command, "isolateDevice");
        assert_eq!(dispatch.sent_date_time, None);
        assert!(approved.command_pending());
        let command = RemediationCommand::pending("t1", &approved).expect("to send");
        assert_eq!(
            (
                command.command_id.as_str(),
                command.command.as_str(),
                command.reason.as_str()
            ),
            (dispatch.command_id.as_str(), "isolateDevice", "go")
        );
        assert_eq!(
            (command.requested_by, command.requested_date_time),
            (actor(), now)
        );
        // Approving again changes nothing, the command id included.
        let again = approved
            .approve(&actor(), None, now)
            .expect("same decision");
        assert!(!again.changed);
        assert_eq!(again.action.dispatch, approved.dispatch);
        let sent = approved.mark_command_sent(now).expect("mark").action;
        assert_eq!(sent.dispatch.and_then(|d| d.sent_date_time), Some(now));
        assert_eq!(
            RemediationCommand::pending("t1", &sent_again(&approved, now)),
            None
        );
        let rejected = pending
            .reject(&actor(), None, now)
            .expect("rejectable")
            .action;
        assert_eq!(rejected.dispatch, None);
        assert!(!rejected.command_pending());
        assert_eq!(RemediationCommand::pending("t1", &rejected), None);
    }

    fn sent_again(action: &RemediationAction, now: DateTime<Utc>) -> RemediationAction {
        action.mark_command_sent(now).expect("mark").action
    }

    #[test]
    fn a_completed_or_failed_action_sends_nothing_even_with_its_command_unsent() {
        let now = Utc::now();
        let approved = action(ActionStatus::Pending, "isolateDevice")
            .approve(&actor(), None, now)
            .expect("approvable")
            .action;
        for status in [ActionStatus::Completed, ActionStatus::Failed] {
            let over = RemediationAction {
                status,
                ..approved.clone()
            };
            assert!(!over.command_pending(), "{status}");
            assert!(!over.mark_command_sent(now).expect("mark").changed);
        }
    }

    #[test]
    fn an_admin_action_is_approved_for_its_user_with_a_command_and_a_stable_id() {
        let now = Utc::now();
        let reset = RemediationAction::admin(
            AdminAction::ResetPassword,
            "alice",
            "req-1",
            &actor(),
            Some("phished".into()),
            now,
        );
        assert_eq!(
            (
                reset.action_type.as_str(),
                reset.status,
                reset.investigation_id.as_str()
            ),
            ("resetPassword", ActionStatus::Approved, "req-1")
        );
        assert_eq!(
            (reset.entity.r#type, reset.entity.id.as_str()),
            (EntityType::User, "alice")
        );
        assert_eq!(
            reset.decided_by.as_ref().and_then(|d| d.reason.as_deref()),
            Some("phished")
        );
        assert_eq!(reset.created_date_time, now);
        assert!(reset.command_pending());
        let same = |kind, user, request| {
            RemediationAction::admin(kind, user, request, &actor(), None, now).id
        };
        assert_eq!(reset.id, same(AdminAction::ResetPassword, "alice", "req-1"));
        assert_ne!(reset.id, same(AdminAction::ResetPassword, "bob", "req-1"));
        assert_ne!(reset.id, same(AdminAction::ResetPassword, "alice", "req-2"));
        assert_ne!(reset.id, same(AdminAction::DisableUser, "alice", "req-1"));
        // Blocking a user can be taken back; resetting a password or revoking sessions cannot.
        assert_eq!(compensating_command("disableUser"), Some("enableUser"));
        assert_eq!(compensating_command("resetPassword"), None);
        assert_eq!(compensating_command("revokeSessions"), None);
    }

    #[test]
    fn expired_is_history_and_no_command_waits_in_it() {
        assert!(ActionStatus::Expired.is_history());
        assert!(!ActionStatus::Approved.is_history());
        assert_eq!(ActionStatus::Expired.view(), ActionView::History);
        assert_eq!(ActionStatus::Approved.view(), ActionView::Pending);
        assert_eq!(ActionView::History.to_string(), "history");
        let expired = action(ActionStatus::Expired, "isolateDevice");
        assert!(!expired.command_pending());
    }

    #[test]
    fn a_pending_action_expires_on_its_deadline_and_nothing_else_does() {
        let pending = action(ActionStatus::Pending, "isolateDevice");
        let deadline = pending.created_date_time + chrono::Duration::days(7);
        let early = pending.expire(7, deadline - chrono::Duration::seconds(1));
        assert!(!early.changed);
        assert_eq!(early.action, pending);
        let due = pending.expire(7, deadline);
        assert!(due.changed);
        assert_eq!(due.action.status, ActionStatus::Expired);
        let decision = due
            .action
            .decided_by
            .clone()
            .expect("decided by the service");
        assert_eq!(decision.actor.id, EXPIRY_ACTOR);
        assert_eq!(decision.decided_date_time, deadline);
        assert!(decision.reason.is_some_and(|r| r.contains("within 7 days")));
        assert!(
            !due.action.expire(7, deadline).changed,
            "expiring twice changes nothing"
        );
        for status in [
            ActionStatus::Approved,
            ActionStatus::Rejected,
            ActionStatus::Completed,
        ] {
            let decided = action(status, "isolateDevice");
            assert!(
                !decided
                    .expire(7, deadline + chrono::Duration::days(30))
                    .changed,
                "{status}"
            );
        }
        assert!(matches!(
            due.action.approve(&actor(), None, deadline),
            Err(Refusal::WrongStatus { .. })
        ));
    }
}
