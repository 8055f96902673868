//! The API's OpenAPI 3.1 document, assembled from the two HTTP functions' routes
//! (`feedback_api::routes`, `remediation_undo::routes`): each route's declaration is its
//! operation, and the schemas are the API's own types'. `openapi.json` at the repository root is this document, checked in: `scripts/openapi`
//! rewrites it, the tests fail when the two differ, and the local gateway serves it at
//! `GET /openapi.json`.

mod cross_field_rules;

use riskfeedback::role::Role;
use riskfeedback_http::graph::{is_graph_path, GraphError};
use riskfeedback_http::problem::{Problem, ProblemType};
use riskfeedback_http::router::{declared_roles, Routes};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::info::{InfoBuilder, LicenseBuilder};
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::schema::{Object, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

/// The media type of every error answer off the Graph surface.
pub const PROBLEM_JSON: &str = "application/problem+json";
/// The response of every error on the Graph surface.
const GRAPH_ERROR: &str = "GraphError";

/// The whole document.
pub fn document() -> Document {
    let mut doc = Document::default();
    add_routes(&mut doc, feedback_api::routes());
    add_routes(&mut doc, remediation_undo::routes());
    doc.components
        .get_or_insert_with(Default::default)
        .schemas
        .insert(Problem::name().into_owned(), Problem::schema());
    doc.info = InfoBuilder::new()
        .title("riskfeedback")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(DESCRIPTION))
        .license(Some(LicenseBuilder::new().name("Apache-2.0").build()))
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "jwt",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(ROLES))
                .build(),
        ),
    );
    for kind in ProblemType::ALL {
        components.responses.insert(
            response_name(kind),
            RefOr::T(
                ResponseBuilder::new()
                    .description(format!("{} (`{}`)", kind.title, kind.uri()))
                    .content(
                        PROBLEM_JSON,
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            ),
        );
    }
    components
        .schemas
        .insert(GraphError::name().into_owned(), GraphError::schema());
    let mut nested = Vec::new();
    GraphError::schemas(&mut nested);
    components.schemas.extend(nested);
    components.responses.insert(
        GRAPH_ERROR.to_string(),
        RefOr::T(
            ResponseBuilder::new()
                .description("Graph's error envelope; `error.code` says what went wrong")
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(GraphError::name())))
                        .build(),
                )
                .build(),
        ),
    );
    if let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") {
        document_problem_types(problem);
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let changes = [item.post.as_mut(), item.put.as_mut(), item.delete.as_mut()];
        for operation in changes.into_iter().flatten() {
            add_problems(path, true, operation);
        }
        if let Some(operation) = item.get.as_mut() {
            add_problems(path, false, operation);
        }
    }
    doc
}

/// The document as `openapi.json` holds it, with the rules that span fields, which utoipa's
/// types cannot hold, written in.
pub fn json() -> String {
    let mut doc = serde_json::to_value(document()).unwrap_or_default();
    if let Some(serde_json::Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        let mut by_name = std::mem::take(schemas).into_iter().collect();
        cross_field_rules::add_cross_field_rules(&mut by_name);
        schemas.extend(by_name);
    }
    let mut text =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// Each route's operation, and the schemas it refers to.
fn add_routes<A>(doc: &mut Document, routes: &Routes<A>) {
    let mut schemas = Vec::new();
    for route in routes.iter() {
        let methods = route.methods.iter().filter_map(http_method).collect();
        doc.paths
            .add_path_operation(&route.path, methods, (route.operation)());
        (route.schemas)(&mut schemas);
    }
    doc.components
        .get_or_insert_with(Default::default)
        .schemas
        .extend(schemas);
}

fn http_method(method: &http::Method) -> Option<HttpMethod> {
    Some(match *method {
        http::Method::GET => HttpMethod::Get,
        http::Method::POST => HttpMethod::Post,
        http::Method::PUT => HttpMethod::Put,
        http::Method::DELETE => HttpMethod::Delete,
        http::Method::PATCH => HttpMethod::Patch,
        _ => return None,
    })
}

const DESCRIPTION: &str = "Feedback on risky users, sign-ins and detections (recomputed \
offline; watch `isProcessing` and `GET /feedback/{feedbackId}`), allow and block indicators, \
false positive and negative submissions, detection quality, and undo of automated-investigation \
remediation actions. Every error is RFC 9457 `application/problem+json`, except on the \
Graph-compatible surface (`/graph/v1.0`, `/graph/beta`; tag `Graph-compatible`), which answers \
Microsoft Graph's shapes and error envelope.";

const ROLES: &str = "A JWT from the issuer and for the audience the deployment names. The \
tenant is its `tid` claim, the caller its `oid` (and `name`), and its roles the `roles` (or \
`scp`) claim: Risk.Read, Risk.Feedback, Indicators.Manage, Remediation.Manage, Signals.Ingest. \
Each operation's security requirement names the role it needs.";

fn response_name(kind: ProblemType) -> String {
    kind.slug
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Lists every problem type on the `type` property, so clients can match on them.
fn document_problem_types(problem: &mut Object) {
    let list: Vec<String> = ProblemType::ALL
        .iter()
        .map(|kind| format!("`{}` ({}, {})", kind.uri(), kind.status, kind.title))
        .collect();
    if let Some(RefOr::T(Schema::Object(r#type))) = problem.properties.get_mut("type") {
        r#type.description = Some(format!("One of: {}.", list.join("; ")));
    }
}

/// The problems an operation can answer with, by what it takes: every route checks the token,
/// the role and the query; bodies can be malformed, too large or not JSON; ids can be unknown;
/// keyed requests can reuse a key, or retry an intake abandoned unfinished; changes to an
/// action can be refused; and any route can be throttled or find a dependency down.
fn add_problems(path: &str, changes: bool, operation: &mut Operation) {
    let mut kinds = vec![
        ProblemType::VALIDATION,
        ProblemType::UNAUTHENTICATED,
        ProblemType::FORBIDDEN,
        ProblemType::THROTTLED,
        ProblemType::INTERNAL,
        ProblemType::UNAVAILABLE,
    ];
    if path.contains('{') {
        kinds.push(ProblemType::NOT_FOUND);
    }
    if operation.request_body.is_some() {
        kinds.push(ProblemType::PAYLOAD_TOO_LARGE);
        kinds.push(ProblemType::UNSUPPORTED_MEDIA_TYPE);
    }
    let keyed = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| p.name == "Idempotency-Key");
    if keyed {
        kinds.push(ProblemType::IDEMPOTENCY_KEY_REUSED);
    }
    // Keyed work answered `202` goes through intake, whose retry can find it abandoned.
    if keyed && operation.responses.responses.contains_key("202") {
        kinds.push(ProblemType::INTAKE_ABANDONED);
    }
    // A false-positive submission may undo the actions it names, which can be refused.
    if changes && (path.starts_with("/remediation-actions/{") || path == "/submissions") {
        kinds.extend([
            ProblemType::INVALID_ACTION_STATUS,
            ProblemType::ACTION_NOT_UNDOABLE,
            ProblemType::ACTION_CONFLICT,
        ]);
    }
    let mut by_status: std::collections::BTreeMap<u16, Vec<ProblemType>> = Default::default();
    for kind in kinds {
        by_status.entry(kind.status).or_default().push(kind);
    }
    for (status, kinds) in by_status {
        // Problems that share a status (the 409s) share one response; the `type` tells them
        // apart. The Graph surface answers every one in Graph's envelope instead.
        let name = if is_graph_path(path) {
            GRAPH_ERROR.to_string()
        } else {
            response_name(kinds[0])
        };
        let mut reference = Ref::new(format!("#/components/responses/{name}"));
        reference.description = kinds
            .iter()
            .map(|k| k.title)
            .collect::<Vec<_>>()
            .join(", or ");
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert(RefOr::Ref(reference));
    }
}

/// The role each operation's security requirement names, by method and path.
pub fn roles(doc: &Document) -> Vec<(String, String, Vec<Role>)> {
    let mut found = Vec::new();
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", item.get.as_ref()),
            ("POST", item.post.as_ref()),
            ("PUT", item.put.as_ref()),
            ("DELETE", item.delete.as_ref()),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let roles = declared_roles(operation);
            found.push((method.to_string(), path.clone(), roles));
        }
    }
    found
}
