//! Admin actions that act (SPEC 3b): reset password, block user and revoke sessions. The
//! service holds no credentials; per user it records a remediation action on entity `user`,
//! approved as asked, and sends its command to the identity provider's executor through the
//! remediation command queue, as undo does. The executor reports back through
//! `POST /remediation-actions`; a completed password reset then remediates the user's risk
//! (`adminGeneratedTemporaryPassword`) through the ordinary feedback path, in order with the
//! user's other work.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::actions::{send_pending_command, ActionError};
use crate::auth::Caller;
use crate::digest::hex_sha256;
use crate::errors::Invalid;
use crate::feedback::PasswordEventKind;
use crate::intake::{submit, FeedbackRequest, IntakeError};
use crate::limits::{MAX_BULK_TARGETS, MAX_COMMENT_LEN};
use crate::queue::Queue;
use crate::remediation::{ActionIn, ActionStatus, AdminAction, EntityType, RemediationAction};
use crate::store::{ActionStore, FeedbackRecord, FeedbackStore, StoreError};
use crate::validate::Errors;

/// What an analyst asks for, validated: actions (one, or a confirm compromised's `then`), on
/// 1 to 60 distinct users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRequest {
    pub kinds: Vec<AdminAction>,
    pub user_ids: Vec<String>,
    pub comment: Option<String>,
}

impl AdminRequest {
    pub fn new(
        kind: AdminAction,
        user_ids: Vec<String>,
        comment: Option<String>,
    ) -> Result<AdminRequest, Invalid> {
        let mut errors = Errors::default();
        errors.id_list("userIds", &user_ids, MAX_BULK_TARGETS);
        errors.optional_text("comment", comment.as_deref(), MAX_COMMENT_LEN);
        errors.into_result()?;
        Ok(AdminRequest {
            kinds: vec![kind],
            user_ids,
            comment,
        })
    }
}

/// What came of one user of the request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminOutcome {
    pub user_id: String,
    /// `created`; `existing` when a retry of the request (same `Idempotency-Key`) made it
    /// already; `notFound` when the service knows no such user.
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<RemediationAction>,
}

/// Records the action for each known user and sends its command. `request_id` names the
/// request (`idempotency::new_id`, or the feedback whose `then` it is) and groups its actions as
/// one investigation. A dependency failing fails the call; a retry of the same request finds
/// the actions made so far, and sends each command that has not gone, under its own id.
pub async fn act(
    store: &(impl ActionStore + FeedbackStore),
    commands: &impl Queue,
    caller: &Caller,
    request: &AdminRequest,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<AdminOutcome>, ActionError> {
    let tenant = caller.tenant_id.as_str();
    let known = store.existing_users(tenant, &request.user_ids).await?;
    let mut outcomes = Vec::with_capacity(request.user_ids.len() * request.kinds.len());
    let each: Vec<(AdminAction, &String)> = request
        .kinds
        .iter()
        .flat_map(|kind| request.user_ids.iter().map(|user| (*kind, user)))
        .collect();
    for (kind, user_id) in each {
        if !known.contains(user_id) {
            outcomes.push(AdminOutcome {
                user_id: user_id.clone(),
                result: "notFound",
                action: None,
            });
            continue;
        }
        let action = RemediationAction::admin(
            kind,
            user_id,
            request_id,
            &caller.actor,
            request.comment.clone(),
            now,
        );
        let (result, stored) = match store.save_action(tenant, &action, None).await {
            Ok(()) => ("created", action),
            Err(StoreError::Conflict) => match store.action(tenant, &action.id).await? {
                Some(existing) => ("existing", existing.action),
                None => return Err(StoreError::Conflict.into()),
            },
            Err(e) => return Err(e.into()),
        };
        tracing::info!(tenant, user = %user_id, action = %stored.id, %kind, result, "admin action");
        let sent = send_pending_command(store, commands, tenant, stored, now).await?;
        outcomes.push(AdminOutcome {
            user_id: user_id.clone(),
            result,
            action: Some(sent),
        });
    }
    Ok(outcomes)
}

/// `then` on a confirm compromised (SPEC 3b): each action on the users the feedback names, or
/// on the owners of the sign-ins it names, grouped under the feedback's id, so that the action
/// center shows which feedback they followed and a keyed retry of the feedback finds them.
pub async fn follow_up(
    store: &(impl ActionStore + FeedbackStore),
    commands: &impl Queue,
    caller: &Caller,
    feedback: &FeedbackRecord,
    kinds: &[AdminAction],
    now: DateTime<Utc>,
) -> Result<Vec<AdminOutcome>, ActionError> {
    let users: Vec<String> = if feedback.action.targets_sign_ins() {
        let owners = store
            .sign_in_owners(&caller.tenant_id, &feedback.target_ids)
            .await?;
        let mut users: Vec<String> = Vec::new();
        for owner in feedback.target_ids.iter().filter_map(|s| owners.get(s)) {
            if !users.contains(owner) {
                users.push(owner.clone());
            }
        }
        users
    } else {
        feedback.target_ids.clone()
    };
    let request = AdminRequest {
        kinds: kinds.to_vec(),
        user_ids: users,
        comment: feedback.comment.clone(),
    };
    act(store, commands, caller, &request, &feedback.id, now).await
}

/// Whether an executor's report says a user's password was reset.
fn is_completed_reset(action: &ActionIn) -> bool {
    action.status == ActionStatus::Completed
        && action.action_type == AdminAction::ResetPassword.to_string()
        && action.entity.r#type == EntityType::User
}

/// For each completed password reset among an executor's reports, the admin-generated
/// temporary password it amounts to (SPEC 3), accepted as a password event of the user, keyed by
/// the action so that a repeated report applies it once. In the user's history it is the
/// analyst's who asked for the reset, when the service knows who that was.
pub async fn apply_completed_resets(
    store: &(impl ActionStore + FeedbackStore),
    work_queue: &impl Queue,
    events: &impl Queue,
    reporter: &Caller,
    reports: &[ActionIn],
    now: DateTime<Utc>,
) -> Result<(), IntakeError> {
    for report in reports.iter().filter(|r| is_completed_reset(r)) {
        let stored = store.action(&reporter.tenant_id, &report.id).await?;
        let Some(stored) = stored.filter(|s| s.action.status == ActionStatus::Completed) else {
            continue;
        };
        let asked_by = stored.action.decided_by.map(|d| d.actor);
        let caller = Caller {
            actor: asked_by.unwrap_or_else(|| reporter.actor.clone()),
            ..reporter.clone()
        };
        let key = format!("reset-{}", &hex_sha256(report.id.as_bytes())[..40]);
        let password = FeedbackRequest::password(
            report.entity.id.clone(),
            PasswordEventKind::AdminTemporaryPassword,
            None,
        )?;
        let record = submit(
            store,
            work_queue,
            events,
            &caller,
            password,
            Some(&key),
            now,
        )
        .await?;
        tracing::info!(tenant = %caller.tenant_id, action = %report.id, feedback = %record.id, "completed password reset applied");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remediation::Entity;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("u{i}")).collect()
    }

    #[test]
    fn a_request_names_1_to_60_distinct_users_and_an_optional_short_comment() {
        let kind = AdminAction::DisableUser;
        assert!(AdminRequest::new(kind, ids(MAX_BULK_TARGETS), Some("why".into())).is_ok());
        for bad in [
            ids(0),
            ids(MAX_BULK_TARGETS + 1),
            vec!["u".into(), "u".into()],
        ] {
            assert!(AdminRequest::new(kind, bad, None).is_err());
        }
        let long = "c".repeat(MAX_COMMENT_LEN + 1);
        assert!(AdminRequest::new(kind, ids(1), Some(long)).is_err());
    }

    #[test]
    fn only_a_completed_reset_of_a_user_is_a_completed_reset() {
        let report = |action_type: &str, entity: EntityType, status| ActionIn {
            id: "a1".into(),
            investigation_id: "inv".into(),
            action_type: action_type.into(),
            entity: Entity {
                r#type: entity,
                id: "alice".into(),
                display_name: None,
            },
            status,
            created_date_time: Utc::now(),
            completed_date_time: None,
        };
        let user = EntityType::User;
        assert!(is_completed_reset(&report(
            "resetPassword",
            user,
            ActionStatus::Completed
        )));
        assert!(!is_completed_reset(&report(
            "resetPassword",
            user,
            ActionStatus::Failed
        )));
        assert!(!is_completed_reset(&report(
            "disableUser",
            user,
            ActionStatus::Completed
        )));
        assert!(!is_completed_reset(&report(
            "resetPassword",
            EntityType::Mailbox,
            ActionStatus::Completed
        )));
    }
}
