//! Settings every function reads from its environment (set by `template.yaml`, or by the local
//! stack). AWS endpoints, region and credentials are the SDK's own standard environment.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::familiar::ContextTypes;
use crate::limits::{
    DEFAULT_FAMILIAR_CONTEXT_DAYS, DEFAULT_LEARNING_DAYS, DEFAULT_PENDING_ACTION_DAYS,
    MAX_FAMILIAR_CONTEXT_DAYS, MAX_LEARNING_DAYS, MAX_PENDING_ACTION_DAYS,
};
use crate::model::RiskLevel;
use crate::risk::Settings;
use crate::validate::is_valid_name;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub table_name: String,
    pub feedback_queue_url: String,
    pub events_queue_url: String,
    pub remediation_command_queue_url: String,
    /// At or above this level a user's record asks for a secure password reset.
    pub user_risk_policy_level: RiskLevel,
    /// The setting `allowOnPremisesPasswordChangeToResetUserRisk`
    /// (`ALLOW_ON_PREMISES_PASSWORD_CHANGE_TO_RESET_USER_RISK`, `false` unless `true`): whether a
    /// password changed on premises, as the identity provider reports it, remediates the user's
    /// risk. Off, as in Entra, the event is only recorded in the user's history.
    pub on_premises_password_change_resets_risk: bool,
    /// `LEARNING_DAYS` (1 to 365, default 14): how long confirming a user safe puts the user in
    /// learning mode (SPEC 3a).
    pub learning_days: u32,
    /// `FAMILIAR_CONTEXT_DAYS` (1 to 730, default 90): how long a familiar context lives after
    /// it was last learned (SPEC 3a).
    pub familiar_context_days: u32,
    /// `NETWORK_CONTEXT_TYPES` and `LOCATION_CONTEXT_TYPES` (comma-separated detection types,
    /// SPEC 3a's lists unless set): the types a familiar network, or place, may judge safe.
    pub context_types: ContextTypes,
    /// `PENDING_ACTION_DAYS` (1 to 90, default 7): how long a pending remediation action waits
    /// for a decision before it expires (SPEC 3b).
    pub pending_action_days: u32,
    /// The feedback queue's `maxReceiveCount`: on that receive a failing notice is about to be
    /// dead-lettered, and its feedback is marked `failed`.
    pub max_receive_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("USER_RISK_POLICY_LEVEL must be low, medium or high, not {0:?}")]
    PolicyLevel(String),
    #[error("MAX_RECEIVE_COUNT must be a whole number from 1 to 1000, not {0:?}")]
    MaxReceiveCount(String),
    #[error(
        "ALLOW_ON_PREMISES_PASSWORD_CHANGE_TO_RESET_USER_RISK must be true or false, not {0:?}"
    )]
    OnPremisesSetting(String),
    #[error("LEARNING_DAYS must be a whole number from 1 to 365, not {0:?}")]
    LearningDays(String),
    #[error("FAMILIAR_CONTEXT_DAYS must be a whole number from 1 to 730, not {0:?}")]
    FamiliarContextDays(String),
    #[error("PENDING_ACTION_DAYS must be a whole number from 1 to 90, not {0:?}")]
    PendingActionDays(String),
    #[error("{0} must be detection types separated by commas, not {1:?}")]
    ContextTypes(&'static str, String),
    #[error(
        "NETWORK_CONTEXT_TYPES and LOCATION_CONTEXT_TYPES both name {0:?}: a type judges by one \
         context"
    )]
    ContextTypeTwice(String),
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &'static str| {
            lookup(name)
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let level = lookup("USER_RISK_POLICY_LEVEL").unwrap_or_else(|| "high".to_string());
        let user_risk_policy_level = match level.as_str() {
            "low" => RiskLevel::Low,
            "medium" => RiskLevel::Medium,
            "high" => RiskLevel::High,
            _ => return Err(ConfigError::PolicyLevel(level)),
        };
        let receives = lookup("MAX_RECEIVE_COUNT").unwrap_or_else(|| "5".to_string());
        let max_receive_count = receives
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or(ConfigError::MaxReceiveCount(receives))?;
        let on_premises = lookup("ALLOW_ON_PREMISES_PASSWORD_CHANGE_TO_RESET_USER_RISK")
            .unwrap_or_else(|| "false".to_string());
        let on_premises_password_change_resets_risk = match on_premises.as_str() {
            "true" => true,
            "false" | "" => false,
            _ => return Err(ConfigError::OnPremisesSetting(on_premises)),
        };
        let learning = lookup("LEARNING_DAYS").unwrap_or_else(|| DEFAULT_LEARNING_DAYS.to_string());
        let learning_days = learning
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LEARNING_DAYS).contains(n))
            .ok_or(ConfigError::LearningDays(learning))?;
        let days = lookup("FAMILIAR_CONTEXT_DAYS")
            .unwrap_or_else(|| DEFAULT_FAMILIAR_CONTEXT_DAYS.to_string());
        let familiar_context_days = days
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_FAMILIAR_CONTEXT_DAYS).contains(n))
            .ok_or(ConfigError::FamiliarContextDays(days))?;
        let pending = lookup("PENDING_ACTION_DAYS")
            .unwrap_or_else(|| DEFAULT_PENDING_ACTION_DAYS.to_string());
        let pending_action_days = pending
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PENDING_ACTION_DAYS).contains(n))
            .ok_or(ConfigError::PendingActionDays(pending))?;
        let defaults = ContextTypes::default();
        let context_types = ContextTypes {
            network: type_list(&lookup, "NETWORK_CONTEXT_TYPES", defaults.network)?,
            location: type_list(&lookup, "LOCATION_CONTEXT_TYPES", defaults.location)?,
        };
        if let Some(both) = context_types
            .network
            .intersection(&context_types.location)
            .next()
        {
            return Err(ConfigError::ContextTypeTwice(both.clone()));
        }
        Ok(Config {
            table_name: get("TABLE_NAME")?,
            feedback_queue_url: get("FEEDBACK_QUEUE_URL")?,
            events_queue_url: get("EVENTS_QUEUE_URL")?,
            remediation_command_queue_url: get("REMEDIATION_COMMAND_QUEUE_URL")?,
            user_risk_policy_level,
            on_premises_password_change_resets_risk,
            learning_days,
            familiar_context_days,
            context_types,
            pending_action_days,
            max_receive_count,
        })
    }

    /// What the rules take from the configuration.
    pub fn settings(&self) -> Settings {
        Settings {
            on_premises_password_change_resets_risk: self.on_premises_password_change_resets_risk,
            learning_days: self.learning_days,
            familiar_context_days: self.familiar_context_days,
            context_types: Arc::new(self.context_types.clone()),
        }
    }
}

/// A comma-separated list of detection types; unset, `default`; set but empty, none at all.
fn type_list(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: BTreeSet<String>,
) -> Result<BTreeSet<String>, ConfigError> {
    let Some(text) = lookup(name) else {
        return Ok(default);
    };
    let types: BTreeSet<String> = text
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    if types.iter().all(|t| is_valid_name(t)) {
        Ok(types)
    } else {
        Err(ConfigError::ContextTypes(name, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let set: Vec<(String, String)> = [
            ("TABLE_NAME", "t"),
            ("FEEDBACK_QUEUE_URL", "f"),
            ("EVENTS_QUEUE_URL", "e"),
            ("REMEDIATION_COMMAND_QUEUE_URL", "r"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Config::from_lookup(|name| {
            set.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn a_password_changed_on_premises_resets_risk_only_when_set_to_true() {
        let setting = "ALLOW_ON_PREMISES_PASSWORD_CHANGE_TO_RESET_USER_RISK";
        let resets = |value: Option<&str>| {
            let extra: Vec<(&str, &str)> = value.map(|v| (setting, v)).into_iter().collect();
            config(&extra).map(|c| c.on_premises_password_change_resets_risk)
        };
        assert_eq!(resets(None), Ok(false));
        assert_eq!(resets(Some("false")), Ok(false));
        assert_eq!(resets(Some("")), Ok(false));
        assert_eq!(resets(Some("true")), Ok(true));
        assert_eq!(
            resets(Some("yes")),
            Err(ConfigError::OnPremisesSetting("yes".to_string()))
        );
    }

    #[test]
    fn defaults_and_refusals() {
        let defaults = config(&[]).expect("the required names are set");
        assert_eq!(defaults.user_risk_policy_level, RiskLevel::High);
        assert_eq!(defaults.max_receive_count, 5);
        assert_eq!(defaults.learning_days, 14);
        assert_eq!(
            config(&[("LEARNING_DAYS", "30")]).map(|c| c.learning_days),
            Ok(30)
        );
        for bad in ["0", "366", "two weeks"] {
            assert_eq!(
                config(&[("LEARNING_DAYS", bad)]),
                Err(ConfigError::LearningDays(bad.to_string()))
            );
        }
        assert_eq!(
            config(&[("TABLE_NAME", "")]),
            Err(ConfigError::Missing("TABLE_NAME"))
        );
        assert_eq!(
            config(&[("USER_RISK_POLICY_LEVEL", "none")]),
            Err(ConfigError::PolicyLevel("none".to_string()))
        );
        for (name, level) in [("low", RiskLevel::Low), ("medium", RiskLevel::Medium)] {
            assert_eq!(
                config(&[("USER_RISK_POLICY_LEVEL", name)]).map(|c| c.user_risk_policy_level),
                Ok(level)
            );
        }
        assert_eq!(
            config(&[("MAX_RECEIVE_COUNT", "0")]),
            Err(ConfigError::MaxReceiveCount("0".to_string()))
        );
    }

    #[test]
    fn familiar_contexts_live_90_days_unless_set_and_judge_the_spec_types_unless_named() {
        let defaults = config(&[]).expect("the required names are set");
        assert_eq!(defaults.familiar_context_days, 90);
        assert_eq!(defaults.pending_action_days, 7);
        assert_eq!(
            config(&[("PENDING_ACTION_DAYS", "90")]).map(|c| c.pending_action_days),
            Ok(90)
        );
        for bad in ["0", "91", "a week"] {
            assert_eq!(
                config(&[("PENDING_ACTION_DAYS", bad)]),
                Err(ConfigError::PendingActionDays(bad.to_string()))
            );
        }
        assert_eq!(defaults.context_types, ContextTypes::default());
        assert_eq!(
            config(&[("FAMILIAR_CONTEXT_DAYS", "30")]).map(|c| c.familiar_context_days),
            Ok(30)
        );
        for bad in ["0", "731", "forever"] {
            assert_eq!(
                config(&[("FAMILIAR_CONTEXT_DAYS", bad)]),
                Err(ConfigError::FamiliarContextDays(bad.to_string()))
            );
        }
        let named = config(&[
            ("NETWORK_CONTEXT_TYPES", " unfamiliarFeatures , vpnUse,"),
            ("LOCATION_CONTEXT_TYPES", ""),
        ])
        .map(|c| c.settings().context_types);
        let types = named.expect("valid lists");
        assert_eq!(types.network.len(), 2);
        assert!(types.network.contains("vpnUse") && types.location.is_empty());
        assert_eq!(
            config(&[("LOCATION_CONTEXT_TYPES", "new country")]),
            Err(ConfigError::ContextTypes(
                "LOCATION_CONTEXT_TYPES",
                "new country".to_string()
            ))
        );
        assert_eq!(
            config(&[("LOCATION_CONTEXT_TYPES", "newCountry,unfamiliarFeatures")]),
            Err(ConfigError::ContextTypeTwice(
                "unfamiliarFeatures".to_string()
            ))
        );
    }
}
