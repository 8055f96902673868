//! Offline processing of one user's queued work: load the aggregate once, apply the steps in
//! acceptance order, committing each with the version check; then, once per batch, announce the
//! feedback that is now complete.
//!
//! DynamoDB requests are the cost that matters, so a step costs one transaction: the aggregate
//! is carried forward in memory after each commit (the version check catches any other writer,
//! and only then is the user read again), and the feedback records, whose commands never
//! change, are read once per batch through [`Records`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};
use tokio::sync::OnceCell;

use crate::feedback::PasswordEvent;
use crate::indicators::{evidence_keys, verdict, Indicator, IndicatorType, Verdict};
use crate::quality::deltas;
use crate::queue::{FeedbackProcessed, Message, Queue, QueueError};
use crate::retry::retry_after_conflict;
use crate::risk::{apply, Command, Context, Settings};
use crate::store::{
    FeedbackRecord, FeedbackStore, IndicatorStore, IntakeState, LoadedUser, PendingStep,
    StepCommit, StoreError,
};
use crate::telemetry;

/// Conflicts are expected when two batches holding notices for one user race; past this many in a
/// row something is wrong, and the message is left to SQS to retry.
const MAX_CONFLICTS: u32 = 20;

/// How long after its submission an intake still `accepting` may yet be completed; after that
/// it is abandoned. Four times the API function's 30-second timeout (template.yaml), so no
/// attempt, nor a keyed retry soon after it, is still writing; and under the feedback queue's
/// 180-second visibility timeout, so the first redelivery of a notice held back by such an
/// intake finds it past the deadline, long before the notice's five receives are spent.
pub const ACCEPTING_DEADLINE: Duration = Duration::from_secs(120);

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
    #[error("feedback {0} is not accepted yet: its intake is still storing it")]
    NotYetAccepted(String),
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
/// the first read of a record is shared by every step that waits for it. A record still
/// `accepting` is about to change, to accepted or abandoned, so it is never cached.
#[derive(Debug, Default)]
pub struct Records(Mutex<HashMap<FeedbackKey, Arc<OnceCell<Arc<FeedbackRecord>>>>>);

/// A feedback: tenant and id.
pub type FeedbackKey = (String, String);

impl Records {
    async fn get(
        &self,
        store: &impl FeedbackStore,
        tenant: &str,
        step: &PendingStep,
    ) -> Result<Arc<FeedbackRecord>, ProcessError> {
        let key = (tenant.to_string(), step.feedback_id.clone());
        // Nothing awaits while the lock is held, and every change is one insert.
        let cell = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default()
            .clone();
        // A failed read, or one that finds the record accepting, leaves the cell empty, and
        // the next waiter reads again.
        let read = cell
            .get_or_try_init(|| async {
                let record = store.work(tenant, &step.feedback_id).await?;
                let record = record.ok_or_else(|| ProcessError::MissingRecord {
                    step: step.step_id.clone(),
                    feedback: step.feedback_id.clone(),
                })?;
                if record.intake_state == IntakeState::Accepting {
                    return Err(Uncached::Accepting(Arc::new(record)));
                }
                Ok(Arc::new(record))
            })
            .await;
        match read {
            Ok(record) => Ok(record.clone()),
            Err(Uncached::Accepting(record)) => Ok(record),
            Err(Uncached::Failed(error)) => Err(error),
        }
    }
}

/// Why a read of a record was not cached.
enum Uncached {
    Accepting(Arc<FeedbackRecord>),
    Failed(ProcessError),
}

impl From<StoreError> for Uncached {
    fn from(error: StoreError) -> Self {
        Uncached::Failed(error.into())
    }
}

impl From<ProcessError> for Uncached {
    fn from(error: ProcessError) -> Self {
        Uncached::Failed(error)
    }
}

/// What the processor may do with a queued step of `record`, `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Apply,
    /// Its intake may still complete: fail retryably, so the notice comes back later.
    Wait,
    /// Its intake stopped part way longer than `deadline` ago: give it up.
    Abandon,
    /// Its intake was given up: remove the step, with no effect on the user.
    Discard,
}

fn gate(record: &FeedbackRecord, now: DateTime<Utc>, deadline: Duration) -> Gate {
    match record.intake_state {
        IntakeState::Accepted => Gate::Apply,
        IntakeState::Abandoned => Gate::Discard,
        IntakeState::Accepting => {
            // A submission time ahead of this clock is young.
            let age = (now - record.submitted_date_time)
                .to_std()
                .unwrap_or_default();
            if age < deadline {
                Gate::Wait
            } else {
                Gate::Abandon
            }
        }
    }
}

/// Why an abandoned intake failed, as its feedback shows it.
fn abandoned_reason(deadline: Duration) -> String {
    format!(
        "abandoned: the request was not stored whole within {} s of its submission, so none of \
         it applies; send it again",
        deadline.as_secs()
    )
}

/// Applies the user's queued steps, oldest first, until none is left. A step whose intake is
/// not complete stops the user there (`NotYetAccepted`) while it may still complete, that is
/// for `accepting_deadline` after its submission ([`ACCEPTING_DEADLINE`] deployed); after
/// that its intake is abandoned, and steps of abandoned intakes are discarded.
pub async fn apply_pending(
    store: &(impl FeedbackStore + IndicatorStore),
    records: &Records,
    tenant: &str,
    user_id: &str,
    accepting_deadline: Duration,
    settings: &Settings,
) -> Result<Applied, ProcessError> {
    let mut applied = Applied::default();
    let mut loaded = store.load_user(tenant, user_id).await?;
    while let Some(user) = loaded {
        let Some(step) = user.pending.first() else {
            break;
        };
        let record = records.get(store, tenant, step).await?;
        match gate(&record, Utc::now(), accepting_deadline) {
            Gate::Apply => {}
            Gate::Wait => return Err(ProcessError::NotYetAccepted(record.id.clone())),
            Gate::Abandon => {
                let reason = abandoned_reason(accepting_deadline);
                if store
                    .abandon_intake(tenant, &record.id, &reason, Utc::now())
                    .await?
                {
                    tracing::warn!(tenant, feedback = %record.id, %reason, "intake abandoned");
                }
                // Abandoned now, or completed by a keyed retry first: the record is read again.
                loaded = Some(user);
                continue;
            }
            Gate::Discard => {
                loaded = match store.discard_step(tenant, user_id, user.version).await {
                    Ok(()) => {
                        tracing::info!(
                            tenant, user = %user_id, feedback = %record.id, step = %step.step_id,
                            "step of an abandoned intake discarded"
                        );
                        Some(LoadedUser {
                            version: user.version + 1,
                            pending: user.pending[1..].to_vec(),
                            aggregate: user.aggregate,
                        })
                    }
                    Err(StoreError::Conflict) => {
                        after_conflict(store, &mut applied, tenant, user_id).await?
                    }
                    Err(e) => return Err(e.into()),
                };
                continue;
            }
        }
        let command = command_for(&record, step);
        let now = Utc::now();
        let ctx = Context {
            step_id: step.step_id.clone(),
            feedback_id: record.id.clone(),
            actor: record.submitted_by.clone(),
            comment: record.comment.clone(),
            now,
            verdicts: verdicts(store, tenant, &command, now).await?,
            settings: settings.clone(),
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
                after_conflict(store, &mut applied, tenant, user_id).await?
            }
            Err(e) => return Err(e.into()),
        };
    }
    Ok(applied)
}

/// After a commit the version check refused: counts it, pauses, and reads the user again.
async fn after_conflict(
    store: &impl FeedbackStore,
    applied: &mut Applied,
    tenant: &str,
    user_id: &str,
) -> Result<Option<LoadedUser>, ProcessError> {
    applied.report.conflicts += 1;
    // Transactions of other users can conflict too, on shared quality counters.
    if !retry_after_conflict(applied.report.conflicts, MAX_CONFLICTS).await {
        return Err(ProcessError::Contended(user_id.to_string()));
    }
    Ok(store.load_user(tenant, user_id).await?)
}

/// Publishes `FeedbackProcessed` for each of `feedbacks` that now has a result for every target
/// and has not been announced: their records are read `at_once` at a time, the events go out in
/// as few queue requests as the queue allows, and then each feedback is marked announced. An
/// event is sent before it is marked, and its de-duplication id is the feedback's, so a failure
/// in between re-sends it on redelivery and the queue drops the copy. Returns, per feedback,
/// whether it was announced now, or why it could not be.
pub async fn publish_completed(
    store: &impl FeedbackStore,
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
    store: &impl FeedbackStore,
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
fn command_for(record: &FeedbackRecord, step: &PendingStep) -> Command {
    let password = record.password_event_kind.map(|kind| PasswordEvent {
        kind,
        sign_in_id: record.password_sign_in_id.clone(),
    });
    Command::for_step(record.action, password, &record.detections, &step.targets)
}

/// The verdicts of the active indicators matching the evidence of a step's new detections.
pub(crate) async fn verdicts(
    store: &impl IndicatorStore,
    tenant: &str,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, Verdict>, StoreError> {
    let Command::IngestDetections(detections) = command else {
        return Ok(BTreeMap::new());
    };
    let keyed: Vec<(&str, Vec<(IndicatorType, String)>)> = detections
        .iter()
        .filter_map(|d| Some((d.id.as_str(), evidence_keys(d.evidence.as_ref()?))))
        .filter(|(_, keys)| !keys.is_empty())
        .collect();
    if keyed.is_empty() {
        return Ok(BTreeMap::new());
    }
    let all_keys: Vec<(IndicatorType, String)> =
        keyed.iter().flat_map(|(_, k)| k.clone()).collect();
    let found = store.matching_indicators(tenant, &all_keys).await?;
    Ok(keyed
        .into_iter()
        .filter_map(|(id, keys)| {
            let matches: Vec<Indicator> = found
                .iter()
                .filter(|i| keys.contains(&(i.indicator_type, i.indicator_value.clone())))
                .cloned()
                .collect();
            verdict(&matches, now).map(|v| (id.to_string(), v))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Actor;
    use crate::feedback::FeedbackAction;
    use chrono::TimeZone;

    fn submitted() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn record(intake_state: IntakeState) -> FeedbackRecord {
        FeedbackRecord {
            id: "f".to_string(),
            action: FeedbackAction::IngestDetections,
            submitted_by: Actor {
                id: "ingest".to_string(),
                display_name: None,
            },
            submitted_date_time: submitted(),
            last_updated_date_time: submitted(),
            comment: None,
            password_event_kind: None,
            password_sign_in_id: None,
            target_ids: vec!["d1".to_string()],
            results: HashMap::new(),
            users: vec!["alice".to_string()],
            detections: Vec::new(),
            request_hash: String::new(),
            event_published: false,
            failure_reason: None,
            failed_date_time: None,
            intake_state,
            chunks_committed: None,
        }
    }

    fn after(seconds: i64) -> DateTime<Utc> {
        submitted() + chrono::TimeDelta::seconds(seconds)
    }

    #[test]
    fn an_accepting_intake_is_waited_for_until_the_deadline_then_abandoned() {
        let accepting = record(IntakeState::Accepting);
        let deadline = ACCEPTING_DEADLINE;
        let limit = deadline.as_secs() as i64;
        assert_eq!(gate(&accepting, after(0), deadline), Gate::Wait);
        assert_eq!(gate(&accepting, after(limit - 1), deadline), Gate::Wait);
        assert_eq!(gate(&accepting, after(limit), deadline), Gate::Abandon);
        assert_eq!(gate(&accepting, after(limit * 10), deadline), Gate::Abandon);
        // Another host's clock ahead of this one's makes the intake look younger, never older.
        assert_eq!(gate(&accepting, after(-30), deadline), Gate::Wait);
        assert_eq!(gate(&accepting, after(0), Duration::ZERO), Gate::Abandon);
    }

    #[test]
    fn accepted_work_applies_and_abandoned_work_is_discarded_whatever_its_age() {
        for now in [after(-30), after(0), after(100_000)] {
            let accepted = record(IntakeState::Accepted);
            assert_eq!(gate(&accepted, now, ACCEPTING_DEADLINE), Gate::Apply);
            let abandoned = record(IntakeState::Abandoned);
            assert_eq!(gate(&abandoned, now, ACCEPTING_DEADLINE), Gate::Discard);
        }
    }
}
