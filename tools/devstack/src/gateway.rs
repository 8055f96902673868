//! A local stand-in for API Gateway's HTTP API: verifies local tokens as the JWT authorizer
//! would, turns each HTTP request into the same v2 event the deployed functions receive, and
//! routes it to the function whose routes (`feedback_api::routes`, `remediation_undo::routes`)
//! it is one of. `template.yaml` routes the same paths (a test keeps the two the same).

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::Arc;

use base64::Engine;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body as _, Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::{Body, Request};
use riskfeedback::auth::AuthError;
use riskfeedback::errors::Invalid;
use riskfeedback::limits::{MAX_BODY_BYTES, MAX_TEXT_LEN};
use riskfeedback_http::graph::error_for;
use riskfeedback_http::{problem, HttpError};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::template::CorsSpec;
use crate::token;

pub struct Gateway {
    pub apps: Apps,
    pub secret: String,
    /// The template's CORS rules, which API Gateway applies before any function runs.
    pub cors: CorsSpec,
}

/// One HTTP request, as the pieces an API Gateway event is made of.
#[derive(Debug, Clone, Default)]
pub struct HttpCall {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// The API Gateway HTTP API (payload 2.0) event for a call, with the authorizer's claims.
pub fn api_event(call: &HttpCall, claims: Option<&HashMap<String, String>>) -> Value {
    let mut query: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(call.query.as_bytes()) {
        query
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    let query: BTreeMap<String, String> =
        query.into_iter().map(|(k, v)| (k, v.join(","))).collect();
    let (body, base64) = match std::str::from_utf8(&call.body) {
        Ok(text) => (text.to_string(), false),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(&call.body),
            true,
        ),
    };
    let now = chrono::Utc::now();
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": call.path,
        "rawQueryString": call.query,
        "headers": call.headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": call.method,
                "path": call.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": call.headers.get("user-agent").cloned().unwrap_or_default(),
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": base64,
    });
    if !query.is_empty() {
        event["queryStringParameters"] = json!(query);
    }
    if !call.body.is_empty() {
        event["body"] = json!(body);
    }
    if let Some(claims) = claims {
        event["requestContext"]["authorizer"] = json!({"jwt": {"claims": claims, "scopes": null}});
    }
    event
}

/// The HTTP functions, as the template deploys them.
#[derive(Clone, Debug)]
pub struct Apps {
    pub feedback: feedback_api::App,
    pub remediation: remediation_undo::App,
}

impl Apps {
    pub fn new(stack: &crate::provision::Stack) -> Apps {
        Apps {
            feedback: feedback_api::App::new(&stack.sdk, &stack.config),
            remediation: remediation_undo::App::new(&stack.sdk, &stack.config),
        }
    }
}

/// Routes an event to the function that serves its path, as API Gateway does.
pub async fn invoke(apps: &Apps, event: &Value) -> lambda_http::Response<Body> {
    let request: Request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => request,
        Err(e) => {
            let error = Invalid::field("request", e.to_string());
            return problem(&error.into()).map(Body::from);
        }
    };
    // The most literal route of either function, as API Gateway picks: `POST
    // /risky-users/block` is remediation-undo's, `GET /risky-users/block` feedback-api's
    // (a user named `block`). A path neither serves goes to feedback-api, which answers it.
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let remediation = remediation_undo::routes().literals_of(&method, &path);
    let feedback = feedback_api::routes().literals_of(&method, &path);
    let response = if remediation.is_some() && remediation >= feedback {
        remediation_undo::handle(&apps.remediation, request).await
    } else {
        feedback_api::handle(&apps.feedback, request).await
    };
    match response {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

pub fn body_bytes(body: &Body) -> Vec<u8> {
    match body {
        Body::Empty => Vec::new(),
        Body::Text(text) => text.clone().into_bytes(),
        Body::Binary(bytes) => bytes.clone(),
        _ => Vec::new(),
    }
}

impl Gateway {
    /// The gateway of `stack`, verifying local tokens signed with `secret`.
    pub fn new(stack: &crate::provision::Stack, secret: String) -> Gateway {
        Gateway {
            apps: Apps::new(stack),
            secret,
            cors: stack.template.cors.clone(),
        }
    }

    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let gateway = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let gateway = gateway.clone();
                    async move { Ok::<_, Infallible>(gateway.handle(request).await) }
                });
                if let Err(error) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(%error, "connection closed");
                }
            });
        }
    }

    async fn handle(&self, request: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let url_bytes = parts.uri.path_and_query().map_or(0, |p| p.as_str().len());
        if url_bytes > MAX_URL_BYTES {
            return uri_too_long();
        }
        let origin = parts
            .headers
            .get(hyper::header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .filter(|o| is_local_origin(o))
            .map(str::to_string);
        let mut response = if let Some(allow) = method_not_allowed(&parts.method, parts.uri.path())
        {
            // API Gateway answers an unrouted method itself too, before the authorizer.
            let mut refused = to_hyper(error_for(
                parts.uri.path(),
                &HttpError::MethodNotAllowed {
                    method: parts.method.to_string(),
                    path: parts.uri.path().chars().take(MAX_TEXT_LEN).collect(),
                },
            ));
            if let Ok(value) = hyper::header::HeaderValue::from_str(&allow) {
                refused.headers_mut().insert(hyper::header::ALLOW, value);
            }
            refused
        } else if parts.method == hyper::Method::OPTIONS {
            // API Gateway answers a CORS preflight itself, before the authorizer runs.
            preflight(&self.cors)
        } else if parts.method == hyper::Method::HEAD {
            // HEAD is GET without the body, with the length GET's body would have.
            let mut get = parts;
            get.method = hyper::Method::GET;
            let answer = self.answer(get, body).await;
            let length = answer.body().size_hint().exact().unwrap_or_default();
            let (mut head, _) = answer.into_parts();
            head.headers.insert(
                hyper::header::CONTENT_LENGTH,
                hyper::header::HeaderValue::from(length),
            );
            hyper::Response::from_parts(head, Full::new(Bytes::new()))
        } else {
            self.answer(parts, body).await
        };
        if let Some(origin) = origin {
            allow_origin(response.headers_mut(), &origin, &self.cors);
        }
        response
    }

    async fn answer(
        &self,
        parts: hyper::http::request::Parts,
        body: Incoming,
    ) -> hyper::Response<Full<Bytes>> {
        let body = match Limited::new(body, MAX_BODY_BYTES + 1).collect().await {
            Ok(collected) => collected.to_bytes().to_vec(),
            Err(_) => {
                return to_hyper(error_for(
                    parts.uri.path(),
                    &HttpError::PayloadTooLarge {
                        limit: MAX_BODY_BYTES,
                    },
                ))
            }
        };
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in &parts.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name.as_str().to_string())
                .and_modify(|v| {
                    v.push(',');
                    v.push_str(&value)
                })
                .or_insert(value);
        }
        // API Gateway tells the function the scheme it was called on; here it is plain HTTP.
        headers
            .entry("x-forwarded-proto".to_string())
            .or_insert_with(|| "http".to_string());
        if parts.method == hyper::Method::GET {
            if let Some((bytes, content_type)) = crate::console::asset(parts.uri.path()) {
                return crate::console::response(bytes, content_type);
            }
        }
        if parts.method == hyper::Method::GET && parts.uri.path() == "/openapi.json" {
            return hyper::Response::builder()
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(crate::openapi::json())))
                .unwrap_or_default();
        }
        // The JWT authorizer answers 401 itself; the function never sees an unverified call.
        let claims = match headers
            .get("authorization")
            .and_then(|h| riskfeedback_aws::local_token::bearer_token(h))
        {
            Some(token) => match token::verify(token, &self.secret) {
                Ok(claims) => claims,
                Err(_) => {
                    let mut refused = to_hyper(error_for(
                        parts.uri.path(),
                        &AuthError::Unauthenticated.into(),
                    ));
                    refused.headers_mut().insert(
                        hyper::header::WWW_AUTHENTICATE,
                        hyper::header::HeaderValue::from_static(r#"Bearer error="invalid_token""#),
                    );
                    return refused;
                }
            },
            None => {
                return to_hyper(error_for(
                    parts.uri.path(),
                    &AuthError::Unauthenticated.into(),
                ))
            }
        };
        let call = HttpCall {
            method: parts.method.to_string(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().unwrap_or_default().to_string(),
            headers,
            body,
        };
        let response = invoke(&self.apps, &api_event(&call, Some(&claims))).await;
        let (parts, body) = response.into_parts();
        hyper::Response::from_parts(parts, Full::new(Bytes::from(body_bytes(&body))))
    }
}

/// The methods of the routes `path` is one of, as an `Allow` value, if `method` is not among
/// them (HEAD goes with GET, and OPTIONS is every route's preflight). A path can be two routes'
/// at once: `/remediation-actions/undo` is POST's literal route and GET's `/{actionId}`.
fn method_not_allowed(method: &hyper::Method, path: &str) -> Option<String> {
    let mut allow: Vec<String> = feedback_api::routes()
        .methods_of(path)
        .into_iter()
        .chain(remediation_undo::routes().methods_of(path))
        .map(|method| method.to_string())
        .collect();
    if allow.is_empty() {
        return None;
    }
    if allow.iter().any(|m| m == "GET") {
        allow.push("HEAD".to_string());
    }
    allow.push("OPTIONS".to_string());
    (!allow.iter().any(|m| m == method.as_str())).then(|| allow.join(", "))
}

/// The longest path and query the gateway takes. API Gateway refuses a request line and headers
/// of more than 10,240 bytes together; 8 KiB of URL leaves room for the token.
pub const MAX_URL_BYTES: usize = 8192;

/// Deployed, the console's own origin is the one allowed; locally, any page served from this
/// machine (the gateway's console, or a console under development on another port).
fn is_local_origin(origin: &str) -> bool {
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && matches!(
            url.host(),
            Some(url::Host::Domain("localhost"))
                | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
                | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
        )
}

fn preflight(cors: &CorsSpec) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .status(hyper::StatusCode::NO_CONTENT)
        .header(
            "access-control-allow-methods",
            cors.allow_methods.join(", "),
        )
        .header(
            "access-control-allow-headers",
            cors.allow_headers.join(", "),
        )
        .header("access-control-max-age", cors.max_age)
        .body(Full::new(Bytes::new()))
        .unwrap_or_default()
}

fn allow_origin(headers: &mut hyper::HeaderMap, origin: &str, cors: &CorsSpec) {
    let expose = hyper::header::HeaderValue::from_str(&cors.expose_headers.join(", "));
    if let (Ok(origin), Ok(expose)) = (hyper::header::HeaderValue::from_str(origin), expose) {
        headers.insert(hyper::header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(hyper::header::ACCESS_CONTROL_EXPOSE_HEADERS, expose);
        headers.insert(
            hyper::header::VARY,
            hyper::header::HeaderValue::from_static("origin"),
        );
    }
}

fn uri_too_long() -> hyper::Response<Full<Bytes>> {
    let problem = riskfeedback_http::problem::Problem {
        r#type: "/problems/uri-too-long".to_string(),
        title: "URI too long".to_string(),
        status: 414,
        detail: format!("the path and query are longer than {MAX_URL_BYTES} bytes"),
        errors: Vec::new(),
    };
    hyper::Response::builder()
        .status(hyper::StatusCode::URI_TOO_LONG)
        .header("content-type", "application/problem+json")
        .body(Full::new(Bytes::from(
            serde_json::to_vec(&problem).unwrap_or_default(),
        )))
        .unwrap_or_default()
}

fn to_hyper(response: riskfeedback_http::HttpResponse) -> hyper::Response<Full<Bytes>> {
    response.map(|body| Full::new(Bytes::from(body)))
}
