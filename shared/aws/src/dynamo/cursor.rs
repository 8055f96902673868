//! Opaque paging cursors. A cursor carries the tenant it was issued to and DynamoDB's
//! `LastEvaluatedKey`; decoding refuses one issued to another tenant or pointing outside the
//! caller's keys, so a cursor can never be replayed across tenants.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::items::tenant_prefix;
use riskfeedback::store::StoreError;

type Key = HashMap<String, AttributeValue>;

#[derive(Serialize, Deserialize)]
struct Payload {
    t: String,
    k: BTreeMap<String, String>,
}

/// DynamoDB's largest partition key; a sort key holds at most half as much.
const MAX_KEY_BYTES: usize = 2048;
const KEY_ATTRIBUTES: [&str; 4] = ["pk", "sk", "gsi1pk", "gsi1sk"];
/// Key attributes that begin with the tenant; `sk` and `gsi1sk` are ids or times.
const TENANT_KEYS: [&str; 2] = ["pk", "gsi1pk"];

pub fn encode(tenant: &str, key: &Key) -> String {
    let k = key
        .iter()
        .filter_map(|(name, value)| Some((name.clone(), value.as_s().ok()?.clone())))
        .collect();
    let payload = Payload {
        t: tenant.to_string(),
        k,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap_or_default())
}

pub fn decode(tenant: &str, cursor: &str) -> Result<Key, StoreError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::InvalidCursor)?;
    let payload: Payload = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    let prefix = tenant_prefix(tenant);
    let valid = payload.t == tenant
        && payload.k.contains_key("pk")
        && payload.k.iter().all(|(name, value)| {
            KEY_ATTRIBUTES.contains(&name.as_str()) && value.len() <= MAX_KEY_BYTES
        })
        && TENANT_KEYS
            .iter()
            .filter_map(|name| payload.k.get(*name))
            .all(|value| value.starts_with(&prefix));
    if !valid {
        return Err(StoreError::InvalidCursor);
    }
    Ok(payload
        .k
        .into_iter()
        .map(|(name, value)| (name, AttributeValue::S(value)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pk: &str) -> Key {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(pk.to_string())),
            ("sk".to_string(), AttributeValue::S("USER".to_string())),
        ])
    }

    #[test]
    fn round_trips_for_the_same_tenant() {
        let cursor = encode("t1", &key("T#t1#U#u1"));
        assert_eq!(decode("t1", &cursor), Ok(key("T#t1#U#u1")));
    }

    #[test]
    fn refuses_another_tenant_and_tampering() {
        let cursor = encode("t1", &key("T#t1#U#u1"));
        assert_eq!(decode("t2", &cursor), Err(StoreError::InvalidCursor));
        let forged = encode("t2", &key("T#t1#U#u1"));
        assert_eq!(decode("t2", &forged), Err(StoreError::InvalidCursor));
        assert_eq!(
            decode("t1", "not-a-cursor!"),
            Err(StoreError::InvalidCursor)
        );
    }
}
