//! The seam between `lambda_http` requests and the domain: the verified caller, query pairs, body.

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use lambda_http::tracing::subscriber::fmt::MakeWriter;
use metrics_cloudwatch_embedded::Collector;

use std::sync::OnceLock;

use crate::local_token;
use riskfeedback::auth::AuthError;
use riskfeedback::auth::Caller;
use riskfeedback_http::graph::error_for;
use riskfeedback_http::problem::problem_type;
use riskfeedback_http::router::{self, Routes};
use riskfeedback_http::{HttpError, HttpResponse};

/// What every function's `main` starts with. Logs: one JSON object a line when Lambda sets
/// `AWS_LAMBDA_LOG_FORMAT=JSON`, plain text otherwise. Metrics: CloudWatch Embedded Metric
/// Format in the namespace `METRICS_NAMESPACE` (default `riskfeedback`), dimensioned by
/// `function`, with each invocation's request id and a `ColdStart` on the first; the returned
/// collector is flushed to the log after every invocation by `metrics_cloudwatch_embedded`'s run.
pub fn init_telemetry(function: &'static str) -> Result<&'static Collector, lambda_http::Error> {
    init_telemetry_with_writer(function, std::io::stdout)
}

/// `init_telemetry` with the log lines written to `writer` instead of standard output.
pub fn init_telemetry_with_writer<W>(
    function: &'static str,
    writer: W,
) -> Result<&'static Collector, lambda_http::Error>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    lambda_http::tracing::init_default_subscriber_with_writer(writer);
    let namespace =
        std::env::var("METRICS_NAMESPACE").unwrap_or_else(|_| "riskfeedback".to_string());
    let collector = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(namespace)
        .with_dimension("Function", function)
        .lambda_cold_start_metric(riskfeedback::telemetry::COLD_START)
        .with_lambda_request_id("RequestId")
        .with_lambda_xray_trace_id("XRayTraceId")
        .init()
        .map_err(|e| e.to_string())?;
    riskfeedback::telemetry::describe();
    Ok(collector)
}

/// A function's Lambda handler over its routes: every outcome, including every error, is an
/// HTTP answer. Who is calling is settled first, so that an unverified caller learns nothing,
/// not even which routes exist.
pub async fn handle<A: Sync>(routes: &Routes<A>, app: &A, request: Request) -> Response<Body> {
    let method = request.method().clone();
    let path = path(&request);
    let result = match caller(&request) {
        Ok(caller) => {
            let query = query_pairs(&request);
            let (parts, body) = request.into_parts();
            let request = router::Request {
                method: method.clone(),
                path: path.clone(),
                query,
                headers: parts.headers,
                body: into_bytes(body),
            };
            routes.serve(app, caller, request).await
        }
        Err(error) => Err(error.into()),
    };
    respond(&method, &path, result)
}

/// The request's body, moved rather than copied.
fn into_bytes(body: Body) -> Vec<u8> {
    match body {
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        _ => Vec::new(),
    }
}

/// The caller from the claims the API's JWT authorizer verified and passed on in the request
/// context. Headers are never trusted for identity, with one exception: under `sam local
/// start-api`, which runs no JWT authorizer, a local token (`local_token`) stands in for it.
fn caller(request: &Request) -> Result<Caller, AuthError> {
    static SAM_LOCAL_SECRET: OnceLock<Option<String>> = OnceLock::new();
    let secret =
        SAM_LOCAL_SECRET.get_or_init(|| local_token::sam_local_secret(|n| std::env::var(n).ok()));
    caller_with(request, secret.as_deref())
}

/// `caller`, verifying local tokens with `sam_local_secret` when there is one.
fn caller_with(request: &Request, sam_local_secret: Option<&str>) -> Result<Caller, AuthError> {
    if let Some(RequestContext::ApiGatewayV2(ctx)) = request.request_context_ref() {
        if let Some(jwt) = ctx.authorizer.as_ref().and_then(|a| a.jwt.as_ref()) {
            return Caller::from_claims(&jwt.claims);
        }
    }
    let secret = sam_local_secret.ok_or(AuthError::Unauthenticated)?;
    let token = request
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(local_token::bearer_token)
        .ok_or(AuthError::Unauthenticated)?;
    let claims = local_token::verify(token, secret).map_err(|_| AuthError::Unauthenticated)?;
    Caller::from_claims(&claims)
}

/// Every decoded query parameter, repeated names included, so a route can refuse duplicates.
fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .query_string_parameters_ref()
        .map(|params| {
            params
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The path the route matches on, without any stage prefix.
fn path(request: &Request) -> String {
    request.raw_http_path().to_string()
}

/// The Lambda answer for a route's result: every error becomes problem+json (Graph's error
/// envelope on the Graph surface), and is logged
/// (server faults as errors, refusals as information).
fn respond(
    method: &http::Method,
    path: &str,
    result: Result<HttpResponse, HttpError>,
) -> Response<Body> {
    let response = match result {
        Ok(response) => response,
        Err(error) => {
            let status = problem_type(&error).status;
            if status >= 500 {
                tracing::error!(%status, %method, path, %error, "request failed");
            } else {
                tracing::info!(%status, %method, path, %error, "request refused");
            }
            error_for(path, &error)
        }
    };
    response.map(Body::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};

    fn token(secret: &str) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = serde_json::json!({
            "tid": "contoso", "oid": "analyst-1", "roles": ["Risk.Read"], "exp": now + 60,
        });
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap_or_default()
    }

    fn with_authorization(value: &str) -> Request {
        lambda_http::http::Request::builder()
            .header("authorization", value)
            .body(Body::Empty)
            .unwrap_or_default()
    }

    #[test]
    fn a_local_token_stands_in_for_the_authorizer_only_with_the_sam_local_secret() {
        let signed = with_authorization(&format!("Bearer {}", token("s")));
        let caller = caller_with(&signed, Some("s")).map(|c| c.tenant_id);
        assert_eq!(caller, Ok("contoso".to_string()));
        assert_eq!(caller_with(&signed, None), Err(AuthError::Unauthenticated));
        assert_eq!(
            caller_with(&signed, Some("other")),
            Err(AuthError::Unauthenticated)
        );
        let basic = with_authorization(&format!("Basic {}", token("s")));
        assert_eq!(
            caller_with(&basic, Some("s")),
            Err(AuthError::Unauthenticated)
        );
    }
}
