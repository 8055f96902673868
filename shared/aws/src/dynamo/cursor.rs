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

/// A sharded list's cursor (`sharded`): the list it pages and the sort key of the last item
/// it returned.
#[derive(Serialize, Deserialize)]
struct AfterPayload {
    t: String,
    l: String,
    a: String,
}

pub fn encode_after(tenant: &str, list: &str, last: &str) -> String {
    let payload = AfterPayload {
        t: tenant.to_string(),
        l: list.to_string(),
        a: last.to_string(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap_or_default())
}

/// The sort key a cursor of `list` ends at; a cursor of another tenant or list is refused.
pub fn decode_after(tenant: &str, list: &str, cursor: &str) -> Result<String, StoreError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::InvalidCursor)?;
    let payload: AfterPayload =
        serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    if payload.t != tenant || payload.l != list || payload.a.len() > MAX_KEY_BYTES / 2 {
        return Err(StoreError::InvalidCursor);
    }
    Ok(payload.a)
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
    fn a_list_cursor_pages_only_its_own_list() {
        let cursor = encode_after("t1", "T#t1#USERS", "2026-12-01T00:00:00Z#u1");
        assert_eq!(
            decode_after("t1", "T#t1#USERS", &cursor).as_deref(),
            Ok("2026-12-01T00:00:00Z#u1")
        );
        for (tenant, list) in [("t2", "T#t1#USERS"), ("t1", "T#t1#USERS#L#high")] {
            assert_eq!(
                decode_after(tenant, list, &cursor),
                Err(StoreError::InvalidCursor)
            );
        }
        let key_cursor = encode("t1", &key("T#t1#U#u1"));
        assert_eq!(
            decode_after("t1", "T#t1#USERS", &key_cursor),
            Err(StoreError::InvalidCursor)
        );
        assert_eq!(decode("t1", &cursor), Err(StoreError::InvalidCursor));
        let long = encode_after("t1", "T#t1#USERS", &"x".repeat(MAX_KEY_BYTES));
        assert_eq!(
            decode_after("t1", "T#t1#USERS", &long),
            Err(StoreError::InvalidCursor)
        );
    }

    #[test]
    fn a_key_cursor_holds_only_key_attributes_of_a_key_s_length() {
        let mut other = key("T#t1#U#u1");
        other.insert("colour".to_string(), AttributeValue::S("red".to_string()));
        assert_eq!(
            decode("t1", &encode("t1", &other)),
            Err(StoreError::InvalidCursor)
        );
        let mut long = key("T#t1#U#u1");
        long.insert(
            "sk".to_string(),
            AttributeValue::S("x".repeat(MAX_KEY_BYTES + 1)),
        );
        assert_eq!(
            decode("t1", &encode("t1", &long)),
            Err(StoreError::InvalidCursor)
        );
    }

    #[test]
    fn a_list_cursor_takes_a_sort_key_of_up_to_1024_bytes() {
        let longest = "x".repeat(MAX_KEY_BYTES / 2);
        let cursor = encode_after("t1", "T#t1#USERS", &longest);
        assert_eq!(decode_after("t1", "T#t1#USERS", &cursor), Ok(longest));
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
