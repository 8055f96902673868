//! What the integration tests share: a fresh stack per test on the local servers, calls through
//! the handlers with the claims the JWT authorizer would pass, and queue draining.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::Value;

use crate::faults::FaultProxy;
use riskfeedback_devstack::gateway::{api_event, body_bytes, invoke, Apps, HttpCall};
use riskfeedback_devstack::poller::Poller;
use riskfeedback_devstack::provision::{Options, Stack};

pub const ALL_ROLES: &[&str] = &[
    "Risk.Read",
    "Risk.Feedback",
    "Remediation.Manage",
    "Indicators.Manage",
    "Signals.Ingest",
];

#[derive(Clone)]
pub struct TestStack {
    pub stack: Stack,
    pub apps: Apps,
    pub poller: Poller,
}

/// An HTTP answer: status, headers and the JSON body (`Value::Null` when empty or not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Value,
}

impl Answer {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Asserts a problem+json answer with this status, and returns its body.
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {self:?}");
        assert_eq!(self.content_type(), "application/problem+json", "{self:?}");
        assert_eq!(self.body["status"], status);
        &self.body
    }

    /// Asserts Graph's error envelope with this status (SPEC 8a), and returns its `error`.
    pub fn graph_error(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {self:?}");
        assert_eq!(self.content_type(), "application/json", "{self:?}");
        let error = &self.body["error"];
        assert!(error["code"].is_string(), "{self:?}");
        assert!(error["message"].is_string(), "{self:?}");
        assert!(error["innerError"]["request-id"].is_string(), "{self:?}");
        assert!(error["innerError"]["date"].is_string(), "{self:?}");
        error
    }

    /// Whether the answer says no route has this method and path, in either error shape.
    pub fn is_no_route(&self) -> bool {
        self.body["type"] == "/problems/route-not-found"
            || self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no route "))
    }
}

/// Who calls: tenant, subject and roles, as claims.
#[derive(Debug, Clone)]
pub struct As {
    pub tenant: String,
    pub user: String,
    pub roles: Vec<String>,
}

impl As {
    pub fn analyst(tenant: &str) -> As {
        As {
            tenant: tenant.to_string(),
            user: "analyst-1".to_string(),
            roles: ALL_ROLES.iter().map(|r| r.to_string()).collect(),
        }
    }

    pub fn with_roles(tenant: &str, roles: &[&str]) -> As {
        As {
            roles: roles.iter().map(|r| r.to_string()).collect(),
            ..As::analyst(tenant)
        }
    }

    pub fn claims(&self) -> HashMap<String, String> {
        HashMap::from([
            ("tid".to_string(), self.tenant.clone()),
            ("oid".to_string(), self.user.clone()),
            ("name".to_string(), "Test Analyst".to_string()),
            ("roles".to_string(), format!("[{}]", self.roles.join(" "))),
        ])
    }
}

impl TestStack {
    pub async fn new() -> TestStack {
        TestStack::with_options(&Options::default()).await
    }

    pub async fn with_options(options: &Options) -> TestStack {
        let prefix = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let stack = Stack::create(&prefix, options)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let apps = Apps::new(&stack);
        let poller = Poller {
            sqs: stack.sqs.clone(),
            queue_url: stack.config.feedback_queue_url.clone(),
            app: risk_processor::App::new(&stack.sdk, &stack.config),
        };
        TestStack {
            stack,
            apps,
            poller,
        }
    }

    /// The same stack, with the functions' clients going through `proxy`. The poller's own
    /// receive and delete stay direct: they are the event source mapping's, not ours.
    pub fn through(&self, proxy: &FaultProxy) -> TestStack {
        let (feedback, remediation, processor) = proxy.apps(&self.stack.sdk, &self.stack.config);
        TestStack {
            stack: self.stack.clone(),
            apps: Apps {
                feedback,
                remediation,
            },
            poller: Poller {
                app: processor,
                ..self.poller.clone()
            },
        }
    }

    /// The same stack, but the remediation command queue the remediation function sends to
    /// does not exist: every command it sends fails.
    pub fn with_commands_unreachable(&self) -> TestStack {
        let endpoint = std::env::var("AWS_ENDPOINT_URL_SQS").unwrap_or_default();
        let missing = format!("{endpoint}/000000000000/missing.fifo");
        TestStack {
            stack: self.stack.clone(),
            apps: Apps {
                remediation: remediation_undo::App {
                    commands: riskfeedback_aws::SqsQueue::new(self.stack.sqs.clone(), missing),
                    ..self.apps.remediation.clone()
                },
                ..self.apps.clone()
            },
            poller: self.poller.clone(),
        }
    }

    /// Calls the API through the handlers with `caller`'s claims.
    pub async fn call(
        &self,
        caller: &As,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut headers = BTreeMap::new();
        if body.is_some() {
            headers.insert("content-type".to_string(), "application/json".to_string());
        }
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.call_raw(Some(caller), method, path_and_query, headers, body)
            .await
    }

    /// `GET path_and_query` as `caller`, panicking unless it answers 200: the body.
    pub async fn get_ok(&self, caller: &As, path_and_query: &str) -> Value {
        let answer = self.call(caller, "GET", path_and_query, None).await;
        assert_eq!(answer.status, 200, "GET {path_and_query}: {answer:?}");
        answer.body
    }

    pub async fn call_raw(
        &self,
        caller: Option<&As>,
        method: &str,
        path_and_query: &str,
        headers: BTreeMap<String, String>,
        body: Vec<u8>,
    ) -> Answer {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let call = HttpCall {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            headers,
            body,
        };
        let claims = caller.map(As::claims);
        self.invoke_event(&api_event(&call, claims.as_ref())).await
    }

    pub async fn invoke_event(&self, event: &Value) -> Answer {
        let response = invoke(&self.apps, event).await;
        let (parts, body) = response.into_parts();
        let bytes = body_bytes(&body);
        Answer {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        v.to_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// Ingests `detections` as `caller` and processes them, so that the users they name are at
    /// risk; panics unless the API accepts them.
    pub async fn ingest(&self, caller: &As, detections: Vec<Value>) {
        let body = serde_json::json!({ "detections": detections });
        let answer = self
            .call(caller, "POST", "/risk-detections", Some(body))
            .await;
        assert_eq!(answer.status, 202, "{answer:?}");
        self.drain().await;
    }

    /// Processes the feedback queue until it is empty.
    pub async fn drain(&self) {
        self.poller
            .drain(Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Messages waiting on a queue of the template, received (and deleted) now.
    pub async fn receive_all(&self, logical_id: &str) -> Vec<Value> {
        let url = self.stack.queue_url(logical_id).to_string();
        let mut bodies = Vec::new();
        loop {
            let out = self
                .stack
                .sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap_or_else(|e| panic!("receive from {logical_id}: {e}"));
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return bodies;
            }
            for message in messages {
                bodies.push(
                    serde_json::from_str(message.body().unwrap_or_default()).unwrap_or(Value::Null),
                );
                self.stack
                    .sqs
                    .delete_message()
                    .queue_url(&url)
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("delete from {logical_id}: {e}"));
            }
        }
    }

    /// Every item in the table, for asserting that a refused request wrote nothing.
    pub async fn item_count(&self) -> i32 {
        self.stack
            .dynamodb
            .scan()
            .table_name(&self.stack.config.table_name)
            .select(aws_sdk_dynamodb::types::Select::Count)
            .send()
            .await
            .map(|out| out.count)
            .unwrap_or_else(|e| panic!("scan: {e}"))
    }
}

/// The ids of a list page's items, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["id"].as_str().map(str::to_string))
        .collect()
}

/// A detection as a signal source posts it; `sign_in` links it to a sign-in.
pub fn detection(id: &str, user: &str, level: &str, sign_in: Option<&str>) -> Value {
    let mut d = serde_json::json!({
        "id": id,
        "userId": user,
        "userPrincipalName": format!("{user}@contoso.com"),
        "riskEventType": "unfamiliarFeatures",
        "riskLevel": level,
        "detectionTimingType": "realtime",
        "source": "IdentityProtection",
        "detectedDateTime": "2026-11-20T08:00:00Z",
    });
    if let Some(sign_in) = sign_in {
        d["signIn"] = serde_json::json!({
            "id": sign_in,
            "createdDateTime": "2026-11-20T08:00:00Z",
            "ipAddress": "203.0.113.7",
            "location": "Lisbon, PT",
            "appDisplayName": "Office 365",
            "riskLevelDuringSignIn": level,
        });
    }
    d
}

/// One high detection, not linked to a sign-in, for each of `users` users (`user-000`, ...):
/// a batch that reaches as many users as it holds detections.
pub fn one_detection_each(users: usize) -> Vec<Value> {
    (0..users)
        .map(|i| detection(&format!("d-{i:03}"), &format!("user-{i:03}"), "high", None))
        .collect()
}
