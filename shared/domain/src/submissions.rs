//! False-positive and false-negative submissions (SPEC 4): an analyst says an automated
//! detection was wrong, links it to the detections and actions it concerns, and may in the same
//! call undo those actions and add an allow indicator so it does not come back. Either every
//! part the caller asked for is allowed and valid, or nothing is written.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actions::{undo_many, UndoResult};
use crate::auth::{Caller, Role};
use crate::feedback::Actor;
use crate::idempotency::{request_hash, same_request, work_id};
use crate::indicators::{normalize, Indicator, IndicatorAction, IndicatorIn, IndicatorType};
use crate::problem::ApiError;
use crate::quality::{Counts, Kind};
use crate::queue::Queue;
use crate::store::{ActionStore, IndicatorStore, SubmissionStore};
use crate::validate::{Errors, MAX_BULK_TARGETS, MAX_COMMENT_LEN, MAX_TEXT_LEN};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Category {
    FalsePositive,
    FalseNegative,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemType {
    EmailMessage,
    EmailAttachment,
    EmailUrl,
    OfficeFileUrl,
    File,
    App,
}

/// The identifying fields of the item, as apply to its type.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmittedItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub network_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Sha256>))]
    pub file_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::HttpUrl>))]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Id>))]
    pub device_id: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AllowIndicatorRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date_time: Option<DateTime<Utc>>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmissionIn {
    pub category: Category,
    pub item_type: ItemType,
    pub item: SubmittedItem,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::OptionalIdList))]
    pub detection_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::OptionalIdList))]
    pub remediation_action_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Comment>))]
    pub notes: Option<String>,
    #[serde(default)]
    pub undo_remediation: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_indicator: Option<AllowIndicatorRequest>,
}

/// A stored submission.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    pub id: String,
    #[serde(flatten)]
    pub request: SubmissionIn,
    /// The allow indicator the submission created, if it asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_indicator_id: Option<String>,
    pub submitted_by: Actor,
    pub submitted_date_time: DateTime<Utc>,
}

/// What `POST /submissions` answers: the submission and what it did besides.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Submitted {
    pub submission: Submission,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undo_results: Vec<UndoResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicator: Option<Indicator>,
}

/// The indicator an allow request makes from the item: its file hash or its URL.
fn indicator_value(item_type: ItemType, item: &SubmittedItem) -> Option<(IndicatorType, String)> {
    match item_type {
        ItemType::EmailAttachment | ItemType::File | ItemType::App => {
            Some((IndicatorType::FileSha256, item.file_sha256.clone()?))
        }
        ItemType::EmailUrl | ItemType::OfficeFileUrl => {
            Some((IndicatorType::Url, item.url.clone()?))
        }
        ItemType::EmailMessage => None,
    }
}

/// Field rules, and the roles the optional parts need (checked before anything is written).
fn validate(input: &SubmissionIn, caller: &Caller, now: DateTime<Utc>) -> Result<(), ApiError> {
    caller.require(Role::RiskFeedback)?;
    if input.undo_remediation {
        caller.require(Role::RemediationManage)?;
    }
    if input.allow_indicator.is_some() {
        caller.require(Role::IndicatorsManage)?;
    }
    let mut errors = Errors::default();
    let item = &input.item;
    let required: &[(&str, Option<&String>)] = match input.item_type {
        ItemType::EmailMessage => &[("item.networkMessageId", item.network_message_id.as_ref())],
        ItemType::EmailUrl | ItemType::OfficeFileUrl => &[("item.url", item.url.as_ref())],
        ItemType::EmailAttachment | ItemType::File | ItemType::App => {
            &[("item.fileSha256", item.file_sha256.as_ref())]
        }
    };
    for (field, value) in required {
        if value.is_none() {
            errors.add(*field, "is required for this itemType");
        }
    }
    errors.optional_text(
        "item.networkMessageId",
        item.network_message_id.as_deref(),
        MAX_TEXT_LEN,
    );
    errors.optional_text("item.fileName", item.file_name.as_deref(), MAX_TEXT_LEN);
    if let Some(device) = &item.device_id {
        errors.id("item.deviceId", device);
    }
    if let Some(Err(message)) = item
        .file_sha256
        .as_deref()
        .map(|v| normalize(IndicatorType::FileSha256, v))
    {
        errors.add("item.fileSha256", message);
    }
    if let Some(Err(message)) = item
        .url
        .as_deref()
        .map(|v| normalize(IndicatorType::Url, v))
    {
        errors.add("item.url", message);
    }
    for (field, ids) in [
        ("detectionIds", &input.detection_ids),
        ("remediationActionIds", &input.remediation_action_ids),
    ] {
        if !ids.is_empty() {
            errors.id_list(field, ids, MAX_BULK_TARGETS);
        }
    }
    errors.optional_text("notes", input.notes.as_deref(), MAX_COMMENT_LEN);
    let false_positive = input.category == Category::FalsePositive;
    if input.undo_remediation {
        if !false_positive {
            errors.add(
                "undoRemediation",
                "only a falsePositive can undo remediation",
            );
        } else if input.remediation_action_ids.is_empty() {
            errors.add("undoRemediation", "needs remediationActionIds to undo");
        }
    }
    if let Some(allow) = &input.allow_indicator {
        if !false_positive {
            errors.add(
                "allowIndicator",
                "only a falsePositive can add an allow indicator",
            );
        } else if indicator_value(input.item_type, item).is_none() {
            errors.add("allowIndicator", "needs an item with a fileSha256 or url");
        }
        if allow.expiration_date_time.is_some_and(|e| e <= now) {
            errors.add("allowIndicator.expirationDateTime", "must be in the future");
        }
    }
    errors.into_result()
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
) -> Result<Submitted, ApiError> {
    validate(&input, caller, now)?;
    let tenant = caller.tenant_id.as_str();
    let mut kinds = Vec::new();
    for (i, id) in input.detection_ids.iter().enumerate() {
        match store.detection_kind(tenant, id).await? {
            Some(kind) => kinds.push(kind),
            None => {
                return Err(ApiError::invalid(
                    format!("detectionIds[{i}]"),
                    "no such detection",
                ))
            }
        }
    }
    for (i, id) in input.remediation_action_ids.iter().enumerate() {
        let Some(stored) = store.action(tenant, id).await? else {
            return Err(ApiError::invalid(
                format!("remediationActionIds[{i}]"),
                "no such remediation action",
            ));
        };
        if input.undo_remediation {
            stored
                .action
                .request_undo(&caller.actor, "submission", now)?;
        }
    }
    let id = work_id(caller, idempotency_key);
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
            .ok_or(ApiError::Unavailable)?;
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
) -> Result<Indicator, ApiError> {
    let tenant = caller.tenant_id.as_str();
    // The id derives from the submission's, whose request was checked to be the same.
    if let Some(existing) = store.indicator(tenant, indicator_id).await? {
        return Ok(existing.indicator);
    }
    let (indicator_type, indicator_value) =
        indicator_value(submission.request.item_type, &submission.request.item).ok_or_else(
            || ApiError::invalid("allowIndicator", "needs an item with a fileSha256 or url"),
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
