//! False-positive and false-negative submissions (SPEC 4): linked to detections and actions,
//! counted in detection quality, and, for a false positive, undoing the linked actions and
//! allow-listing the item in the same call: all of it or, when refused, none of it.

use std::collections::BTreeMap;

use riskfeedback_tests::harness::{detection, Answer, As, TestStack, ALL_ROLES};
use serde_json::{json, Value};

const TENANT: &str = "contoso";
const HASH: &str = "5f2b1c0e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c";

fn analyst() -> As {
    As::analyst(TENANT)
}

/// A detection on a file (alice) and two remediation actions on it: one completed quarantine,
/// one pending device isolation.
async fn seeded() -> TestStack {
    let t = TestStack::new().await;
    let mut d = detection("d-file", "alice", "high", None);
    d["riskEventType"] = json!("malwareFile");
    d["source"] = json!("DefenderForEndpoint");
    d["evidence"] = json!({"fileSha256": HASH});
    t.ingest(&analyst(), vec![d]).await;
    let action = |id: &str, kind: &str, entity: &str, status: &str| {
        json!({"id": id, "investigationId": "inv-7", "actionType": kind,
               "entity": {"type": entity, "id": format!("{entity}-1")}, "status": status,
               "createdDateTime": "2026-11-21T08:00:00Z"})
    };
    let posted = t
        .call(
            &analyst(),
            "POST",
            "/remediation-actions",
            Some(json!({"actions": [
                action("a-quarantine", "quarantineFile", "file", "completed"),
                action("a-isolate", "isolateDevice", "device", "pending"),
            ]})),
        )
        .await;
    assert_eq!(posted.status, 200);
    t
}

fn false_positive(extra: Value) -> Value {
    let mut body = json!({
        "category": "falsePositive",
        "itemType": "file",
        "item": {"fileSha256": HASH, "fileName": "build-tool.exe", "deviceId": "device-1"},
        "detectionIds": ["d-file"],
        "notes": "Our own signed build tool.",
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

async fn submit(t: &TestStack, caller: &As, body: Value) -> Answer {
    t.call(caller, "POST", "/submissions", Some(body)).await
}

async fn quality_row(t: &TestStack) -> Value {
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (
        today - chrono::Duration::days(1),
        today + chrono::Duration::days(1),
    );
    let answer = t
        .call(
            &analyst(),
            "GET",
            &format!("/detection-quality?from={from}&to={to}"),
            None,
        )
        .await;
    answer.body["value"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["riskEventType"] == "malwareFile")
                .cloned()
        })
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_false_positive_undoes_and_allow_lists_in_one_call() {
    let t = seeded().await;
    let answer = submit(
        &t,
        &analyst(),
        false_positive(json!({"remediationActionIds": ["a-quarantine"], "undoRemediation": true, "allowIndicator": {}})),
    )
    .await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let id = answer.body["submission"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        answer.headers.get("location"),
        Some(&format!("/submissions/{id}"))
    );
    assert_eq!(answer.body["undoResults"][0]["result"], "undoRequested");
    assert!(
        answer.body["submission"].get("requestHash").is_none(),
        "internal"
    );
    assert_eq!(answer.body["indicator"]["action"], "allow");
    assert_eq!(answer.body["indicator"]["indicatorValue"], HASH);
    let commands = t.receive_all("RemediationCommandQueue").await;
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0]["command"], "releaseFile");
    assert_eq!(commands[0]["reason"], "Our own signed build tool.");
    let stored = t
        .call(&analyst(), "GET", &format!("/submissions/{id}"), None)
        .await;
    assert_eq!(stored.status, 200);
    assert_eq!(stored.body["submittedBy"]["id"], "analyst-1");
    assert_eq!(stored.body["detectionIds"], json!(["d-file"]));
    t.call(
        &As::analyst("fabrikam"),
        "GET",
        &format!("/submissions/{id}"),
        None,
    )
    .await
    .problem(404);
    // The false positive does not come back.
    let mut again = detection("d-file-2", "bob", "high", None);
    again["evidence"] = json!({"fileSha256": HASH.to_uppercase()});
    t.ingest(&analyst(), vec![again]).await;
    let bobs = t
        .call(&analyst(), "GET", "/risk-detections?userId=bob", None)
        .await;
    assert_eq!(bobs.body["value"][0]["riskDetail"], "allowIndicatorMatched");
    let row = quality_row(&t).await;
    assert_eq!(row["falsePositives"], 1);
    assert_eq!(row["source"], "DefenderForEndpoint");
}

#[tokio::test]
async fn a_submission_without_the_roles_for_its_extras_changes_nothing() {
    let t = seeded().await;
    let before = t.item_count().await;
    let feedback_only = As::with_roles(TENANT, &["Risk.Read", "Risk.Feedback"]);
    let undo = submit(
        &t,
        &feedback_only,
        false_positive(json!({"remediationActionIds": ["a-quarantine"], "undoRemediation": true})),
    )
    .await;
    assert_eq!(
        undo.problem(403)["detail"],
        "the caller lacks the role Remediation.Manage"
    );
    let allow = submit(
        &t,
        &feedback_only,
        false_positive(json!({"allowIndicator": {}})),
    )
    .await;
    assert_eq!(
        allow.problem(403)["detail"],
        "the caller lacks the role Indicators.Manage"
    );
    // An action that cannot be undone refuses the whole call.
    let pending = submit(
        &t,
        &analyst(),
        false_positive(json!({"remediationActionIds": ["a-isolate"], "undoRemediation": true, "allowIndicator": {}})),
    )
    .await;
    assert_eq!(
        pending.problem(409)["type"],
        "/problems/invalid-action-status"
    );
    assert_eq!(t.item_count().await, before, "nothing half-done");
    assert!(t.receive_all("RemediationCommandQueue").await.is_empty());
    let plain = submit(&t, &feedback_only, false_positive(json!({}))).await;
    assert_eq!(plain.status, 201, "{plain:?}");
}

#[tokio::test]
async fn submissions_are_validated_per_item_type() {
    let t = seeded().await;
    let before = t.item_count().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"category": "falsePositive", "itemType": "emailMessage", "item": {}}),
            "item.networkMessageId",
        ),
        (
            json!({"category": "falsePositive", "itemType": "emailUrl", "item": {"url": "not a url"}}),
            "item.url",
        ),
        (
            json!({"category": "falsePositive", "itemType": "file", "item": {"fileSha256": "xyz"}}),
            "item.fileSha256",
        ),
        (
            json!({"category": "falseNegative", "itemType": "file", "item": {"fileSha256": HASH}, "allowIndicator": {}}),
            "allowIndicator",
        ),
        (
            json!({"category": "falsePositive", "itemType": "emailMessage", "item": {"networkMessageId": "m1"}, "allowIndicator": {}}),
            "allowIndicator",
        ),
        (
            json!({"category": "falsePositive", "itemType": "file", "item": {"fileSha256": HASH}, "undoRemediation": true}),
            "undoRemediation",
        ),
        (
            json!({"category": "falsePositive", "itemType": "file", "item": {"fileSha256": HASH}, "detectionIds": ["nope"]}),
            "detectionIds[0]",
        ),
        (
            json!({"category": "falsePositive", "itemType": "file", "item": {"fileSha256": HASH}, "remediationActionIds": ["nope"]}),
            "remediationActionIds[0]",
        ),
        (
            json!({"category": "maybe", "itemType": "file", "item": {}}),
            "category",
        ),
        (
            json!({"category": "falsePositive", "itemType": "file", "item": {"fileSha256": HASH, "colour": "red"}}),
            "item.colour",
        ),
    ];
    for (body, field) in cases {
        let answer = submit(&t, &analyst(), body.clone()).await;
        assert_eq!(answer.problem(400)["errors"][0]["field"], field, "{body}");
    }
    assert_eq!(t.item_count().await, before);
}

#[tokio::test]
async fn a_retried_submission_counts_once() {
    let t = seeded().await;
    let headers = |key: &str| {
        BTreeMap::from([
            ("content-type".to_string(), "application/json".to_string()),
            ("idempotency-key".to_string(), key.to_string()),
        ])
    };
    let body =
        false_positive(json!({"remediationActionIds": ["a-quarantine"], "undoRemediation": true}))
            .to_string();
    let caller = As::with_roles(TENANT, ALL_ROLES);
    let first = t
        .call_raw(
            Some(&caller),
            "POST",
            "/submissions",
            headers("s-1"),
            body.clone().into_bytes(),
        )
        .await;
    let second = t
        .call_raw(
            Some(&caller),
            "POST",
            "/submissions",
            headers("s-1"),
            body.into_bytes(),
        )
        .await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(
        first.body["submission"]["id"],
        second.body["submission"]["id"]
    );
    assert_eq!(t.receive_all("RemediationCommandQueue").await.len(), 1);
    assert_eq!(quality_row(&t).await["falsePositives"], 1);
    let changed = false_positive(json!({"notes": "something else"})).to_string();
    let reused = t
        .call_raw(
            Some(&caller),
            "POST",
            "/submissions",
            headers("s-1"),
            changed.into_bytes(),
        )
        .await;
    reused.problem(422);
}
