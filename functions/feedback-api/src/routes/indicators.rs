//! Allow, block and alert indicators: list, create, read, delete.

use chrono::Utc;
use http::StatusCode;

use riskfeedback::errors::NotFound;
use riskfeedback::indicators::{Indicator, IndicatorIn};
use riskfeedback::manage_indicators;
use riskfeedback::openapi::{Id, Paging};
use riskfeedback::store::IndicatorStore;
use riskfeedback_http::router::{Call, RouteResult};
use riskfeedback_http::{created, json, list_page, no_content, ListBody};

use crate::App;

#[utoipa::path(get, path = "/indicators", tag = "Indicators",
    params(Paging),
    responses((status = 200, description = "One page of indicators, newest first", body = ListBody<Indicator>)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn list_indicators(app: &App, call: Call) -> RouteResult {
    let page = app
        .store
        .indicators(&call.caller.tenant_id, &call.query.page()?)
        .await?;
    Ok(list_page(page))
}

#[utoipa::path(post, path = "/indicators", tag = "Indicators",
    request_body = IndicatorIn,
    responses((status = 201, description = "Created (or the same indicator, already there)", body = Indicator)),
    security(("jwt" = ["Indicators.Manage"])))]
pub async fn create_indicator(app: &App, call: Call) -> RouteResult {
    let input: IndicatorIn = call.json()?;
    let key = call.idempotency_key()?;
    let indicator =
        manage_indicators::create(&app.store, &call.caller, input, key, Utc::now()).await?;
    Ok(created(
        &format!("/indicators/{}", indicator.id),
        &indicator,
    ))
}

#[utoipa::path(get, path = "/indicators/{indicatorId}", tag = "Indicators",
    params(("indicatorId" = Id, Path)),
    responses((status = 200, description = "The indicator", body = Indicator)),
    security(("jwt" = ["Risk.Read"])))]
pub async fn get_indicator(app: &App, call: Call) -> RouteResult {
    let id = call.id("indicatorId")?;
    match app.store.indicator(&call.caller.tenant_id, id).await? {
        Some(stored) => Ok(json(StatusCode::OK, &stored.indicator)),
        None => Err(NotFound::new("indicator", id).into()),
    }
}

#[utoipa::path(delete, path = "/indicators/{indicatorId}", tag = "Indicators",
    params(("indicatorId" = Id, Path)),
    responses((status = 204, description = "Deleted")),
    security(("jwt" = ["Indicators.Manage"])))]
pub async fn delete_indicator(app: &App, call: Call) -> RouteResult {
    let id = call.id("indicatorId")?;
    manage_indicators::delete(&app.store, &call.caller, id).await?;
    Ok(no_content())
}
