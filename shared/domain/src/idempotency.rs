//! The one rule of every keyed route (feedback, detections, password events, submissions,
//! indicators): a retry with the same `Idempotency-Key` and the same body gets what the first
//! attempt made; the same key with another body is refused with `422`.

use serde::Serialize;
use uuid::Uuid;

use crate::auth::Caller;
use crate::digest::hex_sha256;
use crate::errors::{Invalid, KeyReused};
use crate::limits::MAX_IDEMPOTENCY_KEY_LEN;

/// The id of what a request creates: derived from the caller's `Idempotency-Key` when there is
/// one, so a retry finds what its first attempt wrote.
pub fn new_id(caller: &Caller, idempotency_key: Option<&str>) -> String {
    match idempotency_key {
        Some(key) => {
            let name = format!("{}\n{}\n{}", caller.tenant_id, caller.actor.id, key);
            Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()).to_string()
        }
        None => Uuid::new_v4().to_string(),
    }
}

pub fn validate_idempotency_key(key: &str) -> Result<(), Invalid> {
    let ok = !key.is_empty()
        && key.len() <= MAX_IDEMPOTENCY_KEY_LEN
        && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(Invalid::field(
            "Idempotency-Key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"),
        ))
    }
}

/// The fingerprint of a request, stored beside what it created.
pub fn request_hash<T: Serialize>(request: &T) -> String {
    let bytes = serde_json::to_vec(request).unwrap_or_default();
    hex_sha256(&bytes)
}

/// A stored result found under the request's id is a replay only if it came from the same body.
pub fn same_request(stored_hash: &str, hash: &str) -> Result<(), KeyReused> {
    if stored_hash == hash {
        Ok(())
    } else {
        Err(KeyReused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Actor;
    use crate::auth::Caller;

    fn caller(tenant: &str, actor: &str) -> Caller {
        Caller {
            tenant_id: tenant.to_string(),
            actor: Actor {
                id: actor.to_string(),
                display_name: None,
            },
            roles: Default::default(),
        }
    }

    #[test]
    fn a_key_names_one_thing_per_tenant_and_caller() {
        let a = caller("t1", "alice");
        assert_eq!(new_id(&a, Some("k")), new_id(&a, Some("k")));
        assert_ne!(new_id(&a, Some("k")), new_id(&a, Some("k2")));
        assert_ne!(
            new_id(&a, Some("k")),
            new_id(&caller("t2", "alice"), Some("k"))
        );
        assert_ne!(
            new_id(&a, Some("k")),
            new_id(&caller("t1", "bob"), Some("k"))
        );
        assert_ne!(new_id(&a, None), new_id(&a, None));
    }

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(validate_idempotency_key("retry-1").is_ok());
        assert!(validate_idempotency_key(&"k".repeat(MAX_IDEMPOTENCY_KEY_LEN)).is_ok());
        for bad in ["", "a b", "é", &"k".repeat(MAX_IDEMPOTENCY_KEY_LEN + 1)] {
            assert!(validate_idempotency_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn another_body_under_the_same_key_is_refused() {
        let first = request_hash(&serde_json::json!({"title": "a"}));
        assert!(same_request(&first, &request_hash(&serde_json::json!({"title": "a"}))).is_ok());
        let other = request_hash(&serde_json::json!({"title": "b"}));
        assert!(matches!(same_request(&first, &other), Err(KeyReused)));
    }
}
