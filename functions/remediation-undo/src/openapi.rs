//! The OpenAPI description of this function's routes: one documented operation per route of
//! `routes::route`, with the role it requires, its parameters, bodies and answers. The tests
//! merge it with feedback-api's into `openapi.json` and check it against the router, the
//! template and the roles the handlers enforce.

use utoipa::{IntoParams, OpenApi, ToSchema};

use riskfeedback::actions::IngestResult;
use riskfeedback::openapi::{Comment, Id, Paging};
use riskfeedback::remediation::{ActionStatus, EntityType, RemediationAction};
use riskfeedback_http::answers::UndoResult;
use riskfeedback_http::ListBody;

use crate::routes::{ActionsBody, ReasonBody, UndoManyBody, UndoResultBody};

#[derive(OpenApi)]
#[openapi(
    paths(
        ingest_actions,
        list_actions,
        get_action,
        approve_action,
        reject_action,
        undo_action,
        undo_actions,
        record_undo_result,
    ),
    components(schemas(View))
)]
pub struct RemediationDoc;

/// Which tab of the action center: `pending` (pending, approved) or `history` (the rest).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub enum View {
    Pending,
    History,
}

/// Why the action is undone: an undo must say why. (The route reads a `ReasonBody` and
/// requires its reason.)
#[derive(ToSchema, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UndoBody {
    #[schema(value_type = Comment)]
    pub reason: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ActionFilter {
    pub view: Option<View>,
    pub status: Option<ActionStatus>,
    #[param(value_type = Option<Id>)]
    pub investigation_id: Option<String>,
    pub entity_type: Option<EntityType>,
}

#[utoipa::path(post, path = "/remediation-actions", tag = "Action center",
    request_body = ActionsBody,
    responses((status = 200, description = "Each action's result: created, updated, unchanged or conflict", body = ListBody<IngestResult>)),
    security(("jwt" = ["Signals.Ingest"])))]
pub fn ingest_actions() {}

#[utoipa::path(get, path = "/remediation-actions", tag = "Action center",
    params(ActionFilter, Paging),
    responses((status = 200, description = "One page of actions, newest first", body = ListBody<RemediationAction>)),
    security(("jwt" = ["Risk.Read"])))]
pub fn list_actions() {}

#[utoipa::path(get, path = "/remediation-actions/{actionId}", tag = "Action center",
    params(("actionId" = Id, Path)),
    responses((status = 200, description = "The action", body = RemediationAction)),
    security(("jwt" = ["Risk.Read"])))]
pub fn get_action() {}

#[utoipa::path(post, path = "/remediation-actions/{actionId}/approve", tag = "Action center",
    params(("actionId" = Id, Path)), request_body(content = Option<ReasonBody>),
    responses((status = 200, description = "Approved", body = RemediationAction)),
    security(("jwt" = ["Remediation.Manage"])))]
pub fn approve_action() {}

#[utoipa::path(post, path = "/remediation-actions/{actionId}/reject", tag = "Action center",
    params(("actionId" = Id, Path)), request_body(content = Option<ReasonBody>),
    responses((status = 200, description = "Rejected", body = RemediationAction)),
    security(("jwt" = ["Remediation.Manage"])))]
pub fn reject_action() {}

#[utoipa::path(post, path = "/remediation-actions/{actionId}/undo", tag = "Action center",
    params(("actionId" = Id, Path)), request_body = UndoBody,
    responses((status = 200, description = "undoRequested: the compensating command is sent", body = RemediationAction)),
    security(("jwt" = ["Remediation.Manage"])))]
pub fn undo_action() {}

#[utoipa::path(post, path = "/remediation-actions/undo", tag = "Action center",
    request_body = UndoManyBody,
    responses((status = 200, description = "Each action's result, or the problem that refused it", body = ListBody<UndoResult>)),
    security(("jwt" = ["Remediation.Manage"])))]
pub fn undo_actions() {}

#[utoipa::path(post, path = "/remediation-actions/{actionId}/undo-result", tag = "Action center",
    params(("actionId" = Id, Path)), request_body = UndoResultBody,
    responses((status = 200, description = "The executor's result, recorded", body = RemediationAction)),
    security(("jwt" = ["Signals.Ingest"])))]
pub fn record_undo_result() {}
