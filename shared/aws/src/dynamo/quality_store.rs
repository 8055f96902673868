//! `QualityStore` over the table. The detection-quality counts.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::try_join_all;

use riskfeedback::quality::{Counts, Kind};
use riskfeedback::store::{QualityStore, StoreError};

use super::client::decode;
use super::items::{quality_shard_pk, QualityItem, QUALITY_SHARDS};
use super::DynamoStore;

#[async_trait]
impl QualityStore for DynamoStore {
    async fn quality_totals(
        &self,
        tenant: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<BTreeMap<Kind, Counts>, StoreError> {
        let reads = (0..QUALITY_SHARDS).map(|shard| {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(quality_shard_pk(tenant, shard)),
                )
                .expression_attribute_values(":from", AttributeValue::S(format!("{from}#")))
                // '~' sorts after every character of a counter's key.
                .expression_attribute_values(":to", AttributeValue::S(format!("{to}#~")));
            self.query_all(query)
        });
        let mut totals: BTreeMap<Kind, Counts> = BTreeMap::new();
        for item in try_join_all(reads).await?.into_iter().flatten() {
            let item: QualityItem = decode(item)?;
            let kind = Kind {
                risk_event_type: item.risk_event_type,
                source: item.source,
            };
            totals.entry(kind).or_default().add(&item.counts);
        }
        Ok(totals)
    }
}
