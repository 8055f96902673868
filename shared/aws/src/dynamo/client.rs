//! The SDK calls every store makes, and what their answers mean: keys, encoding, single reads,
//! batch reads and transactions, and the classification of DynamoDB's errors into `StoreError`.

use std::collections::HashMap;
use std::fmt::Debug;
use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_attribute_value, to_item};

use riskfeedback::store::StoreError;

use super::{DynamoStore, Item, MAX_BATCH_GET_KEYS};

impl DynamoStore {
    pub(super) fn key(pk: String, sk: &str) -> Item {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(pk)),
            ("sk".to_string(), AttributeValue::S(sk.to_string())),
        ])
    }

    pub(super) fn put<T: Serialize>(&self, item: &T) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(encode(item)?))
            .build()
            .map_err(corrupt)
    }

    /// Consistent `BatchGetItem` over any number of keys, retrying what DynamoDB leaves
    /// unprocessed; each item with only the `projection`'s attributes, or whole without one.
    pub(super) async fn batch_get(
        &self,
        keys: Vec<Item>,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(MAX_BATCH_GET_KEYS) {
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .set_projection_expression(projection.map(str::to_string))
                    .build()
                    .map_err(corrupt)?,
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

    pub(super) async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
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
    pub(super) async fn get_decoded<T: DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, StoreError> {
        self.get(pk, sk).await?.map(decode).transpose()
    }

    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<(), TransactError> {
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
    pub(super) async fn transact_guarded(
        &self,
        writes: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
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

    /// Every item of one partition, read consistently, page by page.
    pub(super) async fn partition(&self, pk: String) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .consistent_read(true);
        self.query_all(query).await
    }

    /// Every item `query` finds, over all of its pages.
    pub(super) async fn query_all(
        &self,
        query: QueryFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = query
                .clone()
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

pub(super) enum TransactError {
    Cancelled(Vec<String>),
    Other(StoreError),
}

impl TransactError {
    pub(super) fn into_store_error(self) -> StoreError {
        match self {
            TransactError::Cancelled(reasons) if reasons.iter().any(|r| r == "ThrottlingError") => {
                StoreError::Throttled
            }
            TransactError::Cancelled(_) => StoreError::Conflict,
            TransactError::Other(e) => e,
        }
    }
}

/// A value that does not encode or decode, or a request the SDK's builder refuses: a fault of
/// this code or of the stored data, never of DynamoDB's availability.
pub(super) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(super) fn put_write(put: Put) -> TransactWriteItem {
    TransactWriteItem::builder().put(put).build()
}

pub(super) fn encode<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    to_item(value).map_err(corrupt)
}

pub(super) fn sort_key(item: &Item) -> String {
    item.get("sk")
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

pub(super) fn decode<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    from_item(item).map_err(corrupt)
}

pub(super) fn to_value<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    to_attribute_value(value).map_err(corrupt)
}

/// Throttling is worth a `429`; anything else from the SDK (timeouts, connection refused,
/// 5xx) means the database is unavailable for now.
pub(super) fn classify<E, R>(err: SdkError<E, R>) -> StoreError
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
pub(super) fn condition_held<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, StoreError>
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
