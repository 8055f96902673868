//! The bad-request corpus (`tests/data/bad_requests.json`): every malformed or hostile request
//! gets its expected status as `application/problem+json` naming the problem, and nothing is
//! written (no item in the table, no message on a queue).
//!
//! The file is `{"about": "...", "cases": [case, ...]}`; a case has:
//!
//! - `name`: unique, what the case tries;
//! - `method`, `path`: the HTTP method and the raw path with its query string, percent-encoded as a
//!   client sends it;
//! - `headers` (optional): header name to value; `null` leaves a header out. `content-type` is
//!   `application/json` whenever there is a body, unless given here;
//! - at most one body: `body` (any JSON value, sent serialized; `null` sends `null`), `rawBody`
//!   (a string sent as is), `bodyBase64` (bytes, for bodies that are not UTF-8) or `bodyBytes`
//!   (`n`: a JSON string of `n` letters `x`, so `n + 2` bytes);
//! - the caller: by default tenant `contoso` with every role; `roles` (a list) keeps the tenant
//!   and replaces the roles; `claims` replaces every claim (string values, as the JWT authorizer
//!   passes them), and `null` means no verified claims at all;
//! - `status`: the expected status; `field`: the expected `errors[0].field`; `type`: the expected
//!   problem `type`; `detail`: text the problem's `detail` must contain.
//!
//! In every string of `path`, `headers`, `body`, `rawBody`, `claims`, `field` and `detail`,
//! `{{TEXT*N}}` stands for `TEXT` repeated `N` times (overlong ids, comments and cursors stay
//! readable).
//!
//! Before the cases run, tenant `contoso` gets detection `det-1` of user `alice` with sign-in
//! `si-1`, and the completed remediation action `act-1` of investigation `inv-1`, so that some
//! cases reach existing resources.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use riskfeedback_devstack::gateway::{api_event, HttpCall};
use riskfeedback_tests::harness::{detection, Answer, As, TestStack};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

const TENANT: &str = "contoso";
const MIN_CASES: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    /// What the corpus is, for people reading the data file.
    #[serde(rename = "about")]
    _about: String,
    cases: Vec<Case>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Case {
    name: String,
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, Option<String>>,
    #[serde(default, deserialize_with = "present")]
    body: Option<Value>,
    raw_body: Option<String>,
    body_base64: Option<String>,
    body_bytes: Option<usize>,
    roles: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    claims: Option<Value>,
    status: u16,
    field: Option<String>,
    r#type: Option<String>,
    detail: Option<String>,
}

/// Tells a key given as `null` (`Some(Value::Null)`) from a key left out (`None`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// Replaces every `{{TEXT*N}}` with `TEXT` repeated `N` times.
fn expand(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let end = start + len + 2;
        let repeated = rest[start + 2..start + len]
            .rsplit_once('*')
            .and_then(|(unit, n)| Some(unit.repeat(n.parse().ok()?)));
        match repeated {
            Some(repeated) => {
                out.push_str(&rest[..start]);
                out.push_str(&repeated);
            }
            None => out.push_str(&rest[..end]),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn expand_value(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(expand(s)),
        Value::Array(items) => Value::Array(items.iter().map(expand_value).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (expand(k), expand_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl Case {
    /// Mistakes in the corpus itself, so that a case cannot silently test nothing.
    fn mistakes(&self) -> Vec<String> {
        let mut mistakes = Vec::new();
        let bodies = [
            self.body.is_some(),
            self.raw_body.is_some(),
            self.body_base64.is_some(),
            self.body_bytes.is_some(),
        ];
        if bodies.iter().filter(|b| **b).count() > 1 {
            mistakes.push("more than one body".to_string());
        }
        if self.claims.is_some() && self.roles.is_some() {
            mistakes.push("both claims and roles".to_string());
        }
        if let Some(claims) = &self.claims {
            let strings = claims
                .as_object()
                .is_some_and(|m| m.values().all(Value::is_string));
            if !claims.is_null() && !strings {
                mistakes.push("claims must be null or an object of strings".to_string());
            }
        }
        if !(400..600).contains(&self.status) {
            mistakes.push(format!("status {} is not an error", self.status));
        }
        if self.field.is_some() && self.status != 400 {
            mistakes.push("field is only named by 400 answers".to_string());
        }
        if self
            .body_base64
            .as_deref()
            .is_some_and(|b| base64::engine::general_purpose::STANDARD.decode(b).is_err())
        {
            mistakes.push("bodyBase64 is not base64".to_string());
        }
        mistakes
    }

    fn body(&self) -> Option<Vec<u8>> {
        if let Some(value) = &self.body {
            return Some(expand_value(value).to_string().into_bytes());
        }
        if let Some(raw) = &self.raw_body {
            return Some(expand(raw).into_bytes());
        }
        if let Some(encoded) = &self.body_base64 {
            return base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok();
        }
        self.body_bytes
            .map(|n| format!("\"{}\"", "x".repeat(n)).into_bytes())
    }

    fn claims(&self) -> Option<HashMap<String, String>> {
        match (&self.claims, &self.roles) {
            (Some(Value::Object(claims)), _) => Some(
                claims
                    .iter()
                    .map(|(k, v)| (k.clone(), expand(v.as_str().unwrap_or_default())))
                    .collect(),
            ),
            (Some(_), _) => None,
            (None, Some(roles)) => {
                let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
                Some(As::with_roles(TENANT, &roles).claims())
            }
            (None, None) => Some(As::analyst(TENANT).claims()),
        }
    }

    fn event(&self) -> Value {
        let path = expand(&self.path);
        let (path, query) = path.split_once('?').unwrap_or((&path, ""));
        let body = self.body();
        let mut headers: BTreeMap<String, String> = self
            .headers
            .iter()
            .filter_map(|(name, value)| Some((name.to_ascii_lowercase(), expand(value.as_ref()?))))
            .collect();
        if body.is_some() && !self.headers.contains_key("content-type") {
            headers.insert("content-type".to_string(), "application/json".to_string());
        }
        let call = HttpCall {
            method: self.method.clone(),
            path: path.to_string(),
            query: query.to_string(),
            headers,
            body: body.unwrap_or_default(),
        };
        api_event(&call, self.claims().as_ref())
    }

    /// What is wrong with the answer, if anything.
    fn check(&self, answer: &Answer) -> Vec<String> {
        let mut wrong = Vec::new();
        let problem = &answer.body;
        if answer.status != self.status {
            wrong.push(format!(
                "status {} (expected {})",
                answer.status, self.status
            ));
        }
        if answer.content_type() != "application/problem+json" {
            wrong.push(format!("content-type {:?}", answer.content_type()));
        }
        if problem["status"] != json!(answer.status) {
            wrong.push(format!("body status {}", problem["status"]));
        }
        let problem_type = problem["type"].as_str().unwrap_or_default();
        if !problem_type.starts_with("/problems/") {
            wrong.push(format!("type {}", problem["type"]));
        }
        if let Some(expected) = &self.r#type {
            if problem_type != expected {
                wrong.push(format!("type {problem_type:?} (expected {expected:?})"));
            }
        }
        let detail = problem["detail"].as_str().unwrap_or_default();
        if detail.is_empty() || problem["title"].as_str().unwrap_or_default().is_empty() {
            wrong.push("no title or detail".to_string());
        }
        if let Some(expected) = self.detail.as_deref().map(expand) {
            if !detail.contains(expected.as_str()) {
                wrong.push(format!(
                    "detail {detail:?} (expected it to name {expected:?})"
                ));
            }
        }
        if answer.status == 400 {
            let errors = problem["errors"].as_array().cloned().unwrap_or_default();
            let named = |e: &Value, key: &str| !e[key].as_str().unwrap_or_default().is_empty();
            if errors.is_empty()
                || !errors
                    .iter()
                    .all(|e| named(e, "field") && named(e, "message"))
            {
                wrong.push(format!(
                    "errors do not name the problem: {}",
                    problem["errors"]
                ));
            }
        }
        if let Some(expected) = self.field.as_deref().map(expand) {
            let field = &problem["errors"][0]["field"];
            if field != expected.as_str() {
                wrong.push(format!("errors[0].field {field} (expected {expected:?})"));
            }
        }
        wrong.into_iter().map(|w| shorten(&w, 200)).collect()
    }
}

fn load() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/bad_requests.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let corpus: Corpus = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut names = std::collections::HashSet::new();
    let mut mistakes = Vec::new();
    for case in &corpus.cases {
        if !names.insert(case.name.as_str()) {
            mistakes.push(format!("{}: name used twice", case.name));
        }
        mistakes.extend(
            case.mistakes()
                .into_iter()
                .map(|m| format!("{}: {m}", case.name)),
        );
    }
    assert!(mistakes.is_empty(), "{path}:\n{}", mistakes.join("\n"));
    corpus.cases
}

/// Tenant `contoso`: alice's detection `det-1` with sign-in `si-1`, and the completed action `act-1`.
async fn seed(t: &TestStack) {
    let analyst = As::analyst(TENANT);
    let sent = t
        .call(
            &analyst,
            "POST",
            "/risk-detections",
            Some(json!({"detections": [detection("det-1", "alice", "medium", Some("si-1"))]})),
        )
        .await;
    assert_eq!(sent.status, 202, "{sent:?}");
    t.drain().await;
    let action = json!({"actions": [{
        "id": "act-1", "investigationId": "inv-1", "actionType": "quarantineFile",
        "entity": {"type": "file", "id": "file-1", "displayName": "report.xlsm"},
        "status": "completed", "createdDateTime": "2026-11-22T09:00:00Z"
    }]});
    let ingested = t
        .call(&analyst, "POST", "/remediation-actions", Some(action))
        .await;
    assert_eq!(
        ingested.body["value"][0]["result"], "created",
        "{ingested:?}"
    );
    for path in [
        "/risky-users/alice",
        "/risky-signins/si-1",
        "/remediation-actions/act-1",
    ] {
        let answer = t.call(&analyst, "GET", path, None).await;
        assert_eq!(answer.status, 200, "{path}: {answer:?}");
    }
    // What seeding announced is not what the cases must not write.
    t.receive_all("EventsQueue").await;
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}...", text.chars().take(max).collect::<String>())
    }
}

#[tokio::test]
async fn every_bad_request_is_refused_with_a_problem_and_writes_nothing() {
    let cases = load();
    assert!(
        cases.len() >= MIN_CASES,
        "the corpus holds {} cases, fewer than {MIN_CASES}",
        cases.len()
    );
    let t = Arc::new(TestStack::new().await);
    seed(&t).await;
    let before = t.item_count().await;
    let started = Instant::now();
    let mut failures = Vec::new();
    for case in &cases {
        let event = case.event();
        // A panic is what a Lambda invocation error looks like (a 502 from API Gateway):
        // report it as this case's failure, and go on with the others.
        let stack = Arc::clone(&t);
        let answer = tokio::spawn(async move { stack.invoke_event(&event).await }).await;
        let wrong = match &answer {
            Ok(answer) => case.check(answer),
            Err(e) => vec![format!("the handler panicked: {e}")],
        };
        if !wrong.is_empty() {
            let got = answer
                .map(|a| shorten(&a.body.to_string(), 300))
                .unwrap_or_default();
            failures.push(format!(
                "- {}: {} {}\n    {}\n    answer: {got}",
                case.name,
                case.method,
                shorten(&case.path, 100),
                wrong.join("; "),
            ));
        }
    }
    let elapsed = started.elapsed();
    let after = t.item_count().await;
    if after != before {
        failures.push(format!(
            "- the table held {before} items before the cases and {after} after"
        ));
    }
    for queue in ["FeedbackQueue", "EventsQueue", "RemediationCommandQueue"] {
        let messages = t.receive_all(queue).await;
        if !messages.is_empty() {
            failures.push(format!(
                "- {} message(s) sent to {queue}: {}",
                messages.len(),
                shorten(&Value::Array(messages).to_string(), 300)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad requests were not refused as expected (ran in {elapsed:?}):\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
