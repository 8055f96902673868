//! The sample events in `events/` are what `cargo lambda invoke --data-file` sends and what the
//! README shows; invoking each through its function here keeps them from rotting.

use std::collections::BTreeMap;
use std::path::Path;

use aws_lambda_events::event::sqs::SqsEvent;
use riskfeedback::remediation::RemediationCommand;
use riskfeedback_tests::harness::TestStack;
use riskfeedback_tests::repo_root;
use serde_json::Value;

/// Every API sample and the status it must get, in the order they run: ingestion first, so
/// the reads and feedback that follow find alice and bob.
const API_SAMPLES: &[(&str, u16)] = &[
    ("feedback-api/post-risk-detections", 202),
    ("feedback-api/list-risky-users", 200),
    ("feedback-api/get-risky-user", 200),
    ("feedback-api/get-risky-user-history", 200),
    ("feedback-api/get-feedback", 200),
    ("feedback-api/list-risky-signins", 200),
    ("feedback-api/get-risky-signin", 200),
    ("feedback-api/list-risk-detections", 200),
    ("feedback-api/preview-confirm-signins-safe", 200),
    ("feedback-api/confirm-signins-safe", 202),
    ("feedback-api/confirm-signins-compromised", 202),
    ("feedback-api/dismiss-signins", 202),
    ("feedback-api/confirm-users-compromised", 202),
    ("feedback-api/confirm-users-safe", 202),
    ("feedback-api/dismiss-users", 202),
    ("feedback-api/post-password-event", 202),
    ("feedback-api/post-submission", 201),
    ("feedback-api/get-submission", 200),
    ("feedback-api/list-indicators", 200),
    ("feedback-api/post-indicator", 201),
    ("feedback-api/get-indicator", 200),
    ("feedback-api/delete-indicator", 204),
    ("feedback-api/get-detection-quality", 200),
    ("remediation-undo/post-remediation-actions", 200),
    ("remediation-undo/list-remediation-actions", 200),
    ("remediation-undo/get-remediation-action", 200),
    ("remediation-undo/approve-remediation-action", 200),
    ("remediation-undo/reject-remediation-action", 200),
    ("remediation-undo/undo-remediation-action", 200),
    ("remediation-undo/undo-investigation", 200),
    ("remediation-undo/post-undo-result", 200),
];

fn load(relative: &str) -> Value {
    let path = repo_root().join("events").join(format!("{relative}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter_map(|entry| {
            entry
                .file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_sample_event_is_listed_here() {
    let listed: BTreeMap<&str, u16> = API_SAMPLES.iter().copied().collect();
    for function in ["feedback-api", "remediation-undo"] {
        for name in files_in(&repo_root().join("events").join(function)) {
            let key = format!("{function}/{name}");
            assert!(
                listed.contains_key(key.as_str()),
                "events/{key}.json has no expected status here"
            );
        }
    }
}

#[tokio::test]
async fn api_samples_get_their_expected_answers() {
    let t = TestStack::new().await;
    for (sample, status) in API_SAMPLES {
        let answer = t.invoke_event(&load(sample)).await;
        assert_eq!(answer.status, *status, "{sample}: {answer:?}");
        if *sample == "feedback-api/post-risk-detections" {
            t.drain().await;
        }
    }
    t.drain().await;
    let bob = t
        .invoke_event(&load("feedback-api/post-password-event"))
        .await;
    assert_eq!(bob.status, 202, "the samples leave nothing queued behind");
}

#[tokio::test]
async fn the_sqs_sample_drives_the_processor() {
    let t = TestStack::new().await;
    // The sample notice names the ingestion sample's feedback (its id follows from its
    // Idempotency-Key), so accept that first, then hand the processor the sample batch.
    let accepted = t
        .invoke_event(&load("feedback-api/post-risk-detections"))
        .await;
    assert_eq!(accepted.status, 202);
    let event: SqsEvent =
        serde_json::from_value(load("risk-processor/sqs-fifo-batch")).expect("an SQS event");
    let response = risk_processor::process_batch(&t.poller.app, event)
        .await
        .response;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let alice = t.invoke_event(&load("feedback-api/get-risky-user")).await;
    assert_eq!(alice.body["riskState"], "atRisk");
    assert_eq!(alice.body["riskLevel"], "medium");
}

/// What an executor receives on the remediation command queue: the sample is the command an
/// undo of `act-1` sends, in the shape the service writes.
#[tokio::test]
async fn the_command_sample_is_what_an_undo_sends() {
    let t = TestStack::new().await;
    for sample in [
        "remediation-undo/post-remediation-actions",
        "remediation-undo/undo-remediation-action",
    ] {
        assert_eq!(t.invoke_event(&load(sample)).await.status, 200, "{sample}");
    }
    let sent = t.receive_all("RemediationCommandQueue").await;
    let event: SqsEvent = serde_json::from_value(load("remediation-command-queue/undo-command"))
        .expect("an SQS event");
    let body = event.records[0].body.clone().unwrap_or_default();
    let sample: RemediationCommand = serde_json::from_str(&body).expect("a remediation command");
    let actual: RemediationCommand =
        serde_json::from_value(sent[0].clone()).expect("a remediation command");
    assert_eq!(
        (
            &sample.command_id,
            &sample.command,
            &sample.action_id,
            &sample.entity
        ),
        (
            &actual.command_id,
            &actual.command,
            &actual.action_id,
            &actual.entity
        )
    );
}
