//! Two analysts acting on the same user at the same moment never lose an update (SPEC 7):
//! concurrent, conflicting feedback from several tasks, processed by two competing pollers,
//! ends exactly as a serial application in acceptance order would.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use riskfeedback_tests::harness::{detection, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";
const USERS: [&str; 3] = ["u0", "u1", "u2"];
const TASKS: usize = 4;
const CALLS_PER_TASK: usize = 12;

/// Each action fully decides the user's state, so the last one applied is visible at the end.
const ACTIONS: [(&str, &str, &str); 3] = [
    (
        "confirm-compromised",
        "confirmUserCompromised",
        "confirmedCompromised",
    ),
    ("dismiss", "dismissUser", "dismissed"),
    ("confirm-safe", "confirmUserSafe", "confirmedSafe"),
];

/// Two processors polling the same queue until it is empty, each counting its retries.
fn competing_pollers(t: &Arc<TestStack>) -> Vec<tokio::task::JoinHandle<u32>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    (0..2)
        .map(|_| {
            let poller = t.poller.clone();
            tokio::spawn(async move {
                let mut conflicts = 0;
                while Instant::now() < deadline {
                    let polled = poller.poll_once(1).await;
                    conflicts += polled.as_ref().map_or(0, |r| r.conflicts);
                    if polled.is_ok_and(|r| r.received == 0) && poller.backlog().await == Ok(0) {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        if poller.backlog().await == Ok(0) {
                            break;
                        }
                    }
                }
                conflicts
            })
        })
        .collect()
}

async fn joined(pollers: Vec<tokio::task::JoinHandle<u32>>) -> u32 {
    let mut conflicts = 0;
    for poller in pollers {
        conflicts += poller.await.expect("poller");
    }
    conflicts
}

fn snapshot(entry: &Value) -> (Value, Value, Value) {
    (
        entry["riskLevel"].clone(),
        entry["riskState"].clone(),
        entry["riskDetail"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_conflicting_feedback_equals_a_serial_application() {
    let t = Arc::new(TestStack::new().await);
    let analyst = As::analyst(TENANT);
    let detections: Vec<Value> = USERS
        .iter()
        .map(|u| detection(&format!("d-{u}"), u, "medium", None))
        .collect();
    t.ingest(&analyst, detections).await;

    let submitting = (0..TASKS).map(|task| {
        let t = t.clone();
        let analyst = analyst.clone();
        tokio::spawn(async move {
            let mut accepted: Vec<&'static str> = Vec::new();
            for call in 0..CALLS_PER_TASK {
                let user = USERS[(task + call) % USERS.len()];
                let (verb, _, _) = ACTIONS[(task * 7 + call) % ACTIONS.len()];
                let answer = t
                    .call(
                        &analyst,
                        "POST",
                        &format!("/risky-users/{verb}"),
                        Some(json!({"userIds": [user]})),
                    )
                    .await;
                assert_eq!(answer.status, 202, "{answer:?}");
                accepted.push(user);
            }
            accepted
        })
    });
    let submitters: Vec<_> = submitting.collect();
    // Two pollers compete for the same queue while feedback keeps arriving.
    let pollers = competing_pollers(&t);
    let mut accepted_per_user: HashMap<&str, usize> = HashMap::new();
    for submitter in submitters {
        for user in submitter.await.expect("submitter") {
            *accepted_per_user.entry(user).or_default() += 1;
        }
    }
    let conflicts = joined(pollers).await;
    // The figure the issue asks for: how often a commit lost a race and was retried.
    eprintln!("optimistic-concurrency retries by the competing processors: {conflicts}");
    t.drain().await;

    for user in USERS {
        let history = t
            .call(
                &analyst,
                "GET",
                &format!("/risky-users/{user}/history?limit=500"),
                None,
            )
            .await;
        let mut entries: Vec<Value> = history.body["value"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        entries.reverse();
        let feedback: Vec<&Value> = entries
            .iter()
            .filter(|e| e["action"] != "ingestDetections")
            .collect();
        assert_eq!(
            feedback.len(),
            accepted_per_user[user],
            "{user}: every accepted feedback applied once"
        );
        // Serial: each step started from exactly the state the previous one left.
        for pair in entries.windows(2) {
            assert_eq!(
                snapshot(&pair[1]["before"]),
                snapshot(&pair[0]),
                "{user}: {pair:?}"
            );
        }
        let last = feedback.last().expect("feedback applied");
        let state = ACTIONS
            .iter()
            .find(|(_, action, _)| last["action"] == *action)
            .map(|(_, _, s)| *s);
        let current = t
            .call(&analyst, "GET", &format!("/risky-users/{user}"), None)
            .await;
        assert_eq!(current.body["riskState"].as_str(), state, "{user}");
        assert_eq!(current.body["isProcessing"], false);
    }
}

/// SPEC 3a under SPEC 7: an analyst confirms a sign-in safe while detections from the same
/// network keep arriving for the user. Each detection is judged as a serial application in
/// acceptance order would: accepted before the confirmation it raises risk, after it the
/// familiar network judges it safe, and the context counts exactly the detections it judged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn confirming_safe_while_same_context_detections_arrive_equals_a_serial_application() {
    let t = Arc::new(TestStack::new().await);
    let analyst = As::analyst(TENANT);
    t.ingest(
        &analyst,
        vec![detection("d-home", "carol", "medium", Some("s-home"))],
    )
    .await;
    t.drain().await;

    let ingesting = (0..TASKS).map(|task| {
        let t = t.clone();
        let analyst = analyst.clone();
        tokio::spawn(async move {
            let mut accepted = HashMap::new();
            for call in 0..CALLS_PER_TASK {
                let id = format!("d-{task}-{call}");
                let mut d = detection(&id, "carol", "medium", Some(&format!("s-{task}-{call}")));
                d["signIn"]["ipAddress"] = json!(format!("203.0.113.{}", 10 + task * 20 + call));
                let answer = t
                    .call(
                        &analyst,
                        "POST",
                        "/risk-detections",
                        Some(json!({"detections": [d]})),
                    )
                    .await;
                assert_eq!(answer.status, 202, "{answer:?}");
                accepted.insert(
                    answer.body["id"].as_str().unwrap_or_default().to_string(),
                    id,
                );
            }
            accepted
        })
    });
    let ingesters: Vec<_> = ingesting.collect();
    let pollers = competing_pollers(&t);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let confirm = t
        .call(
            &analyst,
            "POST",
            "/risky-signins/confirm-safe",
            Some(json!({"signInIds": ["s-home"]})),
        )
        .await;
    assert_eq!(confirm.status, 202, "{confirm:?}");
    let mut detection_of_feedback = HashMap::new();
    for ingester in ingesters {
        detection_of_feedback.extend(ingester.await.expect("ingester"));
    }
    let conflicts = joined(pollers).await;
    eprintln!("retries while confirm-safe raced same-context detections: {conflicts}");
    t.drain().await;

    let history = t
        .call(
            &analyst,
            "GET",
            "/risky-users/carol/history?limit=500",
            None,
        )
        .await;
    let mut entries = history.body["value"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    entries.reverse();
    let confirmed_at = entries
        .iter()
        .position(|e| e["feedbackId"] == confirm.body["id"])
        .unwrap_or_else(|| panic!("the confirmation applied: {entries:?}"));
    let detections = t
        .call(
            &analyst,
            "GET",
            "/risk-detections?userId=carol&limit=500",
            None,
        )
        .await;
    let state_of = |id: &str| {
        detections.body["value"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["id"] == id)
            .map(|d| (d["riskState"].clone(), d["taughtBy"]["cause"].clone()))
    };
    let mut judged_safe = 0;
    for (at, entry) in entries.iter().enumerate() {
        let Some(id) = entry["feedbackId"]
            .as_str()
            .and_then(|f| detection_of_feedback.get(f))
        else {
            continue;
        };
        let expected = if at > confirmed_at {
            judged_safe += 1;
            (json!("dismissed"), json!("familiarNetwork"))
        } else {
            (json!("atRisk"), Value::Null)
        };
        assert_eq!(
            state_of(id),
            Some(expected),
            "{id}, applied at {at}, confirmed at {confirmed_at}"
        );
    }
    assert_eq!(
        detection_of_feedback.len(),
        TASKS * CALLS_PER_TASK,
        "every ingestion was accepted once"
    );
    let contexts = t
        .call(
            &analyst,
            "GET",
            "/risky-users/carol/familiar-contexts",
            None,
        )
        .await;
    let network = contexts.body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["network"] == "203.0.113.0/24")
        .cloned()
        .unwrap_or_else(|| panic!("the network was learned: {}", contexts.body));
    assert_eq!(
        network["hits"], judged_safe,
        "hits count what the context judged, once each"
    );
    eprintln!(
        "{judged_safe} of {} racing detections applied after the confirmation",
        TASKS * CALLS_PER_TASK
    );
}
