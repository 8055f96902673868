//! What the use cases need from storage, as two narrow traits: the write path (intake and
//! processing) and the read path (the `GET` routes). `DynamoStore` is the one implementation.

use std::collections::{BTreeMap, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::familiar::FamiliarContext;
use crate::feedback::{
    derive_state, DetectionIn, Feedback, FeedbackAction, PasswordEventKind, TargetOutcome,
    TargetResult,
};
use crate::history::HistoryEntry;
use crate::indicators::{Indicator, IndicatorType};
use crate::model::{RiskLevel, RiskState, SignIn, User, UserAggregate};
use crate::principal::PrincipalKind;
use crate::quality::{Counts, Kind};
use crate::remediation::{ActionStatus, ActionView, EntityType, RemediationAction};
use crate::submissions::Submission;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Someone else changed the item first (optimistic concurrency); reload and retry.
    #[error("concurrent change")]
    Conflict,
    #[error("throttled by the database")]
    Throttled,
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("stored item cannot be read: {0}")]
    Corrupt(String),
}

/// One step of work waiting in a user's queue. Steps are kept on the user item in acceptance
/// order, so the processor applies them in that order whatever order SQS delivers notices in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingStep {
    pub step_id: String,
    pub feedback_id: String,
    /// The targets of the feedback that belong to this user (sign-in, detection or user ids).
    pub targets: Vec<String>,
}

/// A feedback or ingestion as stored: the public view plus what processing needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackRecord {
    pub id: String,
    pub action: FeedbackAction,
    pub submitted_by: Actor,
    pub submitted_date_time: DateTime<Utc>,
    pub last_updated_date_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_event_kind: Option<PasswordEventKind>,
    /// The sign-in an `mfaPassed` event names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_sign_in_id: Option<String>,
    pub target_ids: Vec<String>,
    pub results: HashMap<String, TargetStatus>,
    /// The users the work was queued for, to re-send their notices on a retried request.
    pub users: Vec<String>,
    /// What `POST /risk-detections` carried, applied by the processor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detections: Vec<DetectionIn>,
    /// Fingerprint of the request, to tell a retry from a reuse of an `Idempotency-Key`.
    pub request_hash: String,
    #[serde(default)]
    pub event_published: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// When `failure_reason` was set: a result written after it means the work moved again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_date_time: Option<DateTime<Utc>>,
    /// Absent (`accepted`) on every record stored in one transaction, which is all but the
    /// largest ingestions.
    #[serde(default, skip_serializing_if = "IntakeState::is_accepted")]
    pub intake_state: IntakeState,
    /// While `accepting`: how many of the transactions that store the request are committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunks_committed: Option<u32>,
}

/// Where a record stands in its intake. A request whose record and steps exceed one DynamoDB
/// transaction is stored in several (see [`FeedbackStore::accept`]); until the last commits, none
/// of it is accepted, so that the caller gets all or nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IntakeState {
    /// Some of its transactions are committed, not all: a keyed retry resumes it.
    Accepting,
    #[default]
    Accepted,
    /// Its intake stopped part way and was given up: none of it applies, and the steps it
    /// queued are discarded.
    Abandoned,
}

impl IntakeState {
    pub fn is_accepted(&self) -> bool {
        *self == IntakeState::Accepted
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetStatus {
    pub result: TargetOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl FeedbackRecord {
    /// Folds in a target's result, stored apart from the record by the step that produced it.
    /// A step applied after the feedback was marked failed means it is moving again, so the
    /// failure is forgotten.
    pub fn record_result(&mut self, target_id: String, status: TargetStatus, at: DateTime<Utc>) {
        self.last_updated_date_time = self.last_updated_date_time.max(at);
        if self.failed_date_time.is_some_and(|failed| at > failed) {
            self.failure_reason = None;
            self.failed_date_time = None;
        }
        self.results.insert(target_id, status);
    }

    pub fn targets(&self) -> Vec<TargetResult> {
        self.target_ids
            .iter()
            .map(|id| {
                let status = self.results.get(id);
                TargetResult {
                    id: id.clone(),
                    result: status.map_or(TargetOutcome::Pending, |s| s.result),
                    reason: status.and_then(|s| s.reason.clone()),
                }
            })
            .collect()
    }

    pub fn view(&self) -> Feedback {
        let targets = self.targets();
        let state = derive_state(&targets, self.failure_reason.as_deref());
        let done = !targets.iter().any(|t| t.result == TargetOutcome::Pending);
        Feedback {
            id: self.id.clone(),
            action: self.action,
            state,
            submitted_by: self.submitted_by.clone(),
            submitted_date_time: self.submitted_date_time,
            completed_date_time: done.then_some(self.last_updated_date_time),
            comment: self.comment.clone(),
            password_event_kind: self.password_event_kind,
            sign_in_id: self.password_sign_in_id.clone(),
            targets,
            failure_reason: self.failure_reason.clone(),
        }
    }

    pub fn is_complete(&self) -> bool {
        self.targets()
            .iter()
            .all(|t| t.result != TargetOutcome::Pending)
    }
}

/// A user's aggregate as loaded for processing, with its concurrency version and queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedUser {
    pub aggregate: UserAggregate,
    pub version: u64,
    pub pending: Vec<PendingStep>,
}

/// Everything one processed step changes, written in one transaction with the version check
/// and the removal of the step from the user's queue: the applied-marker that makes redelivery
/// harmless.
#[derive(Debug)]
pub struct StepCommit<'a> {
    pub tenant_id: &'a str,
    pub before: &'a UserAggregate,
    pub after: &'a UserAggregate,
    pub version: u64,
    pub history: &'a HistoryEntry,
    pub feedback_id: &'a str,
    pub results: &'a [TargetResult],
    pub now: DateTime<Utc>,
    /// What the step adds to the detection-quality counters.
    pub quality: &'a BTreeMap<Kind, Counts>,
}

/// How intake queues work for one user.
#[derive(Debug, Clone)]
pub struct UserSteps {
    pub user_id: String,
    pub user_principal_name: Option<String>,
    pub steps: Vec<PendingStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    New,
    /// A record with this id already exists: the request is a retry (or a reused key).
    Existing(Box<FeedbackRecord>),
}

#[async_trait]
pub trait FeedbackStore: Send + Sync {
    /// Which of these users exist.
    async fn existing_users(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<HashSet<String>, StoreError>;
    /// The owner of each of these sign-ins that exists.
    async fn sign_in_owners(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError>;
    /// The user each of these familiar contexts that exists belongs to.
    async fn familiar_context_owners(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError>;
    /// Stores the record and appends its steps to each user's queue: in one transaction when
    /// they fit in one, otherwise in several, the record `accepting` until the last commits.
    /// Given a stored record still `accepting`, stores the transactions after those it has
    /// committed, with the same `steps`. `New` once all are stored; `Existing` when a record
    /// with this id is stored already, or when another attempt moved it first. With
    /// `create_users`, users that do not exist yet are created (ingestion); otherwise they must
    /// exist.
    async fn accept(
        &self,
        tenant: &str,
        record: &FeedbackRecord,
        steps: &[UserSteps],
        create_users: bool,
    ) -> Result<Accepted, StoreError>;
    /// Gives up an intake that is still `accepting`: marks it `abandoned`, failed with
    /// `reason`. `false`, changing nothing, when it is no longer accepting (a keyed retry
    /// completed it, or another processor gave it up first).
    async fn abandon_intake(
        &self,
        tenant: &str,
        feedback_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn work(&self, tenant: &str, id: &str) -> Result<Option<FeedbackRecord>, StoreError>;
    async fn load_user(
        &self,
        tenant: &str,
        user_id: &str,
    ) -> Result<Option<LoadedUser>, StoreError>;
    /// Fails with `Conflict` if the user's version moved since it was loaded.
    async fn commit_step(&self, commit: &StepCommit<'_>) -> Result<(), StoreError>;
    /// Removes the user's oldest queued step without applying it, changing nothing else (its
    /// intake was abandoned); `Conflict` if the user's version moved since it was loaded.
    async fn discard_step(
        &self,
        tenant: &str,
        user_id: &str,
        version: u64,
    ) -> Result<(), StoreError>;
    async fn mark_event_published(&self, tenant: &str, feedback_id: &str)
        -> Result<(), StoreError>;
    /// Shows the feedback as `failed`, and why, while its notice sits in the dead-letter queue;
    /// the next step applied for it clears this. Does nothing for an unknown feedback.
    async fn mark_failed(
        &self,
        tenant: &str,
        feedback_id: &str,
        reason: &str,
    ) -> Result<(), StoreError>;
}

/// A user as the read routes show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub user: User,
    pub is_processing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRow {
    pub sign_in: SignIn,
    pub is_processing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub value: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            value: self.value.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Users, or service principals.
    pub kind: PrincipalKind,
    pub risk_level: Option<RiskLevel>,
    pub risk_state: Option<RiskState>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInFilter {
    pub user_id: Option<String>,
    pub risk_state: Option<RiskState>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetectionFilter {
    /// Users' detections, or service principals'.
    pub kind: PrincipalKind,
    /// The principal of that kind, by its id.
    pub user_id: Option<String>,
    pub sign_in_id: Option<String>,
    pub risk_event_type: Option<String>,
    pub risk_state: Option<RiskState>,
}

#[async_trait]
pub trait ReadStore: Send + Sync {
    async fn user(&self, tenant: &str, id: &str) -> Result<Option<UserRow>, StoreError>;
    async fn users(
        &self,
        tenant: &str,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<UserRow>, StoreError>;
    async fn user_history(
        &self,
        tenant: &str,
        id: &str,
        page: &PageRequest,
    ) -> Result<Page<HistoryEntry>, StoreError>;
    async fn sign_in(&self, tenant: &str, id: &str) -> Result<Option<SignInRow>, StoreError>;
    /// Those of these sign-ins that exist, by id, in a few batched reads.
    async fn sign_ins_named(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<HashMap<String, SignIn>, StoreError>;
    async fn sign_ins(
        &self,
        tenant: &str,
        filter: &SignInFilter,
        page: &PageRequest,
    ) -> Result<Page<SignInRow>, StoreError>;
    async fn detections(
        &self,
        tenant: &str,
        filter: &DetectionFilter,
        page: &PageRequest,
    ) -> Result<Page<crate::model::Detection>, StoreError>;
    /// One detection of a principal of this kind, by its id alone.
    async fn detection(
        &self,
        tenant: &str,
        kind: PrincipalKind,
        id: &str,
    ) -> Result<Option<crate::model::Detection>, StoreError>;
    /// A user's familiar contexts (SPEC 3a), expired ones included, in id order.
    async fn familiar_contexts(
        &self,
        tenant: &str,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<FamiliarContext>, StoreError>;
    async fn familiar_context(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<FamiliarContext>, StoreError>;
}

/// A remediation action with the version that guards its next change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAction {
    pub action: RemediationAction,
    pub version: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFilter {
    /// The action center's tab; a `status` must be on it.
    pub view: Option<ActionView>,
    pub status: Option<ActionStatus>,
    pub investigation_id: Option<String>,
    pub entity_type: Option<EntityType>,
}

#[async_trait]
pub trait ActionStore: Send + Sync {
    async fn action(&self, tenant: &str, id: &str) -> Result<Option<StoredAction>, StoreError>;
    /// Creates the action (`expected_version` `None`: it must not exist) or replaces it if its
    /// stored version is still `expected_version`; `Conflict` otherwise.
    async fn save_action(
        &self,
        tenant: &str,
        action: &RemediationAction,
        expected_version: Option<u64>,
    ) -> Result<(), StoreError>;
    /// Newest first.
    async fn actions(
        &self,
        tenant: &str,
        filter: &ActionFilter,
        page: &PageRequest,
    ) -> Result<Page<RemediationAction>, StoreError>;
    /// Every tenant's `pending` actions posted before `cutoff`, as (tenant, id): the one
    /// read across tenants, for the maintenance that expires them.
    async fn pending_posted_before(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError>;
}

#[async_trait]
pub trait IndicatorStore: Send + Sync {
    /// Stores the indicator and its lookup entry, with the fingerprint of the request that made
    /// it; `false` if one with this id exists already.
    async fn create_indicator(
        &self,
        tenant: &str,
        indicator: &Indicator,
        request_hash: &str,
    ) -> Result<bool, StoreError>;
    async fn indicator(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<StoredIndicator>, StoreError>;
    async fn delete_indicator(&self, tenant: &str, indicator: &Indicator)
        -> Result<(), StoreError>;
    /// Newest first.
    async fn indicators(
        &self,
        tenant: &str,
        page: &PageRequest,
    ) -> Result<Page<Indicator>, StoreError>;
    /// Indicators (expired ones included) whose normalized value equals one of `keys`: one
    /// query per key, never a scan.
    async fn matching_indicators(
        &self,
        tenant: &str,
        keys: &[(IndicatorType, String)],
    ) -> Result<Vec<Indicator>, StoreError>;
}

#[async_trait]
pub trait QualityStore: Send + Sync {
    /// The counters of the days `from..=to` (UTC), summed per detection type and source.
    async fn quality_totals(
        &self,
        tenant: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<BTreeMap<Kind, Counts>, StoreError>;
}

/// An indicator with the fingerprint of the request that made it (empty for indicators stored
/// before fingerprints were kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIndicator {
    pub indicator: Indicator,
    pub request_hash: String,
}

/// A submission with the fingerprint of the request that made it, to tell a retry from a
/// reuse of an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubmission {
    pub submission: Submission,
    pub request_hash: String,
}

#[async_trait]
pub trait SubmissionStore: Send + Sync {
    /// Stores a new submission and adds its false-positive / false-negative counts to the
    /// detection-quality counters, atomically; `false` if one with this id exists already.
    async fn create_submission(
        &self,
        tenant: &str,
        submission: &Submission,
        request_hash: &str,
        counts: &BTreeMap<Kind, Counts>,
    ) -> Result<bool, StoreError>;
    async fn submission(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<StoredSubmission>, StoreError>;
    /// The type and source of a stored detection, to count a submission against it.
    async fn detection_kind(
        &self,
        tenant: &str,
        detection_id: &str,
    ) -> Result<Option<Kind>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, second)
            .single()
            .unwrap_or_default()
    }

    fn record() -> FeedbackRecord {
        FeedbackRecord {
            id: "f".to_string(),
            action: FeedbackAction::DismissUser,
            submitted_by: Actor {
                id: "analyst".to_string(),
                display_name: None,
            },
            submitted_date_time: at(0),
            last_updated_date_time: at(0),
            comment: None,
            password_event_kind: None,
            password_sign_in_id: None,
            target_ids: vec!["alice".to_string(), "bob".to_string()],
            results: HashMap::new(),
            users: vec!["alice".to_string(), "bob".to_string()],
            detections: Vec::new(),
            request_hash: String::new(),
            event_published: false,
            failure_reason: Some("dead-lettered".to_string()),
            failed_date_time: Some(at(10)),
            intake_state: IntakeState::Accepted,
            chunks_committed: None,
        }
    }

    fn applied() -> TargetStatus {
        TargetStatus {
            result: TargetOutcome::Applied,
            reason: None,
        }
    }

    #[test]
    fn a_result_from_before_the_failure_keeps_it_and_a_later_one_clears_it() {
        let mut record = record();
        record.record_result("alice".to_string(), applied(), at(5));
        assert_eq!(record.failure_reason.as_deref(), Some("dead-lettered"));
        assert_eq!(record.last_updated_date_time, at(5));
        assert!(!record.is_complete());

        record.record_result("bob".to_string(), applied(), at(20));
        assert_eq!(record.failure_reason, None);
        assert_eq!(record.last_updated_date_time, at(20));
        assert!(record.is_complete());
        assert_eq!(record.view().completed_date_time, Some(at(20)));
    }
}
