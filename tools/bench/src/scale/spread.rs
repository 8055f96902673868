//! Which partition keys the ingest path writes: 1,000 detections for 200 users go through the
//! API and the processor, and the table's stream says what was written. Each record is one
//! write to its item's partition key, and one to each index partition key the item is on
//! after it (with ALL projected, any change rewrites the index entry), or left (a moved key).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{StreamSpecification, StreamViewType};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use riskfeedback_tests::harness::{detection, As, TestStack};
use serde_json::{json, Value};

use super::Result;

pub const DETECTIONS: usize = 1000;
pub const USERS: usize = 200;
const INDEX_KEYS: [&str; 5] = ["gsi1pk", "gsi2pk", "gsi3pk", "gsi4pk", "gsi5pk"];

#[derive(Debug)]
pub struct Spread {
    /// Writes by partition key (an index's keys named after the index).
    pub writes: HashMap<String, u64>,
}

impl Spread {
    pub fn total(&self) -> u64 {
        self.writes.values().sum()
    }

    /// The keys that took the most writes, most first.
    pub fn busiest(&self, n: usize) -> Vec<(&str, u64)> {
        let mut keys: Vec<(&str, u64)> =
            self.writes.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        keys.truncate(n);
        keys
    }

    pub fn largest_share(&self) -> f64 {
        let most = self.busiest(1).first().map_or(0, |(_, n)| *n);
        most as f64 / self.total().max(1) as f64
    }

    pub fn json(&self) -> Value {
        json!({
            "detections": DETECTIONS,
            "users": USERS,
            "writes": self.total(),
            "distinctPartitionKeys": self.writes.len(),
            "largestShare": self.largest_share(),
            "busiest": self.busiest(5).iter().map(|(k, n)| json!({"key": k, "writes": n})).collect::<Vec<_>>(),
        })
    }
}

/// Ingests the detections into a stack of its own, its table streaming, and tallies the stream.
pub async fn measure() -> Result<Spread> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB_STREAMS").unwrap_or_default();
    if !endpoint.starts_with("http://127.0.0.1:") && !endpoint.starts_with("http://localhost:") {
        return Err(format!(
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS must name DynamoDB Local (got {endpoint:?}); run scripts/bench scale"
        ));
    }
    let t = TestStack::new().await;
    let table = t.stack.config.table_name.clone();
    let streaming = StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewAndOldImages)
        .build()
        .map_err(|e| e.to_string())?;
    t.stack
        .dynamodb
        .update_table()
        .table_name(&table)
        .stream_specification(streaming)
        .send()
        .await
        .map_err(|e| format!("UpdateTable: {e}"))?;

    let caller = As::analyst("spread");
    for first in (0..DETECTIONS).step_by(100) {
        let batch: Vec<Value> = (first..first + 100)
            .map(|k| {
                let sign_in = format!("s-{k}");
                let mut d = detection(
                    &format!("d-{k}"),
                    &format!("user-{:03}", k % USERS),
                    ["low", "medium", "high"][k % 3],
                    (k % 2 == 0).then_some(sign_in.as_str()),
                );
                d["detectedDateTime"] =
                    json!(format!("2026-11-20T08:{:02}:{:02}Z", k / 60 % 60, k % 60));
                d
            })
            .collect();
        let answer = t
            .call(
                &caller,
                "POST",
                "/risk-detections",
                Some(json!({"detections": batch})),
            )
            .await;
        if answer.status != 202 {
            return Err(format!("POST /risk-detections: {answer:?}"));
        }
    }
    t.drain().await;
    tally(&t, &table).await
}

async fn tally(t: &TestStack, table: &str) -> Result<Spread> {
    let described = t
        .stack
        .dynamodb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| format!("DescribeTable: {e}"))?;
    let arn = described
        .table
        .and_then(|t| t.latest_stream_arn)
        .ok_or("the table has no stream")?;
    let streams = aws_sdk_dynamodbstreams::Client::new(&t.stack.sdk);
    let mut shards = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let out = streams
            .describe_stream()
            .stream_arn(&arn)
            .set_exclusive_start_shard_id(after.clone())
            .send()
            .await
            .map_err(|e| format!("DescribeStream: {e}"))?;
        let description = out.stream_description.ok_or("no stream description")?;
        shards.extend(
            description
                .shards
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| s.shard_id),
        );
        after = description.last_evaluated_shard_id;
        if after.is_none() {
            break;
        }
    }
    let mut writes: HashMap<String, u64> = HashMap::new();
    for shard in shards {
        let mut iterator = streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .map_err(|e| format!("GetShardIterator: {e}"))?
            .shard_iterator;
        while let Some(at) = iterator {
            let out = streams
                .get_records()
                .shard_iterator(at)
                .limit(1000)
                .send()
                .await
                .map_err(|e| format!("GetRecords: {e}"))?;
            let records = out.records.unwrap_or_default();
            if records.is_empty() {
                break;
            }
            for record in records {
                let Some(change) = record.dynamodb else {
                    continue;
                };
                let text = |image: &Option<
                    HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>,
                >,
                            name: &str| {
                    image
                        .as_ref()
                        .and_then(|i| i.get(name))
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                };
                if let Some(pk) = text(&change.keys, "pk") {
                    *writes.entry(format!("table {pk}")).or_default() += 1;
                }
                for attribute in INDEX_KEYS {
                    let index = attribute.trim_end_matches("pk");
                    let new = text(&change.new_image, attribute);
                    let old = text(&change.old_image, attribute);
                    if let Some(key) = &new {
                        *writes.entry(format!("{index} {key}")).or_default() += 1;
                    }
                    if let Some(key) = old.filter(|o| Some(o) != new.as_ref()) {
                        *writes.entry(format!("{index} {key}")).or_default() += 1;
                    }
                }
            }
            iterator = out.next_shard_iterator;
        }
    }
    Ok(Spread { writes })
}
