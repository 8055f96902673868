//! The feedback API: HTTP intake and reads for risky users, sign-ins, detections and feedback.
//! Handlers parse, authorize, call the domain and map the result; the rules live in `riskfeedback`.

#[cfg(feature = "openapi")]
pub mod openapi;
mod routes;

use lambda_http::{Body, Request, Response};
use riskfeedback::config::Config;
use riskfeedback::model::RiskLevel;
use riskfeedback_aws::lambda;
use riskfeedback_aws::DynamoStore;
use riskfeedback_aws::SqsQueue;
use riskfeedback_http::HttpError;
use riskfeedback_http::HttpResponse;

/// What every request needs, built once per cold start.
#[derive(Clone, Debug)]
pub struct App {
    pub store: DynamoStore,
    pub work_queue: SqsQueue,
    pub events: SqsQueue,
    /// Where a false-positive submission's undo commands go.
    pub commands: SqsQueue,
    pub policy_level: RiskLevel,
}

impl App {
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        Self::from_clients(
            aws_sdk_dynamodb::Client::new(sdk),
            aws_sdk_sqs::Client::new(sdk),
            config,
        )
    }

    /// Over given clients, for callers that configure them differently from the environment.
    pub fn from_clients(
        dynamodb: aws_sdk_dynamodb::Client,
        sqs: aws_sdk_sqs::Client,
        config: &Config,
    ) -> Self {
        App {
            store: DynamoStore::new(dynamodb, &config.table_name),
            work_queue: SqsQueue::new(sqs.clone(), &config.feedback_queue_url),
            events: SqsQueue::new(sqs.clone(), &config.events_queue_url),
            commands: SqsQueue::new(sqs, &config.remediation_command_queue_url),
            policy_level: config.user_risk_policy_level,
        }
    }
}

/// The Lambda handler: every outcome, including every error, is an HTTP answer.
pub async fn handle(
    app: &App,
    request: Request,
) -> Result<Response<Body>, std::convert::Infallible> {
    let result = routes::route(app, &request).await;
    Ok(lambda::respond(&request, result))
}

pub(crate) type RouteResult = Result<HttpResponse, HttpError>;
