//! SPEC 3c, workload identities, end to end through the handlers, DynamoDB Local and the local
//! SQS endpoint: Graph's documented service principal detections posted unchanged, the lists,
//! one service principal and its history, the two verdicts, and that a service principal is
//! never a user of the same id, nor another tenant's.

use riskfeedback_tests::harness::{detection, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";
/// The service principal of Graph's documented example.
const APP: &str = "99b8d28b-11ae-4e84-9bef-0e767e286grg";

fn analyst() -> As {
    As::analyst(TENANT)
}

fn page() -> Value {
    let path = format!(
        "{}/fixtures/graph-docs/v1.0-identityprotectionroot-list-serviceprincipalriskdetections-1.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn get(t: &TestStack, path: &str) -> Value {
    let answer = t.call(&analyst(), "GET", path, None).await;
    assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    answer.body
}

async fn post(t: &TestStack, path: &str, body: Value) {
    let answer = t.call(&analyst(), "POST", path, Some(body)).await;
    assert_eq!(answer.status, 202, "POST {path}: {answer:?}");
    t.drain().await;
}

/// Graph's page posted as it is, and a user whose id is the service principal's.
async fn seeded() -> TestStack {
    let t = TestStack::new().await;
    post(&t, "/risk-detections", page()).await;
    t.ingest(&analyst(), vec![detection("d-user", APP, "low", None)])
        .await;
    t
}

#[tokio::test]
async fn graphs_documented_page_makes_a_risky_service_principal() {
    let t = seeded().await;
    let list = get(&t, "/risky-service-principals?riskLevel=high").await;
    assert_eq!(list["value"].as_array().map(Vec::len), Some(1), "{list}");
    let app = &list["value"][0];
    for (field, expected) in [
        ("id", json!(APP)),
        ("displayName", json!("Contoso App")),
        ("appId", json!("0grb38ac-a572-491d-a9db-b07197643457")),
        ("riskState", json!("atRisk")),
        ("riskLevel", json!("high")),
    ] {
        assert_eq!(app[field], expected, "{field} of {app}");
    }
    assert_eq!(
        get(&t, &format!("/risky-service-principals/{APP}")).await,
        *app
    );

    let detections = get(
        &t,
        &format!("/service-principal-risk-detections?servicePrincipalId={APP}"),
    )
    .await;
    let d = &detections["value"][0];
    assert_eq!(
        (
            &d["servicePrincipalId"],
            &d["activity"],
            &d["riskEventType"]
        ),
        (
            &json!(APP),
            &json!("servicePrincipal"),
            &json!("investigationsThreatIntelligence")
        )
    );
    assert!(d.get("userId").is_none(), "{d}");
    let all = get(&t, "/service-principal-risk-detections").await;
    assert_eq!(all["value"].as_array().map(Vec::len), Some(1), "{all}");
}

#[tokio::test]
async fn a_service_principal_is_never_the_user_of_the_same_id() {
    let t = seeded().await;
    let user = get(&t, &format!("/risky-users/{APP}")).await;
    assert_eq!(
        user["riskLevel"], "low",
        "the user keeps its own risk: {user}"
    );
    let users = get(&t, "/risky-users").await;
    assert_eq!(users["value"].as_array().map(Vec::len), Some(1), "{users}");
    let detections = get(&t, "/risk-detections").await;
    let ids: Vec<&Value> = detections["value"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| &d["id"])
        .collect();
    assert_eq!(ids, [&json!("d-user")], "users' detections only");

    post(
        &t,
        "/risky-service-principals/dismiss",
        json!({"servicePrincipalIds": [APP]}),
    )
    .await;
    let user = get(&t, &format!("/risky-users/{APP}")).await;
    assert_eq!(
        user["riskState"], "atRisk",
        "dismissing the app leaves the user"
    );
}

#[tokio::test]
async fn confirm_compromised_and_dismiss_are_feedback_with_history() {
    let t = seeded().await;
    let answer = t
        .call(
            &analyst(),
            "POST",
            "/risky-service-principals/confirm-compromised",
            Some(json!({"servicePrincipalIds": [APP, "unknown-app"], "comment": "key leaked"})),
        )
        .await;
    assert_eq!(answer.status, 202, "{answer:?}");
    let location = answer.headers.get("location").cloned().unwrap_or_default();
    t.drain().await;
    let feedback = get(&t, &location).await;
    assert_eq!(feedback["action"], "confirmServicePrincipalCompromised");
    assert_eq!(feedback["state"], "completedWithErrors", "{feedback}");
    let results: Vec<(Value, Value)> = feedback["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| (r["id"].clone(), r["result"].clone()))
        .collect();
    assert!(
        results.contains(&(json!(APP), json!("applied"))),
        "{feedback}"
    );
    assert!(
        results.contains(&(json!("unknown-app"), json!("notFound"))),
        "{feedback}"
    );

    let app = get(&t, &format!("/risky-service-principals/{APP}")).await;
    assert_eq!(
        (&app["riskState"], &app["riskLevel"], &app["riskDetail"]),
        (
            &json!("confirmedCompromised"),
            &json!("high"),
            &json!("adminConfirmedServicePrincipalCompromised")
        )
    );
    post(
        &t,
        "/risky-service-principals/dismiss",
        json!({"servicePrincipalIds": [APP]}),
    )
    .await;
    let app = get(&t, &format!("/risky-service-principals/{APP}")).await;
    assert_eq!(
        (&app["riskState"], &app["riskLevel"], &app["riskDetail"]),
        (
            &json!("dismissed"),
            &json!("none"),
            &json!("adminDismissedAllRiskForServicePrincipal")
        )
    );

    let history = get(&t, &format!("/risky-service-principals/{APP}/history")).await;
    let entries = history["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 3, "{history}");
    assert_eq!(entries[1]["comment"], "key leaked");
    for entry in &entries {
        assert_eq!(entry["servicePrincipalId"], APP, "{entry}");
        assert!(entry.get("userId").is_none(), "{entry}");
    }
}

#[tokio::test]
async fn another_tenant_and_a_missing_one_get_404() {
    let t = seeded().await;
    let other = As::analyst("fabrikam");
    for path in [
        format!("/risky-service-principals/{APP}"),
        format!("/risky-service-principals/{APP}/history"),
        "/risky-service-principals/nobody".to_string(),
    ] {
        let who = if path.ends_with("nobody") {
            analyst()
        } else {
            other.clone()
        };
        let answer = t.call(&who, "GET", &path, None).await;
        answer.problem(404);
    }
    let list = t
        .call(&other, "GET", "/risky-service-principals", None)
        .await;
    assert_eq!(list.body["value"], json!([]));
    let bad = t
        .call(
            &analyst(),
            "POST",
            "/risky-service-principals/dismiss",
            Some(json!({"servicePrincipalIds": []})),
        )
        .await;
    assert_eq!(
        bad.problem(400)["errors"][0]["field"],
        "servicePrincipalIds"
    );
}
