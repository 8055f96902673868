//! The single-table layout: every key, and the item shapes stored under them.
//!
//! | item | pk | sk | gsi1pk | gsi1sk |
//! |---|---|---|---|---|
//! | user | `T#{tenant}#U#{user}` | `USER` | `T#{tenant}#USERS#{shard}` | `{riskLastUpdated}#{user}` |
//! | service principal | `T#{tenant}#U#{key}` | `USER` | `T#{tenant}#SERVICEPRINCIPALS#{shard}` | `{riskLastUpdated}#{key}` |
//! | sign-in | `T#{tenant}#U#{user}` | `S#{signIn}` | `T#{tenant}#SIGNINS#{shard}` | `{createdDateTime}#{signIn}` |
//! | detection | `T#{tenant}#U#{user}` | `D#{detection}` | `T#{tenant}#DETECTIONS#{shard}` | `{detectedDateTime}#{detection}` |
//! | a service principal's detection | `T#{tenant}#U#{key}` | `D#{detection}` | `T#{tenant}#SPDETECTIONS#{shard}` | `{detectedDateTime}#{detection}` |
//! | sign-in owner | `T#{tenant}#SP#{signIn}` | `SP` | | |
//! | familiar context | `T#{tenant}#U#{user}` | `FC#{context}` | | |
//! | familiar-context owner | `T#{tenant}#FCO#{context}` | `FCO` | | |
//! | history | `T#{tenant}#H#{user}` | `{time}#{step}` | | |
//! | feedback | `T#{tenant}#FB#{feedback}` | `FB` | | |
//! | feedback target result | `T#{tenant}#FB#{feedback}` | `R#{target}` | | |
//! | indicator | `T#{tenant}#IND#{indicator}` | `IND` | `T#{tenant}#INDICATORS` | `{created}#{indicator}` |
//! | indicator by value | `T#{tenant}#INDV#{type}#{sha256(value)}` | indicator id | | |
//! | detection-quality counters | `T#{tenant}#QUALITY#{shard}` | `{day}#{type}#{source}` | | |
//! | submission | `T#{tenant}#SUB#{submission}` | `SUB` | | |
//! | remediation action | `T#{tenant}#RA#{action}` | `RA` | `T#{tenant}#ACTIONS#{shard}` | `{created}#{action}` |
//!
//! A pending action also has `gsi2pk` `PENDING#{shard}` and `gsi2sk` `{created}#{tenant}#{action}`:
//! the sparse `gsi2` (keys only) finds every tenant's pending actions by age, to expire them. A
//! detection is found by id on it too (`gsi2pk` `{list}#ID#{detection}`).
//!
//! Lists sort on `gsi1sk` in every index, newest first, and each is spread over `LIST_SHARDS`
//! partition keys (`list_shard`), so no key takes every write of a tenant; a read merges the
//! shards back in order (`sharded`). A filtered list is an index of its own, so it reads only
//! what it returns:
//!
//! | item | `gsi3pk` | `gsi4pk` | `gsi5pk` | `gsi6pk` |
//! |---|---|---|---|---|
//! | principal | `{list}#L#{level}#{shard}` | `{list}#S#{state}#{shard}` | `{list}#LS#{level}#{state}#{shard}` | |
//! | sign-in | `{list}#P#{user}#00` | `{list}#S#{state}#{shard}` | | |
//! | detection | `{list}#P#{principal}#00` | `{list}#S#{state}#{shard}` | `{list}#T#{type}#{shard}` | `{list}#TS#{type}#{state}#{shard}` |
//! | remediation action | `{list}#V#{tab}#{shard}` | `{list}#S#{status}#{shard}` | `{list}#I#{investigation}#00` | `{list}#VE#{tab}#{entityType}#{shard}` |
//!
//! One principal's sign-ins or detections are on one key (`P#`): they take only writes that
//! principal's own partition takes anyway, and other filters on them read only its items.
//!
//! A service principal is stored as a user is, under its aggregate key (`principal`), which no
//! user id can be; its items are on lists of their own.
//!
//! Every key starts with the tenant, so no query can reach another tenant's items. Ids in sort
//! keys go through `key_id`, which shortens the few too long for one.

use std::borrow::Cow;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use riskfeedback::familiar::FamiliarContext;
use riskfeedback::feedback::TargetResult;
use riskfeedback::history::HistoryEntry;
use riskfeedback::indicators::{Indicator, IndicatorType};
use riskfeedback::model::{Detection, SignIn, User};
use riskfeedback::principal::{principal_of, PrincipalKind};
use riskfeedback::quality::{Counts, Kind};
use riskfeedback::remediation::{EntityType, RemediationAction};
use riskfeedback::store::{FeedbackRecord, PendingStep, StoreError, TargetStatus};
use riskfeedback::submissions::Submission;

pub const USER_SK: &str = "USER";
pub const SIGN_IN_PREFIX: &str = "S#";
pub const DETECTION_PREFIX: &str = "D#";
pub const POINTER_SK: &str = "SP";
pub const CONTEXT_PREFIX: &str = "FC#";
pub const CONTEXT_OWNER_SK: &str = "FCO";
pub const WORK_SK: &str = "FB";
pub const RESULT_PREFIX: &str = "R#";
pub const ACTION_SK: &str = "RA";
pub const INDICATOR_SK: &str = "IND";
pub const SUBMISSION_SK: &str = "SUB";
pub const GSI1: &str = "gsi1";
pub const GSI2: &str = "gsi2";
pub const GSI3: &str = "gsi3";
pub const GSI4: &str = "gsi4";
pub const GSI5: &str = "gsi5";
pub const GSI6: &str = "gsi6";

/// Sort keys hold at most 1,024 bytes, and an id of 256 characters can be that much UTF-8
/// before any prefix. An id longer than this stands in keys as its first bytes, a unit
/// separator and its SHA-256 (`key_id`).
pub const MAX_KEY_ID_BYTES: usize = 900;
const KEY_ID_HEAD_BYTES: usize = 800;

/// `id` as keys hold it. No id holds a control character (SPEC 1), so a shortened one, which
/// does, cannot be another id, and two long ids differ in their digests; a shortened id still
/// sorts near where the whole one would.
pub fn key_id(id: &str) -> Cow<'_, str> {
    if id.len() <= MAX_KEY_ID_BYTES {
        return Cow::Borrowed(id);
    }
    let mut end = KEY_ID_HEAD_BYTES;
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    let digest = riskfeedback::digest::hex_sha256(id.as_bytes());
    Cow::Owned(format!("{}\u{1F}{digest}", &id[..end]))
}

pub fn tenant_prefix(tenant: &str) -> String {
    format!("T#{tenant}#")
}

pub fn user_pk(tenant: &str, user: &str) -> String {
    format!("T#{tenant}#U#{user}")
}

pub fn history_pk(tenant: &str, user: &str) -> String {
    format!("T#{tenant}#H#{user}")
}

pub fn work_pk(tenant: &str, id: &str) -> String {
    format!("T#{tenant}#FB#{id}")
}

pub fn pointer_pk(tenant: &str, sign_in: &str) -> String {
    format!("T#{tenant}#SP#{sign_in}")
}

pub fn context_owner_pk(tenant: &str, context: &str) -> String {
    format!("T#{tenant}#FCO#{context}")
}

pub fn context_sk(context: &str) -> String {
    format!("{CONTEXT_PREFIX}{}", key_id(context))
}

pub fn action_pk(tenant: &str, id: &str) -> String {
    format!("T#{tenant}#RA#{id}")
}

pub fn actions_index(tenant: &str) -> String {
    format!("T#{tenant}#ACTIONS")
}

pub fn indicator_pk(tenant: &str, id: &str) -> String {
    format!("T#{tenant}#IND#{id}")
}

pub fn indicators_index(tenant: &str) -> String {
    format!("T#{tenant}#INDICATORS")
}

/// Values can be long URLs: the key holds their digest.
pub fn indicator_value_pk(tenant: &str, kind: IndicatorType, value: &str) -> String {
    let digest = riskfeedback::digest::hex_sha256(value.as_bytes());
    format!("T#{tenant}#INDV#{kind}#{digest}")
}

/// Counters are spread over partitions by user (or submission), so that concurrent
/// transactions for different users rarely touch the same counter, and no partition takes every
/// processed detection of a tenant.
pub const QUALITY_SHARDS: u8 = 32;

/// The counter of one day and kind in the partition `shard_key` falls in: its `pk` and `sk`.
pub fn quality_key(
    tenant: &str,
    day: chrono::NaiveDate,
    kind: &Kind,
    shard_key: &str,
) -> (String, String) {
    let shard = shard_key
        .bytes()
        .fold(0u8, |acc, b| acc.wrapping_mul(31).wrapping_add(b))
        % QUALITY_SHARDS;
    (
        quality_shard_pk(tenant, shard),
        format!("{day}#{}#{}", kind.risk_event_type, kind.source),
    )
}

pub fn quality_shard_pk(tenant: &str, shard: u8) -> String {
    format!("T#{tenant}#QUALITY#{shard:02}")
}

pub fn submission_pk(tenant: &str, id: &str) -> String {
    format!("T#{tenant}#SUB#{id}")
}

pub fn users_index(tenant: &str) -> String {
    format!("T#{tenant}#USERS")
}

pub fn sign_ins_index(tenant: &str) -> String {
    format!("T#{tenant}#SIGNINS")
}

pub fn detections_index(tenant: &str) -> String {
    format!("T#{tenant}#DETECTIONS")
}

pub fn service_principals_index(tenant: &str) -> String {
    format!("T#{tenant}#SERVICEPRINCIPALS")
}

pub fn service_principal_detections_index(tenant: &str) -> String {
    format!("T#{tenant}#SPDETECTIONS")
}

/// The list of principals of one kind: users', or service principals'.
pub fn principals_index(tenant: &str, kind: PrincipalKind) -> String {
    match kind {
        PrincipalKind::User => users_index(tenant),
        PrincipalKind::ServicePrincipal => service_principals_index(tenant),
    }
}

/// How many partition keys each list is spread over. An item's shard is a digest of its sort
/// key, which changes with every write that moves it, so a tenant's writes spread evenly
/// whoever they are for: with 32 shards, 1,000 writes put about 31 on each key and rarely more
/// than 45, well under 1/16 of them. A read of a page queries each shard once, and again only
/// where it runs short (`sharded`).
pub const LIST_SHARDS: u8 = 32;

/// Which of a list's partition keys the item with this sort key goes to.
pub fn list_shard(sort_key: &str) -> u8 {
    let digest = riskfeedback::digest::hex_sha256(sort_key.as_bytes());
    u8::from_str_radix(&digest[..2], 16).unwrap_or(0) % LIST_SHARDS
}

/// One shard's partition key of the list `base`.
pub fn shard_key(base: &str, shard: u8) -> String {
    format!("{base}#{shard:02}")
}

/// A list sorted by time: RFC 3339 with fixed precision sorts as text in time order, and the
/// key after it makes each item's place unique. A principal never processed has no time and
/// sorts after every one that has.
pub fn time_sort_key(time: Option<DateTime<Utc>>, key: &str) -> String {
    let time = time
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
        .unwrap_or_default();
    format!("{time}#{}", key_id(key))
}

/// A list of principals of one kind, filtered by level, by state, by both, or not at all;
/// newest `riskLastUpdatedDateTime` first.
pub fn principal_list(
    tenant: &str,
    kind: PrincipalKind,
    level: Option<&str>,
    state: Option<&str>,
) -> ListName {
    let all = principals_index(tenant, kind);
    match (level, state) {
        (None, None) => ListName::sharded(GSI1, "gsi1pk", all),
        (Some(level), None) => ListName::sharded(GSI3, "gsi3pk", format!("{all}#L#{level}")),
        (None, Some(state)) => ListName::sharded(GSI4, "gsi4pk", format!("{all}#S#{state}")),
        (Some(level), Some(state)) => {
            ListName::sharded(GSI5, "gsi5pk", format!("{all}#LS#{level}#{state}"))
        }
    }
}

/// A principal's list attributes as it now is: the partition keys of the four lists it is on,
/// and the sort key they share.
pub fn principal_list_keys(tenant: &str, user: &User) -> Vec<(&'static str, String)> {
    let kind = principal_of(&user.id).0;
    let (level, state) = (user.risk_level.to_string(), user.risk_state.to_string());
    let sort_key = time_sort_key(user.risk_last_updated_date_time, &user.id);
    let shard = list_shard(&sort_key);
    let mut keys: Vec<(&'static str, String)> = [
        (None, None),
        (Some(level.as_str()), None),
        (None, Some(state.as_str())),
        (Some(level.as_str()), Some(state.as_str())),
    ]
    .into_iter()
    .map(|(level, state)| {
        let list = principal_list(tenant, kind, level, state);
        let name = list.names.concat();
        (list.pk_attribute, shard_key(&name, shard))
    })
    .collect();
    keys.push(("gsi1sk", sort_key));
    keys
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    #[serde(flatten)]
    pub user: User,
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub pending_work: Vec<PendingStep>,
}

/// A principal's item as processing leaves it, with no work queued: for loading many straight
/// into a table (the scale bench), with the keys the store itself gives them.
pub fn principal_item(
    tenant: &str,
    user: &User,
) -> Result<std::collections::HashMap<String, AttributeValue>, StoreError> {
    let keys = principal_list_keys(tenant, user);
    let text = |name: &str| {
        keys.iter()
            .find(|(attribute, _)| *attribute == name)
            .map(|(_, key)| key.clone())
            .unwrap_or_default()
    };
    let mut item = super::client::encode(&UserItem {
        pk: user_pk(tenant, &user.id),
        sk: USER_SK.to_string(),
        gsi1pk: text("gsi1pk"),
        gsi1sk: text("gsi1sk"),
        user: user.clone(),
        version: 1,
        pending_work: Vec::new(),
    })?;
    for (attribute, key) in keys {
        item.insert(attribute.to_string(), AttributeValue::S(key));
    }
    Ok(item)
}

/// A detection's item, for loading many straight into a table (the scale bench).
pub fn detection_item(
    tenant: &str,
    detection: &Detection,
) -> Result<std::collections::HashMap<String, AttributeValue>, StoreError> {
    super::client::encode(&DetectionItem::new(tenant, detection))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SignInItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// Absent on items written before these lists, until the backfill gives them.
    #[serde(default)]
    pub gsi3pk: String,
    #[serde(default)]
    pub gsi4pk: String,
    #[serde(flatten)]
    pub sign_in: SignIn,
}

impl SignInItem {
    pub fn new(tenant: &str, sign_in: &SignIn) -> Self {
        let list = sign_ins_index(tenant);
        let sort_key = time_sort_key(Some(sign_in.created_date_time), &sign_in.id);
        let shard = list_shard(&sort_key);
        SignInItem {
            pk: user_pk(tenant, &sign_in.user_id),
            sk: format!("{SIGN_IN_PREFIX}{}", key_id(&sign_in.id)),
            gsi1pk: shard_key(&list, shard),
            gsi3pk: shard_key(&owner_list(&list, &sign_in.user_id), 0),
            gsi4pk: shard_key(&format!("{list}#S#{}", sign_in.risk_state), shard),
            gsi1sk: sort_key,
            sign_in: sign_in.clone(),
        }
    }

    /// The list attributes `new` gives, to compare with an item as stored.
    pub fn list_keys(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("gsi1pk", &self.gsi1pk),
            ("gsi1sk", &self.gsi1sk),
            ("gsi3pk", &self.gsi3pk),
            ("gsi4pk", &self.gsi4pk),
        ]
    }
}

/// A list of sign-ins: of one user (on one key: a user's sign-ins are its own), by state, or
/// all; newest first.
pub fn sign_in_list(tenant: &str, user: Option<&str>, state: Option<&str>) -> ListName {
    let list = sign_ins_index(tenant);
    match (user, state) {
        (Some(user), _) => ListName::one(GSI3, "gsi3pk", owner_list(&list, user)),
        (None, Some(state)) => ListName::sharded(GSI4, "gsi4pk", format!("{list}#S#{state}")),
        (None, None) => ListName::sharded(GSI1, "gsi1pk", list),
    }
}

/// The list of one principal's items on the list `list`. Not spread: it takes only that
/// principal's writes, which its own partition key takes anyway.
fn owner_list(list: &str, principal: &str) -> String {
    format!("{list}#P#{}", key_id(principal))
}

/// Where a list lives: the index, its partition key attribute, the names before their shard of
/// the lists it merges (one but for a union), and over how many shards each is spread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListName {
    pub index: &'static str,
    pub pk_attribute: &'static str,
    pub names: Vec<String>,
    pub shards: u8,
}

impl ListName {
    pub fn sharded(index: &'static str, pk_attribute: &'static str, name: String) -> Self {
        Self::union(index, pk_attribute, vec![name])
    }

    /// Lists of the same index read as one.
    pub fn union(index: &'static str, pk_attribute: &'static str, names: Vec<String>) -> Self {
        ListName {
            index,
            pk_attribute,
            names,
            shards: LIST_SHARDS,
        }
    }

    pub fn one(index: &'static str, pk_attribute: &'static str, name: String) -> Self {
        ListName {
            index,
            pk_attribute,
            names: vec![name],
            shards: 1,
        }
    }

    /// Every partition key the list is read from.
    pub fn partitions(&self) -> Vec<String> {
        self.names
            .iter()
            .flat_map(|name| (0..self.shards).map(move |shard| shard_key(name, shard)))
            .collect()
    }

    /// What names the list in its cursors.
    pub fn id(&self) -> String {
        self.names.join("|")
    }
}

/// The list of detections of principals of this kind.
pub fn detections_of(tenant: &str, kind: PrincipalKind) -> String {
    match kind {
        PrincipalKind::User => detections_index(tenant),
        PrincipalKind::ServicePrincipal => service_principal_detections_index(tenant),
    }
}

/// A list of detections of principals of one kind: of one principal, by type and state, by
/// type, by state, or all; newest `detectedDateTime` first.
pub fn detection_list(
    tenant: &str,
    kind: PrincipalKind,
    principal: Option<&str>,
    risk_event_type: Option<&str>,
    state: Option<&str>,
) -> ListName {
    let list = detections_of(tenant, kind);
    match (principal, risk_event_type, state) {
        (Some(principal), _, _) => ListName::one(GSI3, "gsi3pk", owner_list(&list, principal)),
        (None, Some(kind), Some(state)) => ListName::sharded(
            GSI6,
            "gsi6pk",
            format!("{list}#TS#{}#{state}", key_id(kind)),
        ),
        (None, Some(kind), None) => {
            ListName::sharded(GSI5, "gsi5pk", format!("{list}#T#{}", key_id(kind)))
        }
        (None, None, Some(state)) => ListName::sharded(GSI4, "gsi4pk", format!("{list}#S#{state}")),
        (None, None, None) => ListName::sharded(GSI1, "gsi1pk", list),
    }
}

/// A detection's partition key on `gsi2`, which finds it by id (keys only).
pub fn detection_by_id(tenant: &str, kind: PrincipalKind, id: &str) -> String {
    format!("{}#ID#{}", detections_of(tenant, kind), key_id(id))
}

/// `gsi2sk` of a detection: `gsi2` has a sort key, and a detection's id key is its own.
pub const DETECTION_ID_SK: &str = "D";

#[derive(Debug, Serialize, Deserialize)]
pub struct DetectionItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// Absent on items written before these lists, until the backfill gives them.
    #[serde(default)]
    pub gsi2pk: String,
    #[serde(default)]
    pub gsi2sk: String,
    #[serde(default)]
    pub gsi3pk: String,
    #[serde(default)]
    pub gsi4pk: String,
    #[serde(default)]
    pub gsi5pk: String,
    #[serde(default)]
    pub gsi6pk: String,
    #[serde(flatten)]
    pub detection: Detection,
}

impl DetectionItem {
    pub fn new(tenant: &str, detection: &Detection) -> Self {
        let kind = principal_of(&detection.user_id).0;
        let list = detections_of(tenant, kind);
        let sort_key = time_sort_key(Some(detection.detected_date_time), &detection.id);
        let shard = list_shard(&sort_key);
        let (kind_key, state) = (key_id(&detection.risk_event_type), detection.risk_state);
        DetectionItem {
            pk: user_pk(tenant, &detection.user_id),
            sk: format!("{DETECTION_PREFIX}{}", key_id(&detection.id)),
            gsi1pk: shard_key(&list, shard),
            gsi2pk: detection_by_id(tenant, kind, &detection.id),
            gsi2sk: DETECTION_ID_SK.to_string(),
            gsi3pk: shard_key(&owner_list(&list, &detection.user_id), 0),
            gsi4pk: shard_key(&format!("{list}#S#{state}"), shard),
            gsi5pk: shard_key(&format!("{list}#T#{kind_key}"), shard),
            gsi6pk: shard_key(&format!("{list}#TS#{kind_key}#{state}"), shard),
            gsi1sk: sort_key,
            detection: detection.clone(),
        }
    }

    /// The list attributes `new` gives, to compare with an item as stored.
    pub fn list_keys(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("gsi1pk", &self.gsi1pk),
            ("gsi1sk", &self.gsi1sk),
            ("gsi2pk", &self.gsi2pk),
            ("gsi2sk", &self.gsi2sk),
            ("gsi3pk", &self.gsi3pk),
            ("gsi4pk", &self.gsi4pk),
            ("gsi5pk", &self.gsi5pk),
            ("gsi6pk", &self.gsi6pk),
        ]
    }
}

/// Which user an item keyed by its own id (a sign-in, a familiar context) belongs to.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerPointer {
    pub pk: String,
    pub sk: String,
    pub user_id: String,
}

/// A familiar context lives in its user's partition, so that loading the user loads what
/// feedback taught about it, and one step's transaction changes both.
#[derive(Debug, Serialize, Deserialize)]
pub struct ContextItem {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub context: FamiliarContext,
}

impl ContextItem {
    pub fn new(tenant: &str, context: &FamiliarContext) -> Self {
        ContextItem {
            pk: user_pk(tenant, &context.user_id),
            sk: context_sk(&context.id),
            context: context.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct HistoryItem {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub entry: HistoryEntry,
}

impl HistoryItem {
    pub fn new(tenant: &str, entry: &HistoryEntry) -> Self {
        HistoryItem {
            pk: history_pk(tenant, &entry.user_id),
            // RFC 3339 with fixed precision sorts as text in time order.
            sk: format!(
                "{}#{}",
                entry
                    .created_date_time
                    .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
                entry.id
            ),
            entry: entry.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FeedbackItem {
    pub pk: String,
    pub sk: String,
    #[serde(flatten)]
    pub record: FeedbackRecord,
}

/// One target's result, written by the step that produced it. An item of its own, not a field
/// of the feedback item: the steps of one feedback's users then write different items and run
/// concurrently without conflicting, and a step does not rewrite a record that grows with its
/// targets.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultItem {
    pub pk: String,
    pub sk: String,
    pub target_id: String,
    #[serde(flatten)]
    pub status: TargetStatus,
    pub updated_date_time: DateTime<Utc>,
}

impl ResultItem {
    pub fn new(tenant: &str, feedback_id: &str, result: &TargetResult, now: DateTime<Utc>) -> Self {
        ResultItem {
            pk: work_pk(tenant, feedback_id),
            sk: format!("{RESULT_PREFIX}{}", key_id(&result.id)),
            target_id: result.id.clone(),
            status: TargetStatus {
                result: result.result,
                reason: result.reason.clone(),
            },
            updated_date_time: now,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// Set only while the action is pending: the sparse index that finds every tenant's
    /// pending actions by age, for their expiry (`pending_shard`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi2pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi2sk: Option<String>,
    /// On the lists by tab, status, investigation and tab and entity type (`action_list`);
    /// absent on items written before them, until the backfill gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi3pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi4pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi5pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi6pk: Option<String>,
    /// The tab and the entity's type at the top level, where a filter expression can reach
    /// them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<riskfeedback::remediation::ActionView>,
    pub entity_type: EntityType,
    pub version: u64,
    #[serde(flatten)]
    pub action: RemediationAction,
}

impl ActionItem {
    pub fn new(tenant: &str, action: &RemediationAction, version: u64) -> Self {
        let pending = action.status == riskfeedback::remediation::ActionStatus::Pending;
        let posted = action
            .created_date_time
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let list = actions_index(tenant);
        let sort_key = time_sort_key(Some(action.created_date_time), &action.id);
        let shard = list_shard(&sort_key);
        let view = action.status.view();
        let entity = action.entity.r#type;
        ActionItem {
            pk: action_pk(tenant, &action.id),
            sk: ACTION_SK.to_string(),
            gsi1pk: shard_key(&list, shard),
            gsi1sk: sort_key,
            gsi2pk: pending.then(|| pending_shard(tenant, &action.id)),
            gsi2sk: pending.then(|| format!("{posted}#{tenant}#{}", key_id(&action.id))),
            gsi3pk: Some(shard_key(&format!("{list}#V#{view}"), shard)),
            gsi4pk: Some(shard_key(&format!("{list}#S#{}", action.status), shard)),
            gsi5pk: Some(shard_key(
                &format!("{list}#I#{}", key_id(&action.investigation_id)),
                0,
            )),
            gsi6pk: Some(shard_key(&format!("{list}#VE#{view}#{entity}"), shard)),
            view: Some(view),
            entity_type: entity,
            version,
            action: action.clone(),
        }
    }
}

impl ActionItem {
    /// The list attributes `new` gives, to compare with an item as stored.
    pub fn list_keys(&self) -> Vec<(&'static str, String)> {
        let mut keys = vec![
            ("gsi1pk", self.gsi1pk.clone()),
            ("gsi1sk", self.gsi1sk.clone()),
        ];
        for (attribute, key) in [
            ("gsi3pk", &self.gsi3pk),
            ("gsi4pk", &self.gsi4pk),
            ("gsi5pk", &self.gsi5pk),
            ("gsi6pk", &self.gsi6pk),
        ] {
            keys.extend(key.clone().map(|k| (attribute, k)));
        }
        keys.extend(self.view.map(|v| ("view", v.to_string())));
        keys
    }
}

/// A list of a tenant's remediation actions, newest first: of one investigation (on one key:
/// an investigation's actions are few), by status, by tab and entity type, by entity type (both
/// tabs' lists), by tab, or all. Answers the list, and the filters left to apply to its items:
/// an investigation's own, or a status among its tab's actions of one entity type.
pub fn action_list(
    tenant: &str,
    filter: &riskfeedback::store::ActionFilter,
) -> (ListName, Vec<(&'static str, String)>) {
    use riskfeedback::remediation::ActionView;
    let list = actions_index(tenant);
    let view = filter.view.or(filter.status.map(|s| s.view()));
    let status = filter.status.map(|s| ("status", s.to_string()));
    if let Some(investigation) = &filter.investigation_id {
        let filters = [
            status,
            view.map(|v| ("view", v.to_string())),
            filter.entity_type.map(|e| ("entityType", e.to_string())),
        ];
        let name = format!("{list}#I#{}", key_id(investigation));
        return (
            ListName::one(GSI5, "gsi5pk", name),
            filters.into_iter().flatten().collect(),
        );
    }
    let by_view_and_entity = |view: ActionView, entity| format!("{list}#VE#{view}#{entity}");
    match (view, filter.status, filter.entity_type) {
        (Some(view), Some(_), Some(entity)) => (
            ListName::sharded(GSI6, "gsi6pk", by_view_and_entity(view, entity)),
            status.into_iter().collect(),
        ),
        (_, Some(status), None) => (
            ListName::sharded(GSI4, "gsi4pk", format!("{list}#S#{status}")),
            Vec::new(),
        ),
        (Some(view), None, Some(entity)) => (
            ListName::sharded(GSI6, "gsi6pk", by_view_and_entity(view, entity)),
            Vec::new(),
        ),
        (None, _, Some(entity)) => (
            ListName::union(
                GSI6,
                "gsi6pk",
                [ActionView::Pending, ActionView::History]
                    .into_iter()
                    .map(|view| by_view_and_entity(view, entity))
                    .collect(),
            ),
            Vec::new(),
        ),
        (Some(view), None, None) => (
            ListName::sharded(GSI3, "gsi3pk", format!("{list}#V#{view}")),
            Vec::new(),
        ),
        (None, _, None) => (ListName::sharded(GSI1, "gsi1pk", list), Vec::new()),
    }
}

/// Pending actions of every tenant are spread over this many partitions of `gsi2`, so no one
/// key takes every tenant's writes.
pub const PENDING_SHARDS: u8 = 16;

/// The `gsi2` partition of a pending action.
pub fn pending_shard(tenant: &str, id: &str) -> String {
    let digest = riskfeedback::digest::hex_sha256(format!("{tenant}\n{id}").as_bytes());
    let shard = u8::from_str_radix(&digest[..2], 16).unwrap_or(0) % PENDING_SHARDS;
    format!("PENDING#{shard}")
}

/// The tenant and action id an action's `pk` holds.
pub fn action_of_pk(pk: &str) -> Option<(String, String)> {
    let (tenant, id) = pk.strip_prefix("T#")?.split_once("#RA#")?;
    Some((tenant.to_string(), id.to_string()))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct IndicatorItem {
    pub pk: String,
    pub sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    /// On the main item only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    #[serde(flatten)]
    pub indicator: Indicator,
}

impl IndicatorItem {
    /// The indicator itself, listed on the tenant's index.
    pub fn main(tenant: &str, indicator: &Indicator, request_hash: &str) -> Self {
        IndicatorItem {
            pk: indicator_pk(tenant, &indicator.id),
            sk: INDICATOR_SK.to_string(),
            gsi1pk: Some(indicators_index(tenant)),
            gsi1sk: Some(format!(
                "{}#{}",
                indicator
                    .created_date_time
                    .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
                indicator.id
            )),
            request_hash: Some(request_hash.to_string()),
            indicator: indicator.clone(),
        }
    }

    /// A copy under its value, so matching evidence is one query.
    pub fn by_value(tenant: &str, indicator: &Indicator) -> Self {
        IndicatorItem {
            pk: indicator_value_pk(tenant, indicator.indicator_type, &indicator.indicator_value),
            sk: indicator.id.clone(),
            gsi1pk: None,
            gsi1sk: None,
            request_hash: None,
            indicator: indicator.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityItem {
    pub pk: String,
    pub sk: String,
    pub risk_event_type: String,
    pub source: String,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionItem {
    pub pk: String,
    pub sk: String,
    pub request_hash: String,
    #[serde(flatten)]
    pub submission: Submission,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_that_fit_are_their_own_key() {
        assert_eq!(key_id("alice"), "alice");
        let fits = "€".repeat(MAX_KEY_ID_BYTES / 3);
        assert_eq!(key_id(&fits), fits.as_str());
    }

    #[test]
    fn the_longest_id_makes_a_sort_key_dynamodb_takes() {
        let longest = "\u{1F600}".repeat(riskfeedback::limits::MAX_ID_LEN);
        assert_eq!(longest.len(), 1024);
        let key = key_id(&longest);
        assert!(key.len() <= MAX_KEY_ID_BYTES, "{}", key.len());
        assert!(longest.starts_with(key.split('\u{1F}').next().unwrap_or_default()));
        let sort_key = format!("{}#{}", "2026-12-02T10:00:00.000000000Z", key);
        assert!(sort_key.len() <= 1024);
    }

    #[test]
    fn a_principal_is_on_four_lists_at_one_place() {
        let mut user = User::new("alice");
        user.risk_level = riskfeedback::model::RiskLevel::High;
        user.risk_state = riskfeedback::model::RiskState::AtRisk;
        user.risk_last_updated_date_time = "2026-12-01T10:00:00Z".parse().ok();
        let keys = principal_list_keys("t1", &user);
        let sort_key = "2026-12-01T10:00:00.000000000Z#alice".to_string();
        let shard = format!("{:02}", list_shard(&sort_key));
        assert_eq!(
            keys,
            vec![
                ("gsi1pk", format!("T#t1#USERS#{shard}")),
                ("gsi3pk", format!("T#t1#USERS#L#high#{shard}")),
                ("gsi4pk", format!("T#t1#USERS#S#atRisk#{shard}")),
                ("gsi5pk", format!("T#t1#USERS#LS#high#atRisk#{shard}")),
                ("gsi1sk", sort_key),
            ]
        );
        let service_principal = User::new(riskfeedback::principal::principal_key(
            PrincipalKind::ServicePrincipal,
            "app",
        ));
        let keys = principal_list_keys("t1", &service_principal);
        assert!(keys[0].1.starts_with("T#t1#SERVICEPRINCIPALS#"), "{keys:?}");
        assert!(keys[4].1.starts_with('#'), "never processed: {keys:?}");
    }

    #[test]
    fn a_thousand_writes_spread_under_a_sixteenth_on_each_shard() {
        let mut counts = [0u32; LIST_SHARDS as usize];
        for i in 0..1000 {
            let sort_key = time_sort_key("2026-12-01T10:00:00Z".parse().ok(), &format!("u{i}"));
            counts[usize::from(list_shard(&sort_key))] += 1;
        }
        let most = counts.iter().max().copied().unwrap_or_default();
        assert!(most * 16 <= 1000, "{counts:?}");
        assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
    }

    proptest! {
        #[test]
        fn different_ids_have_different_keys(
            a in "[a-z\u{E9}\u{20AC}\u{1F600}]{1,256}",
            b in "[a-z\u{E9}\u{20AC}\u{1F600}]{1,256}",
        ) {
            prop_assume!(a != b);
            prop_assert_ne!(key_id(&a), key_id(&b));
            prop_assert!(key_id(&a).len() <= MAX_KEY_ID_BYTES);
        }
    }
}
