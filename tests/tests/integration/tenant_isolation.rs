//! Nothing crosses tenants (SPEC 1, 6): as tenant B, every route on tenant A's ids answers
//! exactly as it does for ids that exist nowhere, and changes nothing.

use riskfeedback_tests::harness::{detection, Answer, As, TestStack};
use serde_json::{json, Value};

/// Tenant A's data: a user with a sign-in, a feedback, a completed action, an indicator and a
/// submission.
struct Seeded {
    feedback: String,
    indicator: String,
    submission: String,
}

async fn seed(t: &TestStack, a: &As) -> Seeded {
    let sent = t
        .call(
            a,
            "POST",
            "/risk-detections",
            Some(json!({"detections": [detection("d1", "alice", "high", Some("s1"))]})),
        )
        .await;
    t.drain().await;
    let action = json!({"actions": [{"id": "act-1", "investigationId": "inv-1", "actionType": "quarantineFile",
        "entity": {"type": "file", "id": "f1"}, "status": "completed", "createdDateTime": "2026-11-20T10:00:00Z"}]});
    assert_eq!(
        t.call(a, "POST", "/remediation-actions", Some(action))
            .await
            .status,
        200
    );
    let indicator = t
        .call(a, "POST", "/indicators", Some(json!({"indicatorType": "ipAddress", "indicatorValue": "203.0.113.5", "action": "block", "title": "t"})))
        .await;
    let submission = t
        .call(a, "POST", "/submissions", Some(json!({"category": "falseNegative", "itemType": "emailUrl", "item": {"url": "https://evil.example/x"}})))
        .await;
    let id = |answer: &Answer, path: &[&str]| {
        path.iter()
            .fold(&answer.body, |v, k| &v[*k])
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    Seeded {
        feedback: id(&sent, &["id"]),
        indicator: id(&indicator, &["id"]),
        submission: id(&submission, &["submission", "id"]),
    }
}

/// The answer with the id taken out, so "exists elsewhere" and "does not exist" compare equal.
fn shape(answer: &Answer, id: &str) -> (u16, Value) {
    let text = answer.body.to_string().replace(id, "ID");
    (
        answer.status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn another_tenants_ids_are_indistinguishable_from_missing_ones() {
    let t = TestStack::new().await;
    let a = As::analyst("tenant-a");
    let b = As::analyst("tenant-b");
    let seeded = seed(&t, &a).await;
    let before = t.item_count().await;
    let missing = "0000-missing";
    let read_routes = [
        ("GET", "/risky-users/{}", "alice".to_string()),
        ("GET", "/risky-users/{}/history", "alice".to_string()),
        ("GET", "/risky-signins/{}", "s1".to_string()),
        ("GET", "/feedback/{}", seeded.feedback.clone()),
        ("GET", "/remediation-actions/{}", "act-1".to_string()),
        ("GET", "/indicators/{}", seeded.indicator.clone()),
        ("GET", "/submissions/{}", seeded.submission.clone()),
        ("DELETE", "/indicators/{}", seeded.indicator.clone()),
    ];
    for (method, template, id) in &read_routes {
        let theirs = t.call(&b, method, &template.replace("{}", id), None).await;
        let nobodys = t
            .call(&b, method, &template.replace("{}", missing), None)
            .await;
        assert_eq!(theirs.status, 404, "{method} {template}: {theirs:?}");
        assert_eq!(
            shape(&theirs, id),
            shape(&nobodys, missing),
            "{method} {template}"
        );
    }
    let action_routes = ["approve", "reject", "undo", "undo-result"];
    for verb in action_routes {
        let body = if verb == "undo-result" {
            json!({"status": "undone"})
        } else {
            json!({"reason": "r"})
        };
        let theirs = t
            .call(
                &b,
                "POST",
                &format!("/remediation-actions/act-1/{verb}"),
                Some(body.clone()),
            )
            .await;
        let nobodys = t
            .call(
                &b,
                "POST",
                &format!("/remediation-actions/{missing}/{verb}"),
                Some(body),
            )
            .await;
        assert_eq!(theirs.status, 404, "{verb}: {theirs:?}");
        assert_eq!(shape(&theirs, "act-1"), shape(&nobodys, missing), "{verb}");
    }
    for (path, field) in [
        ("/risky-users/dismiss", "userIds"),
        ("/risky-signins/confirm-safe", "signInIds"),
    ] {
        let id = if field == "userIds" { "alice" } else { "s1" };
        let answer = t.call(&b, "POST", path, Some(json!({ field: [id] }))).await;
        assert_eq!(
            answer.body["targets"],
            json!([{"id": id, "result": "notFound"}]),
            "{path}"
        );
    }
    let undo_many = t
        .call(
            &b,
            "POST",
            "/remediation-actions/undo",
            Some(json!({"investigationId": "inv-1", "reason": "r"})),
        )
        .await;
    assert_eq!(undo_many.body["value"], json!([]));
    let linked = t
        .call(
            &b,
            "POST",
            "/submissions",
            Some(json!({"category": "falsePositive", "itemType": "file",
            "item": {"fileSha256": "a".repeat(64)}, "remediationActionIds": ["act-1"]})),
        )
        .await;
    assert_eq!(
        linked.problem(400)["errors"][0]["field"],
        "remediationActionIds[0]"
    );
    for list in [
        "/risky-users",
        "/risky-signins",
        "/risk-detections",
        "/remediation-actions",
        "/indicators",
    ] {
        assert_eq!(
            t.call(&b, "GET", list, None).await.body["value"],
            json!([]),
            "{list}"
        );
    }
    t.drain().await;
    // Tenant B's refused and empty-handed calls wrote only its own (unknown-target) feedback.
    let a_view = t.call(&a, "GET", "/risky-users/alice", None).await;
    assert_eq!(a_view.body["riskState"], "atRisk");
    assert_eq!(
        t.call(&a, "GET", "/remediation-actions/act-1", None)
            .await
            .body["status"],
        "completed"
    );
    assert_eq!(
        t.call(
            &a,
            "GET",
            &format!("/indicators/{}", seeded.indicator),
            None
        )
        .await
        .status,
        200
    );
    assert!(
        t.item_count().await <= before + 2,
        "only tenant B's two feedback records were added"
    );
}
