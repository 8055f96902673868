//! `DynamoStore`: the stores over one DynamoDB table (layout in `items.rs`).

mod cursor;
mod items;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, KeysAndAttributes, Put, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_attribute_value, to_item};

use items::*;

use riskfeedback::feedback::HistoryEntry;
use riskfeedback::indicators::{Indicator, IndicatorType};
use riskfeedback::model::{Detection, UserAggregate};
use riskfeedback::quality::{Counts, Kind};
use riskfeedback::remediation::RemediationAction;
use riskfeedback::store::{
    Accepted, ActionFilter, ActionStore, DetectionFilter, FeedbackRecord, FeedbackStore,
    IndicatorStore, IntakeState, LoadedUser, Page, PageRequest, QualityStore, ReadStore,
    SignInFilter, SignInRow, StepCommit, StoreError, StoredAction, StoredIndicator,
    StoredSubmission, SubmissionStore, UserFilter, UserRow, UserSteps,
};
use riskfeedback::submissions::Submission;

type Item = HashMap<String, AttributeValue>;

/// DynamoDB's limit on the items of one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;
/// DynamoDB's limit on the keys of one `BatchGetItem`.
const MAX_BATCH_GET_KEYS: usize = 100;

/// The users (indexes into a request's steps, in order) whose steps each intake transaction
/// queues: as many as fit beside the write of the record, so up to 99 users take one
/// transaction, as they always did, and 100 take two. A request reaching no user is one
/// transaction holding only its record.
fn intake_chunks(users: usize) -> Vec<std::ops::Range<usize>> {
    let per_chunk = MAX_TRANSACTION_ITEMS - 1;
    (0..users.max(1))
        .step_by(per_chunk)
        .map(|start| start..users.min(start + per_chunk))
        .collect()
}

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    fn key(pk: String, sk: &str) -> Item {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(pk)),
            ("sk".to_string(), AttributeValue::S(sk.to_string())),
        ])
    }

    fn put<T: Serialize>(&self, item: &T) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(item)?))
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Consistent `BatchGetItem` over any number of keys, retrying what DynamoDB leaves unprocessed.
    async fn batch_get(&self, keys: Vec<Item>, projection: &str) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(MAX_BATCH_GET_KEYS) {
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .projection_expression(projection)
                    .build()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
            let mut attempt = 0u32;
            while let Some(keys_and_attributes) = request.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys_and_attributes)
                    .send()
                    .await
                    .map_err(classify)?;
                if let Some(items) = out.responses.and_then(|mut r| r.remove(&self.table)) {
                    found.extend(items);
                }
                request = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys.is_empty());
                if request.is_some() {
                    attempt += 1;
                    if attempt > 8 {
                        return Err(StoreError::Throttled);
                    }
                    tokio::time::sleep(Duration::from_millis(20 << attempt.min(5))).await;
                }
            }
        }
        Ok(found)
    }

    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.item)
    }

    /// A consistent read of one item, decoded.
    async fn get_decoded<T: DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, StoreError> {
        self.get(pk, sk).await?.map(decode).transpose()
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TransactError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| {
                let reasons = match err.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(c)) => c
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().unwrap_or("None").to_string())
                        .collect(),
                    _ => Vec::new(),
                };
                if reasons.is_empty() {
                    TransactError::Other(classify(err))
                } else {
                    TransactError::Cancelled(reasons)
                }
            })
    }

    /// A transaction whose first write carries the condition that guards the whole (an item
    /// created only if it does not exist, a record moved on only from the state expected):
    /// `false`, with nothing written, when that condition fails.
    async fn transact_guarded(&self, writes: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        match self.transact(writes).await {
            Ok(()) => Ok(true),
            Err(TransactError::Cancelled(reasons))
                if reasons.first().map(String::as_str) == Some("ConditionalCheckFailed") =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into_store_error()),
        }
    }

    async fn query_page<T: DeserializeOwned>(
        &self,
        tenant: &str,
        query: Query<'_>,
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
        let start = page
            .cursor
            .as_deref()
            .map(|c| cursor::decode(tenant, c))
            .transpose()?;
        let (pk_name, sk_name) = if query.index.is_some() {
            ("gsi1pk", "gsi1sk")
        } else {
            ("pk", "sk")
        };
        if let Some(start) = &start {
            // A cursor of the caller's tenant can still belong to another list: DynamoDB would
            // refuse it as a server fault, so refuse it here as the caller's.
            let text = |name: &str| start.get(name).and_then(|v| v.as_s().ok());
            let key_count = if query.index.is_some() { 4 } else { 2 };
            let same_list = start.len() == key_count
                && text(pk_name) == Some(&query.pk)
                && text(sk_name)
                    .is_some_and(|sk| query.sk_prefix.is_none_or(|p| sk.starts_with(p)))
                && text("pk").is_some()
                && text("sk").is_some();
            if !same_list {
                return Err(StoreError::InvalidCursor);
            }
        }
        let mut names = HashMap::from([("#pk".to_string(), pk_name.to_string())]);
        let mut values = HashMap::from([(":pk".to_string(), AttributeValue::S(query.pk))]);
        let mut key_condition = "#pk = :pk".to_string();
        if let Some(prefix) = query.sk_prefix {
            names.insert("#sk".to_string(), sk_name.to_string());
            values.insert(":skp".to_string(), AttributeValue::S(prefix.to_string()));
            key_condition.push_str(" AND begins_with(#sk, :skp)");
        }
        let mut filters = Vec::new();
        for (i, (attribute, value)) in query.filters.into_iter().enumerate() {
            names.insert(format!("#f{i}"), attribute.to_string());
            values.insert(format!(":f{i}"), AttributeValue::S(value));
            filters.push(format!("#f{i} = :f{i}"));
        }
        if let Some((attribute, allowed)) = query.any_of {
            names.insert("#any".to_string(), attribute.to_string());
            let placeholders: Vec<String> =
                (0..allowed.len()).map(|i| format!(":any{i}")).collect();
            for (placeholder, value) in placeholders.iter().zip(allowed) {
                values.insert(placeholder.clone(), AttributeValue::S(value));
            }
            filters.push(format!("#any IN ({})", placeholders.join(", ")));
        }
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.map(str::to_string))
            .key_condition_expression(key_condition)
            .set_filter_expression((!filters.is_empty()).then(|| filters.join(" AND ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .set_exclusive_start_key(start)
            .scan_index_forward(!query.newest_first)
            .consistent_read(query.index.is_none())
            .limit(page.limit.clamp(1, 500) as i32)
            .send()
            .await
            .map_err(classify)?;
        let value = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(decode)
            .collect::<Result<Vec<T>, _>>()?;
        Ok(Page {
            value,
            next_cursor: out
                .last_evaluated_key
                .filter(|k| !k.is_empty())
                .map(|k| cursor::encode(tenant, &k)),
        })
    }

    /// Which of these users have queued work, for `isProcessing` on sign-ins.
    async fn users_with_pending_work(
        &self,
        tenant: &str,
        user_ids: impl IntoIterator<Item = &str>,
    ) -> Result<HashSet<String>, StoreError> {
        let unique: HashSet<&str> = user_ids.into_iter().collect();
        let keys = unique
            .into_iter()
            .map(|u| Self::key(user_pk(tenant, u), USER_SK))
            .collect();
        let items = self.batch_get(keys, "id, pendingWork").await?;
        Ok(items
            .into_iter()
            .filter(|item| matches!(item.get("pendingWork"), Some(AttributeValue::L(l)) if !l.is_empty()))
            .filter_map(|item| item.get("id").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }

    fn user_row(item: UserItem) -> UserRow {
        UserRow {
            is_processing: !item.pending_work.is_empty(),
            user: item.user,
        }
    }

    fn step_writes(&self, commit: &StepCommit<'_>) -> Result<Vec<TransactWriteItem>, StoreError> {
        let tenant = commit.tenant_id;
        let changes = commit.before.changes(commit.after);
        let mut writes = Vec::new();
        for sign_in in changes.sign_ins {
            writes.push(put_write(self.put(&SignInItem::new(tenant, sign_in))?));
            if !commit.before.sign_ins.contains_key(&sign_in.id) {
                writes.push(put_write(self.put(&SignInPointer {
                    pk: pointer_pk(tenant, &sign_in.id),
                    sk: POINTER_SK.to_string(),
                    user_id: sign_in.user_id.clone(),
                })?));
            }
        }
        for detection in changes.detections {
            writes.push(put_write(self.put(&DetectionItem::new(tenant, detection))?));
        }
        Ok(writes)
    }

    fn version_check(
        &self,
        tenant: &str,
        user_id: &str,
        version: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_pk(tenant, user_id), USER_SK)))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// The user's new state, the version bump, and the removal of the applied step from its queue.
    fn user_update(&self, commit: &StepCommit<'_>) -> Result<TransactWriteItem, StoreError> {
        let user = &commit.after.user;
        let mut set = vec![
            "riskLevel = :level",
            "riskState = :state",
            "riskDetail = :detail",
            "version = :next",
        ];
        let mut values = HashMap::from([
            (":level".to_string(), to_value(&user.risk_level)?),
            (":state".to_string(), to_value(&user.risk_state)?),
            (":detail".to_string(), to_value(&user.risk_detail)?),
            (
                ":next".to_string(),
                AttributeValue::N((commit.version + 1).to_string()),
            ),
            (
                ":v".to_string(),
                AttributeValue::N(commit.version.to_string()),
            ),
        ]);
        if let Some(updated) = user.risk_last_updated_date_time {
            set.push("riskLastUpdatedDateTime = :updated");
            values.insert(":updated".to_string(), to_value(&updated)?);
        }
        if let Some(upn) = &user.user_principal_name {
            set.push("userPrincipalName = :upn");
            values.insert(":upn".to_string(), AttributeValue::S(upn.clone()));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                user_pk(commit.tenant_id, &user.id),
                USER_SK,
            )))
            .update_expression(format!("SET {} REMOVE pendingWork[0]", set.join(", ")))
            .condition_expression("version = :v")
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// `ADD`s counts to one detection-quality counter, creating it on first use.
    pub(super) fn quality_update(
        &self,
        tenant: &str,
        day: chrono::NaiveDate,
        kind: &Kind,
        counts: &Counts,
        shard_key: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let fields = [
            ("detections", counts.detections),
            ("confirmedCompromised", counts.confirmed_compromised),
            ("confirmedSafe", counts.confirmed_safe),
            ("dismissed", counts.dismissed),
            ("falsePositives", counts.false_positives),
            ("falseNegatives", counts.false_negatives),
        ];
        let mut values = HashMap::from([
            (
                ":type".to_string(),
                AttributeValue::S(kind.risk_event_type.clone()),
            ),
            (
                ":source".to_string(),
                AttributeValue::S(kind.source.clone()),
            ),
        ]);
        let mut add = Vec::new();
        for (name, value) in fields.into_iter().filter(|(_, v)| *v > 0) {
            values.insert(format!(":{name}"), AttributeValue::N(value.to_string()));
            add.push(format!("{name} :{name}"));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                quality_pk(tenant),
                &quality_sk(day, kind, shard_key),
            )))
            .update_expression(format!(
                "SET riskEventType = :type, #source = :source ADD {}",
                add.join(", ")
            ))
            .expression_attribute_names("#source", "source")
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Each target result of a step, as its own item (see `ResultItem`).
    fn result_puts(&self, commit: &StepCommit<'_>) -> Result<Vec<TransactWriteItem>, StoreError> {
        commit
            .results
            .iter()
            .map(|result| {
                let item =
                    ResultItem::new(commit.tenant_id, commit.feedback_id, result, commit.now);
                Ok(put_write(self.put(&item)?))
            })
            .collect()
    }

    /// Stores a request's intake transactions from the `first` (0-based) on; see
    /// [`intake_chunks`]. Each is guarded by its write of the record: the first creates it,
    /// each next one moves its count of committed transactions on from the one before, and the
    /// last makes it accepted. So each commits at most once, whoever retries it.
    async fn store_chunks(
        &self,
        tenant: &str,
        record: &FeedbackRecord,
        steps: &[UserSteps],
        create_users: bool,
        first: usize,
    ) -> Result<Accepted, StoreError> {
        let chunks = intake_chunks(steps.len());
        let last = chunks.len() - 1;
        for (k, users) in chunks.into_iter().enumerate().skip(first) {
            let mut writes = vec![self.record_write(tenant, record, k, last)?];
            for user in &steps[users] {
                writes.push(self.step_append(tenant, user, create_users)?);
            }
            if !self.transact_guarded(writes).await? {
                return match self.work(tenant, &record.id).await? {
                    Some(existing) => Ok(Accepted::Existing(Box::new(existing))),
                    None => Err(StoreError::Conflict),
                };
            }
        }
        Ok(Accepted::New)
    }

    /// The record's write in intake transaction `k` of `0..=last`.
    fn record_write(
        &self,
        tenant: &str,
        record: &FeedbackRecord,
        k: usize,
        last: usize,
    ) -> Result<TransactWriteItem, StoreError> {
        if k == 0 {
            let mut record = record.clone();
            if last > 0 {
                record.intake_state = IntakeState::Accepting;
                record.chunks_committed = Some(1);
            }
            let work = FeedbackItem {
                pk: work_pk(tenant, &record.id),
                sk: WORK_SK.to_string(),
                record,
            };
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(encode(&work)?))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            return Ok(put_write(put));
        }
        let mut values = HashMap::from([
            (":accepting".to_string(), to_value(&IntakeState::Accepting)?),
            (":done".to_string(), AttributeValue::N(k.to_string())),
        ]);
        let expression = if k == last {
            // Accepted: the record is now as one transaction would have stored it.
            "REMOVE intakeState, chunksCommitted"
        } else {
            values.insert(":next".to_string(), AttributeValue::N((k + 1).to_string()));
            "SET chunksCommitted = :next"
        };
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(work_pk(tenant, &record.id), WORK_SK)))
            .update_expression(expression)
            .condition_expression("intakeState = :accepting AND chunksCommitted = :done")
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Appends a user's steps to its queue (creating the user for ingestion).
    fn step_append(
        &self,
        tenant: &str,
        user: &UserSteps,
        create_users: bool,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut values = HashMap::from([
            (":steps".to_string(), to_value(&user.steps)?),
            (":empty".to_string(), AttributeValue::L(Vec::new())),
        ]);
        let (expression, condition) = if create_users {
            values.insert(":uid".to_string(), AttributeValue::S(user.user_id.clone()));
            values.insert(
                ":uk".to_string(),
                AttributeValue::S(key_id(&user.user_id).into_owned()),
            );
            values.insert(":g".to_string(), AttributeValue::S(users_index(tenant)));
            values.insert(":none".to_string(), AttributeValue::S("none".to_string()));
            values.insert(":zero".to_string(), AttributeValue::N("0".to_string()));
            let mut set = "SET pendingWork = list_append(if_not_exists(pendingWork, :empty), :steps), \
                 id = :uid, gsi1pk = :g, gsi1sk = :uk, \
                 riskLevel = if_not_exists(riskLevel, :none), riskState = if_not_exists(riskState, :none), \
                 riskDetail = if_not_exists(riskDetail, :none), version = if_not_exists(version, :zero)"
                .to_string();
            if let Some(upn) = &user.user_principal_name {
                values.insert(":upn".to_string(), AttributeValue::S(upn.clone()));
                set.push_str(", userPrincipalName = if_not_exists(userPrincipalName, :upn)");
            }
            (set, None)
        } else {
            (
                "SET pendingWork = list_append(if_not_exists(pendingWork, :empty), :steps)"
                    .to_string(),
                Some("attribute_exists(pk)"),
            )
        };
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_pk(tenant, &user.user_id), USER_SK)))
            .update_expression(expression)
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Every item of one partition, read consistently, page by page.
    async fn partition(&self, pk: String) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(classify)?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(items);
            }
        }
    }
}

enum TransactError {
    Cancelled(Vec<String>),
    Other(StoreError),
}

impl TransactError {
    fn into_store_error(self) -> StoreError {
        match self {
            TransactError::Cancelled(reasons) if reasons.iter().any(|r| r == "ThrottlingError") => {
                StoreError::Throttled
            }
            TransactError::Cancelled(_) => StoreError::Conflict,
            TransactError::Other(e) => e,
        }
    }
}

struct Query<'a> {
    index: Option<&'a str>,
    pk: String,
    sk_prefix: Option<&'a str>,
    filters: Vec<(&'a str, String)>,
    /// One attribute that must take one of these values.
    any_of: Option<(&'a str, Vec<String>)>,
    newest_first: bool,
}

fn put_write(put: Put) -> TransactWriteItem {
    TransactWriteItem::builder().put(put).build()
}

fn encode<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    to_item(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn sort_key(item: &Item) -> String {
    item.get("sk")
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

fn decode<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn to_value<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    to_attribute_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Throttling is worth a `429`; anything else from the SDK (timeouts, connection refused,
/// 5xx) means the database is unavailable for now.
fn classify<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    match err.code() {
        Some(
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded",
        ) => StoreError::Throttled,
        _ => {
            StoreError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string())
        }
    }
}

/// The answer of a single conditional write: `true` when it was made, `false` when its
/// condition did not hold (nothing written), any other failure classified.
fn condition_held<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
        Err(e) => Err(classify(e)),
    }
}

/// An enum filter: its name as stored, which `strum` spells as serde does (`model` tests).
fn string_filter<T: std::fmt::Display>(
    attribute: &'static str,
    value: &Option<T>,
) -> Option<(&'static str, String)> {
    value.as_ref().map(|v| (attribute, v.to_string()))
}

#[async_trait]
impl FeedbackStore for DynamoStore {
    async fn existing_users(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        let keys = ids
            .iter()
            .map(|u| Self::key(user_pk(tenant, u), USER_SK))
            .collect();
        let items = self.batch_get(keys, "id").await?;
        Ok(items
            .into_iter()
            .filter_map(|item| item.get("id").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }

    async fn sign_in_owners(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let keys = ids
            .iter()
            .map(|s| Self::key(pointer_pk(tenant, s), POINTER_SK))
            .collect();
        let items = self.batch_get(keys, "pk, sk, userId").await?;
        let prefix = pointer_pk(tenant, "");
        items
            .into_iter()
            .map(|item| {
                let pointer: SignInPointer = decode(item)?;
                let sign_in = pointer
                    .pk
                    .strip_prefix(&prefix)
                    .unwrap_or_default()
                    .to_string();
                Ok((sign_in, pointer.user_id))
            })
            .collect()
    }

    async fn accept(
        &self,
        tenant: &str,
        record: &FeedbackRecord,
        steps: &[UserSteps],
        create_users: bool,
    ) -> Result<Accepted, StoreError> {
        let first = match (record.intake_state, record.chunks_committed) {
            (IntakeState::Accepting, Some(committed)) => committed as usize,
            (IntakeState::Accepting, None) => {
                return Err(StoreError::Corrupt(format!(
                    "feedback {} is accepting but counts no committed transactions",
                    record.id
                )))
            }
            _ => 0,
        };
        self.store_chunks(tenant, record, steps, create_users, first)
            .await
    }

    async fn abandon_intake(
        &self,
        tenant: &str,
        feedback_id: &str,
        reason: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(work_pk(tenant, feedback_id), WORK_SK)))
            .update_expression(
                "SET intakeState = :abandoned, failureReason = :r, failedDateTime = :t",
            )
            .condition_expression("intakeState = :accepting")
            .expression_attribute_values(":abandoned", to_value(&IntakeState::Abandoned)?)
            .expression_attribute_values(":accepting", to_value(&IntakeState::Accepting)?)
            .expression_attribute_values(":r", AttributeValue::S(reason.to_string()))
            .expression_attribute_values(":t", to_value(&now)?)
            .send()
            .await;
        condition_held(result)
    }

    async fn work(&self, tenant: &str, id: &str) -> Result<Option<FeedbackRecord>, StoreError> {
        let mut record = None;
        let mut results = Vec::new();
        for item in self.partition(work_pk(tenant, id)).await? {
            let sk = sort_key(&item);
            if sk == WORK_SK {
                record = Some(decode::<FeedbackItem>(item)?.record);
            } else if sk.starts_with(RESULT_PREFIX) {
                results.push(decode::<ResultItem>(item)?);
            }
        }
        Ok(record.map(|mut record| {
            for result in results {
                record.record_result(result.target_id, result.status, result.updated_date_time);
            }
            record
        }))
    }

    async fn load_user(
        &self,
        tenant: &str,
        user_id: &str,
    ) -> Result<Option<LoadedUser>, StoreError> {
        let mut user = None;
        let mut sign_ins = Vec::new();
        let mut detections = Vec::new();
        for item in self.partition(user_pk(tenant, user_id)).await? {
            let sk = sort_key(&item);
            if sk == USER_SK {
                user = Some(decode::<UserItem>(item)?);
            } else if sk.starts_with(SIGN_IN_PREFIX) {
                sign_ins.push(decode::<SignInItem>(item)?.sign_in);
            } else if sk.starts_with(DETECTION_PREFIX) {
                detections.push(decode::<DetectionItem>(item)?.detection);
            }
        }
        Ok(user.map(|item| {
            let mut aggregate = UserAggregate::new(item.user);
            aggregate.sign_ins = sign_ins.into_iter().map(|s| (s.id.clone(), s)).collect();
            aggregate.detections = detections.into_iter().map(|d| (d.id.clone(), d)).collect();
            LoadedUser {
                aggregate,
                version: item.version,
                pending: item.pending_work,
            }
        }))
    }

    async fn commit_step(&self, commit: &StepCommit<'_>) -> Result<(), StoreError> {
        let user_id = &commit.after.user.id;
        let mut writes = self.step_writes(commit)?;
        let mut final_items = vec![
            self.user_update(commit)?,
            put_write(self.put(&HistoryItem::new(commit.tenant_id, commit.history))?),
        ];
        final_items.extend(self.result_puts(commit)?);
        for (kind, counts) in commit.quality {
            let day = commit.now.date_naive();
            final_items.push(self.quality_update(commit.tenant_id, day, kind, counts, user_id)?);
        }
        // A step that changes more items than one transaction holds is written in chunks, each
        // guarded by the version check; the user item moves last, so a crash in between leaves
        // the step queued and its (idempotent) effects are re-derived on redelivery.
        let room = MAX_TRANSACTION_ITEMS - final_items.len();
        while writes.len() > room {
            let take = writes.len().min(MAX_TRANSACTION_ITEMS - 1);
            let chunk: Vec<_> = writes.drain(..take).collect();
            let mut items = vec![self.version_check(commit.tenant_id, user_id, commit.version)?];
            items.extend(chunk);
            self.transact(items)
                .await
                .map_err(TransactError::into_store_error)?;
        }
        writes.extend(final_items);
        self.transact(writes)
            .await
            .map_err(TransactError::into_store_error)
    }

    async fn discard_step(
        &self,
        tenant: &str,
        user_id: &str,
        version: u64,
    ) -> Result<(), StoreError> {
        // As in a step's commit, the version check makes `pendingWork[0]` the step that was
        // loaded: intake only appends, and every removal moves the version.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_pk(tenant, user_id), USER_SK)))
            .update_expression("SET version = :next REMOVE pendingWork[0]")
            .condition_expression("version = :v")
            .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            .expression_attribute_values(":next", AttributeValue::N((version + 1).to_string()))
            .send()
            .await;
        if condition_held(result)? {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn mark_failed(
        &self,
        tenant: &str,
        feedback_id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(work_pk(tenant, feedback_id), WORK_SK)))
            .update_expression("SET failureReason = :r, failedDateTime = :t")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":r", AttributeValue::S(reason.to_string()))
            .expression_attribute_values(":t", to_value(&chrono::Utc::now())?)
            .send()
            .await;
        condition_held(result).map(|_| ())
    }

    async fn mark_event_published(
        &self,
        tenant: &str,
        feedback_id: &str,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(work_pk(tenant, feedback_id), WORK_SK)))
            .update_expression("SET eventPublished = :t")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}

#[async_trait]
impl ReadStore for DynamoStore {
    async fn user(&self, tenant: &str, id: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(self
            .get_decoded::<UserItem>(user_pk(tenant, id), USER_SK)
            .await?
            .map(Self::user_row))
    }

    async fn users(
        &self,
        tenant: &str,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<UserRow>, StoreError> {
        let query = Query {
            index: Some(GSI1),
            pk: users_index(tenant),
            sk_prefix: None,
            filters: [
                string_filter("riskLevel", &filter.risk_level),
                string_filter("riskState", &filter.risk_state),
            ]
            .into_iter()
            .flatten()
            .collect(),
            newest_first: false,
            any_of: None,
        };
        let page: Page<UserItem> = self.query_page(tenant, query, page).await?;
        Ok(page.map(Self::user_row))
    }

    async fn user_history(
        &self,
        tenant: &str,
        id: &str,
        page: &PageRequest,
    ) -> Result<Page<HistoryEntry>, StoreError> {
        let query = Query {
            index: None,
            pk: history_pk(tenant, id),
            sk_prefix: None,
            filters: Vec::new(),
            newest_first: true,
            any_of: None,
        };
        let page: Page<HistoryItem> = self.query_page(tenant, query, page).await?;
        Ok(page.map(|h| h.entry))
    }

    async fn sign_in(&self, tenant: &str, id: &str) -> Result<Option<SignInRow>, StoreError> {
        let Some(user_id) = self
            .sign_in_owners(tenant, &[id.to_string()])
            .await?
            .remove(id)
        else {
            return Ok(None);
        };
        let Some(item) = self
            .get(
                user_pk(tenant, &user_id),
                &format!("{SIGN_IN_PREFIX}{}", key_id(id)),
            )
            .await?
        else {
            return Ok(None);
        };
        let sign_in = decode::<SignInItem>(item)?.sign_in;
        let processing = self
            .users_with_pending_work(tenant, [user_id.as_str()])
            .await?;
        Ok(Some(SignInRow {
            is_processing: processing.contains(&user_id),
            sign_in,
        }))
    }

    async fn sign_ins(
        &self,
        tenant: &str,
        filter: &SignInFilter,
        page: &PageRequest,
    ) -> Result<Page<SignInRow>, StoreError> {
        let filters = string_filter("riskState", &filter.risk_state)
            .into_iter()
            .collect();
        let query = match &filter.user_id {
            Some(user) => Query {
                index: None,
                pk: user_pk(tenant, user),
                sk_prefix: Some(SIGN_IN_PREFIX),
                filters,
                newest_first: false,
                any_of: None,
            },
            None => Query {
                index: Some(GSI1),
                pk: sign_ins_index(tenant),
                sk_prefix: None,
                filters,
                newest_first: false,
                any_of: None,
            },
        };
        let page: Page<SignInItem> = self.query_page(tenant, query, page).await?;
        let processing = self
            .users_with_pending_work(
                tenant,
                page.value.iter().map(|s| s.sign_in.user_id.as_str()),
            )
            .await?;
        Ok(page.map(|s| SignInRow {
            is_processing: processing.contains(&s.sign_in.user_id),
            sign_in: s.sign_in,
        }))
    }

    async fn detections(
        &self,
        tenant: &str,
        filter: &DetectionFilter,
        page: &PageRequest,
    ) -> Result<Page<Detection>, StoreError> {
        let filters = [
            filter.sign_in_id.clone().map(|v| ("signInId", v)),
            filter.risk_event_type.clone().map(|v| ("riskEventType", v)),
            string_filter("riskState", &filter.risk_state),
        ]
        .into_iter()
        .flatten()
        .collect();
        let query = match &filter.user_id {
            Some(user) => Query {
                index: None,
                pk: user_pk(tenant, user),
                sk_prefix: Some(DETECTION_PREFIX),
                filters,
                newest_first: false,
                any_of: None,
            },
            None => Query {
                index: Some(GSI1),
                pk: detections_index(tenant),
                sk_prefix: None,
                filters,
                newest_first: false,
                any_of: None,
            },
        };
        let page: Page<DetectionItem> = self.query_page(tenant, query, page).await?;
        Ok(page.map(|d| d.detection))
    }
}

#[async_trait]
impl ActionStore for DynamoStore {
    async fn action(&self, tenant: &str, id: &str) -> Result<Option<StoredAction>, StoreError> {
        Ok(self
            .get_decoded::<ActionItem>(action_pk(tenant, id), ACTION_SK)
            .await?
            .map(|i| StoredAction {
                action: i.action,
                version: i.version,
            }))
    }

    async fn save_action(
        &self,
        tenant: &str,
        action: &RemediationAction,
        expected_version: Option<u64>,
    ) -> Result<(), StoreError> {
        let next = expected_version.map_or(0, |v| v + 1);
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode(&ActionItem::new(tenant, action, next))?));
        put = match expected_version {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(v) => put
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        if condition_held(put.send().await)? {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn actions(
        &self,
        tenant: &str,
        filter: &ActionFilter,
        page: &PageRequest,
    ) -> Result<Page<RemediationAction>, StoreError> {
        let statuses: Vec<String> = filter
            .statuses
            .iter()
            .filter_map(|s| string_filter("status", &Some(*s)).map(|(_, v)| v))
            .collect();
        let query = Query {
            index: Some(GSI1),
            pk: actions_index(tenant),
            sk_prefix: None,
            filters: [
                filter
                    .investigation_id
                    .clone()
                    .map(|v| ("investigationId", v)),
                string_filter("entityType", &filter.entity_type),
            ]
            .into_iter()
            .flatten()
            .collect(),
            newest_first: true,
            any_of: (!statuses.is_empty()).then_some(("status", statuses)),
        };
        let page: Page<ActionItem> = self.query_page(tenant, query, page).await?;
        Ok(page.map(|i| i.action))
    }
}

#[async_trait]
impl IndicatorStore for DynamoStore {
    async fn create_indicator(
        &self,
        tenant: &str,
        indicator: &Indicator,
        request_hash: &str,
    ) -> Result<bool, StoreError> {
        let main = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(&IndicatorItem::main(
                tenant,
                indicator,
                request_hash,
            ))?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let lookup = self.put(&IndicatorItem::by_value(tenant, indicator))?;
        self.transact_guarded(vec![put_write(main), put_write(lookup)])
            .await
    }

    async fn indicator(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<StoredIndicator>, StoreError> {
        Ok(self
            .get_decoded::<IndicatorItem>(indicator_pk(tenant, id), INDICATOR_SK)
            .await?
            .map(|i| StoredIndicator {
                indicator: i.indicator,
                request_hash: i.request_hash.unwrap_or_default(),
            }))
    }

    async fn delete_indicator(
        &self,
        tenant: &str,
        indicator: &Indicator,
    ) -> Result<(), StoreError> {
        let delete = |pk: String, sk: &str| {
            aws_sdk_dynamodb::types::Delete::builder()
                .table_name(&self.table)
                .set_key(Some(Self::key(pk, sk)))
                .build()
                .map(|d| TransactWriteItem::builder().delete(d).build())
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        let value_pk =
            indicator_value_pk(tenant, indicator.indicator_type, &indicator.indicator_value);
        let writes = vec![
            delete(indicator_pk(tenant, &indicator.id), INDICATOR_SK)?,
            delete(value_pk, &indicator.id)?,
        ];
        self.transact(writes)
            .await
            .map_err(TransactError::into_store_error)
    }

    async fn indicators(
        &self,
        tenant: &str,
        page: &PageRequest,
    ) -> Result<Page<Indicator>, StoreError> {
        let query = Query {
            index: Some(GSI1),
            pk: indicators_index(tenant),
            sk_prefix: None,
            filters: Vec::new(),
            newest_first: true,
            any_of: None,
        };
        let page: Page<IndicatorItem> = self.query_page(tenant, query, page).await?;
        Ok(page.map(|i| i.indicator))
    }

    async fn matching_indicators(
        &self,
        tenant: &str,
        keys: &[(IndicatorType, String)],
    ) -> Result<Vec<Indicator>, StoreError> {
        let mut found = Vec::new();
        let unique: HashSet<&(IndicatorType, String)> = keys.iter().collect();
        for (kind, value) in unique {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(indicator_value_pk(tenant, *kind, value)),
                )
                .consistent_read(true)
                .send()
                .await
                .map_err(classify)?;
            for item in out.items.unwrap_or_default() {
                found.push(decode::<IndicatorItem>(item)?.indicator);
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl QualityStore for DynamoStore {
    async fn quality_totals(
        &self,
        tenant: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<BTreeMap<Kind, Counts>, StoreError> {
        let mut totals: BTreeMap<Kind, Counts> = BTreeMap::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", AttributeValue::S(quality_pk(tenant)))
                .expression_attribute_values(":from", AttributeValue::S(format!("{from}#")))
                // '~' sorts after every character of a counter's key.
                .expression_attribute_values(":to", AttributeValue::S(format!("{to}#~")))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(classify)?;
            for item in out.items.unwrap_or_default() {
                let item: QualityItem = decode(item)?;
                let kind = Kind {
                    risk_event_type: item.risk_event_type,
                    source: item.source,
                };
                totals.entry(kind).or_default().add(&item.counts);
            }
            start = out.last_evaluated_key.filter(|k| !k.is_empty());
            if start.is_none() {
                return Ok(totals);
            }
        }
    }
}

#[async_trait]
impl SubmissionStore for DynamoStore {
    async fn create_submission(
        &self,
        tenant: &str,
        submission: &Submission,
        request_hash: &str,
        counts: &BTreeMap<Kind, Counts>,
    ) -> Result<bool, StoreError> {
        let item = SubmissionItem {
            pk: submission_pk(tenant, &submission.id),
            sk: SUBMISSION_SK.to_string(),
            request_hash: request_hash.to_string(),
            submission: submission.clone(),
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(&item)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut writes = vec![put_write(put)];
        let day = submission.submitted_date_time.date_naive();
        for (kind, counts) in counts {
            writes.push(self.quality_update(tenant, day, kind, counts, &submission.id)?);
        }
        self.transact_guarded(writes).await
    }

    async fn submission(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<StoredSubmission>, StoreError> {
        Ok(self
            .get_decoded::<SubmissionItem>(submission_pk(tenant, id), SUBMISSION_SK)
            .await?
            .map(|i| StoredSubmission {
                submission: i.submission,
                request_hash: i.request_hash,
            }))
    }

    async fn detection_kind(
        &self,
        tenant: &str,
        detection_id: &str,
    ) -> Result<Option<Kind>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("gsi1pk = :pk AND gsi1sk = :id")
            .expression_attribute_values(":pk", AttributeValue::S(detections_index(tenant)))
            .expression_attribute_values(
                ":id",
                AttributeValue::S(key_id(detection_id).into_owned()),
            )
            .send()
            .await
            .map_err(classify)?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(|item| {
                decode::<DetectionItem>(item).map(|d| Kind {
                    risk_event_type: d.detection.risk_event_type,
                    source: d.detection.source,
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn up_to_99_users_take_one_transaction_and_100_take_two() {
        assert_eq!(intake_chunks(0), vec![0..0]);
        assert_eq!(intake_chunks(1), vec![0..1]);
        assert_eq!(intake_chunks(99), vec![0..99]);
        assert_eq!(intake_chunks(100), vec![0..99, 99..100]);
    }

    proptest! {
        /// Every user is queued exactly once, in order, and no transaction holds more than
        /// DynamoDB allows beside the record's write.
        #[test]
        fn chunks_cover_every_user_once_in_order_within_the_limit(users in 0usize..1000) {
            let chunks = intake_chunks(users);
            let covered: Vec<usize> = chunks.iter().cloned().flatten().collect();
            prop_assert_eq!(covered, (0..users).collect::<Vec<_>>());
            // The record's write and one per user.
            prop_assert!(chunks.iter().all(|c| c.len() < MAX_TRANSACTION_ITEMS));
            prop_assert_eq!(chunks.len(), users.div_ceil(MAX_TRANSACTION_ITEMS - 1).max(1));
            prop_assert!(chunks.iter().skip(1).all(|c| !c.is_empty()));
        }
    }
}
