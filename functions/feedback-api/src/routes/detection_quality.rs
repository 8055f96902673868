//! Detection quality: precision per detection type and source over a period.

use chrono::Utc;
use http::StatusCode;
use utoipa::IntoParams;

use riskfeedback::openapi::DayOrTime;
use riskfeedback::quality::{self, QualityReport};
use riskfeedback::store::QualityStore;
use riskfeedback_http::json;
use riskfeedback_http::router::{Call, RouteResult};

use crate::App;

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// First day, default 30 days before `to`; a time stands for its day (UTC).
    #[param(value_type = Option<DayOrTime>)]
    pub from: Option<String>,
    /// Last day, default today; a time stands for its day (UTC).
    #[param(value_type = Option<DayOrTime>)]
    pub to: Option<String>,
}

#[utoipa::path(get, path = "/detection-quality", tag = "Detection quality",
    params(Period),
    responses((status = 200, description = "Precision per detection type and source", body = QualityReport)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn detection_quality(app: &App, call: Call) -> RouteResult {
    let query = &call.query;
    let (from, to) = quality::report_days(query.get("from"), query.get("to"), Utc::now())?;
    let totals = app
        .store
        .quality_totals(&call.caller.tenant_id, from, to)
        .await?;
    Ok(json(StatusCode::OK, &QualityReport::new(from, to, totals)))
}
