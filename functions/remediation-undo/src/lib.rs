//! Remediation actions: action center and undo. Until they are built (the next issue), every
//! route authenticates the caller and answers `501 Not Implemented` as problem+json.

use lambda_http::{Body, Request, Response};
use riskfeedback::http::problem;
use riskfeedback::lambda;
use riskfeedback::problem::ApiError;

pub async fn handle(request: Request) -> Result<Response<Body>, std::convert::Infallible> {
    let error = match lambda::caller(&request) {
        Ok(_) => {
            ApiError::NotImplemented(format!("{} {}", request.method(), lambda::path(&request)))
        }
        Err(error) => error,
    };
    Ok(problem(&error).map(Body::from))
}
