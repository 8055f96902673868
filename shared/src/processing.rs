//! Offline processing of one user's queued work: load the aggregate once, apply the steps in
//! acceptance order, committing each with the version check; then, once per batch, announce the
//! feedback that is now complete.
//!
//! DynamoDB requests are the cost that matters, so a step costs one transaction: the aggregate
//! is carried forward in memory after each commit (the version check catches any other writer,
//! and only then is the user read again), and the feedback records, whose commands never
//! change, are read once per batch through [`Records`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;

use crate::indicators::{verdicts, Verdict};
use crate::quality::deltas;
use crate::queue::{FeedbackProcessed, Message, Queue, QueueError};
use crate::risk::{apply, Command, Context};
use crate::store::{
    IndicatorStore, LoadedUser, PendingStep, StepCommit, StoreError, WorkRecord, WorkStore,
};
use crate::telemetry;

/// Conflicts are expected when two batches holding notices for one user race; past this many in a
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

/// What applying one user's work (or, summed, one batch) led to, for logs, tests and benchmarks.
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

/// What applying one user's work did: its report, and every feedback it applied a step of, any
/// of which it may have completed (that feedback's own notice may be late, or dead-lettered).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub report: Report,
    pub touched: Vec<String>,
}

/// The feedback records one batch has read, by tenant and id. A record's command (action,
/// targets, detections) never changes after intake, so a cached copy serves every step of the
/// batch; completion is always judged on a fresh read.
#[derive(Debug, Default)]
pub struct Records(Mutex<HashMap<(String, String), Arc<WorkRecord>>>);

impl Records {
    async fn get(
        &self,
        store: &impl WorkStore,
        tenant: &str,
        step: &PendingStep,
    ) -> Result<Arc<WorkRecord>, ProcessError> {
        let key = (tenant.to_string(), step.feedback_id.clone());
        if let Some(record) = self.lock().get(&key) {
            return Ok(record.clone());
        }
        let record = store
            .work(tenant, &step.feedback_id)
            .await?
            .ok_or_else(|| ProcessError::MissingRecord {
                step: step.step_id.clone(),
                feedback: step.feedback_id.clone(),
            })?;
        let record = Arc::new(record);
        self.lock().insert(key, record.clone());
        Ok(record)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Arc<WorkRecord>>> {
        // Nothing awaits while the lock is held, and every change is one insert.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Applies the user's queued steps, oldest first, until none is left.
pub async fn apply_pending(
    store: &(impl WorkStore + IndicatorStore),
    records: &Records,
    tenant: &str,
    user_id: &str,
) -> Result<Applied, ProcessError> {
    let mut applied = Applied::default();
    let mut loaded = store.load_user(tenant, user_id).await?;
    while let Some(user) = loaded {
        let Some(step) = user.pending.first() else {
            break;
        };
        let record = records.get(store, tenant, step).await?;
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
        let outcome = apply(&user.aggregate, &command, &ctx);
        let quality = deltas(&user.aggregate, &outcome.aggregate);
        let commit = StepCommit {
            tenant_id: tenant,
            before: &user.aggregate,
            after: &outcome.aggregate,
            version: user.version,
            history: &outcome.history,
            feedback_id: &record.id,
            results: &outcome.results,
            now: ctx.now,
            quality: &quality,
        };
        loaded = match store.commit_step(&commit).await {
            Ok(()) => {
                applied.report.steps_applied += 1;
                let lag = (ctx.now - record.submitted_date_time)
                    .to_std()
                    .unwrap_or_default();
                telemetry::step_applied(lag);
                if let Command::IngestDetections(detections) = &command {
                    let suppressed = ctx.verdicts.values().filter(|v| **v == Verdict::Allow);
                    telemetry::detections_applied(detections.len(), suppressed.count());
                }
                if !applied.touched.contains(&record.id) {
                    applied.touched.push(record.id.clone());
                }
                tracing::info!(
                    tenant, user = %user_id, feedback = %record.id, step = %step.step_id,
                    action = ?record.action, state = ?outcome.aggregate.user.risk_state,
                    "step applied"
                );
                // What the commit wrote: the next step starts from it without a read. Steps
                // queued meanwhile are not in `pending`; their own notices apply them.
                Some(LoadedUser {
                    aggregate: outcome.aggregate,
                    version: user.version + 1,
                    pending: user.pending[1..].to_vec(),
                })
            }
            Err(StoreError::Conflict) => {
                applied.report.conflicts += 1;
                if applied.report.conflicts > MAX_CONFLICTS {
                    return Err(ProcessError::Contended(user_id.to_string()));
                }
                // Transactions of other users can conflict on shared quality counters; a
                // random pause keeps racing processors from retrying in lockstep.
                let pause = fastrand::u64(5..=20 * u64::from(applied.report.conflicts.min(10)));
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                store.load_user(tenant, user_id).await?
            }
            Err(e) => return Err(e.into()),
        };
    }
    Ok(applied)
}

/// Publishes `FeedbackProcessed` once the feedback has a result for every target. The event is
/// sent before it is marked sent, and its de-duplication id is the feedback's, so a crash in
/// between re-sends it on redelivery and the queue drops the copy.
pub async fn publish_if_complete(
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
    telemetry::feedback_completed();
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
