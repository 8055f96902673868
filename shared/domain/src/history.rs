//! A user's append-only history (SPEC 7): one entry per applied step, naming the actor, the
//! cause, the risk before and after, and what the step taught or forgot (SPEC 3a).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::familiar::ContextRef;
use crate::feedback::FeedbackAction;
use crate::model::{RiskDetail, RiskLevel, RiskState};
use crate::principal::{principal_of, PrincipalKind};

/// One change recorded in a principal's append-only history.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub id: String,
    /// The user's id; empty, and left out, in a service principal's history as the API shows
    /// it ([`HistoryEntry::as_seen`]). Stored, it is the aggregate's key (`principal`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user_id: String,
    /// The service principal's id, in its history as the API shows it (SPEC 3c).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<String>,
    pub feedback_id: String,
    pub action: FeedbackAction,
    pub activity: HistoryActivity,
    pub initiated_by: Actor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub risk_level: RiskLevel,
    pub risk_state: RiskState,
    pub risk_detail: RiskDetail,
    pub before: RiskSnapshot,
    pub created_date_time: DateTime<Utc>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryActivity {
    pub risk_event_types: Vec<String>,
    pub detail: RiskDetail,
    /// Familiar contexts the step taught (SPEC 3a).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learned_contexts: Vec<ContextRef>,
    /// Familiar contexts the step forgot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forgotten_contexts: Vec<ContextRef>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskSnapshot {
    pub risk_level: RiskLevel,
    pub risk_state: RiskState,
    pub risk_detail: RiskDetail,
}

impl HistoryEntry {
    /// The entry as the API shows it: a service principal's names its `servicePrincipalId`,
    /// and no user.
    pub fn as_seen(mut self) -> HistoryEntry {
        if let (PrincipalKind::ServicePrincipal, id) = principal_of(&self.user_id) {
            self.service_principal_id = Some(id.to_string());
            self.user_id.clear();
        }
        self
    }
}
