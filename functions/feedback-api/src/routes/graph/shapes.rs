//! Graph's shapes of the service's own: Graph's names where they differ, Graph's fields where
//! the service's lack them (a risky service principal's shape is Graph's already). The service's other fields stay: a Graph SDK keeps them as
//! additional data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use riskfeedback::history::HistoryEntry;
use riskfeedback::model::{Detection, RiskDetail, RiskLevel, RiskState, User};
use riskfeedback::views::RiskyUser;

/// Graph's `riskyUser`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GraphRiskyUser {
    #[serde(flatten)]
    pub user: RiskyUser,
    /// The service keeps no deleted users.
    pub is_deleted: bool,
}

impl From<RiskyUser> for GraphRiskyUser {
    fn from(user: RiskyUser) -> Self {
        GraphRiskyUser {
            user,
            is_deleted: false,
        }
    }
}

/// Graph's `riskDetection` (and `servicePrincipalRiskDetection`): the detection as the API
/// shows it, with its sign-in's id as `requestId`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GraphRiskDetection {
    #[serde(flatten)]
    pub detection: Detection,
    pub request_id: Option<String>,
}

impl From<Detection> for GraphRiskDetection {
    fn from(detection: Detection) -> Self {
        let detection = detection.as_seen();
        GraphRiskDetection {
            request_id: detection.sign_in_id.clone(),
            detection,
        }
    }
}

/// Graph's `riskUserActivity`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GraphActivity {
    pub risk_event_types: Vec<String>,
    pub detail: RiskDetail,
}

/// Graph's `riskyUserHistoryItem` (and `riskyServicePrincipalHistoryItem`): the principal's
/// risk after one change, who made it (`initiatedBy`, an id, as Graph has it) and why.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GraphHistoryItem {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The user's names, as the user's record has them now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<String>,
    pub initiated_by: String,
    pub activity: GraphActivity,
    pub risk_level: RiskLevel,
    pub risk_state: RiskState,
    pub risk_detail: RiskDetail,
    pub risk_last_updated_date_time: DateTime<Utc>,
    pub is_deleted: bool,
    pub is_processing: bool,
    /// The service's own: the feedback that made the change, and the analyst's comment.
    pub feedback_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl GraphHistoryItem {
    /// One entry of the history of `principal` (whose names a user's items carry).
    pub fn new(entry: HistoryEntry, principal: &User) -> Self {
        let entry = entry.as_seen();
        let of_a_user = !entry.user_id.is_empty();
        let name = |name: &Option<String>| name.clone().filter(|_| of_a_user);
        GraphHistoryItem {
            id: entry.id,
            user_id: Some(entry.user_id).filter(|_| of_a_user),
            user_principal_name: name(&principal.user_principal_name),
            user_display_name: name(&principal.user_display_name),
            service_principal_id: entry.service_principal_id,
            initiated_by: entry.initiated_by.id,
            activity: GraphActivity {
                risk_event_types: entry.activity.risk_event_types,
                detail: entry.activity.detail,
            },
            risk_level: entry.risk_level,
            risk_state: entry.risk_state,
            risk_detail: entry.risk_detail,
            risk_last_updated_date_time: entry.created_date_time,
            is_deleted: false,
            is_processing: false,
            feedback_id: entry.feedback_id,
            comment: entry.comment,
        }
    }
}

/// The body of Graph's service principal actions: `confirmCompromised`, `dismiss`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePrincipalIdsBody {
    #[schema(value_type = riskfeedback::openapi::IdList)]
    pub service_principal_ids: Vec<String>,
}

/// The body of Graph's user actions: `confirmCompromised`, `confirmSafe`, `dismiss`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserIdsBody {
    #[schema(value_type = riskfeedback::openapi::IdList)]
    pub user_ids: Vec<String>,
}

/// The body of Graph's beta sign-in actions: `confirmSafe`, `confirmCompromised`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestIdsBody {
    #[schema(value_type = riskfeedback::openapi::IdList)]
    pub request_ids: Vec<String>,
}
