//! The detection-quality report (SPEC 5) for a known mix of detections and feedback, from the
//! counters moved with each change.

use riskfeedback_tests::harness::{detection, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";

fn analyst() -> As {
    As::analyst(TENANT)
}

fn typed(id: &str, user: &str, kind: &str, sign_in: Option<&str>) -> Value {
    let mut d = detection(id, user, "medium", sign_in);
    d["riskEventType"] = json!(kind);
    d
}

async fn send(t: &TestStack, path: &str, body: Value) {
    let answer = t.call(&analyst(), "POST", path, Some(body)).await;
    assert_eq!(answer.status, 202, "{path}: {answer:?}");
    t.drain().await;
}

fn row<'a>(report: &'a Value, kind: &str) -> &'a Value {
    report["value"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["riskEventType"] == kind))
        .unwrap_or_else(|| panic!("no row for {kind} in {report}"))
}

#[tokio::test]
async fn quality_counts_verdicts_per_detection_type() {
    let t = TestStack::new().await;
    send(
        &t,
        "/risk-detections",
        json!({"detections": [
            typed("u1", "alice", "unfamiliarFeatures", Some("s-alice")),
            typed("u2", "bob", "unfamiliarFeatures", Some("s-bob")),
            typed("u3", "carol", "unfamiliarFeatures", Some("s-carol")),
            typed("l1", "dave", "leakedCredentials", None),
            typed("l2", "erin", "leakedCredentials", None),
            typed("a1", "frank", "anonymizedIPAddress", None),
        ]}),
    )
    .await;
    send(
        &t,
        "/risky-signins/confirm-compromised",
        json!({"signInIds": ["s-alice"]}),
    )
    .await;
    send(
        &t,
        "/risky-signins/confirm-safe",
        json!({"signInIds": ["s-bob"]}),
    )
    .await;
    send(&t, "/risky-users/dismiss", json!({"userIds": ["dave"]})).await;
    send(
        &t,
        "/risky-users/confirm-compromised",
        json!({"userIds": ["erin"]}),
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    let answer = t
        .call(
            &analyst(),
            "GET",
            &format!("/detection-quality?from={today}&to={today}"),
            None,
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let report = &answer.body;
    let unfamiliar = row(report, "unfamiliarFeatures");
    assert_eq!(unfamiliar["source"], "IdentityProtection");
    assert_eq!(unfamiliar["detections"], 3);
    assert_eq!(unfamiliar["confirmedCompromised"], 1);
    assert_eq!(unfamiliar["confirmedSafe"], 1);
    assert_eq!(unfamiliar["precision"], 0.5);
    // Confirming erin compromised confirms her leaked credentials (SPEC 3).
    let leaked = row(report, "leakedCredentials");
    assert_eq!(
        (
            leaked["detections"].as_u64(),
            leaked["dismissed"].as_u64(),
            leaked["confirmedCompromised"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(leaked["precision"], 1.0);
    let anonymized = row(report, "anonymizedIPAddress");
    assert_eq!(anonymized["detections"], 1);
    assert_eq!(anonymized["precision"], Value::Null, "nothing judged");
    let admin = row(report, "adminConfirmedUserCompromised");
    assert_eq!(
        (
            admin["detections"].as_u64(),
            admin["confirmedCompromised"].as_u64()
        ),
        (Some(1), Some(1))
    );
    // Another period, and another tenant, see none of it.
    let yesterday = today - chrono::Duration::days(1);
    let earlier = t
        .call(
            &analyst(),
            "GET",
            &format!("/detection-quality?from={yesterday}&to={yesterday}"),
            None,
        )
        .await;
    assert_eq!(earlier.body["value"], json!([]));
    let other = t
        .call(&As::analyst("fabrikam"), "GET", "/detection-quality", None)
        .await;
    assert_eq!(other.body["value"], json!([]));
}

#[tokio::test]
async fn quality_periods_are_validated() {
    let t = TestStack::new().await;
    let reversed = t
        .call(
            &analyst(),
            "GET",
            "/detection-quality?from=2026-02-01&to=2026-01-01",
            None,
        )
        .await;
    assert_eq!(reversed.problem(400)["errors"][0]["field"], "from");
    let reversed_within_a_day = t
        .call(
            &analyst(),
            "GET",
            "/detection-quality?from=2026-01-01T12:00:00Z&to=2026-01-01T08:00:00Z",
            None,
        )
        .await;
    assert_eq!(
        reversed_within_a_day.problem(400)["errors"][0]["field"],
        "from"
    );
    let too_long = t
        .call(
            &analyst(),
            "GET",
            "/detection-quality?from=2024-01-01&to=2026-01-01",
            None,
        )
        .await;
    too_long.problem(400);
    let garbage = t
        .call(&analyst(), "GET", "/detection-quality?to=yesterday", None)
        .await;
    assert_eq!(garbage.problem(400)["errors"][0]["field"], "to");
    let rfc3339 = t
        .call(
            &analyst(),
            "GET",
            "/detection-quality?from=2026-01-01T00:00:00Z&to=2026-01-31T23:59:59Z",
            None,
        )
        .await;
    assert_eq!(rfc3339.status, 200);
    assert_eq!(rfc3339.body["from"], "2026-01-01");
}
