//! Admin actions that act (SPEC 3b), end to end on the local servers: each follows from the API
//! call, to the command on the remediation command queue, to the executor's report, to the
//! user's state; approving a pending action sends its command; a command that could not be
//! sent is sent on retry, once.

use std::collections::BTreeMap;

use riskfeedback_tests::harness::{detection, Answer, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";

fn analyst() -> As {
    As::analyst(TENANT)
}

/// alice and bob at risk.
async fn seeded() -> TestStack {
    let t = TestStack::new().await;
    t.ingest(
        &analyst(),
        vec![
            detection("d-a1", "alice", "high", Some("si-a1")),
            detection("d-b1", "bob", "medium", None),
        ],
    )
    .await;
    t
}

async fn keyed(t: &TestStack, caller: &As, path: &str, body: Value, key: &str) -> Answer {
    let mut headers = BTreeMap::new();
    headers.insert("content-type".to_string(), "application/json".to_string());
    headers.insert("idempotency-key".to_string(), key.to_string());
    t.call_raw(
        Some(caller),
        "POST",
        path,
        headers,
        body.to_string().into_bytes(),
    )
    .await
}

async fn get(t: &TestStack, path: &str) -> Value {
    let answer = t.call(&analyst(), "GET", path, None).await;
    assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    answer.body
}

/// What the executor reports for a command it carried out.
fn report(command: &Value, status: &str) -> Value {
    json!({"actions": [{
        "id": command["actionId"],
        "investigationId": command["investigationId"],
        "actionType": command["actionType"],
        "entity": command["entity"],
        "status": status,
        "createdDateTime": command["requestedDateTime"],
        "completedDateTime": "2026-12-07T10:00:00Z",
    }]})
}

#[tokio::test]
async fn reset_password_sends_one_command_and_its_completion_remediates_the_user() {
    let t = seeded().await;
    let body = json!({"userIds": ["alice", "nobody"], "comment": "confirmed phish"});
    let answer = keyed(
        &t,
        &analyst(),
        "/risky-users/reset-password",
        body.clone(),
        "reset-1",
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let alice = &answer.body["value"][0];
    assert_eq!(
        (&alice["userId"], &alice["result"]),
        (&json!("alice"), &json!("created"))
    );
    let action = &alice["action"];
    assert_eq!(
        (
            &action["actionType"],
            &action["status"],
            &action["entity"]["type"]
        ),
        (&json!("resetPassword"), &json!("approved"), &json!("user"))
    );
    assert!(action["dispatch"]["sentDateTime"].is_string(), "{action}");
    assert_eq!(
        answer.body["value"][1],
        json!({"userId": "nobody", "result": "notFound"})
    );

    // A retry under the same key finds the action and sends nothing new.
    let again = keyed(
        &t,
        &analyst(),
        "/risky-users/reset-password",
        body,
        "reset-1",
    )
    .await;
    assert_eq!(again.body["value"][0]["result"], "existing", "{again:?}");
    assert_eq!(again.body["value"][0]["action"]["id"], action["id"]);
    let commands = t.receive_all("RemediationCommandQueue").await;
    assert_eq!(commands.len(), 1, "{commands:?}");
    let command = &commands[0];
    assert_eq!(
        (
            &command["command"],
            &command["commandId"],
            &command["reason"]
        ),
        (
            &json!("resetPassword"),
            &action["dispatch"]["commandId"],
            &json!("confirmed phish")
        )
    );
    assert_eq!(command["entity"]["id"], "alice");

    // The executor reports it done: alice's password was reset by an admin, in her history
    // as the analyst's who asked; a repeated report applies nothing twice.
    let executor = As::with_roles(TENANT, &["Signals.Ingest"]);
    for _ in 0..2 {
        let reported = t
            .call(
                &executor,
                "POST",
                "/remediation-actions",
                Some(report(command, "completed")),
            )
            .await;
        assert_eq!(reported.status, 200, "{reported:?}");
        t.drain().await;
    }
    let user = get(&t, "/risky-users/alice").await;
    assert_eq!(
        (&user["riskState"], &user["riskLevel"], &user["riskDetail"]),
        (
            &json!("remediated"),
            &json!("none"),
            &json!("adminGeneratedTemporaryPassword")
        )
    );
    let history = get(&t, "/risky-users/alice/history").await;
    let resets: Vec<&Value> = history["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| h["activity"]["detail"] == "adminGeneratedTemporaryPassword")
        .collect();
    assert_eq!(resets.len(), 1, "{history}");
    assert_eq!(resets[0]["initiatedBy"]["id"], analyst().claims()["oid"]);
    let stored = get(
        &t,
        &format!(
            "/remediation-actions/{}",
            action["id"].as_str().unwrap_or_default()
        ),
    )
    .await;
    assert_eq!(stored["status"], "completed");
}

#[tokio::test]
async fn block_user_is_undone_with_enable_user_and_revoke_sessions_reaches_the_executor() {
    let t = seeded().await;
    let blocked = keyed(
        &t,
        &analyst(),
        "/risky-users/block",
        json!({"userIds": ["bob"]}),
        "block-1",
    )
    .await;
    assert_eq!(blocked.status, 200, "{blocked:?}");
    let revoked = keyed(
        &t,
        &analyst(),
        "/risky-users/revoke-sessions",
        json!({"userIds": ["bob"]}),
        "revoke-1",
    )
    .await;
    assert_eq!(revoked.status, 200, "{revoked:?}");
    let commands = t.receive_all("RemediationCommandQueue").await;
    let names: Vec<&str> = commands
        .iter()
        .filter_map(|c| c["command"].as_str())
        .collect();
    assert_eq!(names, ["disableUser", "revokeSessions"]);

    let executor = As::with_roles(TENANT, &["Signals.Ingest"]);
    let done = t
        .call(
            &executor,
            "POST",
            "/remediation-actions",
            Some(report(&commands[0], "completed")),
        )
        .await;
    assert_eq!(done.status, 200, "{done:?}");
    let id = commands[0]["actionId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let undone = t
        .call(
            &analyst(),
            "POST",
            &format!("/remediation-actions/{id}/undo"),
            Some(json!({"reason": "bob confirmed his sign-ins"})),
        )
        .await;
    assert_eq!(undone.status, 200, "{undone:?}");
    let undo = t.receive_all("RemediationCommandQueue").await;
    assert_eq!(undo.len(), 1, "{undo:?}");
    assert_eq!(
        (&undo[0]["command"], &undo[0]["entity"]["id"]),
        (&json!("enableUser"), &json!("bob"))
    );
    // Blocking changes no risk by itself: bob is as he was until the analyst says otherwise.
    assert_eq!(get(&t, "/risky-users/bob").await["riskState"], "atRisk");
}

#[tokio::test]
async fn admin_actions_need_remediation_manage_and_valid_users() {
    let t = seeded().await;
    let feedback_only = As::with_roles(TENANT, &["Risk.Feedback", "Risk.Read"]);
    let refused = t
        .call(
            &feedback_only,
            "POST",
            "/risky-users/reset-password",
            Some(json!({"userIds": ["alice"]})),
        )
        .await;
    refused.problem(403);
    let none = t
        .call(
            &analyst(),
            "POST",
            "/risky-users/block",
            Some(json!({"userIds": []})),
        )
        .await;
    assert_eq!(none.problem(400)["errors"][0]["field"], "userIds");
    assert!(t.receive_all("RemediationCommandQueue").await.is_empty());
    // Another tenant's users are unknown here.
    let stranger = As::analyst("fabrikam");
    let elsewhere = t
        .call(
            &stranger,
            "POST",
            "/risky-users/block",
            Some(json!({"userIds": ["alice"]})),
        )
        .await;
    assert_eq!(
        elsewhere.body["value"][0]["result"], "notFound",
        "{elsewhere:?}"
    );
    // GET of a user named like a route is still a read of that user.
    let read = t.call(&analyst(), "GET", "/risky-users/block", None).await;
    assert_eq!(read.problem(404)["detail"], "user block does not exist");
}

#[tokio::test]
async fn approving_a_pending_action_sends_its_command_and_rejecting_sends_none() {
    let t = TestStack::new().await;
    let pending = |id: &str| {
        json!({"id": id, "investigationId": "inv-1", "actionType": "isolateDevice",
            "entity": {"type": "device", "id": format!("dev-{id}")}, "status": "pending",
            "createdDateTime": "2026-12-01T10:00:00Z"})
    };
    let posted = t
        .call(
            &analyst(),
            "POST",
            "/remediation-actions",
            Some(json!({"actions": [pending("a-1"), pending("a-2")]})),
        )
        .await;
    assert_eq!(posted.status, 200, "{posted:?}");
    let approved = t
        .call(
            &analyst(),
            "POST",
            "/remediation-actions/a-1/approve",
            Some(json!({"reason": "isolate it"})),
        )
        .await;
    assert_eq!(approved.status, 200, "{approved:?}");
    assert!(
        approved.body["dispatch"]["sentDateTime"].is_string(),
        "{approved:?}"
    );
    let rejected = t
        .call(&analyst(), "POST", "/remediation-actions/a-2/reject", None)
        .await;
    assert_eq!(rejected.status, 200, "{rejected:?}");
    // Approving again is no new decision, and sends nothing.
    t.call(&analyst(), "POST", "/remediation-actions/a-1/approve", None)
        .await;
    let commands = t.receive_all("RemediationCommandQueue").await;
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert_eq!(
        (
            &commands[0]["command"],
            &commands[0]["actionId"],
            &commands[0]["reason"]
        ),
        (&json!("isolateDevice"), &json!("a-1"), &json!("isolate it"))
    );
    assert_eq!(
        commands[0]["commandId"],
        approved.body["dispatch"]["commandId"]
    );
}

#[tokio::test]
async fn a_command_that_could_not_be_sent_is_sent_on_retry_once() {
    let t = seeded().await;
    let broken = t.with_commands_unreachable();
    let body = json!({"userIds": ["alice"]});
    let failed = keyed(
        &broken,
        &analyst(),
        "/risky-users/revoke-sessions",
        body.clone(),
        "revoke-9",
    )
    .await;
    assert!(failed.problem(503).is_object());
    assert!(failed.headers.contains_key("retry-after"));
    let retried = keyed(
        &t,
        &analyst(),
        "/risky-users/revoke-sessions",
        body.clone(),
        "revoke-9",
    )
    .await;
    assert_eq!(
        retried.body["value"][0]["result"], "existing",
        "{retried:?}"
    );
    keyed(
        &t,
        &analyst(),
        "/risky-users/revoke-sessions",
        body,
        "revoke-9",
    )
    .await;
    let commands = t.receive_all("RemediationCommandQueue").await;
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert_eq!(
        commands[0]["commandId"],
        retried.body["value"][0]["action"]["dispatch"]["commandId"]
    );
}

#[tokio::test]
async fn confirm_compromised_then_acts_on_the_users_in_the_same_call_all_or_nothing() {
    let t = seeded().await;
    // Without the role to act, nothing at all: no feedback, no action.
    let feedback_only = As::with_roles(TENANT, &["Risk.Feedback", "Risk.Read"]);
    let before = t.item_count().await;
    let refused = t
        .call(
            &feedback_only,
            "POST",
            "/risky-users/confirm-compromised",
            Some(json!({"userIds": ["alice"], "then": ["resetPassword"]})),
        )
        .await;
    refused.problem(403);
    let twice = t
        .call(
            &analyst(),
            "POST",
            "/risky-signins/confirm-compromised",
            Some(json!({"signInIds": ["si-a1"], "then": ["revokeSessions", "revokeSessions"]})),
        )
        .await;
    assert_eq!(twice.problem(400)["errors"][0]["field"], "then[1]");
    assert_eq!(
        t.item_count().await,
        before,
        "a refused call wrote something"
    );

    let body = json!({"userIds": ["alice", "bob"], "comment": "phished", "then": ["resetPassword", "revokeSessions"]});
    let accepted = keyed(
        &t,
        &analyst(),
        "/risky-users/confirm-compromised",
        body.clone(),
        "then-1",
    )
    .await;
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let feedback = accepted.body["id"].as_str().unwrap_or_default().to_string();
    // A keyed retry makes nothing twice; the same key with other follow-ups is refused.
    let again = keyed(
        &t,
        &analyst(),
        "/risky-users/confirm-compromised",
        body,
        "then-1",
    )
    .await;
    assert_eq!(again.body["id"], json!(feedback));
    let other = json!({"userIds": ["alice", "bob"], "comment": "phished", "then": ["disableUser"]});
    keyed(
        &t,
        &analyst(),
        "/risky-users/confirm-compromised",
        other,
        "then-1",
    )
    .await
    .problem(422);
    t.drain().await;
    assert_eq!(
        get(&t, "/risky-users/alice").await["riskState"],
        "confirmedCompromised"
    );

    // The action center groups them under the feedback's id.
    let actions = get(
        &t,
        &format!("/remediation-actions?investigationId={feedback}"),
    )
    .await;
    let mut made: Vec<(String, String)> = actions["value"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let field = |f: &str| {
                a.pointer(f)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            (field("/actionType"), field("/entity/id"))
        })
        .collect();
    made.sort();
    assert_eq!(
        made,
        [
            ("resetPassword".to_string(), "alice".to_string()),
            ("resetPassword".to_string(), "bob".to_string()),
            ("revokeSessions".to_string(), "alice".to_string()),
            ("revokeSessions".to_string(), "bob".to_string()),
        ]
    );
    assert_eq!(t.receive_all("RemediationCommandQueue").await.len(), 4);

    // On a sign-in, the sign-in's user is acted on.
    let on_sign_in = t
        .call(
            &analyst(),
            "POST",
            "/risky-signins/confirm-compromised",
            Some(json!({"signInIds": ["si-a1"], "then": ["disableUser"]})),
        )
        .await;
    assert_eq!(on_sign_in.status, 202, "{on_sign_in:?}");
    let commands = t.receive_all("RemediationCommandQueue").await;
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert_eq!(
        (&commands[0]["command"], &commands[0]["entity"]["id"]),
        (&json!("disableUser"), &json!("alice"))
    );
}

/// A pending action of `tenant`'s, posted `days_ago`.
async fn post_pending(t: &TestStack, tenant: &str, id: &str, days_ago: i64) {
    let created = chrono::Utc::now() - chrono::Duration::days(days_ago);
    let answer = t
        .call(
            &As::analyst(tenant),
            "POST",
            "/remediation-actions",
            Some(json!({"actions": [{
                "id": id, "investigationId": "inv-9", "actionType": "isolateDevice",
                "entity": {"type": "device", "id": format!("dev-{id}")}, "status": "pending",
                "createdDateTime": created.to_rfc3339(),
            }]})),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
}

fn status_of(t: &TestStack, tenant: &str, id: &str) -> impl std::future::Future<Output = Value> {
    let (t, caller, path) = (
        t.clone(),
        As::analyst(tenant),
        format!("/remediation-actions/{id}"),
    );
    async move { t.call(&caller, "GET", &path, None).await.body }
}

#[tokio::test]
async fn pending_actions_undecided_past_their_days_expire_visibly_in_every_tenant() {
    let t = TestStack::new().await;
    post_pending(&t, TENANT, "a-old", 8).await;
    post_pending(&t, TENANT, "a-two-days", 2).await;
    post_pending(&t, TENANT, "a-young", 0).await;
    post_pending(&t, "fabrikam", "a-theirs", 30).await;
    post_pending(&t, TENANT, "a-approved", 9).await;
    let approved = t
        .call(
            &analyst(),
            "POST",
            "/remediation-actions/a-approved/approve",
            None,
        )
        .await;
    assert_eq!(approved.status, 200, "{approved:?}");

    // What the schedule sends, through the queue to the processor: twice, changing nothing more.
    for _ in 0..2 {
        t.poller
            .request(riskfeedback::queue::Maintenance::ExpirePendingActions)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        t.drain().await;
    }
    let old = status_of(&t, TENANT, "a-old").await;
    assert_eq!(old["status"], "expired", "{old}");
    assert_eq!(
        old["decidedBy"]["actor"]["id"],
        riskfeedback::remediation::EXPIRY_ACTOR
    );
    let reason = old["decidedBy"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("within 7 days"), "{reason}");
    assert_eq!(
        status_of(&t, "fabrikam", "a-theirs").await["status"],
        "expired"
    );
    for (id, status) in [
        ("a-two-days", "pending"),
        ("a-young", "pending"),
        ("a-approved", "approved"),
    ] {
        assert_eq!(status_of(&t, TENANT, id).await["status"], status, "{id}");
    }
    let history = get(&t, "/remediation-actions?view=history&status=expired").await;
    assert_eq!(
        history["value"].as_array().map(Vec::len),
        Some(1),
        "{history}"
    );

    // A deployment with a shorter period expires sooner.
    let mut quick = t.poller.clone();
    quick.app.pending_action_days = 1;
    quick
        .request(riskfeedback::queue::Maintenance::ExpirePendingActions)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    quick
        .drain(std::time::Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        status_of(&t, TENANT, "a-two-days").await["status"],
        "expired"
    );
    assert_eq!(status_of(&t, TENANT, "a-young").await["status"], "pending");
    // An expired action can no longer be approved.
    let late = t
        .call(
            &analyst(),
            "POST",
            "/remediation-actions/a-old/approve",
            None,
        )
        .await;
    assert_eq!(
        late.problem(409)["type"],
        "/problems/invalid-action-status",
        "{late:?}"
    );
}

/// The sample executor closes the loop over HTTP: it takes the commands, reports them done
/// through the API, and the users' state follows.
#[tokio::test]
async fn the_sample_executor_takes_the_commands_and_reports_them_done() {
    let t = seeded().await;
    let gateway = std::sync::Arc::new(riskfeedback_devstack::gateway::Gateway {
        apps: t.apps.clone(),
        secret: riskfeedback_devstack::token::secret(),
        cors: t.stack.template.cors.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let api = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(gateway.serve(listener));
    let executor = riskfeedback_devstack::executor::Executor::new(
        t.stack.sqs.clone(),
        t.stack.queue_url("RemediationCommandQueue").to_string(),
        api,
    );
    // Until a receive finds no command left.
    let run_all = || async {
        let mut reported = 0;
        loop {
            match executor.run_once(0).await.unwrap_or_else(|e| panic!("{e}")) {
                0 => return reported,
                n => reported += n,
            }
        }
    };

    let reset = t
        .call(
            &analyst(),
            "POST",
            "/risky-users/reset-password",
            Some(json!({"userIds": ["alice"]})),
        )
        .await;
    assert_eq!(reset.status, 200, "{reset:?}");
    let block = t
        .call(
            &analyst(),
            "POST",
            "/risky-users/block",
            Some(json!({"userIds": ["bob"]})),
        )
        .await;
    let blocked_id = block.body["value"][0]["action"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(run_all().await, 2);
    t.drain().await;
    assert_eq!(
        get(&t, "/risky-users/alice").await["riskDetail"],
        "adminGeneratedTemporaryPassword"
    );
    assert_eq!(
        get(&t, &format!("/remediation-actions/{blocked_id}")).await["status"],
        "completed"
    );

    let undo = t
        .call(
            &analyst(),
            "POST",
            &format!("/remediation-actions/{blocked_id}/undo"),
            Some(json!({"reason": "bob is back"})),
        )
        .await;
    assert_eq!(undo.status, 200, "{undo:?}");
    assert_eq!(run_all().await, 1);
    assert_eq!(
        get(&t, &format!("/remediation-actions/{blocked_id}")).await["status"],
        "undone"
    );
}
