//! Feedback and ingestion as units of work: what an analyst or a machine asked for,
//! the per-target results, and the risk processing state derived from them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::model::{DetectionTimingType, Evidence, RiskDetail, RiskLevel};

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
}

impl FeedbackAction {
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

/// A detection as a signal source posts it (SPEC 8, "detection (in)").
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DetectionIn {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Id))]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Id))]
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub user_principal_name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub risk_event_type: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = signal_risk_levels))]
    pub risk_level: RiskLevel,
    pub detection_timing_type: DetectionTimingType,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub source: String,
    pub detected_date_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<SignInIn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// A detection is evidence of some risk: it is never of risk `none`.
#[cfg(feature = "openapi")]
fn signal_risk_levels() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::openapi::some_of(
        &[RiskLevel::Low, RiskLevel::Medium, RiskLevel::High],
        "`low`, `medium` or `high`.",
    )
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub location: Option<String>,
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
