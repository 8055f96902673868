//! SPEC 7's "nothing acknowledged is lost, every effect happens once", proved by cutting every
//! step of intake, processing and undo against the real local servers.
//!
//! Each scenario first runs clean through a [`FaultProxy`] to learn its sequence of DynamoDB and
//! SQS requests. Then, on a fresh stack each time, it runs again with each fault at each step of
//! that sequence: the server unreachable from that request on, throttling from it on, the request
//! applied but its answer lost, and the process killed while the request hangs (before or after
//! the server applied it). After the fault is healed, a caller that got no success retries with
//! the same `Idempotency-Key`, the queue is drained, and the end state must be exactly the clean
//! run's: each change applied once, each completion event and each undo command sent once.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use riskfeedback::auth::Caller;
use riskfeedback::idempotency::new_id;
use riskfeedback::store::FeedbackStore;
use riskfeedback_devstack::poller::{PollReport, Poller};
use riskfeedback_devstack::provision::Options;
use riskfeedback_tests::faults::{Fault, FaultProxy, Rule};
use riskfeedback_tests::harness::{detection, one_detection_each, Answer, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";
/// Bounds every wait, so that a broken guarantee fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(30);
/// Scenarios run on separate stacks; DynamoDB Local stops scaling at about four clients.
const PARALLEL: usize = 4;
const EVERY_FAULT: [Fault; 5] = [
    Fault::Unreachable,
    Fault::Throttle,
    Fault::LoseAnswer,
    Fault::Hang,
    Fault::ApplyThenHang,
];

fn analyst() -> As {
    As::analyst(TENANT)
}

/// A fault at one step: those that model an outage last until healed, the others hit once.
fn rule(fault: Fault, step: usize) -> Rule {
    match fault {
        Fault::Unreachable | Fault::Throttle => Rule::from(fault, step),
        Fault::LoseAnswer | Fault::Hang | Fault::ApplyThenHang => Rule::once_at(fault, step),
    }
}

/// What one run of a scenario did: the requests it made, and the faults it met.
struct Run {
    requests: Vec<String>,
    injected: Vec<(String, Fault)>,
}

impl Run {
    fn of(proxy: &FaultProxy) -> Run {
        Run {
            requests: proxy.operations(),
            injected: proxy.injected(),
        }
    }
}

/// Runs `scenario` clean, then once per fault at each step of the clean run's requests.
async fn at_each_step<F, Fut>(faults: &[Fault], scenario: F)
where
    F: Fn(Option<Rule>) -> Fut,
    Fut: Future<Output = Run>,
{
    let clean = scenario(None).await.requests;
    assert!(!clean.is_empty(), "the scenario made no requests");
    eprintln!("clean run, cut at each of: {clean:?}");
    let runs: Vec<Rule> = faults
        .iter()
        .flat_map(|&fault| (0..clean.len()).map(move |step| rule(fault, step)))
        .collect();
    let missed: Vec<(Rule, Vec<String>)> = stream::iter(runs)
        .map(|rule| {
            let run = scenario(Some(rule));
            async move { (rule, run.await) }
        })
        .buffer_unordered(PARALLEL)
        .filter_map(
            |(rule, run)| async move { run.injected.is_empty().then_some((rule, run.requests)) },
        )
        .collect()
        .await;
    assert!(missed.is_empty(), "faults never injected: {missed:?}");
}

/// A stack whose failed messages come back after one second, and a proxy in front of it.
async fn stack() -> (TestStack, FaultProxy) {
    let t = TestStack::with_options(&Options {
        visibility_timeout: 1,
    })
    .await;
    let proxy = FaultProxy::start().await.unwrap_or_else(|e| panic!("{e}"));
    (t, proxy)
}

/// Runs `work` to its end, or, when the proxy makes a request hang, kills it there (the task is
/// dropped mid-flight, as a Lambda process is killed) and returns `None`.
async fn until_killed<T: Send + 'static>(
    proxy: &FaultProxy,
    work: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    let mut task = tokio::spawn(work);
    let deadline = Instant::now() + PATIENCE;
    loop {
        tokio::select! {
            done = &mut task => return Some(done.unwrap_or_else(|e| panic!("task failed: {e}"))),
            _ = tokio::time::sleep(Duration::from_millis(10)) => {
                if proxy.hung() > 0 {
                    task.abort();
                    return None;
                }
                assert!(Instant::now() < deadline, "neither finished nor hung: {:?}", proxy.operations());
            }
        }
    }
}

async fn keyed(t: &TestStack, path: &str, body: &Value, key: &str) -> Answer {
    let headers = BTreeMap::from([
        ("content-type".to_string(), "application/json".to_string()),
        ("idempotency-key".to_string(), key.to_string()),
    ]);
    let bytes = body.to_string().into_bytes();
    tokio::time::timeout(
        PATIENCE,
        t.call_raw(Some(&analyst()), "POST", path, headers, bytes),
    )
    .await
    .expect("the API answers without hanging")
}

async fn get(t: &TestStack, path: &str) -> Value {
    let answer = t.call(&analyst(), "GET", path, None).await;
    assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    answer.body
}

async fn count(t: &TestStack, path: &str) -> usize {
    get(t, path).await["value"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_default()
}

async fn history(t: &TestStack, user: &str) -> Vec<String> {
    get(t, &format!("/risky-users/{user}/history")).await["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["action"].as_str().map(str::to_string))
        .collect()
}

/// The `FeedbackProcessed` events on the events queue, by feedback id.
async fn completions(t: &TestStack) -> BTreeMap<String, usize> {
    let mut by_id = BTreeMap::new();
    for event in t.receive_all("EventsQueue").await {
        if event["type"] == "FeedbackProcessed" {
            let id = event["feedback"]["id"].as_str().unwrap_or_default();
            *by_id.entry(id.to_string()).or_default() += 1;
        }
    }
    by_id
}

/// What a caller may be told while a dependency fails: success, or a problem that says to come
/// back later. A throttled DynamoDB answers `429`, anything else unavailable `503`; never a
/// `409`, a `500` or a hang.
fn assert_answer_under_fault(answer: &Answer, success: u16, proxy: &FaultProxy, context: &str) {
    if answer.status == success {
        return;
    }
    let throttled = proxy
        .injected()
        .first()
        .is_some_and(|(op, fault)| *fault == Fault::Throttle && op.starts_with("DynamoDB"));
    let expected = if throttled { 429 } else { 503 };
    let problem = answer.problem(expected);
    assert!(problem["type"].is_string(), "{context}: {answer:?}");
    let retry_after = answer
        .headers
        .get("retry-after")
        .and_then(|s| s.parse::<u32>().ok());
    assert!(
        retry_after.is_some_and(|s| s > 0),
        "{context}: no Retry-After in {answer:?}"
    );
}

/// One intake call and what the clean run leaves behind.
#[derive(Clone, Copy)]
struct Intake {
    path: &'static str,
    body: fn() -> Value,
    user: &'static str,
    history: &'static [&'static str],
    risk_state: &'static str,
    detections: usize,
}

const CONFIRM_ALICE: Intake = Intake {
    path: "/risky-users/confirm-compromised",
    body: || json!({"userIds": ["alice"], "comment": "phished"}),
    user: "alice",
    history: &["confirmUserCompromised", "ingestDetections"],
    risk_state: "confirmedCompromised",
    // Her own detection and the admin-confirmed one the confirmation adds.
    detections: 2,
};

const INGEST_BOB: Intake = Intake {
    path: "/risk-detections",
    body: || json!({"detections": [detection("d-b1", "bob", "high", Some("si-b1"))]}),
    user: "bob",
    history: &["ingestDetections"],
    risk_state: "atRisk",
    detections: 1,
};

/// Alice at risk from one sign-in detection.
async fn seed_alice(t: &TestStack) {
    let alice = detection("d-a1", "alice", "medium", Some("si-a1"));
    t.ingest(&analyst(), vec![alice]).await;
}

async fn intake_scenario(call: Intake, rule: Option<Rule>) -> Run {
    let (t, proxy) = stack().await;
    seed_alice(&t).await;
    let faulty = t.through(&proxy);
    let key = "fault-run";
    let context = format!("{} with {rule:?}", call.path);
    if let Some(rule) = rule {
        proxy.set(rule);
    }
    let body = (call.body)();
    let first = {
        let (faulty, body) = (faulty.clone(), body.clone());
        until_killed(&proxy, async move {
            keyed(&faulty, call.path, &body, key).await
        })
        .await
    };
    let run = Run::of(&proxy);
    proxy.heal();

    let id = new_id(
        &Caller::from_claims(&analyst().claims()).expect("caller"),
        Some(key),
    );
    let acknowledged = match &first {
        Some(answer) => {
            assert_answer_under_fault(answer, 202, &proxy, &context);
            answer.status == 202
        }
        None => false,
    };
    if !acknowledged {
        let retried = keyed(&t, call.path, &body, key).await;
        assert_eq!(retried.status, 202, "{context}: retry {retried:?}");
        assert_eq!(retried.body["id"], id.as_str(), "{context}");
    } else if let Some(answer) = &first {
        assert_eq!(answer.body["id"], id.as_str(), "{context}");
    }

    t.drain().await;
    let user = get(&t, &format!("/risky-users/{}", call.user)).await;
    assert_eq!(user["riskState"], call.risk_state, "{context}: {user}");
    assert_eq!(user["isProcessing"], false, "{context}: {user}");
    assert_eq!(history(&t, call.user).await, call.history, "{context}");
    let detections = count(&t, &format!("/risk-detections?userId={}", call.user)).await;
    assert_eq!(detections, call.detections, "{context}");
    let feedback = get(&t, &format!("/feedback/{id}")).await;
    assert_eq!(feedback["state"], "completed", "{context}: {feedback}");
    let events = completions(&t).await;
    assert_eq!(events.get(&id), Some(&1), "{context}: {events:?}");
    t.stack.destroy().await.unwrap_or_else(|e| panic!("{e}"));
    run
}

/// Feedback intake: before the lookups, between the transaction and the notice, after the
/// notice; whatever the caller was told, a keyed retry gets the same id and it applies once.
#[tokio::test]
async fn feedback_intake_cut_at_each_step_applies_once() {
    at_each_step(&EVERY_FAULT, |rule| intake_scenario(CONFIRM_ALICE, rule)).await;
}

/// Detection ingestion, cut the same way: each detection is stored once, the user once.
#[tokio::test]
async fn detection_intake_cut_at_each_step_applies_once() {
    at_each_step(&EVERY_FAULT, |rule| intake_scenario(INGEST_BOB, rule)).await;
}

/// Three feedbacks for two users in one batch (two for alice, in order), processed while the
/// dependencies fail at each step, the processor is killed mid-batch, or a commit's answer is
/// lost; then SQS redelivers and everything applies once, in acceptance order.
async fn processing_scenario(rule: Option<Rule>) -> Run {
    let (t, proxy) = stack().await;
    seed_alice(&t).await;
    t.ingest(&analyst(), vec![detection("d-b1", "bob", "high", None)])
        .await;
    let mut ids = Vec::new();
    for (path, user) in [
        ("/risky-users/confirm-compromised", "alice"),
        ("/risky-users/dismiss", "bob"),
        ("/risky-users/dismiss", "alice"),
    ] {
        let answer = t
            .call(&analyst(), "POST", path, Some(json!({"userIds": [user]})))
            .await;
        assert_eq!(answer.status, 202, "{answer:?}");
        ids.push(answer.body["id"].as_str().unwrap_or_default().to_string());
    }
    let context = format!("processing with {rule:?}");

    let faulty = t.through(&proxy);
    if let Some(rule) = rule {
        proxy.set(rule);
    }
    let poller = faulty.poller.clone();
    let polled: Option<Result<PollReport, String>> =
        until_killed(&proxy, async move { poller.poll_once(1).await }).await;
    let run = Run::of(&proxy);
    proxy.heal();
    if rule.is_none() {
        let report = polled.and_then(Result::ok).unwrap_or_default();
        assert_eq!((report.received, report.failed), (3, 0), "{context}");
    }

    t.drain().await;
    for (user, expected) in [
        (
            "alice",
            vec!["dismissUser", "confirmUserCompromised", "ingestDetections"],
        ),
        ("bob", vec!["dismissUser", "ingestDetections"]),
    ] {
        let state = get(&t, &format!("/risky-users/{user}")).await;
        assert_eq!(state["riskState"], "dismissed", "{context}: {state}");
        assert_eq!(state["isProcessing"], false, "{context}: {state}");
        assert_eq!(history(&t, user).await, expected, "{context}: {user}");
    }
    let admin = "/risk-detections?userId=alice&riskEventType=adminConfirmedUserCompromised";
    assert_eq!(count(&t, admin).await, 1, "{context}");
    let events = completions(&t).await;
    for id in &ids {
        let feedback = get(&t, &format!("/feedback/{id}")).await;
        assert_eq!(feedback["state"], "completed", "{context}: {feedback}");
        assert_eq!(events.get(id), Some(&1), "{context}: {events:?}");
    }
    t.stack.destroy().await.unwrap_or_else(|e| panic!("{e}"));
    run
}

#[tokio::test]
async fn processing_cut_at_each_step_applies_once_in_order() {
    at_each_step(&EVERY_FAULT, processing_scenario).await;
}

/// A call that must end in exactly one command on the remediation command queue, with its
/// action marked sent, however it is cut: an undo, an approval, an admin action.
struct CommandCase {
    name: &'static str,
    /// Remediation actions posted first.
    actions: fn() -> Value,
    path: &'static str,
    body: fn() -> Value,
    /// The action the call makes or changes, from its answer.
    action_id: fn(&Value) -> String,
    /// Where on the action its command's id and its "sent" mark are.
    command: &'static str,
    sent: &'static str,
}

fn completed_file() -> Value {
    json!({"actions": [{
        "id": "a-file",
        "investigationId": "inv-1",
        "actionType": "quarantineFile",
        "entity": {"type": "file", "id": "f-1", "displayName": "invoice.pdf.exe"},
        "status": "completed",
        "createdDateTime": "2026-11-20T10:00:00Z",
    }]})
}

fn pending_device() -> Value {
    json!({"actions": [{
        "id": "a-device",
        "investigationId": "inv-1",
        "actionType": "isolateDevice",
        "entity": {"type": "device", "id": "laptop-7"},
        "status": "pending",
        "createdDateTime": "2026-11-20T10:00:00Z",
    }]})
}

const UNDO_FILE: CommandCase = CommandCase {
    name: "undo",
    actions: completed_file,
    path: "/remediation-actions/a-file/undo",
    body: || json!({"reason": "the file is clean"}),
    action_id: |_| "a-file".to_string(),
    command: "/undo/commandId",
    sent: "/undo/commandSentDateTime",
};

const APPROVE_DEVICE: CommandCase = CommandCase {
    name: "approval",
    actions: pending_device,
    path: "/remediation-actions/a-device/approve",
    body: || json!({"reason": "isolate it"}),
    action_id: |_| "a-device".to_string(),
    command: "/dispatch/commandId",
    sent: "/dispatch/sentDateTime",
};

const RESET_ALICE: CommandCase = CommandCase {
    name: "reset password",
    actions: || json!({"actions": []}),
    path: "/risky-users/reset-password",
    body: || json!({"userIds": ["alice"]}),
    action_id: |answer| {
        answer["value"][0]["action"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    },
    command: "/dispatch/commandId",
    sent: "/dispatch/sentDateTime",
};

/// The call cut between its reads, its writes, its command and its "sent" mark: the analyst
/// retries (with the same key), and the executor gets exactly one command, with the stable id.
async fn command_scenario(case: &CommandCase, rule: Option<Rule>) -> Run {
    let (t, proxy) = stack().await;
    seed_alice(&t).await;
    let actions = (case.actions)();
    if actions["actions"].as_array().is_some_and(|a| !a.is_empty()) {
        let seeded = t
            .call(&analyst(), "POST", "/remediation-actions", Some(actions))
            .await;
        assert_eq!(seeded.status, 200, "{seeded:?}");
    }
    let context = format!("{} with {rule:?}", case.name);
    let (path, body) = (case.path, (case.body)());

    let faulty = t.through(&proxy);
    if let Some(rule) = rule {
        proxy.set(rule);
    }
    let first = {
        let body = body.clone();
        until_killed(&proxy, async move {
            keyed(&faulty, path, &body, "one-command").await
        })
        .await
    };
    let run = Run::of(&proxy);
    proxy.heal();
    let answer = match first {
        Some(answer) if answer.status == 200 => answer,
        first => {
            if let Some(answer) = &first {
                assert_answer_under_fault(answer, 200, &proxy, &context);
            }
            let retried = keyed(&t, path, &body, "one-command").await;
            assert_eq!(retried.status, 200, "{context}: retry {retried:?}");
            retried
        }
    };

    let id = (case.action_id)(&answer.body);
    let action = get(&t, &format!("/remediation-actions/{id}")).await;
    let sent = action.pointer(case.sent).cloned().unwrap_or_default();
    assert!(sent.is_string(), "{context}: {action}");
    let commands = t.receive_all("RemediationCommandQueue").await;
    assert_eq!(commands.len(), 1, "{context}: {commands:?}");
    assert_eq!(
        commands[0].get("commandId"),
        action.pointer(case.command),
        "{context}"
    );
    t.stack.destroy().await.unwrap_or_else(|e| panic!("{e}"));
    run
}

#[tokio::test]
async fn undo_cut_at_each_step_sends_one_command() {
    at_each_step(&EVERY_FAULT, |rule| command_scenario(&UNDO_FILE, rule)).await;
}

#[tokio::test]
async fn approval_cut_at_each_step_sends_one_command() {
    at_each_step(&EVERY_FAULT, |rule| command_scenario(&APPROVE_DEVICE, rule)).await;
}

#[tokio::test]
async fn an_admin_action_cut_at_each_step_sends_one_command() {
    at_each_step(&EVERY_FAULT, |rule| command_scenario(&RESET_ALICE, rule)).await;
}

/// Throttling is told apart from an outage: `429` with `Retry-After`, the request refused
/// whole (nothing written), and the same keyed request succeeds once DynamoDB recovers.
#[tokio::test]
async fn a_throttled_table_answers_429_and_writes_nothing() {
    let (t, proxy) = stack().await;
    seed_alice(&t).await;
    let items = t.item_count().await;
    let faulty = t.through(&proxy);
    proxy.set(Rule::always(Fault::Throttle));
    let body = (CONFIRM_ALICE.body)();
    let answer = keyed(&faulty, CONFIRM_ALICE.path, &body, "throttled").await;
    let problem = answer.problem(429);
    assert_eq!(problem["type"], "/problems/throttled", "{answer:?}");
    assert!(answer.headers.contains_key("retry-after"), "{answer:?}");
    assert!(
        proxy
            .operations()
            .iter()
            .all(|op| op.starts_with("DynamoDB")),
        "{:?}",
        proxy.operations()
    );
    assert_eq!(t.item_count().await, items, "a throttled request wrote");
    proxy.heal();
    let retried = keyed(&faulty, CONFIRM_ALICE.path, &body, "throttled").await;
    assert_eq!(retried.status, 202, "{retried:?}");
}

/// The key of the 100-user ingestions below, and the id it gives their feedback.
const HUNDRED_KEY: &str = "hundred-users";

fn hundred_id() -> String {
    new_id(
        &Caller::from_claims(&analyst().claims()).expect("caller"),
        Some(HUNDRED_KEY),
    )
}

fn hundred_users() -> Value {
    json!({ "detections": one_detection_each(100) })
}

/// A keyed ingestion of one detection for each of 100 users (more than one transaction holds
/// beside the record), cut by `fault` at its second transaction: the first, which queued steps
/// for 99 users, is committed, the second never is. The caller must not hear `202`.
async fn ingest_cut_between_transactions(t: &TestStack, proxy: &FaultProxy, fault: Fault) {
    let context = format!("100 users cut by {fault:?}");
    let faulty = t.through(proxy);
    // The intake's requests: the keyed read of the record, then its two transactions.
    proxy.set(rule(fault, 2));
    let first = until_killed(proxy, async move {
        keyed(&faulty, "/risk-detections", &hundred_users(), HUNDRED_KEY).await
    })
    .await;
    let operations = proxy.operations();
    assert_eq!(
        operations.get(..3),
        Some(
            &[
                "DynamoDB.Query".to_string(),
                "DynamoDB.TransactWriteItems".to_string(),
                "DynamoDB.TransactWriteItems".to_string(),
            ][..]
        ),
        "{context}"
    );
    let cut = proxy.injected();
    assert_eq!(
        cut.first(),
        Some(&("DynamoDB.TransactWriteItems".to_string(), fault)),
        "{context}: {operations:?}"
    );
    proxy.heal();
    if let Some(answer) = &first {
        assert_ne!(answer.status, 202, "{context}: {answer:?}");
        assert_answer_under_fault(answer, 202, proxy, &context);
    }
}

/// Users at risk, out of the at most 500 the tests make.
async fn at_risk(t: &TestStack) -> usize {
    count(t, "/risky-users?riskState=atRisk&limit=500").await
}

/// A detection for `user-000`, whom the first transaction of a cut 100-user ingestion reached;
/// returns its feedback id.
async fn late_detection_for_user_000(t: &TestStack) -> String {
    let late = detection("d-late", "user-000", "medium", None);
    let answer = t
        .call(
            &analyst(),
            "POST",
            "/risk-detections",
            Some(json!({ "detections": [late] })),
        )
        .await;
    assert_eq!(answer.status, 202, "{answer:?}");
    answer.body["id"].as_str().unwrap_or_default().to_string()
}

/// All or nothing for a batch that takes two transactions (SPEC 8: up to 100 distinct users):
/// cut between them, by an outage or by the process being killed, the caller hears no `202`
/// and none of it applies, not even for the users the first transaction reached (another
/// notice for one of them waits rather than apply it, and shows no such feedback); then the
/// keyed retry completes it, and every user is at risk from it exactly once, in acceptance
/// order with the work that waited.
#[tokio::test]
async fn a_100_user_batch_cut_between_transactions_applies_once_after_a_keyed_retry() {
    for fault in [Fault::Unreachable, Fault::Hang] {
        let context = format!("cut by {fault:?}");
        let (t, proxy) = stack().await;
        let id = hundred_id();
        ingest_cut_between_transactions(&t, &proxy, fault).await;
        t.drain().await;
        assert_eq!(at_risk(&t).await, 0, "{context}");
        let unfinished = t
            .call(&analyst(), "GET", &format!("/feedback/{id}"), None)
            .await;
        unfinished.problem(404);

        let late = late_detection_for_user_000(&t).await;
        let report = t.poller.poll_once(1).await.expect("poll");
        assert_eq!((report.received, report.failed), (1, 1), "{context}");
        let waiting = get(&t, "/risky-users/user-000").await;
        assert_eq!(waiting["riskState"], "none", "{context}: {waiting}");
        assert_eq!(waiting["isProcessing"], true, "{context}: {waiting}");
        assert_eq!(at_risk(&t).await, 0, "{context}");

        let retried = keyed(&t, "/risk-detections", &hundred_users(), HUNDRED_KEY).await;
        assert_eq!(retried.status, 202, "{context}: {retried:?}");
        assert_eq!(retried.body["id"], id.as_str(), "{context}");
        t.drain().await;

        let users = get(&t, "/risky-users?limit=500").await;
        let users = users["value"].as_array().cloned().unwrap_or_default();
        assert_eq!(users.len(), 100, "{context}");
        for user in &users {
            assert_eq!(user["riskState"], "atRisk", "{context}: {user}");
            assert_eq!(user["isProcessing"], false, "{context}: {user}");
        }
        assert_eq!(
            count(&t, "/risk-detections?limit=500").await,
            101,
            "{context}"
        );
        let user_000 = get(&t, "/risky-users/user-000/history").await;
        let feedbacks: Vec<&str> = user_000["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| h["feedbackId"].as_str())
            .collect();
        assert_eq!(
            feedbacks,
            [late.as_str(), id.as_str()],
            "{context}: newest first"
        );
        assert_eq!(
            history(&t, "user-099").await,
            ["ingestDetections"],
            "{context}"
        );
        let events = completions(&t).await;
        for feedback in [&id, &late] {
            let state = get(&t, &format!("/feedback/{feedback}")).await;
            assert_eq!(state["state"], "completed", "{context}: {state}");
            assert_eq!(events.get(feedback), Some(&1), "{context}: {events:?}");
        }
        // Accepted, it can no longer be abandoned, however late a processor looks at it.
        let abandoned = t
            .stack
            .dynamodb_store()
            .abandon_intake(TENANT, &id, "too late", chrono::Utc::now())
            .await;
        assert_eq!(abandoned, Ok(false), "{context}");
        t.stack.destroy().await.unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A cut batch that nobody resumes is given up once past the deadline, by the processor that
/// meets one of its steps: its feedback shows `failed` and why, the steps it queued are
/// discarded without effect on their users (the work queued behind one applies alone), and a
/// keyed retry that comes later is refused rather than half-apply it.
#[tokio::test]
async fn a_cut_batch_past_the_deadline_is_abandoned_and_its_steps_discarded() {
    let (t, proxy) = stack().await;
    let id = hundred_id();
    ingest_cut_between_transactions(&t, &proxy, Fault::Unreachable).await;
    let late = late_detection_for_user_000(&t).await;

    // The deployed processor waits ACCEPTING_DEADLINE; this one's deadline has passed already.
    let past_deadline = Poller {
        app: risk_processor::App {
            accepting_deadline: Duration::ZERO,
            ..t.poller.app.clone()
        },
        ..t.poller.clone()
    };
    past_deadline.drain(PATIENCE).await.expect("drain");

    let abandoned = get(&t, &format!("/feedback/{id}")).await;
    assert_eq!(abandoned["state"], "failed", "{abandoned}");
    let reason = abandoned["failureReason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("abandoned"), "{abandoned}");
    let targets = abandoned["targets"].as_array().cloned().unwrap_or_default();
    assert_eq!(targets.len(), 100);
    assert!(
        targets.iter().all(|t| t["result"] == "pending"),
        "{abandoned}"
    );

    let user_000 = get(&t, "/risky-users/user-000").await;
    assert_eq!(user_000["riskState"], "atRisk", "{user_000}");
    assert_eq!(
        user_000["riskLevel"], "medium",
        "only the late detection: {user_000}"
    );
    assert_eq!(user_000["isProcessing"], false, "{user_000}");
    let entries = get(&t, "/risky-users/user-000/history").await;
    let feedbacks: Vec<&str> = entries["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["feedbackId"].as_str())
        .collect();
    assert_eq!(feedbacks, [late.as_str()]);
    assert_eq!(count(&t, "/risk-detections?limit=500").await, 1);
    assert_eq!(at_risk(&t).await, 1);
    let events = completions(&t).await;
    assert_eq!(events.get(&late), Some(&1), "{events:?}");
    assert_eq!(events.get(&id), None, "{events:?}");

    let retried = keyed(&t, "/risk-detections", &hundred_users(), HUNDRED_KEY).await;
    assert_eq!(retried.problem(409)["type"], "/problems/intake-abandoned");
    past_deadline.drain(PATIENCE).await.expect("drain");
    assert_eq!(at_risk(&t).await, 1);
    assert_eq!(count(&t, "/risk-detections?limit=500").await, 1);
    t.stack.destroy().await.unwrap_or_else(|e| panic!("{e}"));
}
