//! `QualityStore` over the table. The detection-quality counts.

use super::*;

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
