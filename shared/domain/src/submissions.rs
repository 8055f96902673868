//! False-positive and false-negative submissions (SPEC 4): an analyst says an automated
//! detection was wrong, links it to the detections and actions it concerns, and may in the same
//! call undo those actions and add an allow indicator so it does not come back. Either every
//! part the caller asked for is allowed and valid, or nothing is written.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::errors::Invalid;
use crate::indicators::{normalize, IndicatorType};
use crate::limits::{MAX_BULK_TARGETS, MAX_COMMENT_LEN, MAX_TEXT_LEN};
use crate::role::Role;
use crate::validate::Errors;

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

/// The indicator an allow request makes from the item: its file hash or its URL.
pub(crate) fn indicator_value(
    item_type: ItemType,
    item: &SubmittedItem,
) -> Option<(IndicatorType, String)> {
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

/// The roles a submission needs: its optional parts act as their own routes would.
pub(crate) fn roles_needed(input: &SubmissionIn) -> Vec<Role> {
    let mut roles = vec![Role::RiskFeedback];
    if input.undo_remediation {
        roles.push(Role::RemediationManage);
    }
    if input.allow_indicator.is_some() {
        roles.push(Role::IndicatorsManage);
    }
    roles
}

/// Field rules.
pub(crate) fn validate(input: &SubmissionIn, now: DateTime<Utc>) -> Result<(), Invalid> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default()
    }

    fn file() -> SubmittedItem {
        SubmittedItem {
            file_sha256: Some("ab".repeat(32)),
            ..SubmittedItem::default()
        }
    }

    /// A false positive on a file that undoes one action and allows the file.
    fn full() -> SubmissionIn {
        SubmissionIn {
            category: Category::FalsePositive,
            item_type: ItemType::File,
            item: file(),
            detection_ids: vec!["d1".into()],
            remediation_action_ids: vec!["a1".into()],
            notes: Some("benign".into()),
            undo_remediation: true,
            allow_indicator: Some(AllowIndicatorRequest {
                expiration_date_time: Some(now() + chrono::Duration::days(1)),
            }),
        }
    }

    fn fields(input: &SubmissionIn) -> Vec<String> {
        match validate(input, now()) {
            Ok(()) => Vec::new(),
            Err(Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn each_optional_part_needs_the_role_of_its_own_route() {
        let plain = SubmissionIn {
            undo_remediation: false,
            allow_indicator: None,
            ..full()
        };
        assert_eq!(roles_needed(&plain), [Role::RiskFeedback]);
        assert_eq!(
            roles_needed(&full()),
            [
                Role::RiskFeedback,
                Role::RemediationManage,
                Role::IndicatorsManage
            ]
        );
        let allow_only = SubmissionIn {
            undo_remediation: false,
            ..full()
        };
        assert_eq!(
            roles_needed(&allow_only),
            [Role::RiskFeedback, Role::IndicatorsManage]
        );
    }

    #[test]
    fn the_allow_indicator_is_the_items_file_hash_or_url() {
        let item = SubmittedItem {
            file_sha256: Some("ab".repeat(32)),
            url: Some("https://contoso.com/a".into()),
            ..SubmittedItem::default()
        };
        for kind in [ItemType::EmailAttachment, ItemType::File, ItemType::App] {
            assert_eq!(
                indicator_value(kind, &item),
                Some((IndicatorType::FileSha256, "ab".repeat(32)))
            );
        }
        for kind in [ItemType::EmailUrl, ItemType::OfficeFileUrl] {
            assert_eq!(
                indicator_value(kind, &item),
                Some((IndicatorType::Url, "https://contoso.com/a".into()))
            );
        }
        assert_eq!(indicator_value(ItemType::EmailMessage, &item), None);
        assert_eq!(
            indicator_value(ItemType::File, &SubmittedItem::default()),
            None
        );
    }

    #[test]
    fn a_whole_false_positive_is_valid() {
        assert_eq!(fields(&full()), Vec::<String>::new());
    }

    #[test]
    fn each_item_type_needs_its_identifying_field() {
        for (item_type, field) in [
            (ItemType::EmailMessage, "item.networkMessageId"),
            (ItemType::EmailUrl, "item.url"),
            (ItemType::OfficeFileUrl, "item.url"),
            (ItemType::EmailAttachment, "item.fileSha256"),
            (ItemType::App, "item.fileSha256"),
        ] {
            let input = SubmissionIn {
                item_type,
                item: SubmittedItem::default(),
                category: Category::FalseNegative,
                undo_remediation: false,
                allow_indicator: None,
                ..full()
            };
            assert_eq!(fields(&input), [field], "{item_type:?}");
        }
        let bad_values = SubmissionIn {
            item: SubmittedItem {
                file_sha256: Some("abc".into()),
                url: Some("ftp://contoso.com/".into()),
                device_id: Some("\u{7}".into()),
                ..SubmittedItem::default()
            },
            allow_indicator: None,
            ..full()
        };
        assert_eq!(
            fields(&bad_values),
            ["item.deviceId", "item.fileSha256", "item.url"]
        );
    }

    #[test]
    fn only_a_false_positive_undoes_or_allows_and_each_needs_what_it_acts_on() {
        let negative = SubmissionIn {
            category: Category::FalseNegative,
            ..full()
        };
        assert_eq!(fields(&negative), ["undoRemediation", "allowIndicator"]);
        let nothing_to_undo = SubmissionIn {
            remediation_action_ids: Vec::new(),
            allow_indicator: None,
            ..full()
        };
        assert_eq!(fields(&nothing_to_undo), ["undoRemediation"]);
        let nothing_to_allow = SubmissionIn {
            item_type: ItemType::EmailMessage,
            item: SubmittedItem {
                network_message_id: Some("<m@contoso.com>".into()),
                ..SubmittedItem::default()
            },
            undo_remediation: false,
            ..full()
        };
        assert_eq!(fields(&nothing_to_allow), ["allowIndicator"]);
        for expired in [now(), now() - chrono::Duration::days(1)] {
            let input = SubmissionIn {
                allow_indicator: Some(AllowIndicatorRequest {
                    expiration_date_time: Some(expired),
                }),
                ..full()
            };
            assert_eq!(fields(&input), ["allowIndicator.expirationDateTime"]);
        }
    }

    #[test]
    fn linked_ids_are_valid_and_distinct() {
        let input = SubmissionIn {
            detection_ids: vec!["d1".into(), "d1".into()],
            remediation_action_ids: vec!["\u{202E}".into()],
            ..full()
        };
        assert_eq!(
            fields(&input),
            ["detectionIds[1]", "remediationActionIds[0]"]
        );
    }
}
