//! Queries of one partition or index, a page at a time, with opaque cursors.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

use riskfeedback::store::{Page, PageRequest, StoreError};

use super::client::{classify, decode};
use super::{cursor, DynamoStore};

pub(super) struct Query<'a> {
    pub(super) index: Option<&'a str>,
    pub(super) pk: String,
    pub(super) sk_prefix: Option<&'a str>,
    pub(super) newest_first: bool,
}

impl DynamoStore {
    pub(super) async fn query_page<T: DeserializeOwned>(
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
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.map(str::to_string))
            .key_condition_expression(key_condition)
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
}
