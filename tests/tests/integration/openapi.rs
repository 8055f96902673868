//! The OpenAPI document: generated from the code, checked in as `openapi.json`, valid OpenAPI
//! 3.1, and true to the template's routes, the router and the role each route declares.

use std::collections::BTreeSet;
use std::process::Command;

use riskfeedback::role::Role;
use riskfeedback_devstack::openapi::{document, json, roles};
use riskfeedback_devstack::repo_root;
use riskfeedback_devstack::template::Template;
use riskfeedback_http::router::Routes;
use riskfeedback_tests::harness::{As, TestStack};

#[test]
fn the_checked_in_document_is_what_the_code_generates() {
    let path = repo_root().join("openapi.json");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == json(),
        "openapi.json differs from the code's document: run scripts/openapi and commit it"
    );
}

#[test]
fn the_document_validates_as_openapi_3_1() {
    let validator = repo_root().join("target/tools/venv/bin/openapi-spec-validator");
    assert!(
        validator.exists(),
        "{} is missing: scripts/test installs it",
        validator.display()
    );
    let file = std::env::temp_dir().join(format!("openapi-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, json()).expect("write the document");
    let output = Command::new(&validator)
        .arg(&file)
        .output()
        .expect("run the validator");
    let _ = std::fs::remove_file(&file);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && said.trim_end().ends_with("OK"),
        "{}{}",
        said.chars().take(2000).collect::<String>(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The template's HTTP API routes and the document's operations are the same set.
#[test]
fn every_route_of_the_template_is_documented_and_nothing_else() {
    let template = Template::load(&repo_root().join("template.yaml")).expect("template");
    let routed: BTreeSet<(String, String)> = template
        .routes
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let documented: BTreeSet<(String, String)> = roles(&document())
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    assert_eq!(routed, documented);
}

/// The method and path of every route a function declares.
fn declared<A>(routes: &Routes<A>) -> BTreeSet<(String, String)> {
    routes
        .iter()
        .flat_map(|r| r.methods.iter().map(|m| (m.to_string(), r.path.clone())))
        .collect()
}

/// API Gateway sends each route of the template to the function whose own routes declare it.
#[test]
fn the_template_routes_each_path_to_the_function_that_declares_it() {
    let template = Template::load(&repo_root().join("template.yaml")).expect("template");
    for route in &template.routes {
        let declared = match route.function.as_str() {
            "FeedbackApiFunction" => declared(feedback_api::routes()),
            "RemediationUndoFunction" => declared(remediation_undo::routes()),
            _ => BTreeSet::new(),
        };
        assert!(
            declared.contains(&(route.method.clone(), route.path.clone())),
            "{} {} goes to {}, which does not declare it",
            route.method,
            route.path,
            route.function
        );
    }
}

/// Each operation names one role; a caller with every other role gets `403`, and a caller with
/// that role alone gets past authorization (and finds a route).
#[tokio::test]
async fn each_operation_requires_exactly_the_role_it_documents() {
    let t = TestStack::new().await;
    for (method, path, needed) in roles(&document()) {
        let [role] = needed.as_slice() else {
            panic!("{method} {path} names {needed:?}, not one role");
        };
        let concrete = path.replace('{', "doc-").replace('}', "");
        let others: Vec<&str> = Role::ALL
            .into_iter()
            .filter(|r| r != role)
            .map(Role::name)
            .collect();
        let refused = t
            .call(
                &As::with_roles("contoso", &others),
                &method,
                &concrete,
                None,
            )
            .await;
        let (kind, expected) = if path.starts_with("/graph/") {
            (&refused.graph_error(403)["code"], "accessDenied")
        } else {
            (&refused.problem(403)["type"], "/problems/forbidden")
        };
        assert_eq!(kind, expected, "{method} {path} without {}", role.name());
        let allowed = t
            .call(
                &As::with_roles("contoso", &[role.name()]),
                &method,
                &concrete,
                None,
            )
            .await;
        assert_ne!(
            allowed.status,
            403,
            "{method} {path} with {}: {allowed:?}",
            role.name()
        );
        assert!(
            !allowed.is_no_route(),
            "{method} {path} is documented but not routed"
        );
    }
}
