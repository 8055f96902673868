//! The sample events in `events/` are what `cargo lambda invoke --data-file` and `sam local
//! invoke -e` send and what the README shows; invoking each through its function here keeps
//! them from rotting. `scripts/sam-local test` also sends each through `sam local invoke`, in a
//! container, as a user of SAM would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use aws_lambda_events::event::sqs::SqsEvent;
use riskfeedback::remediation::RemediationCommand;
use riskfeedback_devstack::repo_root;
use riskfeedback_tests::harness::TestStack;
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
    ("feedback-api/list-familiar-contexts", 200),
    ("feedback-api/forget-familiar-context", 202),
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
    ("feedback-api/post-graph-risk-detections", 202),
    ("feedback-api/graph-list-risky-users", 200),
    ("feedback-api/graph-get-risky-user", 200),
    ("feedback-api/graph-get-risky-user-history", 200),
    ("feedback-api/graph-list-risk-detections", 200),
    ("feedback-api/graph-get-risk-detection", 200),
    ("feedback-api/graph-confirm-users-compromised", 204),
    ("feedback-api/graph-confirm-users-safe", 204),
    ("feedback-api/graph-dismiss-users", 204),
    ("feedback-api/graph-confirm-signins-safe", 204),
    ("feedback-api/graph-confirm-signins-compromised", 204),
    (
        "feedback-api/post-graph-service-principal-risk-detections",
        202,
    ),
    ("feedback-api/list-risky-service-principals", 200),
    ("feedback-api/get-risky-service-principal", 200),
    ("feedback-api/list-service-principal-risk-detections", 200),
    ("feedback-api/graph-list-risky-service-principals", 200),
    ("feedback-api/graph-get-risky-service-principal", 200),
    (
        "feedback-api/graph-list-service-principal-risk-detections",
        200,
    ),
    (
        "feedback-api/graph-get-service-principal-risk-detection",
        200,
    ),
    ("feedback-api/confirm-service-principals-compromised", 202),
    (
        "feedback-api/graph-confirm-service-principals-compromised",
        204,
    ),
    ("feedback-api/dismiss-service-principals", 202),
    ("feedback-api/graph-dismiss-service-principals", 204),
    ("feedback-api/get-risky-service-principal-history", 200),
    (
        "feedback-api/graph-get-risky-service-principal-history",
        200,
    ),
    ("remediation-undo/post-remediation-actions", 200),
    ("remediation-undo/list-remediation-actions", 200),
    ("remediation-undo/get-remediation-action", 200),
    ("remediation-undo/approve-remediation-action", 200),
    ("remediation-undo/reject-remediation-action", 200),
    ("remediation-undo/undo-remediation-action", 200),
    ("remediation-undo/undo-investigation", 200),
    ("remediation-undo/post-undo-result", 200),
    ("remediation-undo/reset-password", 200),
    ("remediation-undo/block-users", 200),
    ("remediation-undo/revoke-sessions", 200),
];

/// Samples after which the processor runs: ingestion makes alice and bob, and confirming
/// alice's sign-in safe teaches the familiar context the forget sample names.
const DRAINED_AFTER: &[&str] = &[
    "feedback-api/post-risk-detections",
    "feedback-api/confirm-signins-safe",
    "feedback-api/post-graph-service-principal-risk-detections",
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
        // What the samples after these read was written by the processor.
        if DRAINED_AFTER.contains(sample) {
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
    assert_sent_as_sampled(&t, "remediation-command-queue/undo-command").await;
}

/// The first command on the queue is the `sample`'s (an SQS event of one command): the same
/// command, id, action, entity and reason.
async fn assert_sent_as_sampled(t: &TestStack, sample: &str) {
    let sent = t.receive_all("RemediationCommandQueue").await;
    let event: SqsEvent = serde_json::from_value(load(sample)).expect("an SQS event");
    let body = event.records[0].body.clone().unwrap_or_default();
    let sample: RemediationCommand = serde_json::from_str(&body).expect("a remediation command");
    let actual: RemediationCommand =
        serde_json::from_value(sent[0].clone()).expect("a remediation command");
    let key = |c: &RemediationCommand| {
        (
            c.command_id.clone(),
            c.command.clone(),
            c.action_id.clone(),
            c.entity.clone(),
            c.reason.clone(),
        )
    };
    assert_eq!(key(&sample), key(&actual));
}

/// What an executor receives when an analyst resets a password: the sample is the command the
/// reset-password sample sends.
#[tokio::test]
async fn the_command_sample_is_what_a_reset_password_sends() {
    let t = TestStack::new().await;
    let ingested = t
        .invoke_event(&load("feedback-api/post-risk-detections"))
        .await;
    assert_eq!(ingested.status, 202);
    t.drain().await;
    let reset = t
        .invoke_event(&load("remediation-undo/reset-password"))
        .await;
    assert_eq!(reset.status, 200, "{reset:?}");
    assert_sent_as_sampled(&t, "remediation-command-queue/reset-password-command").await;
}

/// Every `events/…json` the README names exists: its walk-throughs work as written.
#[test]
fn every_event_the_readme_names_exists() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let named: Vec<&str> = readme
        .match_indices("events/")
        .filter_map(|(at, _)| {
            let rest = &readme[at..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "/-_.".contains(c)))?;
            rest[..end].strip_suffix('.').or(Some(&rest[..end]))
        })
        .filter(|path| path.ends_with(".json"))
        .collect();
    assert!(!named.is_empty(), "the README names sample events");
    for path in named {
        assert!(
            repo_root().join(path).is_file(),
            "README names {path}, which does not exist"
        );
    }
}

/// The secret of the local tokens `sam local start-api` verifies here.
const SAM_LOCAL_SECRET: &str = "sam-local-test-secret";

/// How `scripts/sam-local test` runs SAM CLI: its binary, the addresses containers reach the
/// local servers at, and the built template (`scripts/sam-local build`).
struct Sam {
    bin: String,
    template: PathBuf,
    env_vars: PathBuf,
}

impl Sam {
    fn from_env(t: &TestStack) -> Sam {
        let var = |name: &str| {
            std::env::var(name)
                .unwrap_or_else(|_| panic!("{name} is not set: run scripts/sam-local test"))
        };
        let env_vars = t
            .stack
            .sam_env_vars(SAM_LOCAL_SECRET)
            .unwrap_or_else(|e| panic!("{e}: run scripts/sam-local test"));
        let env_path = std::env::temp_dir().join(format!("rf-sam-env-{}.json", std::process::id()));
        std::fs::write(&env_path, env_vars.to_string()).expect("write the env-vars file");
        Sam {
            bin: var("RF_SAM_BIN"),
            template: PathBuf::from(var("RF_SAM_TEMPLATE")),
            env_vars: env_path,
        }
    }

    /// `sam local invoke FUNCTION -e EVENT`: the function's answer, from SAM's standard output.
    fn invoke(&self, function: &str, event: &Value) -> Value {
        let event_path =
            std::env::temp_dir().join(format!("rf-sam-event-{}.json", std::process::id()));
        std::fs::write(&event_path, event.to_string()).expect("write the event");
        let output = self
            .command(&["invoke", function])
            .arg("-e")
            .arg(&event_path)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", self.bin));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "sam local invoke {function}: {stderr}"
        );
        stdout
            .lines()
            .rev()
            .find_map(|line| serde_json::from_str(line).ok())
            .unwrap_or_else(|| panic!("no answer from {function}: {stdout}\n{stderr}"))
    }

    /// `sam local VERB...` on the built template, with the env-vars file and the one local
    /// difference passed as a parameter (the architecture).
    fn command(&self, verb: &[&str]) -> Command {
        let mut command = Command::new(&self.bin);
        // As scripts/lib/docker-local.sh's rf_sam: no telemetry, and SAM's account-id lookup
        // (STS) fails at once instead of trying to reach AWS. Neither reaches the container.
        command
            .env("SAM_CLI_TELEMETRY", "0")
            .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
            .env("AWS_MAX_ATTEMPTS", "1")
            // SAM would also hand a declared variable this shell's value: the functions must
            // get their endpoints from the env-vars file alone, as the README shows.
            .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
            .env_remove("AWS_ENDPOINT_URL_SQS")
            .arg("local")
            .args(verb)
            .args(["--skip-pull-image", "-t"])
            .arg(&self.template)
            .arg("--env-vars")
            .arg(&self.env_vars)
            .args([
                "--parameter-overrides",
                "JwtIssuer=https://login.local.invalid/",
                "JwtAudience=riskfeedback",
                "Architecture=x86_64",
            ]);
        command
    }

    fn api(&self, sample: &str) -> (u16, Value) {
        let function = if sample.starts_with("remediation-undo/") {
            "RemediationUndoFunction"
        } else {
            "FeedbackApiFunction"
        };
        let answer = self.invoke(function, &load(sample));
        let status = answer["statusCode"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok());
        let body = answer["body"]
            .as_str()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        (status.unwrap_or_default(), body)
    }

    /// Hands the processor the notices waiting on the feedback queue, as the event source
    /// mapping would: real messages, in an SQS event.
    /// Hands the processor's container every notice on the queue, a batch at a time, as the
    /// event source mapping would: samples before this one may have queued more than a batch.
    async fn process_queue(&self, t: &TestStack) {
        let url = t.stack.config.feedback_queue_url.clone();
        let mut batches = 0;
        loop {
            if self.process_batch(t, &url).await == 0 {
                break;
            }
            batches += 1;
        }
        assert!(
            batches > 0,
            "the feedback queue holds the ingestion's notice"
        );
    }

    /// One batch of notices through the processor's container; how many it held.
    async fn process_batch(&self, t: &TestStack, url: &str) -> usize {
        let received = t
            .stack
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive from the feedback queue");
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return 0;
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attributes: BTreeMap<String, String> = m
                    .attributes()
                    .map(|a| a.iter().map(|(k, v)| (k.as_str().to_string(), v.clone())).collect())
                    .unwrap_or_default();
                serde_json::json!({
                    "messageId": m.message_id(),
                    "receiptHandle": m.receipt_handle(),
                    "body": m.body(),
                    "attributes": attributes,
                    "messageAttributes": {},
                    "md5OfBody": m.md5_of_body(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:riskfeedback-FeedbackQueue.fifo",
                    "awsRegion": "us-east-1",
                })
            })
            .collect();
        let answer = self.invoke(
            "RiskProcessorFunction",
            &serde_json::json!({ "Records": records }),
        );
        assert_eq!(
            answer["batchItemFailures"],
            serde_json::json!([]),
            "{answer}"
        );
        for m in &messages {
            t.stack
                .sqs
                .delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete a processed notice");
        }
        messages.len()
    }
}

/// The samples through `sam local invoke`, each in its function's container, against DynamoDB
/// Local and moto: the same answers as in process, and the processor fed a real queue message.
#[tokio::test]
#[ignore = "needs Docker and SAM CLI: scripts/sam-local test runs it"]
async fn samples_under_sam_local_invoke() {
    let t = TestStack::new().await;
    let sam = Sam::from_env(&t);
    for (sample, status) in API_SAMPLES {
        let (got, body) = sam.api(sample);
        assert_eq!(got, *status, "{sample}: {body}");
        if DRAINED_AFTER.contains(sample) {
            sam.process_queue(&t).await;
        }
        if *sample == "feedback-api/post-risk-detections" {
            let (_, alice) = sam.api("feedback-api/get-risky-user");
            assert_eq!(alice["riskState"], "atRisk", "{alice}");
        }
    }
}

/// `sam local start-api` on a free port, stopped (with its containers) when dropped.
struct StartApi {
    child: std::process::Child,
    base: String,
}

impl StartApi {
    async fn start(sam: &Sam) -> StartApi {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = sam
            .command(&["start-api", "--warm-containers", "LAZY"])
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", sam.bin));
        let api = StartApi {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..120 {
            if http("GET", &format!("{}/risky-users", api.base), None, None)
                .await
                .is_ok()
            {
                return api;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        panic!("sam local start-api did not answer on port {port} within 60 s");
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        http(method, &format!("{}{path}", self.base), token, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }
}

impl Drop for StartApi {
    fn drop(&mut self) {
        // SIGINT, as Ctrl-C: SAM then stops the containers it started.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

async fn http(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(u16, Value), String> {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder().method(method).uri(url);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let response =
        tokio::time::timeout(std::time::Duration::from_secs(60), client.request(request))
            .await
            .map_err(|_| "timed out".to_string())?
            .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// The README's walk-through through `sam local start-api` with a local token: ingest, confirm
/// a sign-in safe, watch it complete. Without a token, or with one signed otherwise: `401`.
#[tokio::test]
#[ignore = "needs Docker and SAM CLI: scripts/sam-local test runs it"]
async fn walkthrough_under_sam_local_start_api() {
    use riskfeedback_devstack::token::{mint, Identity};
    let t = TestStack::new().await;
    let sam = Sam::from_env(&t);
    let api = StartApi::start(&sam).await;
    let identity = Identity {
        tenant: "contoso".to_string(),
        user: "analyst-1".to_string(),
        name: "Local Analyst".to_string(),
        roles: riskfeedback_tests::harness::ALL_ROLES
            .iter()
            .map(|r| r.to_string())
            .collect(),
        ttl_seconds: 600,
    };
    let token = mint(&identity, SAM_LOCAL_SECRET).expect("mint");
    let forged = mint(&identity, "another-secret").expect("mint");
    assert_eq!(api.call("GET", "/risky-users", None, None).await.0, 401);
    assert_eq!(
        api.call("GET", "/risky-users", Some(&forged), None).await.0,
        401
    );
    let detections: Value = load("feedback-api/post-risk-detections")["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .expect("the ingestion sample's body");
    let (status, accepted) = api
        .call("POST", "/risk-detections", Some(&token), Some(detections))
        .await;
    assert_eq!(status, 202, "{accepted}");
    sam.process_queue(&t).await;
    let (status, confirmed) = api
        .call(
            "POST",
            "/risky-signins/confirm-safe",
            Some(&token),
            Some(serde_json::json!({"signInIds": ["si-alice-1"], "comment": "travelling"})),
        )
        .await;
    assert_eq!(status, 202, "{confirmed}");
    sam.process_queue(&t).await;
    let id = confirmed["id"].as_str().unwrap_or_default();
    let (status, feedback) = api
        .call("GET", &format!("/feedback/{id}"), Some(&token), None)
        .await;
    assert_eq!(
        (status, feedback["state"].as_str()),
        (200, Some("completed")),
        "{feedback}"
    );
    let (_, sign_in) = api
        .call("GET", "/risky-signins/si-alice-1", Some(&token), None)
        .await;
    assert_eq!(sign_in["riskState"], "confirmedSafe", "{sign_in}");
}
