//! What the tests of detections in Graph's shape share: Graph's documented examples, intake's
//! reading of them, a variation of one, and the context of a step.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use riskfeedback::auth::Actor;
use riskfeedback::errors::Invalid;
use riskfeedback::feedback::DetectionIn;
use riskfeedback::intake::FeedbackRequest;
use riskfeedback::risk::Context;
use riskfeedback::validate::parse_json;

/// One of Graph's documentation examples (`tests/fixtures/graph-docs`).
pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/graph-docs/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Detections as `POST /risk-detections` reads and checks them, posted under `field`.
pub fn accepted(field: &str, detections: Vec<Value>) -> Result<Vec<DetectionIn>, Invalid> {
    let body = serde_json::to_vec(&json!({ field: detections })).unwrap_or_default();
    let parsed: std::collections::BTreeMap<String, Vec<DetectionIn>> = parse_json(&body)?;
    let detections = parsed.into_values().next().unwrap_or_default();
    match FeedbackRequest::detections(field, detections)? {
        FeedbackRequest::Detections(detections) => Ok(detections),
        other => panic!("not an ingestion: {other:?}"),
    }
}

/// `example` with `changes` over its fields.
pub fn with(mut example: Value, changes: Value) -> Value {
    if let (Some(fields), Some(target)) = (changes.as_object(), example.as_object_mut()) {
        for (k, v) in fields {
            target.insert(k.clone(), v.clone());
        }
    }
    example
}

/// Step `step` of `actor`'s, a second after the one before.
pub fn context(step: u32, actor: &str) -> Context {
    Context {
        step_id: format!("step-{step}"),
        feedback_id: format!("fb-{step}"),
        actor: Actor {
            id: actor.to_string(),
            display_name: None,
        },
        comment: None,
        now: DateTime::<Utc>::from_timestamp(1_800_000_000 + i64::from(step), 0)
            .unwrap_or_default(),
        verdicts: Default::default(),
        settings: Default::default(),
    }
}
