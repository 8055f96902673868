//! Fault injection between the functions and the real local servers: an HTTP proxy in front of
//! DynamoDB Local and the SQS endpoint that forwards every request unchanged until a [`Rule`]
//! tells it to fail one, the way an outage, a throttle or a dead process would.
//!
//! Both services go through one proxy, routed by the `X-Amz-Target` header both AWS JSON
//! protocols send, so that the requests of one call form a single numbered sequence and a test
//! can cut it at each step: "after the feedback transaction, before the notice", "between the
//! undo's status write and its command", and so on. The servers themselves keep running, with
//! their data: a stopped in-memory DynamoDB Local would forget everything, which no outage does.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use riskfeedback::config::Config;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How a chosen request fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The connection is cut before the request reaches the server: a stopped server, a
    /// partition.
    Unreachable,
    /// DynamoDB's throttling answer (HTTP 400 `ThrottlingException`); SQS requests it matches
    /// are cut instead, as SQS has no equivalent the functions would see.
    Throttle,
    /// The server applies the request, then the connection is cut before the answer: the caller
    /// cannot know whether it took effect.
    LoseAnswer,
    /// The request never reaches the server and never gets an answer, until [`FaultProxy::heal`]:
    /// the moment to kill the process that sent it.
    Hang,
    /// The server applies the request; its answer is held back like [`Fault::Hang`]'s.
    ApplyThenHang,
}

/// Which requests fail: those after the first `skip` requests (counted from when the rule is
/// set), at most `times` of them; `times: usize::MAX` keeps failing until healed.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub fault: Fault,
    pub skip: usize,
    pub times: usize,
}

impl Rule {
    /// Every request fails from now until healed.
    pub fn always(fault: Fault) -> Rule {
        Rule {
            fault,
            skip: 0,
            times: usize::MAX,
        }
    }

    /// The request at `step` (0-based, from now) fails, and only it.
    pub fn once_at(fault: Fault, step: usize) -> Rule {
        Rule {
            fault,
            skip: step,
            times: 1,
        }
    }

    /// The request at `step` and every one after it fail until healed.
    pub fn from(fault: Fault, step: usize) -> Rule {
        Rule {
            fault,
            skip: step,
            times: usize::MAX,
        }
    }
}

#[derive(Default)]
struct State {
    rule: Option<Rule>,
    /// Requests seen since the rule was set.
    seen: usize,
    /// Every request, as `Service.Operation`, with the fault it met if any.
    log: Vec<(String, Option<Fault>)>,
    /// Requests that have met a hang so far.
    hung: usize,
    /// How long each forwarded request took upstream, by operation.
    timings: Vec<(String, Duration)>,
    /// The capacity units DynamoDB reported consumed, where a request asked it to.
    capacity_units: f64,
}

#[derive(Clone)]
pub struct FaultProxy {
    pub url: String,
    state: Arc<Mutex<State>>,
    /// Bumped on every heal, which releases hanging requests.
    healed: watch::Sender<u64>,
}

/// Where the proxy sends each service's requests.
#[derive(Clone)]
struct Upstreams {
    dynamodb: String,
    sqs: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

const THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;

/// Why the proxy cut a connection; hyper closes the connection when a service fails.
#[derive(Debug)]
struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection cut by the fault proxy")
    }
}

impl std::error::Error for Cut {}

impl FaultProxy {
    /// Starts a proxy on a free local port in front of the servers the environment names
    /// (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SQS`).
    pub async fn start() -> Result<FaultProxy, String> {
        let endpoint = |name: &str| {
            std::env::var(name)
                .map(|v| v.trim_end_matches('/').to_string())
                .map_err(|_| format!("{name} is not set; run the tests with scripts/test"))
        };
        let upstreams = Upstreams {
            dynamodb: endpoint("AWS_ENDPOINT_URL_DYNAMODB")?,
            sqs: endpoint("AWS_ENDPOINT_URL_SQS")?,
            client: Client::builder(TokioExecutor::new()).build_http(),
        };
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("fault proxy: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("fault proxy: {e}"))?;
        let proxy = FaultProxy {
            url: format!("http://{address}"),
            state: Arc::default(),
            healed: watch::channel(0).0,
        };
        tokio::spawn(proxy.clone().serve(listener, upstreams));
        Ok(proxy)
    }

    /// From now on, requests fail as `rule` says; the request count starts again at zero.
    pub fn set(&self, rule: Rule) {
        let mut state = self.lock();
        state.rule = Some(rule);
        state.seen = 0;
    }

    /// Every request passes again; hanging requests are cut.
    pub fn heal(&self) {
        self.lock().rule = None;
        self.healed.send_modify(|n| *n += 1);
    }

    /// The requests seen so far, as `DynamoDB.TransactWriteItems`, `SQS.SendMessage`...
    pub fn operations(&self) -> Vec<String> {
        self.lock().log.iter().map(|(op, _)| op.clone()).collect()
    }

    /// The requests a fault was injected into, with the fault.
    pub fn injected(&self) -> Vec<(String, Fault)> {
        self.lock()
            .log
            .iter()
            .filter_map(|(op, fault)| fault.map(|f| (op.clone(), f)))
            .collect()
    }

    /// Forgets the requests seen so far.
    pub fn clear_log(&self) {
        let mut state = self.lock();
        state.log.clear();
        state.timings.clear();
        state.capacity_units = 0.0;
    }

    /// The capacity units DynamoDB answered it consumed since the log was cleared, summed over
    /// the requests that asked (`ReturnConsumedCapacity`).
    pub fn capacity_units(&self) -> f64 {
        self.lock().capacity_units
    }

    /// How long the requests forwarded since the log was cleared took upstream: count and
    /// total, by operation. What a profile of a function's waiting on its dependencies shows.
    pub fn timings(&self) -> BTreeMap<String, (usize, Duration)> {
        let mut totals: BTreeMap<String, (usize, Duration)> = BTreeMap::new();
        for (operation, took) in &self.lock().timings {
            let total = totals.entry(operation.clone()).or_default();
            total.0 += 1;
            total.1 += *took;
        }
        totals
    }

    /// How many requests have met a hang so far.
    pub fn hung(&self) -> usize {
        self.lock().hung
    }

    /// The functions' clients, pointed at this proxy, with the SDK's retry policy kept but its
    /// backoff shortened so that a fault the SDK retries costs milliseconds, not seconds.
    pub fn clients(
        &self,
        sdk: &aws_config::SdkConfig,
    ) -> (aws_sdk_dynamodb::Client, aws_sdk_sqs::Client) {
        let retry = aws_config::retry::RetryConfig::standard()
            .with_initial_backoff(Duration::from_millis(5))
            .with_max_backoff(Duration::from_millis(50));
        let dynamodb = aws_sdk_dynamodb::config::Builder::from(sdk)
            .endpoint_url(&self.url)
            .retry_config(retry.clone())
            .build();
        let sqs = aws_sdk_sqs::config::Builder::from(sdk)
            .endpoint_url(&self.url)
            .retry_config(retry)
            .build();
        (
            aws_sdk_dynamodb::Client::from_conf(dynamodb),
            aws_sdk_sqs::Client::from_conf(sqs),
        )
    }

    /// The three functions over clients that go through this proxy.
    pub fn apps(
        &self,
        sdk: &aws_config::SdkConfig,
        config: &Config,
    ) -> (
        feedback_api::App,
        remediation_undo::App,
        risk_processor::App,
    ) {
        let (dynamodb, sqs) = self.clients(sdk);
        (
            feedback_api::App::from_clients(dynamodb.clone(), sqs.clone(), config),
            remediation_undo::App::from_clients(dynamodb.clone(), sqs.clone(), config),
            risk_processor::App::from_clients(dynamodb, sqs, config),
        )
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread cannot leave the state half-written: every change is one step.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn serve(self, listener: TcpListener, upstreams: Upstreams) {
        while let Ok((stream, _)) = listener.accept().await {
            let proxy = self.clone();
            let upstreams = upstreams.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let proxy = proxy.clone();
                    let upstreams = upstreams.clone();
                    async move { proxy.handle(request, &upstreams).await }
                });
                // A cut connection ends here by design.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    /// The fault this request meets, if any, counting it.
    fn decide(&self, operation: &str) -> Option<Fault> {
        let mut state = self.lock();
        let step = state.seen;
        state.seen += 1;
        let fault = state
            .rule
            .filter(|r| step >= r.skip && step - r.skip < r.times)
            .map(|r| r.fault);
        state.log.push((operation.to_string(), fault));
        fault
    }

    async fn handle(
        &self,
        request: Request<Incoming>,
        upstreams: &Upstreams,
    ) -> Result<Response<Full<Bytes>>, Cut> {
        let target = request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let (service, upstream) = if target.starts_with("DynamoDB") {
            ("DynamoDB", &upstreams.dynamodb)
        } else {
            ("SQS", &upstreams.sqs)
        };
        let operation = format!(
            "{service}.{}",
            target.rsplit('.').next().unwrap_or_default()
        );
        match self.decide(&operation) {
            None => {
                let started = Instant::now();
                let answer = self.forward(request, upstream, upstreams).await;
                self.lock().timings.push((operation, started.elapsed()));
                answer
            }
            Some(Fault::Unreachable) => Err(Cut),
            Some(Fault::Throttle) if service == "DynamoDB" => Ok(throttled()),
            Some(Fault::Throttle) => Err(Cut),
            Some(Fault::LoseAnswer) => {
                self.forward(request, upstream, upstreams).await?;
                Err(Cut)
            }
            Some(Fault::Hang) => self.hang().await,
            Some(Fault::ApplyThenHang) => {
                self.forward(request, upstream, upstreams).await?;
                self.hang().await
            }
        }
    }

    async fn forward(
        &self,
        request: Request<Incoming>,
        upstream: &str,
        upstreams: &Upstreams,
    ) -> Result<Response<Full<Bytes>>, Cut> {
        let (mut parts, body) = request.into_parts();
        let body = body.collect().await.map_err(|_| Cut)?.to_bytes();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        parts.uri = format!("{upstream}{path}").parse().map_err(|_| Cut)?;
        let answer = upstreams
            .client
            .request(Request::from_parts(parts, Full::new(body)))
            .await
            .map_err(|_| Cut)?;
        let (parts, body) = answer.into_parts();
        let body = body.collect().await.map_err(|_| Cut)?.to_bytes();
        let units = consumed_units(&body);
        if units > 0.0 {
            self.lock().capacity_units += units;
        }
        Ok(Response::from_parts(parts, Full::new(body)))
    }

    /// Waits for the next heal, then cuts the connection.
    async fn hang(&self) -> Result<Response<Full<Bytes>>, Cut> {
        let mut healed = self.healed.subscribe();
        self.lock().hung += 1;
        let _ = healed.changed().await;
        Err(Cut)
    }
}

/// `ConsumedCapacity` in a DynamoDB answer: one object, or a list of them (batch operations).
fn consumed_units(body: &[u8]) -> f64 {
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(body) else {
        return 0.0;
    };
    let units = |c: &serde_json::Value| c["CapacityUnits"].as_f64().unwrap_or_default();
    match &answer["ConsumedCapacity"] {
        serde_json::Value::Array(list) => list.iter().map(units).sum(),
        one => units(one),
    }
}

fn throttled() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(THROTTLED.as_bytes())));
    *response.status_mut() = hyper::StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    response
}
