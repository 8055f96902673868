//! SPEC 7's queue guarantees against the local SQS endpoint and DynamoDB Local: a message that
//! keeps failing holds back only its own group and ends in the dead-letter queue, a redriven
//! notice applies its work exactly once, and a queue that cannot be reached answers `503`, after
//! which a retry with the same `Idempotency-Key` gets the same feedback, applied once.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::{Message as SqsReceived, MessageSystemAttributeName};
use riskfeedback::auth::Caller;
use riskfeedback::idempotency::new_id;
use riskfeedback::queue::{FeedbackNotice, Message};
use riskfeedback_aws::SqsQueue;
use riskfeedback_devstack::gateway::Apps;
use riskfeedback_devstack::poller::sqs_record;
use riskfeedback_devstack::provision::Options;
use riskfeedback_devstack::template::Template;
use riskfeedback_tests::harness::{detection, Answer, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";
/// A notice that lost its `feedbackId`: it can never be processed.
const POISON: &str = r#"{"tenantId":"contoso","userId":"alice"}"#;
/// Every wait in these tests is bounded by this, so a broken guarantee fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(30);

fn analyst() -> As {
    As::analyst(TENANT)
}

/// A stack where alice (one medium sign-in) and bob (one high detection) are at risk.
async fn seeded(options: &Options) -> TestStack {
    let t = TestStack::with_options(options).await;
    let detections = vec![
        detection("d-a1", "alice", "medium", Some("si-a1")),
        detection("d-b1", "bob", "high", None),
    ];
    t.ingest(&analyst(), detections).await;
    t
}

/// Submits feedback through the API and returns its id.
async fn feedback(t: &TestStack, path: &str, body: Value) -> String {
    let answer = t.call(&analyst(), "POST", path, Some(body)).await;
    assert_eq!(answer.status, 202, "{answer:?}");
    answer.body["id"].as_str().unwrap_or_default().to_string()
}

async fn get(t: &TestStack, path: &str) -> Value {
    let answer = t.call(&analyst(), "GET", path, None).await;
    assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    answer.body
}

/// The actions in a user's history, newest first.
async fn history(t: &TestStack, user: &str) -> Vec<String> {
    get(t, &format!("/risky-users/{user}/history")).await["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["action"].as_str().map(str::to_string))
        .collect()
}

/// The FIFO group the poison messages of these tests are sent in.
const POISONED_GROUP: &str = "poisoned-group";

/// The notice intake sends for a feedback, as it would look queued in another group.
fn notice_body(feedback_id: &str, users: &[&str]) -> String {
    Message::notice(&FeedbackNotice {
        tenant_id: TENANT.to_string(),
        feedback_id: feedback_id.to_string(),
        user_ids: users.iter().map(|u| u.to_string()).collect(),
    })
    .body
}

fn queue_url(t: &TestStack, logical_id: &str) -> String {
    let url = t.stack.queue_url(logical_id);
    assert!(!url.is_empty(), "no queue {logical_id}");
    url.to_string()
}

async fn send(t: &TestStack, url: &str, body: &str, group: &str, dedup: &str) {
    t.stack
        .sqs
        .send_message()
        .queue_url(url)
        .message_body(body)
        .message_group_id(group)
        .message_deduplication_id(dedup)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "send to {url}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(&e)
            )
        });
}

/// Receives (without deleting) until `count` messages are in hand, or fails after `PATIENCE`.
async fn receive(t: &TestStack, url: &str, count: usize) -> Vec<SqsReceived> {
    let deadline = Instant::now() + PATIENCE;
    let mut messages = Vec::new();
    while messages.len() < count {
        assert!(
            Instant::now() < deadline,
            "only {} of {count} messages arrived on {url}",
            messages.len()
        );
        let out = t
            .stack
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap_or_else(|e| panic!("receive: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)));
        messages.extend(out.messages.unwrap_or_default());
    }
    messages
}

async fn delete(t: &TestStack, url: &str, message: &SqsReceived) {
    t.stack
        .sqs
        .delete_message()
        .queue_url(url)
        .receipt_handle(message.receipt_handle().unwrap_or_default())
        .send()
        .await
        .unwrap_or_else(|e| panic!("delete: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)));
}

fn group_of(message: &SqsReceived) -> String {
    message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
        .cloned()
        .unwrap_or_default()
}

fn event(messages: &[&SqsReceived]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages.iter().map(|m| sqs_record(m)).collect();
    event
}

/// What SQS does past `maxReceiveCount`: takes the one queued notice off the feedback queue
/// and puts it, group and de-duplication id unchanged, on the dead-letter queue.
async fn dead_letter_the_notice(t: &TestStack) -> SqsReceived {
    let queue = queue_url(t, "FeedbackQueue");
    let notice = receive(t, &queue, 1).await.remove(0);
    send(
        t,
        &queue_url(t, "FeedbackDeadLetterQueue"),
        notice.body().unwrap_or_default(),
        &group_of(&notice),
        &format!("dead-{}", uuid::Uuid::new_v4().simple()),
    )
    .await;
    delete(t, &queue, &notice).await;
    assert_eq!(t.poller.backlog().await, Ok(0), "the notice left the queue");
    notice
}

/// An operator's redrive: every dead letter goes back to the feedback queue in its group.
async fn redrive(t: &TestStack, count: usize) {
    let dlq = queue_url(t, "FeedbackDeadLetterQueue");
    for message in receive(t, &dlq, count).await {
        send(
            t,
            &t.stack.config.feedback_queue_url,
            message.body().unwrap_or_default(),
            &group_of(&message),
            &format!("redrive-{}", uuid::Uuid::new_v4().simple()),
        )
        .await;
        delete(t, &dlq, &message).await;
    }
}

/// The completion events published for a feedback, among `events`.
fn completions<'a>(events: &'a [Value], feedback_id: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["type"] == "FeedbackProcessed" && e["feedback"]["id"] == feedback_id)
        .collect()
}

/// `POST /risky-users/dismiss` for alice with an `Idempotency-Key`, bounded in time.
async fn keyed_dismiss(t: &TestStack, key: &str) -> Answer {
    let headers = BTreeMap::from([
        ("content-type".to_string(), "application/json".to_string()),
        ("idempotency-key".to_string(), key.to_string()),
    ]);
    let body = json!({"userIds": ["alice"]}).to_string().into_bytes();
    let caller = analyst();
    let request = t.call_raw(Some(&caller), "POST", "/risky-users/dismiss", headers, body);
    tokio::time::timeout(PATIENCE, request)
        .await
        .expect("the API answers without hanging")
}

/// FIFO per group: a poison message is reported as a batch item failure, and so is the valid
/// notice queued behind it in the same group (nothing overtakes a failed message, and its work
/// is not applied), while the notice of another group in the same batch is applied. Once the
/// poison is gone, the held-back notice goes through.
#[tokio::test]
async fn a_poison_message_holds_back_its_own_group_only() {
    let t = seeded(&Options::default()).await;
    let queue = t.stack.config.feedback_queue_url.clone();
    send(&t, &queue, POISON, POISONED_GROUP, "poison-1").await;
    let alice = feedback(&t, "/risky-users/dismiss", json!({"userIds": ["alice"]})).await;
    let bob = feedback(&t, "/risky-users/dismiss", json!({"userIds": ["bob"]})).await;
    // Alice's notice again, behind the poison; her own copy stays out of the batches below.
    let held_notice = notice_body(&alice, &["alice"]);
    send(&t, &queue, &held_notice, POISONED_GROUP, "held-1").await;

    let received = receive(&t, &queue, 4).await;
    let find = |body: &str| {
        received
            .iter()
            .find(|m| {
                m.body() == Some(body) && (body != held_notice || group_of(m) == POISONED_GROUP)
            })
            .unwrap_or_else(|| panic!("{body} missing from {received:?}"))
    };
    let messages = [
        find(POISON),
        find(&held_notice),
        find(&notice_body(&bob, &["bob"])),
    ];
    let (poison, alices, bobs) = (0, 1, 2);
    assert_eq!(group_of(messages[poison]), group_of(messages[alices]));

    let response = risk_processor::process_batch(&t.poller.app, event(&messages))
        .await
        .response;
    let failed: HashSet<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    let id = |i: usize| messages[i].message_id().unwrap_or_default().to_string();
    assert_eq!(failed, HashSet::from([id(poison), id(alices)]));
    assert!(!failed.contains(&id(bobs)));

    assert_eq!(get(&t, "/risky-users/bob").await["riskState"], "dismissed");
    assert_eq!(
        get(&t, &format!("/feedback/{bob}")).await["state"],
        "completed"
    );
    let held = get(&t, "/risky-users/alice").await;
    assert_eq!(held["riskState"], "atRisk");
    assert_eq!(held["isProcessing"], true);
    assert_eq!(
        get(&t, &format!("/feedback/{alice}")).await["state"],
        "queued"
    );

    // With the poison out of the way, alice's notice comes back and is applied.
    let response = risk_processor::process_batch(&t.poller.app, event(&[messages[alices]]))
        .await
        .response;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(
        get(&t, "/risky-users/alice").await["riskState"],
        "dismissed"
    );
    assert_eq!(
        get(&t, &format!("/feedback/{alice}")).await["state"],
        "completed"
    );
}

/// Messages that keep failing go to the dead-letter queue: polled like the event source mapping
/// polls, a poison message is received `maxReceiveCount` (template.yaml) times, then lands in
/// `FeedbackDeadLetterQueue` and leaves the feedback queue, while another user's feedback
/// completes in the meantime and alice's feedback completes afterwards.
#[tokio::test]
async fn a_poison_message_is_dead_lettered_after_max_receives_while_others_complete() {
    let template = Template::load(&riskfeedback_devstack::repo_root().join("template.yaml"))
        .expect("template");
    let (dead_letter_queue, max_receives) = template
        .queue("FeedbackQueue")
        .and_then(|q| q.redrive.clone())
        .expect("the feedback queue has a redrive policy");
    assert_eq!(dead_letter_queue, "FeedbackDeadLetterQueue");

    let t = seeded(&Options {
        visibility_timeout: 1,
    })
    .await;
    let queue = t.stack.config.feedback_queue_url.clone();
    send(&t, &queue, POISON, POISONED_GROUP, "poison-1").await;
    let bob = feedback(&t, "/risky-users/dismiss", json!({"userIds": ["bob"]})).await;

    let deadline = Instant::now() + PATIENCE;
    let mut failures = 0;
    loop {
        assert!(
            Instant::now() < deadline,
            "the poison message was not dead-lettered within {PATIENCE:?} ({failures} failures)"
        );
        let report = t.poller.poll_once(0).await.expect("poll");
        failures += report.failed;
        if report.received == 0 {
            if t.poller.backlog().await.expect("backlog") == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert_eq!(failures as i64, max_receives, "one failure per receive");

    let dead = receive(&t, &queue_url(&t, &dead_letter_queue), 1).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].body(), Some(POISON));
    assert_eq!(group_of(&dead[0]), POISONED_GROUP);

    assert_eq!(get(&t, "/risky-users/bob").await["riskState"], "dismissed");
    assert_eq!(
        get(&t, &format!("/feedback/{bob}")).await["state"],
        "completed"
    );
    // Nothing is left holding anything back.
    let alice = feedback(&t, "/risky-users/dismiss", json!({"userIds": ["alice"]})).await;
    t.drain().await;
    assert_eq!(
        get(&t, &format!("/feedback/{alice}")).await["state"],
        "completed"
    );
}

/// A dead-lettered valid notice loses nothing: while it sits in the dead-letter queue its work
/// waits on the user item, and redriving it applies the feedback exactly once, with one
/// completion event, however many times it is redriven.
#[tokio::test]
async fn a_redriven_notice_applies_its_feedback_exactly_once() {
    let t = seeded(&Options::default()).await;
    let sent = feedback(
        &t,
        "/risky-users/confirm-compromised",
        json!({"userIds": ["alice"]}),
    )
    .await;
    let notice = dead_letter_the_notice(&t).await;
    assert_eq!(
        get(&t, &format!("/feedback/{sent}")).await["state"],
        "queued"
    );
    assert_eq!(get(&t, "/risky-users/alice").await["isProcessing"], true);

    redrive(&t, 1).await;
    t.drain().await;
    let alice = get(&t, "/risky-users/alice").await;
    assert_eq!(alice["riskState"], "confirmedCompromised");
    assert_eq!(alice["isProcessing"], false);
    assert_eq!(
        get(&t, &format!("/feedback/{sent}")).await["state"],
        "completed"
    );
    assert_eq!(
        history(&t, "alice").await,
        ["confirmUserCompromised", "ingestDetections"]
    );

    // The same notice redriven again (a second copy, new de-duplication id) changes nothing.
    send(
        &t,
        &t.stack.config.feedback_queue_url,
        notice.body().unwrap_or_default(),
        &group_of(&notice),
        "redrive-again",
    )
    .await;
    t.drain().await;
    assert_eq!(
        history(&t, "alice").await,
        ["confirmUserCompromised", "ingestDetections"]
    );
    let admin = get(
        &t,
        "/risk-detections?userId=alice&riskEventType=adminConfirmedUserCompromised",
    )
    .await;
    assert_eq!(admin["value"].as_array().map(Vec::len), Some(1));
    let events = t.receive_all("EventsQueue").await;
    assert_eq!(completions(&events, &sent).len(), 1, "{events:?}");
}

/// Notices are only wake-ups: the work of a dead-lettered notice is applied, in acceptance
/// order, by the next notice for the same user; redriving the dead letter afterwards applies
/// nothing twice and leaves one completion event per feedback.
#[tokio::test]
async fn the_next_notice_for_the_user_applies_work_whose_notice_was_dead_lettered() {
    let t = seeded(&Options::default()).await;
    let first = feedback(
        &t,
        "/risky-users/confirm-compromised",
        json!({"userIds": ["alice"]}),
    )
    .await;
    dead_letter_the_notice(&t).await;
    let second = feedback(&t, "/risky-users/dismiss", json!({"userIds": ["alice"]})).await;
    t.drain().await;
    let expected = ["dismissUser", "confirmUserCompromised", "ingestDetections"];
    assert_eq!(history(&t, "alice").await, expected);
    assert_eq!(
        get(&t, "/risky-users/alice").await["riskState"],
        "dismissed"
    );
    for id in [&first, &second] {
        assert_eq!(
            get(&t, &format!("/feedback/{id}")).await["state"],
            "completed"
        );
    }
    let mut events = t.receive_all("EventsQueue").await;

    redrive(&t, 1).await;
    t.drain().await;
    assert_eq!(history(&t, "alice").await, expected);
    events.extend(t.receive_all("EventsQueue").await);
    assert_eq!(completions(&events, &first).len(), 1, "{events:?}");
    assert_eq!(completions(&events, &second).len(), 1, "{events:?}");
}

/// A queue that cannot be reached answers `503` with `Retry-After` and problem+json (never a
/// hang, never a `202`), and the same request retried with the same `Idempotency-Key` once the
/// queue is back gets `202` with the feedback id the key names, and the work completes once.
#[tokio::test]
async fn an_unreachable_queue_answers_503_and_a_keyed_retry_completes_once() {
    let t = seeded(&Options::default()).await;
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SQS").expect("AWS_ENDPOINT_URL_SQS");
    let missing = format!(
        "{}/000000000000/missing.fifo",
        endpoint.trim_end_matches('/')
    );
    let broken = TestStack {
        stack: t.stack.clone(),
        apps: Apps {
            feedback: feedback_api::App {
                work_queue: SqsQueue::new(t.stack.sqs.clone(), missing),
                ..t.apps.feedback.clone()
            },
            ..t.apps.clone()
        },
        poller: t.poller.clone(),
    };
    let key = "retry-after-503";

    let refused = keyed_dismiss(&broken, key).await;
    refused.problem(503);
    let retry_after = refused.headers.get("retry-after").cloned();
    assert!(
        retry_after
            .as_deref()
            .and_then(|s| s.parse::<u32>().ok())
            .is_some_and(|s| s > 0),
        "{refused:?}"
    );

    let accepted = keyed_dismiss(&t, key).await;
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let caller = Caller::from_claims(&analyst().claims()).expect("caller");
    let id = new_id(&caller, Some(key));
    assert_eq!(accepted.body["id"], id.as_str());

    t.drain().await;
    assert_eq!(
        get(&t, "/risky-users/alice").await["riskState"],
        "dismissed"
    );
    assert_eq!(
        get(&t, &format!("/feedback/{id}")).await["state"],
        "completed"
    );
    assert_eq!(
        history(&t, "alice").await,
        ["dismissUser", "ingestDetections"]
    );
    let events = t.receive_all("EventsQueue").await;
    assert_eq!(completions(&events, &id).len(), 1, "{events:?}");
}
