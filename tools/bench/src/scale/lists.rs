//! What a list page costs: pages read through the API (the feedback-api handlers, in process),
//! with every DynamoDB request it makes counted by the proxy, and the read units DynamoDB says
//! each consumed.

use std::time::Instant;

use riskfeedback_tests::faults::FaultProxy;
use riskfeedback_tests::harness::{As, TestStack};
use serde_json::{json, Value};

use super::Result;

/// The lists analysts read, with the filters they use.
pub const LISTS: [(&str, &str); 10] = [
    ("risky users", "/risky-users?"),
    ("users at risk", "/risky-users?riskState=atRisk"),
    ("users high", "/risky-users?riskLevel=high"),
    (
        "users high, at risk",
        "/risky-users?riskLevel=high&riskState=atRisk",
    ),
    ("users dismissed", "/risky-users?riskState=dismissed"),
    ("detections", "/risk-detections?"),
    ("detections at risk", "/risk-detections?riskState=atRisk"),
    (
        "detections of a type",
        "/risk-detections?riskEventType=leakedCredentials",
    ),
    (
        "type, at risk",
        "/risk-detections?riskEventType=leakedCredentials&riskState=atRisk",
    ),
    ("a user's detections", "/risk-detections?userId=user-000007"),
];

/// Pages of one list read in a row.
const PAGES: usize = 3;
const LIMIT: usize = 100;

#[derive(Debug, Clone)]
pub struct ListCost {
    pub list: &'static str,
    pub pages: usize,
    pub items: usize,
    pub api_calls: usize,
    pub dynamodb_requests: usize,
    pub read_units: f64,
    pub first_page_ms: f64,
}

impl ListCost {
    pub fn requests_per_page(&self) -> f64 {
        self.dynamodb_requests as f64 / self.pages.max(1) as f64
    }

    pub fn units_per_item(&self) -> Option<f64> {
        (self.items > 0).then(|| self.read_units / self.items as f64)
    }

    pub fn json(&self) -> Value {
        json!({
            "list": self.list,
            "pages": self.pages,
            "items": self.items,
            "apiCallsPerPage": self.api_calls as f64 / self.pages.max(1) as f64,
            "dynamodbRequestsPerPage": self.requests_per_page(),
            "readUnitsPerItem": self.units_per_item(),
            "firstPageMs": self.first_page_ms,
        })
    }
}

/// The first `PAGES` pages of `path` for `tenant`, read through `proxy`.
pub async fn cost(
    stack: &TestStack,
    proxy: &FaultProxy,
    tenant: &str,
    (list, path): (&'static str, &str),
) -> Result<ListCost> {
    let caller = As::analyst(tenant);
    let mut cost = ListCost {
        list,
        pages: 0,
        items: 0,
        api_calls: 0,
        dynamodb_requests: 0,
        read_units: 0.0,
        first_page_ms: 0.0,
    };
    proxy.clear_log();
    let mut cursor: Option<String> = None;
    while cost.pages < PAGES {
        let at = match &cursor {
            Some(c) => format!("{path}&limit={LIMIT}&cursor={c}"),
            None => format!("{path}&limit={LIMIT}"),
        };
        let started = Instant::now();
        let answer = stack.call(&caller, "GET", &at, None).await;
        if cost.pages == 0 {
            cost.first_page_ms = started.elapsed().as_secs_f64() * 1000.0;
        }
        if answer.status != 200 {
            return Err(format!("GET {at}: {answer:?}"));
        }
        cost.api_calls += 1;
        cost.pages += 1;
        cost.items += answer.body["value"].as_array().map_or(0, Vec::len);
        cursor = answer.body["nextCursor"].as_str().map(str::to_string);
        if cursor.is_none() {
            break;
        }
    }
    cost.dynamodb_requests = proxy
        .operations()
        .iter()
        .filter(|op| op.starts_with("DynamoDB."))
        .count();
    cost.read_units = proxy.capacity_units();
    Ok(cost)
}
