//! Local identity (SPEC 9): HS256 tokens signed with `RISKFEEDBACK_LOCAL_JWT_SECRET`, minted
//! for a tenant and roles, verified by the local gateway (`riskfeedback_aws::local_token`). Never
//! used by a deployment.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
pub use riskfeedback_aws::local_token::verify;
use serde_json::json;

pub const DEFAULT_SECRET: &str = "local-dev-secret";

pub fn secret() -> String {
    std::env::var(riskfeedback_aws::local_token::SECRET_VAR)
        .unwrap_or_else(|_| DEFAULT_SECRET.to_string())
}

/// Who a minted token names.
#[derive(Debug, Clone)]
pub struct Identity {
    pub tenant: String,
    pub user: String,
    pub name: String,
    pub roles: Vec<String>,
    pub ttl_seconds: i64,
}

pub fn mint(identity: &Identity, secret: &str) -> Result<String, String> {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "tid": identity.tenant,
        "oid": identity.user,
        "name": identity.name,
        "roles": identity.roles,
        "iat": now,
        "nbf": now - 5,
        "exp": now + identity.ttl_seconds,
    });
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            tenant: "t1".into(),
            user: "analyst".into(),
            name: "Analyst".into(),
            roles: vec!["Risk.Read".into(), "Risk.Feedback".into()],
            ttl_seconds: 60,
        }
    }

    #[test]
    fn minted_tokens_verify_with_gateway_shaped_claims() {
        let token = mint(&identity(), "s").expect("mint");
        let claims = verify(&token, "s").expect("verify");
        assert_eq!(claims["roles"], "[Risk.Read Risk.Feedback]");
        assert_eq!(claims["tid"], "t1");
    }

    #[test]
    fn wrong_secret_and_expired_tokens_are_refused() {
        let token = mint(&identity(), "s").expect("mint");
        assert!(verify(&token, "other").is_err());
        let expired = mint(
            &Identity {
                ttl_seconds: -120,
                ..identity()
            },
            "s",
        )
        .expect("mint");
        assert!(verify(&expired, "s").is_err());
    }
}
