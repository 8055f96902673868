//! The shapes the read routes answer with (SPEC 8 "Shapes"), derived from stored rows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{RequiredRemediation, RiskDetail, RiskLevel, RiskState};
use crate::principal::principal_of;
use crate::store::{SignInRow, UserRow};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskyUser {
    pub id: String,
    pub user_principal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_display_name: Option<String>,
    pub risk_level: RiskLevel,
    pub risk_state: RiskState,
    pub risk_detail: RiskDetail,
    pub risk_last_updated_date_time: Option<DateTime<Utc>>,
    /// While in learning mode, until when (SPEC 3a).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning_until_date_time: Option<DateTime<Utc>>,
    pub is_processing: bool,
    pub required_remediation: RequiredRemediation,
}

impl RiskyUser {
    /// The user risk policy: at or above `policy_level`, an at-risk user must reset its password.
    pub fn new(row: UserRow, policy_level: RiskLevel) -> Self {
        let user = row.user;
        let required_remediation = if user.risk_state.is_active()
            && user.risk_level >= policy_level
            && user.risk_level > RiskLevel::None
        {
            RequiredRemediation::SecurePasswordReset
        } else {
            RequiredRemediation::None
        };
        RiskyUser {
            id: user.id,
            user_principal_name: user.user_principal_name,
            user_display_name: user.user_display_name,
            risk_level: user.risk_level,
            risk_state: user.risk_state,
            risk_detail: user.risk_detail,
            risk_last_updated_date_time: user.risk_last_updated_date_time,
            learning_until_date_time: user.learning_until_date_time,
            is_processing: row.is_processing,
            required_remediation,
        }
    }
}

/// A service principal's risk (SPEC 3c), with Graph's `riskyServicePrincipal` names.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskyServicePrincipal {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub risk_level: RiskLevel,
    pub risk_state: RiskState,
    pub risk_detail: RiskDetail,
    pub risk_last_updated_date_time: Option<DateTime<Utc>>,
    pub is_processing: bool,
}

impl From<UserRow> for RiskyServicePrincipal {
    fn from(row: UserRow) -> Self {
        let user = row.user;
        RiskyServicePrincipal {
            id: principal_of(&user.id).1.to_string(),
            app_id: user.app_id,
            display_name: user.user_display_name,
            risk_level: user.risk_level,
            risk_state: user.risk_state,
            risk_detail: user.risk_detail,
            risk_last_updated_date_time: user.risk_last_updated_date_time,
            is_processing: row.is_processing,
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskySignIn {
    #[serde(flatten)]
    pub sign_in: crate::model::SignIn,
    pub is_processing: bool,
}

impl From<SignInRow> for RiskySignIn {
    fn from(row: SignInRow) -> Self {
        RiskySignIn {
            sign_in: row.sign_in,
            is_processing: row.is_processing,
        }
    }
}
