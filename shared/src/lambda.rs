//! The seam between `lambda_http` requests and the domain: the verified caller, query pairs, body.

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::auth::Caller;
use crate::http::{problem, HttpResponse};
use crate::problem::ApiError;

/// The caller from the claims the API's JWT authorizer verified and passed on in the request
/// context. Headers are never trusted for identity.
pub fn caller(request: &Request) -> Result<Caller, ApiError> {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| Caller::from_claims(&jwt.claims))
            .unwrap_or(Err(ApiError::Unauthenticated)),
        _ => Err(ApiError::Unauthenticated),
    }
}

/// Every decoded query parameter, repeated names included, so a route can refuse duplicates.
pub fn query_pairs(request: &Request) -> Vec<(String, String)> {
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
pub fn path(request: &Request) -> String {
    request.raw_http_path().to_string()
}

/// The Lambda answer for a route's result: every error becomes problem+json, and is logged
/// (server faults as errors, refusals as information).
pub fn respond(request: &Request, result: Result<HttpResponse, ApiError>) -> Response<Body> {
    let response = match result {
        Ok(response) => response,
        Err(error) => {
            let status = error.status();
            let path = path(request);
            if status >= 500 {
                tracing::error!(%status, method = %request.method(), path, %error, "request failed");
            } else {
                tracing::info!(%status, method = %request.method(), path, %error, "request refused");
            }
            problem(&error)
        }
    };
    response.map(Body::from)
}
