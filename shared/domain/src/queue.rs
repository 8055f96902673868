//! Messages between the functions and the `SqsQueue` that carries them.
//!
//! A `FeedbackNotice` only says "these users of tenant T have queued work (from feedback F)": the
//! work itself, in acceptance order, lives on each user item. So a notice that is delivered
//! twice, late, or out of order changes nothing about what is applied or in which order, and
//! one notice per feedback serves all of its users.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::digest::hex_sha256;
use crate::feedback::Feedback;
use crate::remediation::RemediationCommand;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedbackNotice {
    pub tenant_id: String,
    pub feedback_id: String,
    /// Every user the feedback queued a step for (at most one per target, so at most
    /// `validate::MAX_DETECTIONS_PER_CALL`).
    pub user_ids: Vec<String>,
}

/// Published to the events queue when a feedback completes, so other systems need not poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackProcessed {
    pub r#type: String,
    pub tenant_id: String,
    pub feedback: Feedback,
}

impl FeedbackProcessed {
    pub fn new(tenant_id: &str, feedback: Feedback) -> Self {
        FeedbackProcessed {
            r#type: "FeedbackProcessed".to_string(),
            tenant_id: tenant_id.to_string(),
            feedback,
        }
    }
}

/// Maintenance the processor runs when a message asks for it: the schedule in the template
/// (`PendingActionExpirySchedule`) sends `{"task": "expirePendingActions"}`, and so does
/// `scripts/dev` locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "camelCase", deny_unknown_fields)]
pub enum Maintenance {
    ExpirePendingActions,
}

/// One message for a FIFO queue: its group orders it, its de-duplication id makes resending it harmless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub group_id: String,
    pub deduplication_id: String,
    pub body: String,
}

impl Message {
    /// One group per feedback. The user items order the work, so notices need no order among
    /// themselves, and a 60-user feedback costs one message, not 60. The feedback id
    /// de-duplicates resends.
    pub fn notice(notice: &FeedbackNotice) -> Message {
        let id = hex_digest(&format!("{}\n{}", notice.tenant_id, notice.feedback_id));
        Message {
            group_id: id.clone(),
            deduplication_id: id,
            body: serde_json::to_string(notice).unwrap_or_default(),
        }
    }

    /// One group per entity: commands about one entity reach the executor in order; the
    /// command id de-duplicates resends.
    pub fn command(command: &RemediationCommand) -> Message {
        Message {
            group_id: hex_digest(&format!("{}\n{}", command.tenant_id, command.entity.id)),
            deduplication_id: command.command_id.clone(),
            body: serde_json::to_string(command).unwrap_or_default(),
        }
    }

    /// Maintenance has a group of its own, apart from every feedback's; `at` de-duplicates.
    pub fn maintenance(task: Maintenance, at: DateTime<Utc>) -> Message {
        let body = serde_json::to_string(&task).unwrap_or_default();
        Message {
            group_id: "maintenance".to_string(),
            deduplication_id: hex_digest(&format!("{body}\n{}", at.to_rfc3339())),
            body,
        }
    }

    pub fn event(event: &FeedbackProcessed) -> Message {
        Message {
            group_id: hex_digest(&event.tenant_id),
            deduplication_id: hex_digest(&format!("{}\n{}", event.tenant_id, event.feedback.id)),
            body: serde_json::to_string(event).unwrap_or_default(),
        }
    }
}

/// SQS limits group and de-duplication ids to 128 characters of a narrow alphabet; a digest fits.
fn hex_digest(text: &str) -> String {
    hex_sha256(text.as_bytes())
}

#[async_trait]
pub trait Queue: Send + Sync {
    async fn send(&self, messages: &[Message]) -> Result<(), QueueError>;
}
