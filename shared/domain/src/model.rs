//! The identity-risk vocabulary of SPEC 1, with Microsoft Graph's field names.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::familiar::{FamiliarContext, TaughtBy};
use crate::location::{location_text_or_object, SignInLocation};
use crate::principal::{principal_of, PrincipalKind};

/// `none` < `low` < `medium` < `high`: the derived order is the risk order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Default,
    strum::Display,
)]
#[cfg_attr(test, derive(strum::EnumIter))]
#[serde(rename_all = "camelCase")]
#[strum(serialize_all = "camelCase")]
pub enum RiskLevel {
    #[default]
    None,
    Low,
    Medium,
    High,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, strum::Display,
)]
#[cfg_attr(test, derive(strum::EnumIter))]
#[serde(rename_all = "camelCase")]
#[strum(serialize_all = "camelCase")]
pub enum RiskState {
    #[default]
    None,
    AtRisk,
    ConfirmedSafe,
    ConfirmedCompromised,
    Dismissed,
    Remediated,
}

impl RiskState {
    /// A detection counts towards risk only while it is active (SPEC 1).
    pub fn is_active(self) -> bool {
        matches!(self, RiskState::AtRisk | RiskState::ConfirmedCompromised)
    }
}

/// Why the risk state last changed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum RiskDetail {
    #[default]
    None,
    AdminConfirmedSigninSafe,
    AdminConfirmedSigninCompromised,
    AdminDismissedRiskForSignIn,
    AdminConfirmedUserCompromised,
    AdminConfirmedAccountSafe,
    AdminDismissedAllRiskForUser,
    UserPerformedSecuredPasswordReset,
    UserPerformedSecuredPasswordChange,
    AdminGeneratedTemporaryPassword,
    AllowIndicatorMatched,
    UserChangedPasswordOnPremises,
    /// The service judged the sign-in safe, from what feedback taught it (SPEC 3a).
    AiConfirmedSigninSafe,
    #[serde(rename = "userPassedMFADrivenByRiskBasedPolicy")]
    UserPassedMfaDrivenByRiskBasedPolicy,
    AdminConfirmedServicePrincipalCompromised,
    AdminDismissedAllRiskForServicePrincipal,
    /// Graph's values that only arrive with detections exported from it (SPEC 8): the service
    /// never sets them, and keeps them as they came.
    Hidden,
    #[serde(rename = "m365DAdminDismissedDetection")]
    M365DAdminDismissedDetection,
    UnknownFutureValue,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum DetectionTimingType {
    Realtime,
    Offline,
    /// Graph's other values, which detections exported from it carry (SPEC 8).
    #[default]
    NotDefined,
    NearRealtime,
    UnknownFutureValue,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Activity {
    Signin,
    User,
    /// Graph's values, which detections exported from it carry: the service sets `signin` or
    /// `user` from whether a sign-in is named.
    ServicePrincipal,
    UnknownFutureValue,
}

/// A detection's `riskLevel` as its producer reported it: Graph's values, of which `hidden`
/// (the producer withheld the level) and `unknownFutureValue` count as `low` (SPEC 2).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, strum::Display,
)]
#[cfg_attr(test, derive(strum::EnumIter))]
#[serde(rename_all = "camelCase")]
#[strum(serialize_all = "camelCase")]
pub enum DetectionLevel {
    #[default]
    None,
    Low,
    Medium,
    High,
    Hidden,
    UnknownFutureValue,
}

impl DetectionLevel {
    /// The level the risk computation counts for an active detection of this level.
    pub fn counts_as(self) -> RiskLevel {
        match self {
            DetectionLevel::None => RiskLevel::None,
            DetectionLevel::Low | DetectionLevel::Hidden | DetectionLevel::UnknownFutureValue => {
                RiskLevel::Low
            }
            DetectionLevel::Medium => RiskLevel::Medium,
            DetectionLevel::High => RiskLevel::High,
        }
    }
}

impl From<RiskLevel> for DetectionLevel {
    fn from(level: RiskLevel) -> DetectionLevel {
        match level {
            RiskLevel::None => DetectionLevel::None,
            RiskLevel::Low => DetectionLevel::Low,
            RiskLevel::Medium => DetectionLevel::Medium,
            RiskLevel::High => DetectionLevel::High,
        }
    }
}

/// What the user risk policy asks the identity provider to enforce at the next sign-in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum RequiredRemediation {
    #[default]
    None,
    SecurePasswordReset,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Evidence {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ShortText>))]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ShortText>))]
    pub file_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::LongText>))]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub domain_name: Option<String>,
}

/// A principal's risk as the service computes it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_display_name: Option<String>,
    pub risk_level: RiskLevel,
    pub risk_state: RiskState,
    pub risk_detail: RiskDetail,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_last_updated_date_time: Option<DateTime<Utc>>,
    /// Until when the user is in learning mode (SPEC 3a), after an analyst confirmed it safe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning_until_date_time: Option<DateTime<Utc>>,
    /// A service principal's application (SPEC 3c).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
}

impl User {
    /// The principal as the API shows it: its own id, not its aggregate's key.
    pub fn as_seen(mut self) -> User {
        self.id = principal_of(&self.id).1.to_string();
        self
    }

    pub fn new(id: impl Into<String>) -> Self {
        User {
            id: id.into(),
            user_principal_name: None,
            user_display_name: None,
            risk_level: RiskLevel::None,
            risk_state: RiskState::None,
            risk_detail: RiskDetail::None,
            risk_last_updated_date_time: None,
            learning_until_date_time: None,
            app_id: None,
        }
    }
}

/// One authentication of a user. `risk_level_during_sign_in` is fixed when it happened;
/// `risk_level_aggregated` is what feedback can change.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub id: String,
    pub user_id: String,
    pub created_date_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "location_text_or_object::deserialize"
    )]
    pub location: Option<SignInLocation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_display_name: Option<String>,
    pub risk_level_during_sign_in: RiskLevel,
    pub risk_level_aggregated: RiskLevel,
    pub risk_state: RiskState,
    pub risk_detail: RiskDetail,
}

/// A stored risk detection.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Detection {
    pub id: String,
    /// The user's id; empty, and left out, on a service principal's detection as the API shows
    /// it ([`Detection::as_seen`]). Stored, it is the aggregate's key (`principal`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user_id: String,
    /// The service principal's id, on its detections as the API shows them (SPEC 3c).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The credentials of the service principal the detection concerns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_display_name: Option<String>,
    pub risk_event_type: String,
    /// As the producer reported it; what it counts for is `DetectionLevel::counts_as`.
    pub risk_level: DetectionLevel,
    pub detection_timing_type: DetectionTimingType,
    pub source: String,
    pub detected_date_time: DateTime<Utc>,
    /// When the risky activity happened, if the producer said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_date_time: Option<DateTime<Utc>>,
    pub activity: Activity,
    pub risk_state: RiskState,
    pub risk_detail: RiskDetail,
    pub last_updated_date_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_id: Option<String>,
    /// The client's address as the producer reported it: kept as text, and matched only when
    /// it is an address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "location_text_or_object::deserialize"
    )]
    pub location: Option<SignInLocation>,
    /// Graph's other fields, carried for the people and tools that read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_issuer_type: Option<String>,
    /// JSON text, as Graph gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// On a detection what feedback taught judged safe (`aiConfirmedSigninSafe`): why, and the
    /// familiar context that matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taught_by: Option<TaughtBy>,
}

impl Detection {
    /// The detection as the API shows it: a service principal's names its
    /// `servicePrincipalId`, and no user.
    pub fn as_seen(mut self) -> Detection {
        if let (PrincipalKind::ServicePrincipal, id) = principal_of(&self.user_id) {
            self.service_principal_id = Some(id.to_string());
            self.user_id.clear();
        }
        self
    }
}

/// Everything the risk rules need to know about one user: the unit of atomic change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAggregate {
    pub user: User,
    pub sign_ins: BTreeMap<String, SignIn>,
    pub detections: BTreeMap<String, Detection>,
    /// What feedback taught about this user (SPEC 3a), by context id.
    pub familiar_contexts: BTreeMap<String, FamiliarContext>,
}

impl UserAggregate {
    pub fn new(user: User) -> Self {
        UserAggregate {
            user,
            sign_ins: BTreeMap::new(),
            detections: BTreeMap::new(),
            familiar_contexts: BTreeMap::new(),
        }
    }

    pub fn active_detections(&self) -> impl Iterator<Item = &Detection> {
        self.detections
            .values()
            .filter(|d| d.risk_state.is_active())
    }

    /// Sign-ins, detections and familiar contexts that differ between `self` (before) and
    /// `after`, and the contexts `after` no longer holds.
    pub fn changes<'a>(&'a self, after: &'a UserAggregate) -> Changes<'a> {
        Changes {
            sign_ins: after
                .sign_ins
                .values()
                .filter(|s| self.sign_ins.get(&s.id) != Some(*s))
                .collect(),
            detections: after
                .detections
                .values()
                .filter(|d| self.detections.get(&d.id) != Some(*d))
                .collect(),
            familiar_contexts: after
                .familiar_contexts
                .values()
                .filter(|c| self.familiar_contexts.get(&c.id) != Some(*c))
                .collect(),
            forgotten_contexts: self
                .familiar_contexts
                .keys()
                .filter(|id| !after.familiar_contexts.contains_key(*id))
                .map(String::as_str)
                .collect(),
        }
    }
}

/// The items a change touches besides the user itself.
#[derive(Debug, Default)]
pub struct Changes<'a> {
    pub sign_ins: Vec<&'a SignIn>,
    pub detections: Vec<&'a Detection>,
    pub familiar_contexts: Vec<&'a FamiliarContext>,
    pub forgotten_contexts: Vec<&'a str>,
}

#[cfg(test)]
mod names {
    use strum::IntoEnumIterator;

    use crate::indicators::IndicatorType;
    use crate::model::{DetectionLevel, RiskLevel, RiskState};
    use crate::remediation::{ActionStatus, EntityType};

    /// Keys, filters and answers spell an enum with `Display`, JSON with serde: the same names.
    fn same_names<T: IntoEnumIterator + std::fmt::Display + serde::Serialize>() {
        for value in T::iter() {
            let json = serde_json::to_value(&value).unwrap_or_default();
            assert_eq!(json.as_str(), Some(value.to_string().as_str()));
        }
    }

    #[test]
    fn display_names_are_the_json_names() {
        same_names::<RiskLevel>();
        same_names::<DetectionLevel>();
        same_names::<RiskState>();
        same_names::<EntityType>();
        same_names::<IndicatorType>();
        same_names::<ActionStatus>();
    }
}
