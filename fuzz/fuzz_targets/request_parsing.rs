//! Request parsing never panics, and every refusal is a `4xx` problem that names itself: the
//! claims the JWT authorizer passes, the query string, the `Idempotency-Key`, and JSON bodies of
//! the shapes the domain crate parses, each arbitrary.
#![no_main]

use std::collections::HashMap;

use arbitrary::Arbitrary;
use chrono::{DateTime, Utc};
use http::{header, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use riskfeedback::auth::Actor;
use riskfeedback::auth::Caller;
use riskfeedback::feedback::DetectionIn;
use riskfeedback::idempotency::validate_idempotency_key;
use riskfeedback::indicators::{Indicator, IndicatorIn};
use riskfeedback::model::{RiskLevel, RiskState};
use riskfeedback::submissions::SubmissionIn;
use riskfeedback::validate::check_id;
use riskfeedback_http::problem::problem_type;
use riskfeedback_http::{json_body, problem, HttpError, Query};

#[derive(Debug, Arbitrary)]
enum Body {
    Indicator,
    Submission,
    Detection,
}

#[derive(Debug, Arbitrary)]
struct Request {
    claims: Vec<(String, String)>,
    query: Vec<(String, String)>,
    path_id: String,
    idempotency_key: String,
    content_type: String,
    body_kind: Body,
    body: Vec<u8>,
}

/// What SPEC 7 promises of bad input: a client error with a problem+json body.
fn assert_refusal(error: &HttpError) {
    let status = problem_type(error).status;
    assert!((400..500).contains(&status), "{error:?} answered {status}");
    let response = problem(error);
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers().get(header::CONTENT_TYPE);
    assert_eq!(
        content_type.and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: serde_json::Value =
        serde_json::from_slice(response.body()).expect("a problem is JSON");
    assert_eq!(body["status"], status);
    assert!(body["type"]
        .as_str()
        .is_some_and(|t| t.starts_with("/problems/")));
}

fn check<T, E: Into<HttpError>>(result: Result<T, E>) -> Option<T> {
    result.map_err(|e| assert_refusal(&e.into())).ok()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default()
}

fuzz_target!(|request: Request| {
    let claims: HashMap<String, String> = request.claims.into_iter().collect();
    check(Caller::from_claims(&claims));

    if let Some(query) = check(Query::parse(
        &request.query,
        &["riskLevel", "riskState", "limit", "cursor"],
    )) {
        check(query.page());
        check(query.parsed::<RiskLevel>("riskLevel"));
        check(query.parsed::<RiskState>("riskState"));
    }
    check(Query::parse(&request.query, &[]));
    check(check_id("userId", &request.path_id));
    check(validate_idempotency_key(&request.idempotency_key));

    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&request.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    match request.body_kind {
        Body::Indicator => {
            if let Some(input) = check(json_body::<IndicatorIn>(&headers, &request.body)) {
                let creator = Actor {
                    id: "analyst".to_string(),
                    display_name: None,
                };
                check(Indicator::create(input, "i-1".to_string(), creator, now()));
            }
        }
        Body::Submission => {
            check(json_body::<SubmissionIn>(&headers, &request.body));
        }
        Body::Detection => {
            check(json_body::<DetectionIn>(&headers, &request.body));
        }
    }
});
