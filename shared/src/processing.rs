//! Offline processing of one user's queued work: load the aggregate, apply the oldest step,
//! commit it with the version check, repeat until the queue is empty; then announce completion.

use chrono::Utc;

use crate::indicators::verdicts;
use crate::quality::deltas;
use crate::queue::{FeedbackProcessed, Message, Queue, QueueError, WorkNotice};
use crate::risk::{apply, Command, Context};
use crate::store::{IndicatorStore, PendingStep, StepCommit, StoreError, WorkRecord, WorkStore};

/// Conflicts are expected when two deliveries of one user's notices race; past this many in a
/// row something is wrong, and the message is left to SQS to retry.
const MAX_CONFLICTS: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("too many concurrent changes to user {0}")]
    Contended(String),
    #[error("queued step {step} names feedback {feedback} that does not exist")]
    MissingRecord { step: String, feedback: String },
}

/// What one notice (or, summed, one batch) led to, for logs, tests and benchmarks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub steps_applied: u32,
    /// Optimistic-concurrency retries: commits refused because the user changed meanwhile.
    pub conflicts: u32,
    pub events_published: u32,
}

impl std::ops::AddAssign for Report {
    fn add_assign(&mut self, other: Report) {
        self.steps_applied += other.steps_applied;
        self.conflicts += other.conflicts;
        self.events_published += other.events_published;
    }
}

pub async fn process_notice(
    store: &(impl WorkStore + IndicatorStore),
    events: &impl Queue,
    notice: &WorkNotice,
) -> Result<Report, ProcessError> {
    let tenant = notice.tenant_id.as_str();
    let mut report = Report::default();
    // Every feedback this notice applied a step of may now be complete, not only its own:
    // its own notice may be late, or dead-lettered.
    let mut touched = vec![notice.feedback_id.clone()];
    while let Some(loaded) = store.load_user(tenant, &notice.user_id).await? {
        let Some(step) = loaded.pending.first() else {
            break;
        };
        let record = store
            .work(tenant, &step.feedback_id)
            .await?
            .ok_or_else(|| ProcessError::MissingRecord {
                step: step.step_id.clone(),
                feedback: step.feedback_id.clone(),
            })?;
        let command = command_for(&record, step);
        let now = Utc::now();
        let ctx = Context {
            step_id: step.step_id.clone(),
            feedback_id: record.id.clone(),
            actor: record.submitted_by.clone(),
            comment: record.comment.clone(),
            now,
            verdicts: verdicts(store, tenant, &command, now).await?,
        };
        let outcome = apply(&loaded.aggregate, &command, &ctx);
        let quality = deltas(&loaded.aggregate, &outcome.aggregate);
        let commit = StepCommit {
            tenant_id: tenant,
            before: &loaded.aggregate,
            after: &outcome.aggregate,
            version: loaded.version,
            history: &outcome.history,
            feedback_id: &record.id,
            results: &outcome.results,
            now: ctx.now,
            quality: &quality,
        };
        match store.commit_step(&commit).await {
            Ok(()) => {
                report.steps_applied += 1;
                if !touched.contains(&record.id) {
                    touched.push(record.id.clone());
                }
                tracing::info!(
                    tenant, user = %notice.user_id, feedback = %record.id, step = %step.step_id,
                    action = ?record.action, state = ?outcome.aggregate.user.risk_state,
                    "step applied"
                );
            }
            Err(StoreError::Conflict) => {
                report.conflicts += 1;
                if report.conflicts > MAX_CONFLICTS {
                    return Err(ProcessError::Contended(notice.user_id.clone()));
                }
                // Transactions of other users can conflict on shared quality counters; a
                // random pause keeps racing processors from retrying in lockstep.
                let pause = fastrand::u64(5..=20 * u64::from(report.conflicts.min(10)));
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    for feedback_id in &touched {
        if publish_if_complete(store, events, tenant, feedback_id).await? {
            report.events_published += 1;
        }
    }
    Ok(report)
}

/// Publishes `FeedbackProcessed` once the feedback has a result for every target. The event is
/// sent before it is marked sent, and its de-duplication id is the feedback's, so a crash in
/// between re-sends it on redelivery and the queue drops the copy.
async fn publish_if_complete(
    store: &impl WorkStore,
    events: &impl Queue,
    tenant: &str,
    feedback_id: &str,
) -> Result<bool, ProcessError> {
    let Some(record) = store.work(tenant, feedback_id).await? else {
        return Ok(false);
    };
    if record.event_published || !record.is_complete() {
        return Ok(false);
    }
    let event = FeedbackProcessed::new(tenant, record.view());
    events.send(&[Message::event(&event)]).await?;
    store.mark_event_published(tenant, feedback_id).await?;
    tracing::info!(tenant, feedback = feedback_id, state = ?event.feedback.state, "feedback completed");
    Ok(true)
}

/// The domain command for one queued step of a record.
fn command_for(record: &WorkRecord, step: &PendingStep) -> Command {
    Command::for_step(
        record.action,
        record.password_event_kind,
        &record.detections,
        &step.targets,
    )
}
