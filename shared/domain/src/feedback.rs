//! Feedback and ingestion as units of work: what an analyst or a machine asked for,
//! the per-target results, and the risk processing state derived from them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::location::{GeoCoordinates, SignInLocation};
use crate::model::{
    Activity, DetectionLevel, DetectionTimingType, Evidence, RiskDetail, RiskLevel, RiskState,
};
use crate::principal::{principal_key, PrincipalKind};

/// What a unit of work asks for. The first seven are SPEC 8's feedback actions;
/// `ingestDetections` is the work behind `POST /risk-detections`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FeedbackAction {
    ConfirmSignInSafe,
    ConfirmSignInCompromised,
    DismissSignIn,
    ConfirmUserCompromised,
    ConfirmUserSafe,
    DismissUser,
    PasswordEvent,
    IngestDetections,
    /// `DELETE /familiar-contexts/{id}`: forget what feedback taught (SPEC 3a).
    ForgetFamiliarContext,
    /// A service principal's risk (SPEC 3c).
    ConfirmServicePrincipalCompromised,
    DismissServicePrincipal,
}

impl FeedbackAction {
    /// Whether the targets of this action are service principals' ids.
    pub fn targets_service_principals(self) -> bool {
        matches!(
            self,
            FeedbackAction::ConfirmServicePrincipalCompromised
                | FeedbackAction::DismissServicePrincipal
        )
    }

    /// Whether the targets of this action are sign-in ids (otherwise user or detection ids).
    pub fn targets_sign_ins(self) -> bool {
        matches!(
            self,
            FeedbackAction::ConfirmSignInSafe
                | FeedbackAction::ConfirmSignInCompromised
                | FeedbackAction::DismissSignIn
        )
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PasswordEventKind {
    SecurePasswordReset,
    SecurePasswordChange,
    AdminTemporaryPassword,
    /// Counts only while `ALLOW_ON_PREMISES_PASSWORD_CHANGE_TO_RESET_USER_RISK` is on;
    /// otherwise it is recorded in the user's history and changes nothing.
    OnPremisesPasswordChange,
    /// Multifactor authentication passed, under a risk-based policy, for one sign-in.
    MfaPassed,
}

/// A password event as processing applies it: its kind, and the sign-in an `mfaPassed` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordEvent {
    pub kind: PasswordEventKind,
    pub sign_in_id: Option<String>,
}

impl PasswordEvent {
    /// An event that names no sign-in.
    pub fn of(kind: PasswordEventKind) -> PasswordEvent {
        PasswordEvent {
            kind,
            sign_in_id: None,
        }
    }
}

impl PasswordEventKind {
    pub fn risk_detail(self) -> RiskDetail {
        match self {
            PasswordEventKind::SecurePasswordReset => RiskDetail::UserPerformedSecuredPasswordReset,
            PasswordEventKind::SecurePasswordChange => {
                RiskDetail::UserPerformedSecuredPasswordChange
            }
            PasswordEventKind::AdminTemporaryPassword => {
                RiskDetail::AdminGeneratedTemporaryPassword
            }
            PasswordEventKind::OnPremisesPasswordChange => {
                RiskDetail::UserChangedPasswordOnPremises
            }
            PasswordEventKind::MfaPassed => RiskDetail::UserPassedMfaDrivenByRiskBasedPolicy,
        }
    }
}

/// The risk processing state shown to analysts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FeedbackState {
    Queued,
    Processing,
    Completed,
    CompletedWithErrors,
    Failed,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetOutcome {
    Pending,
    Applied,
    NotFound,
    Failed,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetResult {
    pub id: String,
    pub result: TargetOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl TargetResult {
    pub fn new(id: impl Into<String>, result: TargetOutcome) -> Self {
        TargetResult {
            id: id.into(),
            result,
            reason: None,
        }
    }
}

/// A feedback (or ingestion) as the API shows it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Feedback {
    pub id: String,
    pub action: FeedbackAction,
    pub state: FeedbackState,
    pub submitted_by: Actor,
    pub submitted_date_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_date_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_event_kind: Option<PasswordEventKind>,
    /// The sign-in an `mfaPassed` event names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_id: Option<String>,
    pub targets: Vec<TargetResult>,
    /// Why the whole feedback failed (it was dead-lettered), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

/// The processing state follows from the per-target results: nothing processed yet is `queued`
/// (targets found unknown at intake do not count), some processed is `processing`, all done is
/// `completed` unless a target was not applied.
pub fn derive_state(targets: &[TargetResult], failure_reason: Option<&str>) -> FeedbackState {
    let pending = targets
        .iter()
        .filter(|t| t.result == TargetOutcome::Pending)
        .count();
    let processed = targets
        .iter()
        .any(|t| matches!(t.result, TargetOutcome::Applied | TargetOutcome::Failed));
    if pending > 0 {
        if failure_reason.is_some() {
            FeedbackState::Failed
        } else if !processed {
            FeedbackState::Queued
        } else {
            FeedbackState::Processing
        }
    } else if targets.iter().all(|t| t.result == TargetOutcome::Applied) {
        FeedbackState::Completed
    } else {
        FeedbackState::CompletedWithErrors
    }
}

/// A detection as a signal source posts it (SPEC 8, "detection (in)"): the service's own shape,
/// or Graph's `riskDetection` exactly as Graph returns it, so that the `value` of a Graph page
/// can be posted unchanged. [`DetectionIn::in_own_shape`] brings Graph's fields into the
/// service's: `requestId` names the sign-in, which the flat `ipAddress` and `location`
/// describe, and the flat `ipAddress` is evidence an indicator can match.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DetectionIn {
    /// Graph's `#microsoft.graph.riskDetection`, if sent.
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = graph_detection_type))]
    pub odata_type: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Id))]
    pub id: String,
    /// The user the detection concerns; or, on a service principal's detection, none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Id))]
    pub user_id: String,
    /// The service principal a detection concerns instead of a user (SPEC 3c): Graph's
    /// `servicePrincipalRiskDetection`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Id>))]
    pub service_principal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub service_principal_display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Id>))]
    pub app_id: Option<String>,
    /// The service principal's credentials the detection concerns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::openapi::Id>, max_items = 100))]
    pub key_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub user_principal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub user_display_name: Option<String>,
    /// Graph beta's older exports call it `riskType`, which is taken too.
    #[serde(alias = "riskType")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub risk_event_type: String,
    /// `none` only on a detection that arrives closed; `hidden` and `unknownFutureValue` count
    /// as `low`.
    pub risk_level: DetectionLevel,
    pub detection_timing_type: DetectionTimingType,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub source: String,
    pub detected_date_time: DateTime<Utc>,
    /// Graph's: the service sets its own from whether a sign-in is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_date_time: Option<DateTime<Utc>>,
    /// Graph's, taken as text and not used: the service keeps its own (Graph's own example
    /// of a service principal's detection holds `2021-10-26T16:28:17.8202975Z)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub last_updated_date_time: Option<String>,
    /// A detection exported closed (`remediated`, `dismissed`, `confirmedSafe`) is stored as it
    /// is and adds no risk; `confirmedCompromised` stays so; `none` and `atRisk` arrive at risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_state: Option<RiskState>,
    /// Kept with a state it arrives in, other than `atRisk`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_detail: Option<RiskDetail>,
    /// Graph's name for the sign-in's id; a detection names its sign-in this way or by
    /// `signIn`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Id>))]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Id>))]
    pub correlation_id: Option<String>,
    /// The client's address, kept as text even when it is none (Graph's own examples hold
    /// `123.456.7.89`): only an address is ever matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ShortText>))]
    pub ip_address: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::location::location_text_or_object::deserialize"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = location_in))]
    pub location: Option<SignInLocation>,
    /// Kept as text, whatever it says (Graph's own examples go outside Graph's enum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub token_issuer_type: Option<String>,
    /// JSON text, as Graph gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::AdditionalInfo>))]
    pub additional_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<SignInIn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// Graph's `@odata.type` of a user's detection, and of a service principal's.
pub const GRAPH_DETECTION_TYPE: &str = "#microsoft.graph.riskDetection";
pub const GRAPH_SERVICE_PRINCIPAL_DETECTION_TYPE: &str =
    "#microsoft.graph.servicePrincipalRiskDetection";

#[cfg(feature = "openapi")]
fn graph_detection_type() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{SchemaType, Type};
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([
            serde_json::json!(GRAPH_DETECTION_TYPE),
            serde_json::json!(GRAPH_SERVICE_PRINCIPAL_DETECTION_TYPE),
            serde_json::Value::Null,
        ]))
        .description(Some("Graph's type name, if sent."))
        .into()
}

/// A location is Graph's object, or text.
#[cfg(feature = "openapi")]
fn location_in() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::PartialSchema;
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(SignInLocation::schema())
        .item(crate::openapi::Text::schema())
        .item(
            utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::Null),
        )
        .description(Some(
            "Graph's `signInLocation`, or text: `City, CountryOrRegion`, `City, State, \
             CountryOrRegion`, or a city alone.",
        ))
        .into()
}

impl DetectionIn {
    /// The state and detail it arrives in, when it arrives in one besides at risk.
    pub fn arrives_in(&self) -> Option<(RiskState, RiskDetail)> {
        match self.risk_state? {
            RiskState::None | RiskState::AtRisk => None,
            state => Some((state, self.risk_detail.unwrap_or_default())),
        }
    }

    /// The detection in the service's own shape: Graph's `requestId`, flat `ipAddress` and
    /// `location` become the sign-in they describe, the flat address becomes evidence, and the
    /// sign-in's address and place are the detection's too.
    pub fn in_own_shape(mut self) -> DetectionIn {
        if let Some(id) = &self.service_principal_id {
            // Its aggregate's key; a service principal's sign-in is not one the service keeps,
            // so `requestId` stays as Graph gives it.
            self.user_id = principal_key(PrincipalKind::ServicePrincipal, id);
        }
        let places = [
            self.location.as_mut(),
            self.sign_in.as_mut().and_then(|s| s.location.as_mut()),
        ];
        for place in places.into_iter().flatten() {
            place.geo_coordinates = place.geo_coordinates.map(GeoCoordinates::rounded);
        }
        // An empty `location` names no place.
        self.location = self.location.take().filter(|l| !l.is_empty());
        if let Some(sign_in) = self.sign_in.as_mut() {
            sign_in.location = sign_in.location.take().filter(|l| !l.is_empty());
        }
        if let Some(ip) = &self.ip_address {
            let evidence = self.evidence.get_or_insert_with(Evidence::default);
            if evidence.ip_address.is_none() {
                evidence.ip_address = Some(ip.clone());
            }
        }
        let of_a_user = self.service_principal_id.is_none();
        if let Some(request_id) = self.request_id.take_if(|_| of_a_user) {
            if self.sign_in.is_none() {
                let real_time = matches!(
                    self.detection_timing_type,
                    DetectionTimingType::Realtime | DetectionTimingType::NearRealtime
                );
                self.sign_in = Some(SignInIn {
                    id: request_id,
                    created_date_time: self.activity_date_time.unwrap_or(self.detected_date_time),
                    ip_address: self.ip_address.clone(),
                    location: self.location.clone(),
                    app_display_name: None,
                    // Graph's detection does not carry its sign-in's real-time level: a
                    // real-time detection is what set it.
                    risk_level_during_sign_in: match (real_time, self.arrives_in()) {
                        (true, None) => self.risk_level.counts_as(),
                        _ => RiskLevel::None,
                    },
                });
            }
        }
        if let Some(sign_in) = &self.sign_in {
            if self.ip_address.is_none() {
                self.ip_address = sign_in.ip_address.clone();
            }
            if self.location.is_none() {
                self.location = sign_in.location.clone();
            }
        }
        self
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInIn {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Id))]
    pub id: String,
    pub created_date_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::ShortText>))]
    pub ip_address: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::location::location_text_or_object::deserialize"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = location_in))]
    pub location: Option<SignInLocation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub app_display_name: Option<String>,
    pub risk_level_during_sign_in: RiskLevel,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(result: TargetOutcome) -> TargetResult {
        TargetResult::new("x", result)
    }

    #[test]
    fn state_follows_target_results() {
        use TargetOutcome::*;
        assert_eq!(
            derive_state(&[t(Pending), t(Pending)], None),
            FeedbackState::Queued
        );
        assert_eq!(
            derive_state(&[t(Applied), t(Pending)], None),
            FeedbackState::Processing
        );
        assert_eq!(
            derive_state(&[t(NotFound), t(Pending)], None),
            FeedbackState::Queued
        );
        assert_eq!(derive_state(&[t(Applied)], None), FeedbackState::Completed);
        assert_eq!(
            derive_state(&[t(Applied), t(NotFound)], None),
            FeedbackState::CompletedWithErrors
        );
        assert_eq!(
            derive_state(&[t(Pending)], Some("dead-lettered")),
            FeedbackState::Failed
        );
    }
}
