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
use futures::stream::{self, StreamExt};
use tokio::sync::OnceCell;

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
/// batch; completion is always judged on a fresh read. Users of one feedback start together, so
/// the first read of a record is shared by every step that waits for it.
#[derive(Debug, Default)]
pub struct Records(Mutex<HashMap<FeedbackKey, Arc<OnceCell<Arc<WorkRecord>>>>>);

/// A feedback: tenant and id.
pub type FeedbackKey = (String, String);

impl Records {
    async fn get(
        &self,
        store: &impl WorkStore,
        tenant: &str,
        step: &PendingStep,
    ) -> Result<Arc<WorkRecord>, ProcessError> {
        let key = (tenant.to_string(), step.feedback_id.clone());
        // Nothing awaits while the lock is held, and every change is one insert.
        let cell = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default()
            .clone();
        // A failed read leaves the cell empty, and the next waiter reads again.
        let record = cell
            .get_or_try_init(|| async {
                let record = store.work(tenant, &step.feedback_id).await?;
                let record = record.ok_or_else(|| ProcessError::MissingRecord {
                    step: step.step_id.clone(),
                    feedback: step.feedback_id.clone(),
                })?;
                Ok::<_, ProcessError>(Arc::new(record))
            })
            .await?;
        Ok(record.clone())
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

/// Publishes `FeedbackProcessed` for each of `feedbacks` that now has a result for every target
/// and has not been announced: their records are read `at_once` at a time, the events go out in
/// as few queue requests as the queue allows, and then each feedback is marked announced. An
/// event is sent before it is marked, and its de-duplication id is the feedback's, so a failure
/// in between re-sends it on redelivery and the queue drops the copy. Returns, per feedback,
/// whether it was announced now, or why it could not be.
pub async fn publish_completed(
    store: &impl WorkStore,
    events: &impl Queue,
    feedbacks: impl IntoIterator<Item = FeedbackKey>,
    at_once: usize,
) -> Vec<(FeedbackKey, Result<bool, ProcessError>)> {
    let checked: Vec<_> = stream::iter(feedbacks)
        .map(|(tenant, id)| async move {
            let event = completion_event(store, &tenant, &id).await;
            ((tenant, id), event)
        })
        .buffer_unordered(at_once)
        .collect()
        .await;
    let mut outcomes = Vec::with_capacity(checked.len());
    let mut complete = Vec::new();
    for (key, event) in checked {
        match event {
            Ok(Some(event)) => complete.push((key, event)),
            Ok(None) => outcomes.push((key, Ok(false))),
            Err(error) => outcomes.push((key, Err(error))),
        }
    }
    let messages: Vec<Message> = complete.iter().map(|(_, e)| Message::event(e)).collect();
    if let Err(error) = events.send(&messages).await {
        outcomes.extend(
            complete
                .into_iter()
                .map(|(key, _)| (key, Err(ProcessError::Queue(error.clone())))),
        );
        return outcomes;
    }
    let marked: Vec<_> = stream::iter(complete)
        .map(|((tenant, id), event)| async move {
            let marked = store.mark_event_published(&tenant, &id).await;
            if marked.is_ok() {
                telemetry::feedback_completed();
                tracing::info!(tenant, feedback = id, state = ?event.feedback.state, "feedback completed");
            }
            ((tenant, id), marked.map(|()| true).map_err(ProcessError::from))
        })
        .buffer_unordered(at_once)
        .collect()
        .await;
    outcomes.extend(marked);
    outcomes
}

/// The completion event of a feedback that has a result for every target and is not yet
/// announced, judged on a fresh read of its record.
async fn completion_event(
    store: &impl WorkStore,
    tenant: &str,
    feedback_id: &str,
) -> Result<Option<FeedbackProcessed>, ProcessError> {
    let Some(record) = store.work(tenant, feedback_id).await? else {
        return Ok(None);
    };
    if record.event_published || !record.is_complete() {
        return Ok(None);
    }
    Ok(Some(FeedbackProcessed::new(tenant, record.view())))
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
