//! The direction of dependencies (issue 14), as Cargo resolves it: the domain crate knows
//! nothing of AWS, Lambda or HTTP, and the HTTP edge nothing of AWS or Lambda. A `use` that
//! breaks this cannot compile, since the crate is not there; this keeps the manifests honest.

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
