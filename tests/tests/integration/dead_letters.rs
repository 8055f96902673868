//! A notice that keeps failing reaches the dead-letter queue; its feedback then shows `failed`
//! and why, and a redrive applies it exactly once and clears the failure (SPEC 7).

use std::time::{Duration, Instant};

use riskfeedback_aws::DynamoStore;
use riskfeedback_devstack::dlq::{inspect, redrive};
use riskfeedback_devstack::poller::Poller;
use riskfeedback_devstack::provision::Options;
use riskfeedback_tests::harness::{detection, As, TestStack};
use serde_json::json;

#[tokio::test]
async fn dead_lettered_feedback_shows_failed_until_redriven() {
    let t = TestStack::with_options(&Options {
        visibility_timeout: 1,
    })
    .await;
    let analyst = As::analyst("contoso");
    t.ingest(&analyst, vec![detection("d1", "alice", "high", None)])
        .await;
    let sent = t
        .call(
            &analyst,
            "POST",
            "/risky-users/dismiss",
            Some(json!({"userIds": ["alice"]})),
        )
        .await;
    let feedback = format!("/feedback/{}", sent.body["id"].as_str().unwrap_or_default());

    // A processor whose database is gone fails every attempt, until SQS dead-letters the notice.
    let broken = Poller {
        app: risk_processor::App {
            store: DynamoStore::new(t.stack.dynamodb.clone(), "no-such-table"),
            ..t.poller.app.clone()
        },
        ..t.poller.clone()
    };
    let dlq_url = t.stack.queue_url("FeedbackDeadLetterQueue").to_string();
    let deadline = Instant::now() + Duration::from_secs(40);
    let letters = loop {
        assert!(
            Instant::now() < deadline,
            "the notice never reached the dead-letter queue"
        );
        broken.poll_once(1).await.expect("poll");
        let letters = inspect(&t.stack.sqs, &dlq_url, &t.stack.dynamodb_store())
            .await
            .expect("inspect");
        if !letters.is_empty() {
            break letters;
        }
    };
    assert_eq!(letters.len(), 1);
    assert_eq!(
        letters[0].notice.as_ref().map(|n| n.user_ids.clone()),
        Some(vec!["alice".to_string()])
    );
    let failed = t.call(&analyst, "GET", &feedback, None).await;
    assert_eq!(failed.body["state"], "failed", "{failed:?}");
    assert!(failed.body["failureReason"]
        .as_str()
        .is_some_and(|r| r.contains("dead-lettered")));
    assert_eq!(
        t.call(&analyst, "GET", "/risky-users/alice", None)
            .await
            .body["riskState"],
        "atRisk"
    );

    assert_eq!(
        redrive(&t.stack.sqs, &dlq_url, &t.stack.config.feedback_queue_url).await,
        Ok(1)
    );
    t.drain().await;
    let done = t.call(&analyst, "GET", &feedback, None).await;
    assert_eq!(done.body["state"], "completed", "{done:?}");
    assert!(done.body.get("failureReason").is_none());
    assert_eq!(
        t.call(&analyst, "GET", "/risky-users/alice", None)
            .await
            .body["riskState"],
        "dismissed"
    );
    assert!(inspect(&t.stack.sqs, &dlq_url, &t.stack.dynamodb_store())
        .await
        .expect("inspect")
        .is_empty());
}
