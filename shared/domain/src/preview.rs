//! `?dryRun=true`: what a feedback would change, computed on the current state, changing nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::Caller;
use crate::familiar::ContextRef;
use crate::feedback::TargetOutcome;
use crate::intake::{plan, FeedbackRequest};
use crate::model::{Detection, SignIn, User, UserAggregate};
use crate::processing::verdicts;
use crate::risk::{apply, Context, Settings};
use crate::store::{FeedbackStore, IndicatorStore, StoreError};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub dry_run: bool,
    pub targets: Vec<PreviewTarget>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewTarget {
    pub id: String,
    pub result: TargetOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Snapshot>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Snapshot>,
    /// Familiar contexts the feedback would teach the target's user (SPEC 3a).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub learned_contexts: Vec<ContextRef>,
    /// Familiar contexts of the target's user the feedback would forget.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forgotten_contexts: Vec<ContextRef>,
}

/// The user and the sign-ins and detections a target's feedback touches.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub user: User,
    pub sign_ins: Vec<SignIn>,
    pub detections: Vec<Detection>,
}

pub async fn preview(
    store: &(impl FeedbackStore + IndicatorStore),
    caller: &Caller,
    request: &FeedbackRequest,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Result<Preview, StoreError> {
    let tenant = caller.tenant_id.as_str();
    let (steps, not_found) = plan(store, tenant, "dry-run", request).await?;
    let mut by_target: HashMap<String, PreviewTarget> = not_found
        .into_iter()
        .map(|id| {
            let target = PreviewTarget {
                id: id.clone(),
                result: TargetOutcome::NotFound,
                before: None,
                after: None,
                learned_contexts: Vec::new(),
                forgotten_contexts: Vec::new(),
            };
            (id, target)
        })
        .collect();
    for user in steps {
        let Some(loaded) = store.load_user(tenant, &user.user_id).await? else {
            continue;
        };
        let mut aggregate = loaded.aggregate;
        for step in user.steps {
            let command = request.command(&step.targets);
            let ctx = Context {
                step_id: step.step_id.clone(),
                feedback_id: step.feedback_id.clone(),
                actor: caller.actor.clone(),
                comment: None,
                now,
                verdicts: verdicts(store, tenant, &command, now).await?,
                settings: settings.clone(),
            };
            let outcome = apply(&aggregate, &command, &ctx);
            let activity = &outcome.history.activity;
            for result in outcome.results {
                let (before, after) = snapshots(&aggregate, &outcome.aggregate, &result.id);
                // A context learned from a sign-in belongs to that sign-in's target; what a
                // user-wide step forgets belongs to each of its targets.
                let learned = activity
                    .learned_contexts
                    .iter()
                    .filter(|c| {
                        outcome
                            .aggregate
                            .familiar_contexts
                            .get(&c.id)
                            .is_none_or(|known| {
                                !command.action().targets_sign_ins()
                                    || known.learned_from.sign_in_id == result.id
                            })
                    })
                    .cloned()
                    .collect();
                by_target.insert(
                    result.id.clone(),
                    PreviewTarget {
                        id: result.id,
                        result: result.result,
                        before: Some(before),
                        after: Some(after),
                        learned_contexts: learned,
                        forgotten_contexts: activity.forgotten_contexts.clone(),
                    },
                );
            }
            aggregate = outcome.aggregate;
        }
    }
    let targets = request
        .target_ids()
        .into_iter()
        .filter_map(|id| by_target.remove(&id))
        .collect();
    Ok(Preview {
        dry_run: true,
        targets,
    })
}

/// A sign-in target shows that sign-in and its detections; any other target shows what changed.
fn snapshots(before: &UserAggregate, after: &UserAggregate, target: &str) -> (Snapshot, Snapshot) {
    let changes = before.changes(after);
    let touched_sign_ins: Vec<&str> = if after.sign_ins.contains_key(target) {
        vec![target]
    } else {
        changes.sign_ins.iter().map(|s| s.id.as_str()).collect()
    };
    let touched_detections: Vec<&str> = if after.sign_ins.contains_key(target) {
        after
            .detections
            .values()
            .filter(|d| d.sign_in_id.as_deref() == Some(target))
            .map(|d| d.id.as_str())
            .collect()
    } else {
        changes.detections.iter().map(|d| d.id.as_str()).collect()
    };
    let snapshot = |agg: &UserAggregate| Snapshot {
        user: agg.user.clone().as_seen(),
        sign_ins: touched_sign_ins
            .iter()
            .filter_map(|id| agg.sign_ins.get(*id).cloned())
            .collect(),
        detections: touched_detections
            .iter()
            .filter_map(|id| agg.detections.get(*id).cloned().map(Detection::as_seen))
            .collect(),
    };
    (snapshot(before), snapshot(after))
}
