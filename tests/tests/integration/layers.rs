//! The direction of dependencies (issue 14). Between crates, as Cargo resolves them: the domain
//! knows nothing of AWS, Lambda or HTTP, and the HTTP edge nothing of AWS or Lambda; a `use`
//! that breaks this cannot compile, and these tests keep the manifests honest. Within a crate:
//! no modules import each other in a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Every package `package` depends on for its build, with all its features on (dev and build
/// dependencies left out, since they never ship).
fn normal_dependencies(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--edges",
            "normal",
            "--all-features",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}", "--package", package])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != package)
        .map(str::to_string)
        .collect()
}

fn assert_none_of(package: &str, forbidden: &[&str]) {
    let dependencies = normal_dependencies(package);
    assert!(dependencies.len() > 10, "{package}: {dependencies:?}");
    let found: Vec<&String> = dependencies
        .iter()
        .filter(|name| forbidden.iter().any(|f| name.starts_with(f)))
        .collect();
    assert!(found.is_empty(), "{package} depends on {found:?}");
}

#[test]
fn the_domain_depends_on_nothing_of_aws_lambda_or_http() {
    assert_none_of(
        "riskfeedback",
        &[
            "aws",
            "lambda",
            "http",
            "hyper",
            "jsonwebtoken",
            "serde_dynamo",
            "riskfeedback",
        ],
    );
}

#[test]
fn the_http_edge_depends_on_nothing_of_aws_or_lambda() {
    assert_none_of(
        "riskfeedback-http",
        &[
            "aws",
            "lambda",
            "hyper",
            "jsonwebtoken",
            "serde_dynamo",
            "riskfeedback-aws",
        ],
    );
}

#[test]
fn the_adapters_depend_on_no_function() {
    assert_none_of(
        "riskfeedback-aws",
        &[
            "feedback-api",
            "risk-processor",
            "remediation-undo",
            "riskfeedback-tests",
        ],
    );
}

/// The modules of a crate that `module`'s code (its tests left out) names as `crate::...`.
fn imports(source: &str) -> BTreeSet<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    code.match_indices("crate::")
        .map(|(at, prefix)| {
            code[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// A circle of modules that import each other, if the graph has one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == module) {
            return Some(path[start..].to_vec());
        }
        if !done.insert(module.to_string()) {
            return None;
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_modules_of_a_shared_crate_import_each_other_in_a_circle() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    for krate in ["domain", "http", "aws"] {
        let src = shared.join(krate).join("src");
        let mut graph = BTreeMap::new();
        for entry in std::fs::read_dir(&src).expect("the crate's sources") {
            let path = entry.expect("a directory entry").path();
            let Some(module) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if path.extension().is_some_and(|e| e == "rs") && module != "lib" {
                let source = std::fs::read_to_string(&path).expect("a source file");
                let mut used = imports(&source);
                used.remove(module);
                graph.insert(module.to_string(), used);
            }
        }
        assert!(graph.len() > 1 || krate == "http", "{krate}: {graph:?}");
        assert_eq!(find_cycle(&graph), None, "shared/{krate}");
    }
}

#[test]
fn a_circle_of_imports_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("auth", &["problem"][..]),
        ("problem", &["role"]),
        ("role", &["auth"]),
        ("risk", &["model"]),
    ]
    .into_iter()
    .map(|(m, to)| (m.to_string(), to.iter().map(|t| t.to_string()).collect()))
    .collect();
    assert_eq!(
        find_cycle(&graph),
        Some(vec![
            "auth".to_string(),
            "problem".to_string(),
            "role".to_string()
        ])
    );
    assert_eq!(
        imports("use crate::auth::Caller;\nfn f() { crate::telemetry::x() }\n#[cfg(test)]\nuse crate::risk;"),
        ["auth", "telemetry"].map(String::from).into()
    );
}
