//! The action center end to end (SPEC 4): ingestion, pending and history views, approve and
//! reject, undo with exactly one compensating command, the executor's report, and refusals.

use riskfeedback_tests::harness::{Answer, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";

fn analyst() -> As {
    As::analyst(TENANT)
}

fn action(
    id: &str,
    investigation: &str,
    action_type: &str,
    entity: (&str, &str),
    status: &str,
    created: &str,
) -> Value {
    json!({
        "id": id,
        "investigationId": investigation,
        "actionType": action_type,
        "entity": {"type": entity.0, "id": entity.1, "displayName": format!("{} {}", entity.0, entity.1)},
        "status": status,
        "createdDateTime": created,
    })
}

/// inv-1: a completed file quarantine, a completed soft delete, a pending device isolation;
/// inv-2: a completed hard delete (not undoable).
async fn seeded() -> TestStack {
    let t = TestStack::new().await;
    let answer = post(
        &t,
        "/remediation-actions",
        json!({"actions": [
            action("a-file", "inv-1", "quarantineFile", ("file", "f-1"), "completed", "2026-11-20T10:00:00Z"),
            action("a-mail", "inv-1", "softDeleteEmail", ("emailMessage", "m-1"), "completed", "2026-11-20T10:01:00Z"),
            action("a-device", "inv-1", "isolateDevice", ("device", "d-1"), "pending", "2026-11-20T10:02:00Z"),
            action("a-hard", "inv-2", "hardDeleteEmail", ("emailMessage", "m-2"), "completed", "2026-11-20T09:00:00Z"),
        ]}),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let results: Vec<&str> = answer.body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["result"].as_str())
        .collect();
    assert_eq!(results, ["created"; 4]);
    t
}

async fn post(t: &TestStack, path: &str, body: Value) -> Answer {
    t.call(&analyst(), "POST", path, Some(body)).await
}

async fn get(t: &TestStack, path: &str) -> Value {
    let answer = t.call(&analyst(), "GET", path, None).await;
    assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    answer.body
}

fn ids(list: &Value) -> Vec<String> {
    list["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn the_action_center_lists_pending_and_history_newest_first() {
    let t = seeded().await;
    assert_eq!(
        ids(&get(&t, "/remediation-actions?view=pending").await),
        ["a-device"]
    );
    assert_eq!(
        ids(&get(&t, "/remediation-actions?view=history").await),
        ["a-mail", "a-file", "a-hard"]
    );
    assert_eq!(
        ids(&get(
            &t,
            "/remediation-actions?view=history&investigationId=inv-1"
        )
        .await),
        ["a-mail", "a-file"]
    );
    assert_eq!(
        ids(&get(&t, "/remediation-actions?entityType=emailMessage").await),
        ["a-mail", "a-hard"]
    );
    assert_eq!(
        ids(&get(&t, "/remediation-actions?status=pending").await),
        ["a-device"]
    );
    // Each filter and pair of filters has a list of its own, newest first.
    for (query, expected) in [
        (
            "view=history&entityType=emailMessage",
            vec!["a-mail", "a-hard"],
        ),
        (
            "status=completed&entityType=emailMessage",
            vec!["a-mail", "a-hard"],
        ),
        ("status=completed", vec!["a-mail", "a-file", "a-hard"]),
        ("entityType=device", vec!["a-device"]),
        ("view=pending&entityType=file", vec![]),
        ("investigationId=inv-1&entityType=device", vec!["a-device"]),
        (
            "investigationId=inv-1&status=completed",
            vec!["a-mail", "a-file"],
        ),
        ("", vec!["a-device", "a-mail", "a-file", "a-hard"]),
    ] {
        assert_eq!(
            ids(&get(&t, &format!("/remediation-actions?{query}")).await),
            expected,
            "{query}"
        );
    }
    let page = get(&t, "/remediation-actions?limit=2").await;
    assert_eq!(ids(&page).len(), 2);
    let next = page["nextCursor"].as_str().unwrap_or_default();
    assert_eq!(
        ids(&get(&t, &format!("/remediation-actions?limit=2&cursor={next}")).await),
        ["a-file", "a-hard"]
    );
    t.call(
        &analyst(),
        "GET",
        "/remediation-actions?view=pending&status=undone",
        None,
    )
    .await
    .problem(400);
    t.call(&analyst(), "GET", "/remediation-actions?view=later", None)
        .await
        .problem(400);
}

#[tokio::test]
async fn approve_and_reject_decide_pending_actions_only() {
    let t = seeded().await;
    let approved = post(&t, "/remediation-actions/a-device/approve", json!({})).await;
    assert_eq!(approved.status, 200, "{approved:?}");
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["decidedBy"]["actor"]["id"], "analyst-1");
    // The executor then reports it done, and it moves to history.
    let done = post(
        &t,
        "/remediation-actions",
        json!({"actions": [action("a-device", "inv-1", "isolateDevice", ("device", "d-1"), "completed", "2026-11-20T10:02:00Z")]}),
    )
    .await;
    assert_eq!(done.body["value"][0]["result"], "updated");
    assert_eq!(
        get(&t, "/remediation-actions/a-device").await["status"],
        "completed"
    );
    let refused = post(
        &t,
        "/remediation-actions/a-file/reject",
        json!({"reason": "too late"}),
    )
    .await;
    assert_eq!(
        refused.problem(409)["type"],
        "/problems/invalid-action-status"
    );
    let detail = refused.problem(409)["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("is completed"),
        "API words, not Rust's: {detail}"
    );
    let conflicting = post(
        &t,
        "/remediation-actions",
        json!({"actions": [action("a-file", "inv-9", "quarantineFile", ("file", "f-1"), "completed", "2026-11-20T10:00:00Z")]}),
    )
    .await;
    assert_eq!(conflicting.body["value"][0]["result"], "conflict");
}

#[tokio::test]
async fn undo_sends_one_compensating_command_and_takes_the_executors_report() {
    let t = seeded().await;
    let undone = post(
        &t,
        "/remediation-actions/a-file/undo",
        json!({"reason": "the file is clean"}),
    )
    .await;
    assert_eq!(undone.status, 200, "{undone:?}");
    assert_eq!(undone.body["status"], "undoRequested");
    let undo = &undone.body["undo"];
    assert_eq!(undo["requestedBy"]["id"], "analyst-1");
    assert_eq!(undo["reason"], "the file is clean");
    assert_eq!(undo["command"], "releaseFile");
    assert!(undo["commandSentDateTime"].is_string());
    let again = post(
        &t,
        "/remediation-actions/a-file/undo",
        json!({"reason": "again"}),
    )
    .await;
    assert_eq!(again.body["undo"], *undo, "a second undo changes nothing");
    let commands = t.receive_all("RemediationCommandQueue").await;
    assert_eq!(commands.len(), 1, "{commands:?}");
    let command = &commands[0];
    assert_eq!(command["commandId"], undo["commandId"]);
    assert_eq!(command["command"], "releaseFile");
    assert_eq!(command["actionId"], "a-file");
    assert_eq!(command["entity"]["id"], "f-1");
    assert_eq!(command["tenantId"], TENANT);
    let report = json!({"status": "undone", "commandId": undo["commandId"]});
    let reported = post(
        &t,
        "/remediation-actions/a-file/undo-result",
        report.clone(),
    )
    .await;
    assert_eq!(reported.status, 200, "{reported:?}");
    assert_eq!(reported.body["status"], "undone");
    assert!(reported.body["undo"]["completedDateTime"].is_string());
    assert_eq!(
        post(&t, "/remediation-actions/a-file/undo-result", report)
            .await
            .status,
        200
    );
    let failed = post(
        &t,
        "/remediation-actions/a-mail/undo",
        json!({"reason": "not phish"}),
    )
    .await;
    assert_eq!(failed.status, 200);
    let report = json!({"status": "undoFailed", "failureReason": "mailbox gone"});
    let reported = post(&t, "/remediation-actions/a-mail/undo-result", report).await;
    assert_eq!(reported.body["status"], "undoFailed");
    assert_eq!(reported.body["undo"]["failureReason"], "mailbox gone");
    let wrong = post(
        &t,
        "/remediation-actions/a-mail/undo-result",
        json!({"status": "undone", "commandId": "other"}),
    )
    .await;
    assert_eq!(wrong.problem(400)["errors"][0]["field"], "commandId");
}

#[tokio::test]
async fn undo_refusals_each_say_why() {
    let t = seeded().await;
    let pending = post(
        &t,
        "/remediation-actions/a-device/undo",
        json!({"reason": "r"}),
    )
    .await;
    assert_eq!(
        pending.problem(409)["type"],
        "/problems/invalid-action-status"
    );
    let hard = post(
        &t,
        "/remediation-actions/a-hard/undo",
        json!({"reason": "r"}),
    )
    .await;
    assert_eq!(hard.problem(409)["type"], "/problems/action-not-undoable");
    post(&t, "/remediation-actions/nope/undo", json!({"reason": "r"}))
        .await
        .problem(404);
    let no_reason = post(&t, "/remediation-actions/a-file/undo", json!({})).await;
    assert_eq!(no_reason.problem(400)["errors"][0]["field"], "reason");
    let reader = As::with_roles(TENANT, &["Risk.Read", "Risk.Feedback"]);
    let forbidden = t
        .call(
            &reader,
            "POST",
            "/remediation-actions/a-file/undo",
            Some(json!({"reason": "r"})),
        )
        .await;
    assert_eq!(
        forbidden.problem(403)["detail"],
        "the caller lacks the role Remediation.Manage"
    );
    let other_tenant = t
        .call(
            &As::analyst("fabrikam"),
            "POST",
            "/remediation-actions/a-file/undo",
            Some(json!({"reason": "r"})),
        )
        .await;
    other_tenant.problem(404);
    assert_eq!(
        get(&t, "/remediation-actions/a-file").await["status"],
        "completed"
    );
    assert!(t.receive_all("RemediationCommandQueue").await.is_empty());
}

#[tokio::test]
async fn a_whole_investigation_is_undone_in_one_call() {
    let t = seeded().await;
    let answer = post(
        &t,
        "/remediation-actions/undo",
        json!({"investigationId": "inv-1", "reason": "false positive"}),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let results: Vec<(String, String)> = answer.body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_string(),
                r["result"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            ("a-device".to_string(), "refused".to_string()),
            ("a-mail".to_string(), "undoRequested".to_string()),
            ("a-file".to_string(), "undoRequested".to_string()),
        ]
    );
    assert_eq!(
        answer.body["value"][0]["problem"]["type"],
        "/problems/invalid-action-status"
    );
    let commands = t.receive_all("RemediationCommandQueue").await;
    let mut sent: Vec<&str> = commands
        .iter()
        .filter_map(|c| c["command"].as_str())
        .collect();
    sent.sort();
    assert_eq!(sent, ["releaseFile", "restoreEmail"]);
    let by_ids = post(
        &t,
        "/remediation-actions/undo",
        json!({"actionIds": ["a-file", "ghost"], "reason": "again"}),
    )
    .await;
    assert_eq!(by_ids.body["value"][0]["result"], "undoRequested");
    assert_eq!(by_ids.body["value"][1]["problem"]["status"], 404);
    assert!(
        t.receive_all("RemediationCommandQueue").await.is_empty(),
        "nothing is sent twice"
    );
    let both = post(
        &t,
        "/remediation-actions/undo",
        json!({"actionIds": ["a-file"], "investigationId": "inv-1", "reason": "r"}),
    )
    .await;
    both.problem(400);
}

/// SQS failing after the action moved: the caller gets 503, and asking again sends the same
/// command (same id) exactly once.
#[tokio::test]
async fn an_undo_whose_command_could_not_be_sent_is_sent_on_retry() {
    let t = seeded().await;
    let broken = t.with_commands_unreachable();
    let failed = broken
        .call(
            &analyst(),
            "POST",
            "/remediation-actions/a-file/undo",
            Some(json!({"reason": "clean"})),
        )
        .await;
    assert!(failed.problem(503).is_object());
    assert!(failed.headers.contains_key("retry-after"));
    let stored = get(&t, "/remediation-actions/a-file").await;
    assert_eq!(stored["status"], "undoRequested");
    assert!(stored["undo"].get("commandSentDateTime").is_none());
    let retried = post(
        &t,
        "/remediation-actions/a-file/undo",
        json!({"reason": "clean"}),
    )
    .await;
    assert_eq!(retried.status, 200);
    assert_eq!(
        retried.body["undo"]["commandId"],
        stored["undo"]["commandId"]
    );
    post(
        &t,
        "/remediation-actions/a-file/undo",
        json!({"reason": "clean"}),
    )
    .await;
    let commands = t.receive_all("RemediationCommandQueue").await;
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert_eq!(commands[0]["commandId"], stored["undo"]["commandId"]);
}

#[tokio::test]
async fn entities_are_other_systems_references() {
    let t = TestStack::new().await;
    let long_path = format!("C:\\Users\\alice\\{}.exe", "d".repeat(2048 - 19));
    let entities = [
        (
            "a-url",
            "url",
            "https://contoso.example/x?y=1&z=%20".to_string(),
        ),
        (
            "a-msg",
            "emailMessage",
            "<CAF=x1@mail.contoso.example>".to_string(),
        ),
        ("a-path", "file", long_path.clone()),
    ];
    let actions: Vec<Value> = entities
        .iter()
        .map(|(id, kind, entity)| {
            let mut a = action(
                id,
                "inv-7",
                "quarantineFile",
                (kind, entity),
                "completed",
                "2026-11-20T10:00:00Z",
            );
            a["entity"]["displayName"] = json!("evidence");
            a
        })
        .collect();
    let answer = post(&t, "/remediation-actions", json!({ "actions": actions })).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    for (id, _, entity) in &entities {
        assert_eq!(
            get(&t, &format!("/remediation-actions/{id}")).await["entity"]["id"],
            entity.as_str()
        );
    }
    let too_long = format!("{long_path}x");
    let mut long = action(
        "a-long",
        "inv-7",
        "quarantineFile",
        ("file", &too_long),
        "completed",
        "2026-11-20T10:00:00Z",
    );
    long["entity"]["displayName"] = json!("evidence");
    let refused = post(&t, "/remediation-actions", json!({ "actions": [long] })).await;
    assert_eq!(
        refused.problem(400)["errors"][0]["field"],
        "actions[0].entity.id"
    );
}

/// The document lets an approval's body be left out or be JSON `null`; both mean no reason.
#[tokio::test]
async fn an_approval_with_a_null_body_has_no_reason() {
    let t = seeded().await;
    let headers = [("content-type".to_string(), "application/json".to_string())].into();
    let approved = t
        .call_raw(
            Some(&analyst()),
            "POST",
            "/remediation-actions/a-device/approve",
            headers,
            b"null".to_vec(),
        )
        .await;
    assert_eq!(approved.status, 200, "{approved:?}");
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["decidedBy"]["reason"], Value::Null);
}

/// A body of whitespace alone is neither left out nor JSON: it is refused and decides nothing.
#[tokio::test]
async fn an_approval_whose_body_is_only_whitespace_is_refused() {
    let t = seeded().await;
    for body in [&b"\t"[..], b" ", b"\r\n"] {
        let headers = [("content-type".to_string(), "application/json".to_string())].into();
        let refused = t
            .call_raw(
                Some(&analyst()),
                "POST",
                "/remediation-actions/a-device/approve",
                headers,
                body.to_vec(),
            )
            .await;
        refused.problem(400);
    }
    let action = get(&t, "/remediation-actions/a-device").await;
    assert_eq!(action["status"], "pending", "{action}");
}
