//! Local identity (SPEC 9): HS256 tokens signed with `RISKFEEDBACK_LOCAL_JWT_SECRET`, verified
//! where no JWT authorizer runs: by the local gateway of `scripts/dev`, and by the functions
//! themselves under `sam local start-api`, and only where SAM CLI marks the container
//! (`AWS_SAM_LOCAL=true`). A deployed function never accepts one.

use std::collections::HashMap;

use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// The variable that holds the local tokens' secret.
pub const SECRET_VAR: &str = "RISKFEEDBACK_LOCAL_JWT_SECRET";

/// The secret a function verifies local tokens with: only inside a container SAM CLI started
/// (it sets `AWS_SAM_LOCAL=true`; Lambda never does), and only when one is configured.
pub fn sam_local_secret(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let marked = var("AWS_SAM_LOCAL").is_some_and(|v| v == "true");
    var(SECRET_VAR).filter(|secret| marked && !secret.is_empty())
}

/// Like the JWT authorizer, take the token alone or after the `Bearer` scheme, whose name is
/// case-insensitive (RFC 9110, 11.1); any other scheme is no token.
pub fn bearer_token(header: &str) -> Option<&str> {
    let header = header.trim();
    let token = match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        Some(_) => return None,
        // The scheme's name alone carries no token.
        None if header.eq_ignore_ascii_case("bearer") => return None,
        None => header,
    };
    (!token.is_empty()).then_some(token)
}

/// Verifies signature, `exp` and `nbf`, and returns the claims as the API Gateway JWT authorizer
/// passes them on: strings as they are, arrays as one string `[a b]`, other values as JSON text.
pub fn verify(token: &str, secret: &str) -> Result<HashMap<String, String>, String> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp"]);
    let data = decode::<Map<String, Value>>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map_err(|e| e.to_string())?;
    Ok(data
        .claims
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(s) => s,
                Value::Array(items) => {
                    let parts: Vec<String> = items
                        .into_iter()
                        .map(|v| match v {
                            Value::String(s) => s,
                            other => other.to_string(),
                        })
                        .collect();
                    format!("[{}]", parts.join(" "))
                }
                other => other.to_string(),
            };
            (name, text)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn only_a_container_sam_marks_verifies_local_tokens() {
        let marked = [("AWS_SAM_LOCAL", "true"), (SECRET_VAR, "s")];
        assert_eq!(sam_local_secret(vars(&marked)), Some("s".to_string()));
        for unmarked in [
            &[(SECRET_VAR, "s")][..],
            &[("AWS_SAM_LOCAL", "false"), (SECRET_VAR, "s")][..],
            &[("AWS_SAM_LOCAL", "1"), (SECRET_VAR, "s")][..],
            &[("AWS_SAM_LOCAL", "true"), (SECRET_VAR, "")][..],
            &[("AWS_SAM_LOCAL", "true")][..],
        ] {
            assert_eq!(sam_local_secret(vars(unmarked)), None, "{unmarked:?}");
        }
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_optional() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("BEARER abc"), Some("abc"));
        assert_eq!(bearer_token("abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("bearer"), None);
        assert_eq!(bearer_token(""), None);
    }
}
