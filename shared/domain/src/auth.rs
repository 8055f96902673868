//! Who is calling: tenant, actor and roles, from the claims the JWT authorizer verified (SPEC 6, 9).

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::role::Role;
use crate::validate::{is_valid_id, is_valid_name};

/// Who did something, as the verified token names them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// Why a caller gets no further: no verified identity (`401`), or not the role a route needs
/// (`403`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no verified identity")]
    Unauthenticated,
    #[error("the caller lacks the role {}", .0.name())]
    Forbidden(Role),
}

/// A verified caller. Everything it reads or changes is scoped to `tenant_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant_id: String,
    pub actor: Actor,
    pub roles: BTreeSet<Role>,
}

impl Caller {
    /// Builds the caller from verified JWT claims (`tid`, `oid` or `sub`, `name`, `roles` or `scp`).
    /// Without a tenant and a subject there is no verified identity: `401`.
    pub fn from_claims(claims: &HashMap<String, String>) -> Result<Caller, AuthError> {
        let tenant_id = claims
            .get("tid")
            .filter(|t| is_valid_name(t))
            .ok_or(AuthError::Unauthenticated)?;
        let actor_id = claims
            .get("oid")
            .or_else(|| claims.get("sub"))
            .filter(|t| is_valid_id(t))
            .ok_or(AuthError::Unauthenticated)?;
        let roles = ["roles", "scp"]
            .iter()
            .filter_map(|claim| claims.get(*claim))
            .flat_map(|value| parse_claim_list(value))
            .filter_map(|name| Role::from_name(&name))
            .collect();
        Ok(Caller {
            tenant_id: tenant_id.clone(),
            actor: Actor {
                id: actor_id.clone(),
                display_name: claims.get("name").cloned(),
            },
            roles,
        })
    }

    pub fn require(&self, role: Role) -> Result<(), AuthError> {
        if self.roles.contains(&role) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(role))
        }
    }
}

/// API Gateway passes an array claim as one string, `[Risk.Read Risk.Feedback]`; `scp` is
/// space-separated; a JSON array is accepted too.
fn parse_claim_list(value: &str) -> Vec<String> {
    value
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|s| s.trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn roles_come_from_the_gateway_array_form_and_scp() {
        let caller = Caller::from_claims(&claims(&[
            ("tid", "t1"),
            ("oid", "u1"),
            ("roles", "[Risk.Read Signals.Ingest]"),
            ("scp", "Risk.Feedback unknown.scope"),
        ]))
        .expect("valid claims");
        assert_eq!(
            caller.roles,
            BTreeSet::from([Role::RiskRead, Role::RiskFeedback, Role::SignalsIngest])
        );
        assert!(caller.require(Role::IndicatorsManage).is_err());
    }

    #[test]
    fn json_array_roles_are_accepted() {
        let caller = Caller::from_claims(&claims(&[
            ("tid", "t1"),
            ("sub", "u1"),
            ("roles", r#"["Remediation.Manage","Risk.Read"]"#),
        ]))
        .expect("valid claims");
        assert!(caller.require(Role::RemediationManage).is_ok());
    }

    #[test]
    fn no_tenant_or_subject_is_unauthenticated() {
        assert_eq!(
            Caller::from_claims(&claims(&[("oid", "u1")])),
            Err(AuthError::Unauthenticated)
        );
        assert_eq!(
            Caller::from_claims(&claims(&[("tid", "t#1"), ("oid", "u1")])),
            Err(AuthError::Unauthenticated)
        );
    }
}
