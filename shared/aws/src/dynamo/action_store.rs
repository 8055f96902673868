//! `ActionStore` over the table. Remediation actions.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use riskfeedback::remediation::RemediationAction;
use riskfeedback::store::{ActionFilter, ActionStore, Page, PageRequest, StoreError, StoredAction};

use super::client::{classify, condition_held, encode};
use super::items::{
    action_list, action_of_pk, action_pk, ActionItem, ACTION_SK, GSI2, PENDING_SHARDS,
};
use super::sharded::ListRead;
use super::DynamoStore;

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
        let (list, filters) = action_list(tenant, filter);
        let read = ListRead { list, filters };
        let page: Page<ActionItem> = self.sharded_page(tenant, &read, page).await?;
        Ok(page.map(|i| i.action))
    }

    async fn pending_posted_before(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let cutoff = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let mut found = Vec::new();
        for shard in 0..PENDING_SHARDS {
            let mut start = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(GSI2)
                    .key_condition_expression("gsi2pk = :shard AND gsi2sk < :cutoff")
                    .expression_attribute_values(
                        ":shard",
                        AttributeValue::S(format!("PENDING#{shard}")),
                    )
                    .expression_attribute_values(":cutoff", AttributeValue::S(cutoff.clone()))
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(classify)?;
                for item in out.items.unwrap_or_default() {
                    let pk = item.get("pk").and_then(|v| v.as_s().ok());
                    found.extend(pk.and_then(|pk| action_of_pk(pk)));
                }
                start = out.last_evaluated_key.filter(|k| !k.is_empty());
                if start.is_none() {
                    break;
                }
            }
        }
        Ok(found)
    }
}
