//! What an operator reads, from the functions' own telemetry set-up (`lambda::init_telemetry`)
//! over a local run: JSON log lines (Lambda's `AWS_LAMBDA_LOG_FORMAT=JSON`) that follow one
//! feedback by its id from acceptance to completion, and metrics in valid CloudWatch Embedded
//! Metric Format. A process has one log subscriber and one metrics recorder, and the function's
//! set-up installs both: so the test runs in a process of its own, this test binary started
//! again with only it selected, where no other test's logs or metrics can reach them.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use riskfeedback::telemetry;
use riskfeedback_tests::harness::{detection, As, TestStack};
use serde_json::{json, Value};

/// The log lines, as the function would have written them to standard output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Set in the process the test starts for itself.
const ALONE: &str = "RISKFEEDBACK_TELEMETRY_TEST_ALONE";

#[test]
fn a_feedbacks_journey_is_in_the_json_logs_and_its_metrics_are_valid_emf() {
    if std::env::var_os(ALONE).is_some() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        return runtime.block_on(journey());
    }
    let name = "telemetry::a_feedbacks_journey_is_in_the_json_logs_and_its_metrics_are_valid_emf";
    let output = std::process::Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(ALONE, "1")
        .output()
        .expect("run the test in a process of its own");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && said.contains("1 passed"),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn journey() {
    // What Lambda sets for a function whose LoggingConfig says JSON (template.yaml).
    std::env::set_var("AWS_LAMBDA_LOG_FORMAT", "JSON");
    let logs = Captured::default();
    let writer = logs.clone();
    let metrics =
        riskfeedback_aws::lambda::init_telemetry_with_writer("journey", move || writer.clone())
            .expect("telemetry");

    let t = TestStack::new().await;
    let ingest = As::with_roles("contoso", &["Signals.Ingest"]);
    let analyst = As::analyst("contoso");
    t.ingest(
        &ingest,
        vec![detection("d-1", "alice", "high", Some("s-1"))],
    )
    .await;
    let dismissed = t
        .call(
            &analyst,
            "POST",
            "/risky-users/dismiss",
            Some(json!({"userIds": ["alice"]})),
        )
        .await;
    assert_eq!(dismissed.status, 202, "{dismissed:?}");
    let feedback = dismissed.body["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    t.drain().await;
    let action = json!({"actions": [{
        "id": "a-file", "investigationId": "inv-1", "actionType": "quarantineFile",
        "entity": {"type": "file", "id": "f-1"}, "status": "completed",
        "createdDateTime": "2026-11-20T10:00:00Z"}]});
    assert_eq!(
        t.call(&ingest, "POST", "/remediation-actions", Some(action))
            .await
            .status,
        200
    );
    let undo = t
        .call(
            &analyst,
            "POST",
            "/remediation-actions/a-file/undo",
            Some(json!({"reason": "false positive"})),
        )
        .await;
    assert_eq!(undo.status, 200, "{undo:?}");
    let report = json!({"status": "undone", "commandId": undo.body["undo"]["commandId"]});
    let reported = t
        .call(
            &ingest,
            "POST",
            "/remediation-actions/a-file/undo-result",
            Some(report),
        )
        .await;
    assert_eq!(reported.status, 200, "{reported:?}");

    let lines = logs.lines();
    let parsed: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let journey: Vec<&str> = parsed
        .iter()
        .filter(|line| line.to_string().contains(&feedback))
        .filter_map(|line| line["fields"]["message"].as_str())
        .collect();
    let expected = [
        "accepted",
        "notice received",
        "step applied",
        "feedback completed",
    ];
    let mut rest = journey.iter();
    for step in expected {
        assert!(
            rest.any(|message| *message == step),
            "no `{step}` in order in the lines naming {feedback}: {journey:?}"
        );
    }
    for line in parsed.iter().filter(|l| l.to_string().contains(&feedback)) {
        assert_eq!(line["fields"]["tenant"], "contoso", "{line}");
    }
    let changed: Vec<&Value> = parsed
        .iter()
        .filter(|l| l["fields"]["action"] == "a-file")
        .collect();
    assert!(
        changed
            .iter()
            .any(|l| l["fields"]["message"] == "remediation command sent"
                && l["fields"]["command"] == "releaseFile"),
        "{changed:?}"
    );
    assert!(
        !lines.iter().any(|l| l.to_lowercase().contains("bearer")),
        "a log line carries a token"
    );

    let mut emf = Vec::new();
    metrics.flush(&mut emf).expect("flush the metrics");
    let documents: Vec<Value> = String::from_utf8_lossy(&emf)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    assert!(!documents.is_empty(), "no metrics were written");
    let mut names = BTreeSet::new();
    for document in &documents {
        names.extend(valid_emf(document));
    }
    for name in [
        telemetry::FEEDBACK_ACCEPTED,
        telemetry::STEPS_APPLIED,
        telemetry::PROCESSING_LAG,
        telemetry::FEEDBACK_COMPLETED,
        telemetry::DETECTIONS_INGESTED,
        telemetry::UNDO_REQUESTED,
        telemetry::UNDO_DONE,
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
}

/// Checks one document against the Embedded Metric Format specification and returns the names
/// of its metrics: a millisecond `_aws.Timestamp`; directives naming a namespace, dimension sets
/// of at most 30 top-level string members, and at most 100 metrics, each a top-level number or
/// array of numbers with a unit CloudWatch knows.
fn valid_emf(document: &Value) -> Vec<String> {
    let aws = &document["_aws"];
    assert!(
        aws["Timestamp"]
            .as_u64()
            .is_some_and(|t| t > 1_600_000_000_000),
        "{document}"
    );
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics");
    assert!(!directives.is_empty(), "{document}");
    let mut names = Vec::new();
    for directive in directives {
        let namespace = directive["Namespace"].as_str().unwrap_or_default();
        assert!(
            !namespace.is_empty() && namespace.len() <= 255,
            "{document}"
        );
        for set in directive["Dimensions"].as_array().expect("Dimensions") {
            let set = set.as_array().expect("a dimension set");
            assert!(set.len() <= 30, "{document}");
            for key in set {
                let key = key.as_str().expect("a dimension name");
                assert!(
                    document[key].is_string(),
                    "dimension {key} missing: {document}"
                );
            }
        }
        let metrics = directive["Metrics"].as_array().expect("Metrics");
        assert!(!metrics.is_empty() && metrics.len() <= 100, "{document}");
        for metric in metrics {
            let name = metric["Name"].as_str().expect("a metric name");
            let value = &document[name];
            let numeric = value.is_number()
                || value
                    .as_array()
                    .is_some_and(|v| !v.is_empty() && v.iter().all(Value::is_number));
            assert!(numeric, "metric {name} has no numeric value: {document}");
            if let Some(unit) = metric.get("Unit") {
                assert!(
                    UNITS.contains(&unit.as_str().unwrap_or_default()),
                    "{document}"
                );
            }
            names.push(name.to_string());
        }
    }
    names
}

/// CloudWatch's metric units.
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];
