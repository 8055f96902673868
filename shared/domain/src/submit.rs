//! `POST /submissions` (SPEC 4): records a false-positive or false-negative submission and does
//! what it asked besides, undoing the actions it names and adding an allow indicator.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::actions::{undo_many, ActionError, UndoOutcome};
use crate::auth::{AuthError, Caller};
use crate::errors::{Invalid, KeyReused};
use crate::idempotency::{new_id, request_hash, same_request};
use crate::indicators::{Indicator, IndicatorAction, IndicatorIn};
use crate::quality::{Counts, Kind};
use crate::queue::Queue;
use crate::remediation::Refusal;
use crate::store::{ActionStore, IndicatorStore, StoreError, SubmissionStore};
use crate::submissions::{
    indicator_value, roles_needed, validate, AllowIndicatorRequest, Category, Submission,
    SubmissionIn,
};

/// Why a submission is not recorded, or not done whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// An optional part needs a role of its own (`roles_needed`).
    #[error(transparent)]
    Forbidden(#[from] AuthError),
    /// An action it asks to undo cannot be.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    KeyReused(#[from] KeyReused),
    /// Undoing the actions met a failing dependency.
    #[error(transparent)]
    Action(#[from] ActionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a submission came to: the submission, and what it undid and allowed besides.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub submission: Submission,
    pub undo_results: Vec<UndoOutcome>,
    pub indicator: Option<Indicator>,
}

/// Records a submission and does what it asked, all or nothing as far as validation goes.
/// Retried with the same `Idempotency-Key`, it finishes what a failed attempt left undone
/// (indicator, undo) without doing anything twice.
pub async fn submit(
    store: &(impl SubmissionStore + ActionStore + IndicatorStore),
    commands: &impl Queue,
    caller: &Caller,
    input: SubmissionIn,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Submitted, SubmitError> {
    for role in roles_needed(&input) {
        caller.require(role)?;
    }
    validate(&input, now)?;
    let tenant = caller.tenant_id.as_str();
    let mut kinds = Vec::new();
    for (i, id) in input.detection_ids.iter().enumerate() {
        match store.detection_kind(tenant, id).await? {
            Some(kind) => kinds.push(kind),
            None => {
                return Err(
                    Invalid::field(format!("detectionIds[{i}]"), "no such detection").into(),
                )
            }
        }
    }
    for (i, id) in input.remediation_action_ids.iter().enumerate() {
        let Some(stored) = store.action(tenant, id).await? else {
            return Err(Invalid::field(
                format!("remediationActionIds[{i}]"),
                "no such remediation action",
            )
            .into());
        };
        if input.undo_remediation {
            stored
                .action
                .request_undo(&caller.actor, "submission", now)?;
        }
    }
    let id = new_id(caller, idempotency_key);
    let submission = Submission {
        allow_indicator_id: input.allow_indicator.as_ref().map(|_| {
            Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("allow\n{id}").as_bytes()).to_string()
        }),
        id: id.clone(),
        request: input,
        submitted_by: caller.actor.clone(),
        submitted_date_time: now,
    };
    let mut counts: BTreeMap<Kind, Counts> = BTreeMap::new();
    for kind in kinds {
        let entry = counts.entry(kind).or_default();
        match submission.request.category {
            Category::FalsePositive => entry.false_positives += 1,
            Category::FalseNegative => entry.false_negatives += 1,
        }
    }
    let hash = request_hash(&submission.request);
    let submission = if store
        .create_submission(tenant, &submission, &hash, &counts)
        .await?
    {
        tracing::info!(tenant, submission = %id, category = ?submission.request.category, "submission recorded");
        submission
    } else {
        let existing = store
            .submission(tenant, &id)
            .await?
            .ok_or(StoreError::Unavailable(
                "the submission it found is gone".into(),
            ))?;
        same_request(&existing.request_hash, &hash)?;
        existing.submission
    };
    let indicator = match (
        &submission.request.allow_indicator,
        &submission.allow_indicator_id,
    ) {
        (Some(allow), Some(indicator_id)) => Some(
            allow_indicator(store, caller, &submission, &hash, allow, indicator_id, now).await?,
        ),
        _ => None,
    };
    let undo_results = if submission.request.undo_remediation {
        let reason = submission
            .request
            .notes
            .clone()
            .unwrap_or_else(|| format!("false positive submission {id}"));
        undo_many(
            store,
            commands,
            caller,
            submission.request.remediation_action_ids.clone(),
            &reason,
            now,
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(Submitted {
        submission,
        undo_results,
        indicator,
    })
}

async fn allow_indicator(
    store: &impl IndicatorStore,
    caller: &Caller,
    submission: &Submission,
    request_hash: &str,
    allow: &AllowIndicatorRequest,
    indicator_id: &str,
    now: DateTime<Utc>,
) -> Result<Indicator, SubmitError> {
    let tenant = caller.tenant_id.as_str();
    // The id derives from the submission's, whose request was checked to be the same.
    if let Some(existing) = store.indicator(tenant, indicator_id).await? {
        return Ok(existing.indicator);
    }
    let (indicator_type, indicator_value) =
        indicator_value(submission.request.item_type, &submission.request.item).ok_or_else(
            || Invalid::field("allowIndicator", "needs an item with a fileSha256 or url"),
        )?;
    let indicator = Indicator::create(
        IndicatorIn {
            indicator_type,
            indicator_value,
            action: IndicatorAction::Allow,
            title: format!("False positive submission {}", submission.id),
            description: submission.request.notes.clone(),
            expiration_date_time: allow.expiration_date_time,
        },
        indicator_id.to_string(),
        caller.actor.clone(),
        now,
    )?;
    store
        .create_indicator(tenant, &indicator, request_hash)
        .await?;
    Ok(indicator)
}
