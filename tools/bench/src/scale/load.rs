//! A synthetic tenant of `n` risky users and a detection for each, written straight into the
//! table in bulk (`BatchWriteItem`), with the keys the store itself gives them.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};
use riskfeedback::model::{Detection, RiskDetail, RiskLevel, RiskState, User};
use riskfeedback_aws::dynamo::{detection_item, principal_item};

use super::Result;

/// How a tenant's users stand: a tenth at risk, most of the rest closed one way or another,
/// as a tenant that has used the service a while looks.
pub fn user(i: usize, now: DateTime<Utc>, rng: &mut fastrand::Rng) -> User {
    let mut user = User::new(format!("user-{i:06}"));
    user.user_principal_name = Some(format!("user-{i:06}@contoso.com"));
    let (level, state, detail) = match rng.u32(0..1000) {
        0..10 => (RiskLevel::High, RiskState::AtRisk, RiskDetail::None),
        10..40 => (RiskLevel::Medium, RiskState::AtRisk, RiskDetail::None),
        40..100 => (RiskLevel::Low, RiskState::AtRisk, RiskDetail::None),
        100..120 => (
            RiskLevel::High,
            RiskState::ConfirmedCompromised,
            RiskDetail::AdminConfirmedUserCompromised,
        ),
        120..450 => (
            RiskLevel::None,
            RiskState::Dismissed,
            RiskDetail::AdminDismissedAllRiskForUser,
        ),
        450..800 => (
            RiskLevel::None,
            RiskState::Remediated,
            RiskDetail::UserPerformedSecuredPasswordReset,
        ),
        _ => (
            RiskLevel::None,
            RiskState::ConfirmedSafe,
            RiskDetail::AdminConfirmedAccountSafe,
        ),
    };
    user.risk_level = level;
    user.risk_state = state;
    user.risk_detail = detail;
    let age = Duration::from_millis(rng.u64(0..90 * 24 * 3600 * 1000));
    user.risk_last_updated_date_time = Some(now - age);
    user
}

/// The user's one detection, of one of four types, in the user's state, when it was last
/// updated.
pub fn detection(user: &User, i: usize) -> Result<Detection> {
    let time = user.risk_last_updated_date_time.unwrap_or_default();
    let level = match user.risk_level {
        RiskLevel::None => "low".to_string(),
        level => level.to_string(),
    };
    serde_json::from_value(serde_json::json!({
        "id": format!("d-{i:06}"),
        "userId": user.id,
        "riskEventType": TYPES[i % TYPES.len()],
        "riskLevel": level,
        "detectionTimingType": "realtime",
        "source": "IdentityProtection",
        "detectedDateTime": time,
        "activity": "signin",
        "riskState": user.risk_state,
        "riskDetail": user.risk_detail,
        "lastUpdatedDateTime": time,
    }))
    .map_err(|e| format!("a detection: {e}"))
}

/// The detection types of the synthetic tenant.
pub const TYPES: [&str; 4] = [
    "unfamiliarFeatures",
    "anonymizedIPAddress",
    "leakedCredentials",
    "impossibleTravel",
];

/// Writes `count` users of `tenant` and a detection for each, 24 items to a request and 4
/// requests at a time, and answers how long that took.
pub async fn principals(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    tenant: &str,
    count: usize,
    seed: u64,
) -> Result<Duration> {
    let now = Utc::now();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut batches = Vec::new();
    for first in (0..count).step_by(12) {
        let mut items = Vec::new();
        for i in first..(first + 12).min(count) {
            let user = user(i, now, &mut rng);
            let detection = detection(&user, i)?;
            items.push(principal_item(tenant, &user).map_err(|e| e.to_string())?);
            items.push(detection_item(tenant, &detection).map_err(|e| e.to_string())?);
        }
        let batch = items
            .into_iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(|e| e.to_string())?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>>>()?;
        batches.push(batch);
    }
    let started = Instant::now();
    stream::iter(batches)
        .map(|batch| write(dynamodb, table, batch))
        .buffer_unordered(4)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(started.elapsed())
}

async fn write(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    mut batch: Vec<WriteRequest>,
) -> Result<()> {
    for attempt in 0..10u32 {
        let out = dynamodb
            .batch_write_item()
            .request_items(table, batch)
            .send()
            .await
            .map_err(|e| format!("BatchWriteItem: {e}"))?;
        batch = out
            .unprocessed_items
            .and_then(|mut u| u.remove(table))
            .unwrap_or_default();
        if batch.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50 << attempt.min(5))).await;
    }
    Err("BatchWriteItem left items unprocessed ten times".into())
}
