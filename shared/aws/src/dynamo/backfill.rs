//! The one-off backfill for tables written before the lists were spread over shards: every
//! principal, sign-in, detection and remediation action gets the list keys it would have had
//! (`items`), and every detection-quality counter moves to the partition of its shard
//! (`move_counter`).
//!
//! It scans the table a page at a time, and each page hands back where the next starts, so an
//! interrupted run resumes there. Each write is guarded by what the keys are made of (a
//! principal's or action's version; a sign-in's or detection's state): an item a step moved
//! since it was read already carries its keys, and is left alone. An item that already has its
//! keys is not written, so running the backfill again writes nothing.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use riskfeedback::quality::Kind;
use riskfeedback::store::StoreError;

use super::client::{classify, corrupt, decode};
use super::items::{
    action_of_pk, principal_list_keys, quality_shard_pk, ActionItem, DetectionItem, QualityItem,
    SignInItem, UserItem, ACTION_SK, DETECTION_PREFIX, SIGN_IN_PREFIX, USER_SK,
};
use super::{DynamoStore, Item};

/// What one page of the backfill did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BackfillCounts {
    /// Items the page read.
    pub scanned: u64,
    /// Items given their list keys.
    pub updated: u64,
    /// Items that had them already.
    pub current: u64,
    /// Items a step changed while the page ran: the step wrote their keys.
    pub moved: u64,
}

impl std::ops::AddAssign for BackfillCounts {
    fn add_assign(&mut self, other: BackfillCounts) {
        self.scanned += other.scanned;
        self.updated += other.updated;
        self.current += other.current;
        self.moved += other.moved;
    }
}

/// One page's outcome, and where the next page starts (`None` at the end of the table): text a
/// run can save and resume from.
#[derive(Debug)]
pub struct BackfillPage {
    pub counts: BackfillCounts,
    pub resume: Option<String>,
}

impl DynamoStore {
    /// Backfills the page of the table that starts at `resume` (the start, without one), reading
    /// at most `limit` items.
    pub async fn backfill_lists(
        &self,
        resume: Option<&str>,
        limit: i32,
    ) -> Result<BackfillPage, StoreError> {
        let start = resume.map(decode_resume).transpose()?;
        let out = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(
                "sk = :user OR begins_with(sk, :s) OR begins_with(sk, :d) OR sk = :ra \
                 OR (attribute_exists(riskEventType) AND attribute_not_exists(id))",
            )
            .expression_attribute_values(":ra", AttributeValue::S(ACTION_SK.to_string()))
            .expression_attribute_values(":user", AttributeValue::S(USER_SK.to_string()))
            .expression_attribute_values(":s", AttributeValue::S(SIGN_IN_PREFIX.to_string()))
            .expression_attribute_values(":d", AttributeValue::S(DETECTION_PREFIX.to_string()))
            .set_exclusive_start_key(start)
            .limit(limit.max(1))
            .send()
            .await
            .map_err(classify)?;
        let mut counts = BackfillCounts {
            scanned: u64::try_from(out.scanned_count).unwrap_or_default(),
            ..BackfillCounts::default()
        };
        for item in out.items.unwrap_or_default() {
            match self.backfill_item(item).await? {
                Outcome::Updated => counts.updated += 1,
                Outcome::Current => counts.current += 1,
                Outcome::Moved => counts.moved += 1,
            }
        }
        Ok(BackfillPage {
            counts,
            resume: out
                .last_evaluated_key
                .filter(|k| !k.is_empty())
                .map(|k| encode_resume(&k)),
        })
    }

    async fn backfill_item(&self, item: Item) -> Result<Outcome, StoreError> {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let (Some(pk), Some(sk)) = (text("pk"), text("sk")) else {
            return Err(corrupt("an item without its key"));
        };
        let (keys, guard_attribute, guard) = if sk == USER_SK {
            let principal: UserItem = decode(item.clone())?;
            let tenant = tenant_of(&pk, &principal.user.id)?;
            (
                principal_list_keys(tenant, &principal.user),
                "version",
                item.get("version").cloned(),
            )
        } else if sk.starts_with(SIGN_IN_PREFIX) {
            let stored: SignInItem = decode(item.clone())?;
            let tenant = tenant_of(&pk, &stored.sign_in.user_id)?;
            (
                owned(SignInItem::new(tenant, &stored.sign_in).list_keys()),
                "riskState",
                item.get("riskState").cloned(),
            )
        } else if sk.starts_with(DETECTION_PREFIX) {
            let stored: DetectionItem = decode(item.clone())?;
            let tenant = tenant_of(&pk, &stored.detection.user_id)?;
            (
                owned(DetectionItem::new(tenant, &stored.detection).list_keys()),
                "riskState",
                item.get("riskState").cloned(),
            )
        } else if sk == ACTION_SK {
            let stored: ActionItem = decode(item.clone())?;
            let (tenant, _) =
                action_of_pk(&pk).ok_or_else(|| corrupt(format!("an action's key {pk}")))?;
            (
                ActionItem::new(&tenant, &stored.action, stored.version).list_keys(),
                "version",
                item.get("version").cloned(),
            )
        } else {
            return self.move_counter(pk, sk, item).await;
        };
        let current = keys
            .iter()
            .all(|(attribute, key)| text(attribute).as_ref() == Some(key));
        if current {
            return Ok(Outcome::Current);
        }
        // Names stand in for the attributes: `view` is one of DynamoDB's reserved words.
        let set: Vec<String> = (0..keys.len()).map(|i| format!("#a{i} = :a{i}")).collect();
        let mut names = HashMap::from([("#guard".to_string(), guard_attribute.to_string())]);
        let mut values = HashMap::new();
        for (i, (attribute, key)) in keys.into_iter().enumerate() {
            names.insert(format!("#a{i}"), attribute.to_string());
            values.insert(format!(":a{i}"), AttributeValue::S(key));
        }
        let condition = match guard {
            Some(value) => {
                values.insert(":guard".to_string(), value);
                "#guard = :guard"
            }
            None => "attribute_exists(pk) AND attribute_not_exists(#guard)",
        };
        let written = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, &sk)))
            .update_expression(format!("SET {}", set.join(", ")))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match written {
            Ok(_) => Ok(Outcome::Updated),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(Outcome::Moved),
            Err(e) => Err(classify(e)),
        }
    }
}

impl DynamoStore {
    /// A detection-quality counter kept where counters were before they were spread over
    /// partitions (`T#{tenant}#QUALITY`, the shard ending the sort key), added to its place now
    /// and deleted there, in one transaction: run again, it finds nothing left to move.
    async fn move_counter(
        &self,
        pk: String,
        sk: String,
        item: Item,
    ) -> Result<Outcome, StoreError> {
        let Some(tenant) = pk
            .strip_prefix("T#")
            .and_then(|t| t.strip_suffix("#QUALITY"))
        else {
            return Ok(Outcome::Current);
        };
        let counter: QualityItem = decode(item)?;
        let day = sk.split('#').next().unwrap_or_default();
        let shard = sk
            .rsplit('#')
            .next()
            .and_then(|s| s.parse::<u8>().ok())
            .ok_or_else(|| corrupt(format!("a counter's key {sk}")))?;
        let kind = Kind {
            risk_event_type: counter.risk_event_type,
            source: counter.source,
        };
        let to = format!("{day}#{}#{}", kind.risk_event_type, kind.source);
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk.clone(), &sk)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(corrupt)?;
        let writes = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.quality_add(quality_shard_pk(tenant, shard), &to, &kind, &counter.counts)?,
        ];
        Ok(match self.transact_guarded(writes).await? {
            true => Outcome::Updated,
            false => Outcome::Moved,
        })
    }
}

/// The tenant of an item in the partition of the principal `key`.
fn tenant_of<'a>(pk: &'a str, key: &str) -> Result<&'a str, StoreError> {
    pk.strip_prefix("T#")
        .and_then(|rest| rest.strip_suffix(&format!("#U#{key}")))
        .ok_or_else(|| corrupt(format!("an item of {key} under {pk}")))
}

fn owned(keys: Vec<(&'static str, &str)>) -> Vec<(&'static str, String)> {
    keys.into_iter()
        .map(|(attribute, key)| (attribute, key.to_string()))
        .collect()
}

enum Outcome {
    Updated,
    Current,
    Moved,
}

/// The scan's `LastEvaluatedKey` (the table's own key, two strings) as text.
fn encode_resume(key: &Item) -> String {
    let key: BTreeMap<&String, &String> = key
        .iter()
        .filter_map(|(name, value)| Some((name, value.as_s().ok()?)))
        .collect();
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&key).unwrap_or_default())
}

fn decode_resume(text: &str) -> Result<Item, StoreError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| StoreError::InvalidCursor)?;
    let key: BTreeMap<String, String> =
        serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    if key.len() != 2 || !key.contains_key("pk") || !key.contains_key("sk") {
        return Err(StoreError::InvalidCursor);
    }
    Ok(key
        .into_iter()
        .map(|(name, value)| (name, AttributeValue::S(value)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resume_point_round_trips_and_nothing_else_is_one() {
        let key = DynamoStore::key("T#t1#U#alice".to_string(), USER_SK);
        assert_eq!(decode_resume(&encode_resume(&key)), Ok(key));
        for text in [
            "",
            "not base64!",
            "e30",
            &URL_SAFE_NO_PAD.encode(b"{\"pk\":\"x\"}"),
        ] {
            assert_eq!(
                decode_resume(text),
                Err(StoreError::InvalidCursor),
                "{text}"
            );
        }
    }
}
