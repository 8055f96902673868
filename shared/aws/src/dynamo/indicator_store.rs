//! `IndicatorStore` over the table. Allow and block indicators.

use std::collections::HashSet;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use riskfeedback::indicators::{Indicator, IndicatorType};
use riskfeedback::store::{IndicatorStore, Page, PageRequest, StoreError, StoredIndicator};

use super::client::{classify, corrupt, decode, encode, put_write, TransactError};
use super::items::{
    indicator_pk, indicator_value_pk, indicators_index, IndicatorItem, GSI1, INDICATOR_SK,
};
use super::query::Query;
use super::DynamoStore;

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
            .map_err(corrupt)?;
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
                .map_err(corrupt)
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
            newest_first: true,
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
