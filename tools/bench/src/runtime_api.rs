//! A local Lambda Runtime API, enough to run a function's release binary as Lambda runs it: the
//! process polls `next`, receives one event at a time and posts its response or error. The
//! benchmark starts one per process, so it can time a cold start to the first poll and measure
//! a function with exactly the code that ships.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};

const PREFIX: &str = "/2018-06-01/runtime";

/// What the function answered: its response, or the error it reported.
pub type Outcome = Result<Value, Value>;

#[derive(Clone)]
pub struct RuntimeApi {
    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub address: String,
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    arrived: Notify,
    polled: Notify,
}

#[derive(Default)]
struct State {
    queue: VecDeque<(String, Value, oneshot::Sender<Outcome>)>,
    waiting: HashMap<String, oneshot::Sender<Outcome>>,
    first_poll: Option<Instant>,
    next_id: u64,
}

impl RuntimeApi {
    pub async fn start() -> Result<RuntimeApi, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("runtime API: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("runtime API: {e}"))?
            .to_string();
        let api = RuntimeApi {
            address,
            inner: Arc::default(),
        };
        tokio::spawn(api.clone().serve(listener));
        Ok(api)
    }

    /// When the function first asked for an event, waiting up to `timeout` for it.
    pub async fn first_poll(&self, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.inner.polled.notified();
            if let Some(at) = self.lock().first_poll {
                return Some(at);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            let _ = tokio::time::timeout(left, notified).await;
        }
    }

    /// Hands `event` to the function and waits for its answer.
    pub async fn invoke(&self, event: Value) -> Outcome {
        let (reply, answer) = oneshot::channel();
        {
            let mut state = self.lock();
            state.next_id += 1;
            let id = format!("bench-{}", state.next_id);
            state.queue.push_back((id, event, reply));
        }
        self.inner.arrived.notify_one();
        answer
            .await
            .unwrap_or_else(|_| Err(Value::String("the runtime API stopped".to_string())))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn serve(self, listener: TcpListener) {
        while let Ok((stream, _)) = listener.accept().await {
            let api = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let api = api.clone();
                    async move { Ok::<_, Infallible>(api.handle(request).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_string();
        let method = request.method().clone();
        let body = match request.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => return status(StatusCode::BAD_REQUEST),
        };
        let Some(rest) = path.strip_prefix(PREFIX) else {
            return status(StatusCode::NOT_FOUND);
        };
        match (method, rest.split('/').collect::<Vec<_>>().as_slice()) {
            (Method::GET, ["", "invocation", "next"]) => self.next().await,
            (Method::POST, ["", "invocation", id, verdict @ ("response" | "error")]) => {
                let value = serde_json::from_slice(&body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
                let outcome = if *verdict == "response" {
                    Ok(value)
                } else {
                    Err(value)
                };
                if let Some(reply) = self.lock().waiting.remove(*id) {
                    let _ = reply.send(outcome);
                }
                status(StatusCode::ACCEPTED)
            }
            (Method::POST, ["", "init", "error"]) => {
                eprintln!("init error: {}", String::from_utf8_lossy(&body));
                status(StatusCode::ACCEPTED)
            }
            _ => status(StatusCode::NOT_FOUND),
        }
    }

    /// Blocks until an event is queued, as the real `next` does.
    async fn next(&self) -> Response<Full<Bytes>> {
        {
            let mut state = self.lock();
            if state.first_poll.is_none() {
                state.first_poll = Some(Instant::now());
                self.inner.polled.notify_waiters();
            }
        }
        loop {
            let arrived = self.inner.arrived.notified();
            let queued = {
                let mut state = self.lock();
                state.queue.pop_front().map(|(id, event, reply)| {
                    state.waiting.insert(id.clone(), reply);
                    (id, event)
                })
            };
            if let Some((id, event)) = queued {
                let deadline = chrono::Utc::now().timestamp_millis() + 900_000;
                let mut response = Response::new(Full::new(Bytes::from(event.to_string())));
                let headers = response.headers_mut();
                for (name, value) in [
                    ("lambda-runtime-aws-request-id", id),
                    ("lambda-runtime-deadline-ms", deadline.to_string()),
                    (
                        "lambda-runtime-invoked-function-arn",
                        "arn:aws:lambda:us-east-1:000000000000:function:bench".to_string(),
                    ),
                    (
                        "lambda-runtime-trace-id",
                        "Root=1-00000000-000000000000000000000000".to_string(),
                    ),
                ] {
                    if let Ok(value) = value.parse() {
                        headers.insert(name, value);
                    }
                }
                return response;
            }
            arrived.await;
        }
    }
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}
