//! The local stand-in for API Gateway (SPEC 9), over real HTTP: it verifies local tokens as the
//! JWT authorizer would (signature, `exp`, `nbf`), answers `401` problem+json itself when they
//! fail, and passes the claims on as the authorizer does, roles as one `[a b]` string.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use riskfeedback_devstack::gateway::Gateway;
use riskfeedback_devstack::token::{mint, Identity};
use riskfeedback_tests::harness::{TestStack, ALL_ROLES};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "gateway-test-secret";

/// A running gateway on an ephemeral port, in front of a fresh stack.
struct Local {
    addr: SocketAddr,
    _stack: TestStack,
}

async fn start() -> Local {
    let stack = TestStack::new().await;
    let gateway = Arc::new(Gateway {
        apps: stack.apps.clone(),
        secret: SECRET.to_string(),
        cors: stack.stack.template.cors.clone(),
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(gateway.serve(listener));
    Local {
        addr,
        _stack: stack,
    }
}

/// An HTTP answer as read off the wire.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: Value,
}

impl Reply {
    fn assert_problem(&self, status: u16) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.headers.get("content-type").map(String::as_str),
            Some("application/problem+json"),
            "{self:?}"
        );
        assert_eq!(self.body["status"], status, "{self:?}");
    }
}

/// A minimal HTTP/1.1 client: one request per connection (`Connection: close`), read to the end.
/// `authorization` is the whole header value.
async fn request(
    local: &Local,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let headers: Vec<(&str, &str)> = authorization
        .map(|a| ("Authorization", a))
        .into_iter()
        .collect();
    request_with(local, method, path, &headers, body).await
}

/// A request with the given headers besides `Host`, `Connection` and `Content-Length`.
async fn request_with(
    local: &Local,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Reply {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        local.addr,
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let exchange = async {
        let mut stream = TcpStream::connect(local.addr).await?;
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .expect("the gateway answers without hanging")
        .expect("HTTP exchange");
    parse(&raw)
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let mut body = &raw[split + 4..];
    if let Some(length) = headers.get("content-length").and_then(|l| l.parse().ok()) {
        body = &body[..usize::min(length, body.len())];
    }
    Reply {
        status,
        headers,
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
    }
}

fn identity(roles: &[&str]) -> Identity {
    Identity {
        tenant: "contoso".to_string(),
        user: "analyst-1".to_string(),
        name: "Test Analyst".to_string(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        ttl_seconds: 300,
    }
}

/// `Authorization` for a token minted with the gateway's secret.
fn bearer(roles: &[&str]) -> String {
    with(&mint(&identity(roles), SECRET).expect("mint"))
}

fn with(token: &str) -> String {
    format!("Bearer {token}")
}

/// No `Authorization: Bearer` header, or another scheme: `401` problem+json from the gateway.
#[tokio::test]
async fn a_call_without_a_bearer_token_is_401() {
    let local = start().await;
    request(&local, "GET", "/risky-users", None, None)
        .await
        .assert_problem(401);
    let basic = "Basic YW5hbHlzdDpzZWNyZXQ=";
    request(&local, "GET", "/risky-users", Some(basic), None)
        .await
        .assert_problem(401);
}

/// A token signed with another secret is not verified: `401`.
#[tokio::test]
async fn a_token_signed_with_another_secret_is_401() {
    let local = start().await;
    let forged = mint(&identity(ALL_ROLES), "another-secret").expect("mint");
    request(&local, "GET", "/risky-users", Some(&with(&forged)), None)
        .await
        .assert_problem(401);
    request(
        &local,
        "GET",
        "/risky-users",
        Some("Bearer not.a.jwt"),
        None,
    )
    .await
    .assert_problem(401);
}

/// An expired token (past `exp` and the verifier's leeway) is refused: `401`.
#[tokio::test]
async fn an_expired_token_is_401() {
    let local = start().await;
    let expired = mint(
        &Identity {
            ttl_seconds: -600,
            ..identity(ALL_ROLES)
        },
        SECRET,
    )
    .expect("mint");
    request(&local, "GET", "/risky-users", Some(&with(&expired)), None)
        .await
        .assert_problem(401);
}

/// A token whose `nbf` is still in the future (beyond the leeway) is refused: `401`.
#[tokio::test]
async fn a_token_not_yet_valid_is_401() {
    let local = start().await;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "tid": "contoso",
        "oid": "analyst-1",
        "name": "Test Analyst",
        "roles": ALL_ROLES,
        "iat": now,
        "nbf": now + 600,
        "exp": now + 1200,
    });
    let early = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encode");
    request(&local, "GET", "/risky-users", Some(&with(&early)), None)
        .await
        .assert_problem(401);
}

/// A valid minted token reaches the function with its claims: `GET /risky-users` on an empty
/// tenant answers `200` with an empty list.
#[tokio::test]
async fn a_valid_token_reads_risky_users() {
    let local = start().await;
    let reply = request(
        &local,
        "GET",
        "/risky-users",
        Some(&bearer(ALL_ROLES)),
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
    assert_eq!(reply.body, json!({"value": []}));
}

/// Like the JWT authorizer, the gateway also takes the token without the `Bearer` prefix.
#[tokio::test]
async fn a_bare_token_is_accepted() {
    let local = start().await;
    let token = mint(&identity(ALL_ROLES), SECRET).expect("mint");
    let reply = request(&local, "GET", "/risky-users", Some(&token), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

/// Roles arrive in the gateway's string form (`[Risk.Read]`, `[Risk.Read Risk.Feedback]`) and
/// are honoured: read-only may read but not give feedback (`403`); with `Risk.Feedback` too,
/// the same feedback is accepted.
#[tokio::test]
async fn roles_arrive_in_the_gateway_string_form() {
    let local = start().await;
    let read_only = bearer(&["Risk.Read"]);
    let reply = request(&local, "GET", "/risky-users", Some(&read_only), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let dismiss = || Some(json!({"userIds": ["ghost"]}));
    request(
        &local,
        "POST",
        "/risky-users/dismiss",
        Some(&read_only),
        dismiss(),
    )
    .await
    .assert_problem(403);
    let analyst = bearer(&["Risk.Read", "Risk.Feedback"]);
    let reply = request(
        &local,
        "POST",
        "/risky-users/dismiss",
        Some(&analyst),
        dismiss(),
    )
    .await;
    assert_eq!(reply.status, 202, "{reply:?}");
    assert_eq!(reply.body["submittedBy"]["id"], "analyst-1");
}

/// `GET /openapi.json` answers the API's document without a token, as `openapi.json` holds it.
#[tokio::test]
async fn the_gateway_serves_the_openapi_document() {
    let local = start().await;
    let reply = request(&local, "GET", "/openapi.json", None, None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
    assert_eq!(reply.body["openapi"], "3.1.0");
    assert_eq!(
        reply.body,
        serde_json::from_str::<Value>(&riskfeedback_devstack::openapi::json()).expect("json")
    );
}

/// A 401 names the scheme it wants (RFC 6750), and says so when a token was there but failed.
#[tokio::test]
async fn a_401_says_which_scheme_it_wants() {
    let local = start().await;
    let none = request(&local, "GET", "/risky-users", None, None).await;
    none.assert_problem(401);
    assert_eq!(
        none.headers.get("www-authenticate").map(String::as_str),
        Some("Bearer")
    );
    let bad = request(
        &local,
        "GET",
        "/risky-users",
        Some("Bearer not.a.jwt"),
        None,
    )
    .await;
    bad.assert_problem(401);
    assert_eq!(
        bad.headers.get("www-authenticate").map(String::as_str),
        Some(r#"Bearer error="invalid_token""#)
    );
}

/// The scheme's name is case-insensitive (RFC 9110, 11.1).
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let local = start().await;
    let token = mint(&identity(ALL_ROLES), SECRET).expect("mint");
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let authorization = format!("{scheme} {token}");
        let reply = request(&local, "GET", "/risky-users", Some(&authorization), None).await;
        assert_eq!(reply.status, 200, "{scheme}: {reply:?}");
    }
}

/// HEAD answers as GET would, without the body.
#[tokio::test]
async fn head_answers_as_get_without_the_body() {
    let local = start().await;
    let authorization = bearer(ALL_ROLES);
    let get = request(&local, "GET", "/risky-users", Some(&authorization), None).await;
    let head = request(&local, "HEAD", "/risky-users", Some(&authorization), None).await;
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.body, Value::Null, "no body");
    assert_eq!(
        head.headers.get("content-length"),
        Some(&get.body.to_string().len().to_string())
    );
    assert_eq!(
        head.headers.get("content-type"),
        get.headers.get("content-type")
    );
    let document = request(&local, "HEAD", "/openapi.json", None, None).await;
    assert_eq!(document.status, 200, "{document:?}");
}

/// A CORS preflight is answered before the authorizer, as API Gateway does; only pages served
/// from this machine are allowed origins.
#[tokio::test]
async fn cors_preflights_are_answered_for_local_origins() {
    let local = start().await;
    let ask = |origin: &'static str| {
        [
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ),
        ]
    };
    let allowed = request_with(
        &local,
        "OPTIONS",
        "/risky-users/dismiss",
        &ask("http://localhost:5173"),
        None,
    )
    .await;
    assert_eq!(allowed.status, 204, "{allowed:?}");
    assert_eq!(
        allowed
            .headers
            .get("access-control-allow-origin")
            .map(String::as_str),
        Some("http://localhost:5173")
    );
    assert!(allowed.headers["access-control-allow-methods"].contains("POST"));
    assert!(allowed.headers["access-control-allow-headers"].contains("authorization"));
    // What the template's CorsConfiguration says, read from it.
    assert_eq!(
        allowed.headers["access-control-allow-methods"],
        "GET, POST, DELETE"
    );
    assert_eq!(allowed.headers["access-control-max-age"], "600");
    let foreign = request_with(
        &local,
        "OPTIONS",
        "/risky-users/dismiss",
        &ask("https://evil.example"),
        None,
    )
    .await;
    assert_eq!(foreign.status, 204, "{foreign:?}");
    assert_eq!(foreign.headers.get("access-control-allow-origin"), None);
    let authorization = bearer(ALL_ROLES);
    let read = request_with(
        &local,
        "GET",
        "/risky-users",
        &[
            ("Origin", "http://127.0.0.1:8080"),
            ("Authorization", &authorization),
        ],
        None,
    )
    .await;
    assert_eq!(read.status, 200, "{read:?}");
    assert_eq!(
        read.headers
            .get("access-control-allow-origin")
            .map(String::as_str),
        Some("http://127.0.0.1:8080")
    );
}

/// An over-long URL gets a problem that says why, not an empty answer.
#[tokio::test]
async fn an_over_long_url_is_a_414_problem() {
    let local = start().await;
    let path = format!("/risky-users/{}", "a".repeat(9000));
    let reply = request(&local, "GET", &path, Some(&bearer(ALL_ROLES)), None).await;
    reply.assert_problem(414);
    assert!(
        reply.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("8192")),
        "{reply:?}"
    );
}

/// Outside `sam local` (no `AWS_SAM_LOCAL=true`, as on Lambda), a function takes identity only
/// from the authorizer's claims: a locally signed token in the header is refused.
#[tokio::test]
async fn a_function_refuses_a_local_token_outside_sam_local() {
    let stack = TestStack::new().await;
    let token = mint(
        &identity(ALL_ROLES),
        riskfeedback_devstack::token::DEFAULT_SECRET,
    )
    .expect("mint");
    let call = riskfeedback_devstack::gateway::HttpCall {
        method: "GET".to_string(),
        path: "/risky-users".to_string(),
        headers: [("authorization".to_string(), format!("Bearer {token}"))].into(),
        ..Default::default()
    };
    let answer = stack
        .invoke_event(&riskfeedback_devstack::gateway::api_event(&call, None))
        .await;
    answer.problem(401);
}

/// A method a route does not take is a 405 naming the ones it does, before the authorizer, as
/// Schemathesis's unsupported-method check expects; a path no route has stays a 404.
#[tokio::test]
async fn an_undeclared_method_is_a_405_with_allow() {
    let local = start().await;
    let trace = request(&local, "TRACE", "/submissions", None, None).await;
    trace.assert_problem(405);
    assert_eq!(trace.body["type"], "/problems/method-not-allowed");
    assert_eq!(
        trace.headers.get("allow").map(String::as_str),
        Some("POST, OPTIONS")
    );
    let put = request(&local, "PUT", "/risky-users/alice", None, None).await;
    put.assert_problem(405);
    assert_eq!(
        put.headers.get("allow").map(String::as_str),
        Some("GET, HEAD, OPTIONS")
    );
    // GET's `/remediation-actions/{actionId}` takes the path of POST's `/remediation-actions/undo`.
    let authorization = bearer(ALL_ROLES);
    let get = request(
        &local,
        "GET",
        "/remediation-actions/undo",
        Some(&authorization),
        None,
    )
    .await;
    get.assert_problem(404);
    assert_eq!(get.body["type"], "/problems/not-found");
    let nowhere = request(&local, "TRACE", "/nowhere", Some(&authorization), None).await;
    nowhere.assert_problem(404);
}
