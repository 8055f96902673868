//! The benchmark `scripts/bench` runs: the functions' release binaries, each behind a local
//! Lambda Runtime API, against DynamoDB Local and the local SQS endpoint. Prints the figures of
//! issue 5 with their targets and writes them to a JSON summary.
//!
//! Usage: bench <dir of release binaries> <python with boto3> <python peer script> <summary.json>
//! [footprint]; with `footprint`, only cold starts and package sizes are measured.

mod runtime_api;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::runtime_api::RuntimeApi;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use aws_sdk_sqs::types::MessageSystemAttributeName;
use riskfeedback_devstack::gateway::{api_event, HttpCall};
use riskfeedback_devstack::poller::{backlog, poll_batch, sqs_record};
use riskfeedback_devstack::provision::{Options, Stack};
use riskfeedback_tests::faults::FaultProxy;
use riskfeedback_tests::harness::{detection, As};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

const TENANT: &str = "bench";
const FUNCTIONS: [&str; 3] = ["feedback-api", "risk-processor", "remediation-undo"];
const STARTS: usize = 20;
const PATIENCE: Duration = Duration::from_secs(30);
/// Users the processor runs at once, and so the raw baseline's writers.
const CONCURRENCY: usize = risk_processor::USERS_AT_ONCE;
/// Users dismissed in the throughput run: enough for several seconds of processing.
const THROUGHPUT_USERS: usize = 960;

type Result<T> = std::result::Result<T, String>;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (bin_dir, python, peer, out, footprint) = match args.as_slice() {
        [_, bin_dir, python, peer, out] => (bin_dir, python, peer, Path::new(out), false),
        [_, bin_dir, python, peer, out, mode] if mode == "footprint" => {
            (bin_dir, python, peer, Path::new(out), true)
        }
        _ => return Err(USAGE.into()),
    };
    let bench = Bench::new(Path::new(bin_dir)).await?;
    let mut figures = BTreeMap::new();

    let clock = Instant::now();
    eprintln!("bench: cold starts ({STARTS} per function) ...");
    let mut init = BTreeMap::new();
    for function in FUNCTIONS {
        init.insert(function, bench.init_ms(&bench.binary(function)).await?);
    }
    let peer_cmd = [python.as_str(), peer.as_str()];
    let python_init = median(bench.cold_starts(&peer_cmd).await?);
    figures.insert("init_ms", json!(init));
    figures.insert("init_ms_python_peer", json!(python_init));

    eprintln!("bench: [{:.0?}] zip sizes ...", clock.elapsed());
    let mut zips = BTreeMap::new();
    for function in FUNCTIONS {
        zips.insert(function, zip_bytes(&bench.binary(function)).await?);
    }
    figures.insert("zip_bytes", json!(zips));
    if footprint {
        return write_summary(&json!({ "machine": machine(), "figures": figures }), out);
    }

    eprintln!(
        "bench: [{:.0?}] DynamoDB requests over the feedback mix and detection batches ...",
        clock.elapsed()
    );
    let (per_target, per_detection, profile) = bench.request_counts().await?;
    figures.insert("ddb_requests_per_feedback_target", json!(per_target));
    figures.insert("ddb_requests_per_detection", json!(per_detection));
    figures.insert("processor_profile", profile);

    eprintln!(
        "bench: [{:.0?}] processor throughput and raw DynamoDB Local transactions ...",
        clock.elapsed()
    );
    let (targets_per_s, raw_tx_per_s) = bench.throughput().await?;
    figures.insert("processor_targets_per_s", json!(targets_per_s));
    figures.insert("ddb_local_raw_tx_per_s", json!(raw_tx_per_s));
    figures.insert(
        "processor_to_raw_ratio",
        json!(round(targets_per_s / raw_tx_per_s)),
    );

    eprintln!(
        "bench: [{:.0?}] intake latency (60 targets) and bare PutItem ...",
        clock.elapsed()
    );
    let latency = bench.intake_latency().await?;
    figures.insert("intake_p50_ms", json!(latency.intake_p50_ms));
    figures.insert("intake_p99_ms", json!(latency.intake_p99_ms));
    figures.insert("ddb_put_p50_ms", json!(latency.put_p50_ms));
    figures.insert("ddb_local_tx_61_items_ms", json!(latency.tx_61_p50_ms));

    eprintln!(
        "bench: [{:.0?}] peak memory over 100-message batches ...",
        clock.elapsed()
    );
    let mut rss = bench.peak_rss().await?;
    rss.insert("feedback-api", latency.api_peak_rss_mb);
    figures.insert("peak_rss_mb", json!(rss));

    let checks = targets(&init, python_init, &zips, &rss, &figures);
    let summary = json!({
        "machine": machine(),
        "figures": figures,
        "targets": checks,
    });
    write_summary(&summary, out)
}

const USAGE: &str =
    "usage: bench <release bin dir> <python with boto3> <peer script> <summary.json> [footprint]";

fn write_summary(summary: &Value, out: &Path) -> Result<()> {
    print_summary(summary);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let text = serde_json::to_string_pretty(summary).map_err(|e| e.to_string())?;
    std::fs::write(out, text).map_err(|e| e.to_string())?;
    eprintln!("bench: wrote {}", out.display());
    Ok(())
}

/// What the intake latency run measured.
struct Latency {
    intake_p50_ms: f64,
    intake_p99_ms: f64,
    put_p50_ms: f64,
    /// A bare 61-put TransactWriteItems: what a 60-target intake writes in one transaction.
    tx_61_p50_ms: f64,
    api_peak_rss_mb: f64,
}

struct Bench {
    bin_dir: PathBuf,
    stack: Stack,
}

/// One function process behind its own Runtime API.
struct Running {
    api: RuntimeApi,
    child: Child,
}

impl Running {
    async fn invoke(&self, event: Value) -> Result<Value> {
        tokio::time::timeout(PATIENCE, self.api.invoke(event))
            .await
            .map_err(|_| "an invocation timed out".to_string())?
            .map_err(|e| format!("the function failed: {e}"))
    }

    /// `VmHWM`: the most resident memory the process has used, in MB.
    fn peak_rss_mb(&self) -> Result<f64> {
        let pid = self.child.id().ok_or("the process has exited")?;
        let status =
            std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .ok_or("no VmHWM in /proc status")?;
        Ok(round(kb / 1024.0))
    }

    /// Calls the API function with an API Gateway event; returns status and body.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<(u16, Value)> {
        let call = HttpCall {
            method: method.to_string(),
            path: path.to_string(),
            headers: BTreeMap::from([("content-type".to_string(), "application/json".to_string())]),
            body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
            ..HttpCall::default()
        };
        let claims = As::analyst(TENANT).claims();
        let answer = self.invoke(api_event(&call, Some(&claims))).await?;
        let status = answer["statusCode"].as_u64().unwrap_or_default() as u16;
        let body = answer["body"]
            .as_str()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        Ok((status, body))
    }

    async fn expect(&self, status: u16, method: &str, path: &str, body: Value) -> Result<Value> {
        let (got, answer) = self.call(method, path, Some(body)).await?;
        if got != status {
            return Err(format!("{method} {path}: {got} {answer}"));
        }
        Ok(answer)
    }
}

impl Bench {
    async fn new(bin_dir: &Path) -> Result<Bench> {
        let prefix = format!("bench{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let stack = Stack::create(&prefix, &Options::default()).await?;
        Ok(Bench {
            bin_dir: bin_dir.to_path_buf(),
            stack,
        })
    }

    fn binary(&self, function: &str) -> PathBuf {
        self.bin_dir.join(function)
    }

    /// The environment `template.yaml` gives a function, and what Lambda sets for every process.
    fn env(&self, api: &RuntimeApi, endpoint: Option<&str>) -> Vec<(String, String)> {
        let c = &self.stack.config;
        let region = self
            .stack
            .sdk
            .region()
            .map_or("us-east-1".to_string(), |r| r.to_string());
        let mut env: Vec<(String, String)> = [
            ("AWS_REGION", region.as_str()),
            ("AWS_DEFAULT_REGION", region.as_str()),
            ("AWS_LAMBDA_RUNTIME_API", api.address.as_str()),
            ("AWS_LAMBDA_FUNCTION_NAME", "bench"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
            ("TABLE_NAME", c.table_name.as_str()),
            ("FEEDBACK_QUEUE_URL", c.feedback_queue_url.as_str()),
            ("EVENTS_QUEUE_URL", c.events_queue_url.as_str()),
            (
                "REMEDIATION_COMMAND_QUEUE_URL",
                c.remediation_command_queue_url.as_str(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if let Some(url) = endpoint {
            env.push(("AWS_ENDPOINT_URL_DYNAMODB".to_string(), url.to_string()));
            env.push(("AWS_ENDPOINT_URL_SQS".to_string(), url.to_string()));
        }
        env
    }

    async fn spawn(&self, command: &[&str], endpoint: Option<&str>) -> Result<Running> {
        let api = RuntimeApi::start().await?;
        let (program, args) = command.split_first().ok_or("no command")?;
        let child = Command::new(program)
            .args(args)
            .envs(self.env(&api, endpoint))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{program}: {e}"))?;
        api.first_poll(PATIENCE)
            .await
            .ok_or_else(|| format!("{program} never polled the runtime API"))?;
        Ok(Running { api, child })
    }

    async fn function(&self, name: &str, endpoint: Option<&str>) -> Result<Running> {
        let binary = self.binary(name);
        let program = binary.to_str().ok_or("a binary path is not UTF-8")?;
        self.spawn(&[program], endpoint).await
    }

    /// Milliseconds from spawning the process to its first poll of the Runtime API.
    async fn cold_starts(&self, command: &[&str]) -> Result<Vec<f64>> {
        let mut times = Vec::with_capacity(STARTS);
        for _ in 0..STARTS {
            let started = Instant::now();
            let running = self.spawn(command, None).await?;
            let polled = running.api.first_poll(PATIENCE).await.unwrap_or(started);
            times.push(polled.duration_since(started).as_secs_f64() * 1000.0);
        }
        Ok(times)
    }

    async fn init_ms(&self, binary: &Path) -> Result<f64> {
        let program = binary.to_str().ok_or("a binary path is not UTF-8")?;
        Ok(median(self.cold_starts(&[program]).await?))
    }

    /// Processes the feedback queue with `processor` the way the event source mapping does;
    /// returns the time spent inside the function.
    async fn drain(&self, processor: &Running) -> Result<Duration> {
        let sqs = &self.stack.sqs;
        let queue = &self.stack.config.feedback_queue_url;
        let mut busy = Duration::ZERO;
        let deadline = Instant::now() + Duration::from_secs(600);
        while Instant::now() < deadline {
            let (received, _) = poll_batch(sqs, queue, 0, |event| {
                let busy = &mut busy;
                async move {
                    let started = Instant::now();
                    let answer = processor
                        .invoke(serde_json::to_value(&event).map_err(|e| e.to_string())?)
                        .await?;
                    *busy += started.elapsed();
                    serde_json::from_value::<SqsBatchResponse>(answer).map_err(|e| e.to_string())
                }
            })
            .await?;
            if received == 0 {
                if backlog(sqs, queue).await? == 0 {
                    return Ok(busy);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Err("the feedback queue did not drain in 10 minutes".into())
    }

    /// Fresh API and processor processes, and `count` users each at risk from one detection.
    async fn at_risk_users(
        &self,
        prefix: &str,
        count: usize,
    ) -> Result<(Running, Running, Vec<String>)> {
        let api = self.function("feedback-api", None).await?;
        let processor = self.function("risk-processor", None).await?;
        let users: Vec<String> = (0..count).map(|i| format!("{prefix}{i}")).collect();
        self.seed(&api, &processor, &users, 1).await?;
        Ok((api, processor, users))
    }

    /// Ingests detections for users, `per_user` each on `per_user` sign-ins, and applies them.
    async fn seed(
        &self,
        api: &Running,
        processor: &Running,
        users: &[String],
        per_user: usize,
    ) -> Result<()> {
        // At most 100 detections and 99 users per call.
        for owners in users.chunks((100 / per_user.max(1)).clamp(1, 99)) {
            let detections: Vec<Value> = owners
                .iter()
                .flat_map(|u| {
                    (0..per_user).map(move |i| {
                        let sign_in = format!("s-{u}-{i}");
                        detection(&format!("d-{u}-{i}"), u, "medium", Some(&sign_in))
                    })
                })
                .collect();
            let body = json!({ "detections": detections });
            api.expect(202, "POST", "/risk-detections", body).await?;
        }
        self.drain(processor).await?;
        Ok(())
    }

    /// DynamoDB requests per feedback target over a mix of single and bulk calls, and per
    /// detection over batches of 100, intake and processing included; and where the
    /// processor's time over that mix went.
    async fn request_counts(&self) -> Result<(f64, f64, Value)> {
        // One proxy per function, so that the processor's requests can be told apart.
        let intake = FaultProxy::start().await?;
        let processing = FaultProxy::start().await?;
        let api = self.function("feedback-api", Some(&intake.url)).await?;
        let processor = self
            .function("risk-processor", Some(&processing.url))
            .await?;
        let requests = || dynamodb_requests(&intake) + dynamodb_requests(&processing);
        let clear = || {
            intake.clear_log();
            processing.clear_log();
        };
        let users = |prefix: &str, n: usize| -> Vec<String> {
            (0..n).map(|i| format!("{prefix}{i}")).collect()
        };
        let (signs, singles, bulk, compromised) = (
            users("mix-s", 20),
            users("mix-d", 10),
            users("mix-b", 60),
            users("mix-c", 5),
        );
        for group in [&signs, &singles, &bulk, &compromised] {
            self.seed(&api, &processor, group, 3).await?;
        }

        clear();
        let mut targets = 0;
        for (i, user) in signs.iter().enumerate() {
            let ids: Vec<String> = (0..=i % 3).map(|n| format!("s-{user}-{n}")).collect();
            targets += ids.len();
            let body = json!({ "signInIds": ids });
            api.expect(202, "POST", "/risky-signins/confirm-safe", body)
                .await?;
        }
        dismiss(&api, &singles, 1).await?;
        dismiss(&api, &bulk, 20).await?;
        targets += singles.len() + bulk.len();
        for user in &compromised {
            targets += 1;
            let body = json!({"userIds": [user]});
            api.expect(202, "POST", "/risky-users/confirm-compromised", body)
                .await?;
        }
        let busy = self.drain(&processor).await?;
        let per_target = requests() as f64 / targets as f64;
        let profile = profile(&processing, busy);

        clear();
        let mut detections = 0;
        for batch in 0..10 {
            let owners: Vec<String> = (0..10).map(|u| format!("det-{batch}-{u}")).collect();
            let body: Vec<Value> = owners
                .iter()
                .flat_map(|u| {
                    (0..10).map(move |i| {
                        detection(
                            &format!("d-{u}-{i}"),
                            u,
                            "high",
                            Some(&format!("s-{u}-{}", i % 3)),
                        )
                    })
                })
                .collect();
            detections += body.len();
            api.expect(
                202,
                "POST",
                "/risk-detections",
                json!({ "detections": body }),
            )
            .await?;
        }
        self.drain(&processor).await?;
        let per_detection = requests() as f64 / detections as f64;
        Ok((round(per_target), round(per_detection), profile))
    }

    /// Targets the processor applies per second of its own time, and the raw rate of DynamoDB
    /// Local at the same concurrency for the requests one target costs the processor. Both
    /// talk to DynamoDB Local directly. The raw rate is the mean of one run before the
    /// processor's and one after, as DynamoDB Local's JVM is still warming up during a
    /// bench and would favour whichever ran last.
    async fn throughput(&self) -> Result<(f64, f64)> {
        let (api, processor, users) = self.at_risk_users("tp", THROUGHPUT_USERS).await?;
        dismiss(&api, &users, 60).await?;
        let raw_before = self.raw_tx_per_s("before").await?;
        let busy = self.drain(&processor).await?;
        let targets_per_s = users.len() as f64 / busy.as_secs_f64();
        let raw_after = self.raw_tx_per_s("after").await?;
        Ok((round(targets_per_s), round((raw_before + raw_after) / 2.0)))
    }

    async fn raw_transaction(&self, key: &str, items: usize) -> Result<()> {
        let table = &self.stack.config.table_name;
        raw_transaction(&self.stack.dynamodb, table, key, items).await
    }

    /// `CONCURRENCY` writers doing `raw_step`s for five seconds, each step on a user of its own
    /// (named after `run`) as in a bulk feedback.
    async fn raw_tx_per_s(&self, run: &str) -> Result<f64> {
        let window = Duration::from_secs(5);
        // Collected before the first is awaited, so that all of them run at once.
        let writers: Vec<_> = (0..CONCURRENCY)
            .map(|w| {
                let client = self.stack.dynamodb.clone();
                let table = self.stack.config.table_name.clone();
                let run = run.to_string();
                tokio::spawn(async move {
                    let started = Instant::now();
                    let mut done = 0u32;
                    while started.elapsed() < window {
                        raw_step(&client, &table, &format!("step#{run}#{w}#{done}")).await?;
                        done += 1;
                    }
                    Ok::<_, String>(f64::from(done) / started.elapsed().as_secs_f64())
                })
            })
            .collect();
        let mut total = 0.0;
        for writer in writers {
            total += writer.await.map_err(|e| e.to_string())??;
        }
        Ok(total)
    }

    /// Latency of 60-target feedback calls at the harness, and of a bare PutItem; the API
    /// process's peak memory after them.
    async fn intake_latency(&self) -> Result<Latency> {
        let (api, processor, users) = self.at_risk_users("lat", 60).await?;
        // Twenty calls; the queue is drained (untimed) after every ten, so that the users'
        // queues of pending steps stay as short as they are in service.
        let mut calls = Vec::with_capacity(20);
        for _ in 0..2 {
            for _ in 0..10 {
                let started = Instant::now();
                let body = json!({ "userIds": users });
                api.expect(202, "POST", "/risky-users/dismiss", body)
                    .await?;
                calls.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            self.drain(&processor).await?;
        }
        let api_peak_rss_mb = api.peak_rss_mb()?;
        let mut transactions = Vec::with_capacity(5);
        for round in 0..5 {
            let started = Instant::now();
            self.raw_transaction(&format!("tx61#{round}"), 61).await?;
            transactions.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let mut puts = Vec::with_capacity(200);
        for i in 0..200 {
            let started = Instant::now();
            self.stack
                .dynamodb
                .put_item()
                .table_name(&self.stack.config.table_name)
                .item("pk", AttributeValue::S(format!("put#{i}")))
                .item("sk", AttributeValue::S("item".to_string()))
                .send()
                .await
                .map_err(|e| format!("put: {e}"))?;
            puts.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        Ok(Latency {
            intake_p50_ms: percentile(&mut calls.clone(), 0.50),
            intake_p99_ms: percentile(&mut calls, 0.99),
            put_p50_ms: percentile(&mut puts, 0.50),
            tx_61_p50_ms: median(transactions),
            api_peak_rss_mb,
        })
    }

    /// Peak memory of the processor over one 100-message batch, and of the undo function over
    /// 100 undo requests.
    async fn peak_rss(&self) -> Result<BTreeMap<&'static str, f64>> {
        let (api, processor, users) = self.at_risk_users("rss", 100).await?;
        // One user per call: one notice each, so the batch holds 100 messages.
        dismiss(&api, &users, 1).await?;
        let mut event = SqsEvent::default();
        while event.records.len() < 100 {
            let out = self
                .stack
                .sqs
                .receive_message()
                .queue_url(&self.stack.config.feedback_queue_url)
                .max_number_of_messages(10)
                .visibility_timeout(120)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .map_err(|e| format!("receive: {e}"))?;
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return Err(format!("only {} notices queued", event.records.len()));
            }
            event.records.extend(messages.iter().map(sqs_record));
        }
        processor
            .invoke(serde_json::to_value(&event).map_err(|e| e.to_string())?)
            .await?;
        let mut rss = BTreeMap::from([("risk-processor", processor.peak_rss_mb()?)]);

        let undo = self.function("remediation-undo", None).await?;
        let actions: Vec<Value> = (0..100)
            .map(|i| {
                json!({
                    "id": format!("act-{i}"),
                    "investigationId": "inv-bench",
                    "actionType": "quarantineFile",
                    "entity": {"type": "file", "id": format!("f-{i}"), "displayName": "x.exe"},
                    "status": "completed",
                    "createdDateTime": "2026-11-20T10:00:00Z",
                })
            })
            .collect();
        for chunk in actions.chunks(50) {
            undo.expect(
                200,
                "POST",
                "/remediation-actions",
                json!({ "actions": chunk }),
            )
            .await?;
        }
        for i in 0..100 {
            let path = format!("/remediation-actions/act-{i}/undo");
            undo.expect(200, "POST", &path, json!({"reason": "clean"}))
                .await?;
        }
        rss.insert("remediation-undo", undo.peak_rss_mb()?);
        Ok(rss)
    }
}

/// One TransactWriteItems of `items` new items under `key`: DynamoDB Local's own cost.
async fn raw_transaction(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: &str,
    items: usize,
) -> Result<()> {
    let writes = (0..items)
        .map(|i| {
            let put = Put::builder()
                .table_name(table)
                .item("pk", AttributeValue::S(format!("raw#{key}")))
                .item("sk", AttributeValue::S(format!("item#{i}")))
                .item("payload", AttributeValue::S("x".repeat(200)))
                .build()
                .map_err(|e| e.to_string())?;
            Ok(TransactWriteItem::builder().put(put).build())
        })
        .collect::<Result<Vec<_>>>()?;
    client
        .transact_write_items()
        .set_transact_items(Some(writes))
        .send()
        .await
        .map_err(|e| format!("raw transaction: {e}"))?;
    Ok(())
}

/// What applying one dismissal costs DynamoDB Local, without the processor: a consistent
/// Query of the user's partition (user, sign-in, detection), then one transaction that updates
/// those three (the user under its version check), puts a history entry and a target result,
/// and adds to a detection-quality counter.
async fn raw_step(client: &aws_sdk_dynamodb::Client, table: &str, user: &str) -> Result<()> {
    let pk = format!("raw#{user}");
    client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| format!("raw query: {e}"))?;
    let payload = AttributeValue::S("x".repeat(300));
    let update = |pk: &str, sk: &str, expression: &str| {
        Update::builder()
            .table_name(table)
            .key("pk", AttributeValue::S(pk.to_string()))
            .key("sk", AttributeValue::S(sk.to_string()))
            .update_expression(expression)
            .expression_attribute_values(":p", payload.clone())
    };
    // Listed in the table's index like users, sign-ins and detections are (`gsi1`).
    let listed = |pk: &str, sk: &str, list: &str| {
        update(pk, sk, "SET payload = :p, gsi1pk = :list, gsi1sk = :id")
            .expression_attribute_values(":list", AttributeValue::S(format!("raw#{list}")))
            .expression_attribute_values(":id", AttributeValue::S(format!("{user}#{sk}")))
    };
    let user_update = listed(&pk, "USER", "USERS")
        .condition_expression("attribute_not_exists(version) OR version = :version")
        .expression_attribute_values(":version", AttributeValue::N("0".to_string()));
    let counter = update("raw#quality", user, "SET payload = :p ADD dismissed :one")
        .expression_attribute_values(":one", AttributeValue::N("1".to_string()));
    let put = |pk: String, sk: String| {
        Put::builder()
            .table_name(table)
            .item("pk", AttributeValue::S(pk))
            .item("sk", AttributeValue::S(sk))
            .item("payload", payload.clone())
    };
    let writes = [
        TransactWriteItem::builder().update(user_update.build().map_err(|e| e.to_string())?),
        TransactWriteItem::builder().update(
            listed(&pk, "S#1", "SIGNINS")
                .build()
                .map_err(|e| e.to_string())?,
        ),
        TransactWriteItem::builder().update(
            listed(&pk, "D#1", "DETECTIONS")
                .build()
                .map_err(|e| e.to_string())?,
        ),
        TransactWriteItem::builder().update(counter.build().map_err(|e| e.to_string())?),
        TransactWriteItem::builder().put(
            put(format!("raw#history#{user}"), "1".to_string())
                .build()
                .map_err(|e| e.to_string())?,
        ),
        TransactWriteItem::builder().put(
            put("raw#result".to_string(), user.to_string())
                .build()
                .map_err(|e| e.to_string())?,
        ),
    ];
    client
        .transact_write_items()
        .set_transact_items(Some(writes.into_iter().map(|w| w.build()).collect()))
        .send()
        .await
        .map_err(|e| format!("raw step: {e}"))?;
    Ok(())
}

/// Dismisses `users` in calls of `per_call`, leaving one queued step per user.
async fn dismiss(api: &Running, users: &[String], per_call: usize) -> Result<()> {
    for chunk in users.chunks(per_call) {
        let body = json!({ "userIds": chunk });
        api.expect(202, "POST", "/risky-users/dismiss", body)
            .await?;
    }
    Ok(())
}

/// Where a function's time went: its time inside the function, and its requests as timed at
/// the proxy, by operation.
fn profile(proxy: &FaultProxy, busy: Duration) -> Value {
    let mut profile = serde_json::Map::new();
    profile.insert(
        "busy_ms".to_string(),
        json!(round(busy.as_secs_f64() * 1000.0)),
    );
    for (operation, (count, total)) in proxy.timings() {
        let mean = total.as_secs_f64() * 1000.0 / count as f64;
        profile.insert(operation, json!({"count": count, "mean_ms": round(mean)}));
    }
    Value::Object(profile)
}

fn dynamodb_requests(proxy: &FaultProxy) -> usize {
    proxy
        .operations()
        .iter()
        .filter(|op| op.starts_with("DynamoDB"))
        .count()
}

/// The size of the deployment package: the binary as `bootstrap`, deflated, as cargo lambda
/// and `sam build` zip it.
async fn zip_bytes(binary: &Path) -> Result<u64> {
    let out = std::env::temp_dir().join(format!("bench-{}.zip", uuid::Uuid::new_v4().simple()));
    let script = "import sys, zipfile\n\
        with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:\n\
        \x20   z.write(sys.argv[1], 'bootstrap')\n";
    let status = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(binary)
        .arg(&out)
        .status()
        .await
        .map_err(|e| format!("python3: {e}"))?;
    if !status.success() {
        return Err(format!("zipping {} failed", binary.display()));
    }
    let bytes = std::fs::metadata(&out).map_err(|e| e.to_string())?.len();
    let _ = std::fs::remove_file(&out);
    Ok(bytes)
}

fn median(mut values: Vec<f64>) -> f64 {
    percentile(&mut values, 0.5)
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let index = ((values.len() as f64 - 1.0) * p).round() as usize;
    round(values.get(index).copied().unwrap_or(f64::NAN))
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    json!({"cpu": model, "cpus": cpus, "arch": std::env::consts::ARCH})
}

/// Each target of issue 5 with its figure and whether it holds.
fn targets(
    init: &BTreeMap<&str, f64>,
    python_init: f64,
    zips: &BTreeMap<&str, u64>,
    rss: &BTreeMap<&str, f64>,
    figures: &BTreeMap<&str, Value>,
) -> Vec<Value> {
    let figure = |name: &str| {
        figures
            .get(name)
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN)
    };
    let mut checks = Vec::new();
    let mut check = |name: String, value: f64, limit: f64| {
        checks.push(
            json!({"target": name, "figure": value, "limit": limit, "holds": value <= limit}),
        );
    };
    for (function, ms) in init {
        check(format!("init_ms {function} <= 25"), *ms, 25.0);
        check(
            format!("init_ms {function} <= python peer / 10"),
            *ms,
            round(python_init / 10.0),
        );
    }
    for (function, bytes) in zips {
        check(
            format!("zip_bytes {function} <= 4 MB"),
            *bytes as f64,
            4_000_000.0,
        );
    }
    for (function, mb) in rss {
        check(format!("peak_rss_mb {function} <= 30"), *mb, 30.0);
    }
    check(
        "ddb_requests_per_feedback_target <= 2".into(),
        figure("ddb_requests_per_feedback_target"),
        2.0,
    );
    check(
        "ddb_requests_per_detection <= 0.1".into(),
        figure("ddb_requests_per_detection"),
        0.1,
    );
    // Stated as "at least 80 %": compare the shortfall instead.
    check(
        "processor throughput >= 0.8 x raw DynamoDB Local (shortfall <= 0.2)".into(),
        round(1.0 - figure("processor_to_raw_ratio")),
        0.2,
    );
    check(
        "intake_p99_ms <= 3 x ddb_put_p50_ms".into(),
        figure("intake_p99_ms"),
        round(3.0 * figure("ddb_put_p50_ms")),
    );
    checks
}

fn print_summary(summary: &Value) {
    println!("machine: {}", summary["machine"]);
    if let Some(figures) = summary["figures"].as_object() {
        for (name, value) in figures {
            println!("{name:<36} {value}");
        }
    }
    println!();
    for check in summary["targets"].as_array().into_iter().flatten() {
        let mark = if check["holds"] == true {
            "ok  "
        } else {
            "MISS"
        };
        println!(
            "{mark} {:<70} {} (limit {})",
            check["target"].as_str().unwrap_or_default(),
            check["figure"],
            check["limit"]
        );
    }
}
