//! The feedback API: HTTP intake and reads for risky users, sign-ins, detections and feedback.
//! Handlers parse, call the domain and map the result; the rules live in `riskfeedback`.

pub mod routes;

use std::sync::LazyLock;

use lambda_http::{Body, Request, Response};
use riskfeedback::config::Config;
use riskfeedback::model::RiskLevel;
use riskfeedback::risk::Settings;
use riskfeedback_aws::lambda;
use riskfeedback_aws::DynamoStore;
use riskfeedback_aws::SqsQueue;
use riskfeedback_http::route;
use riskfeedback_http::router::Routes;

use routes::graph::{
    risk_detections as graph_risk_detections,
    risky_service_principals as graph_risky_service_principals, risky_users as graph_risky_users,
    sign_ins as graph_sign_ins,
};
use routes::{
    detection_quality, familiar_contexts, feedback, indicators, password_events, risk_detections,
    risky_service_principals, risky_sign_ins, risky_users, submissions,
};

/// What every request needs, built once per cold start.
#[derive(Clone, Debug)]
pub struct App {
    pub store: DynamoStore,
    pub work_queue: SqsQueue,
    pub events: SqsQueue,
    /// Where a false-positive submission's undo commands go.
    pub commands: SqsQueue,
    pub policy_level: RiskLevel,
    /// What the deployment decides about the rules, for previews.
    pub settings: Settings,
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
            settings: config.settings(),
        }
    }
}

/// This function's routes, each declared once, on its handler.
pub fn routes() -> &'static Routes<App> {
    static ROUTES: LazyLock<Routes<App>> = LazyLock::new(|| {
        Routes::new(vec![
            route!(risky_users::list_users),
            route!(risky_users::get_user),
            route!(risky_users::user_history),
            route!(familiar_contexts::list_familiar_contexts),
            route!(familiar_contexts::forget_familiar_context),
            route!(risky_users::confirm_users_compromised),
            route!(risky_users::confirm_users_safe),
            route!(risky_users::dismiss_users),
            route!(risky_sign_ins::list_sign_ins),
            route!(risky_sign_ins::get_sign_in),
            route!(risky_sign_ins::confirm_sign_ins_safe),
            route!(risky_sign_ins::confirm_sign_ins_compromised),
            route!(risky_sign_ins::dismiss_sign_ins),
            route!(risky_service_principals::list_service_principals),
            route!(risky_service_principals::get_service_principal),
            route!(risky_service_principals::service_principal_history),
            route!(risky_service_principals::confirm_service_principals_compromised),
            route!(risky_service_principals::dismiss_service_principals),
            route!(risky_service_principals::list_service_principal_detections),
            route!(risk_detections::list_detections),
            route!(risk_detections::ingest_detections),
            route!(password_events::password_event),
            route!(feedback::get_feedback),
            route!(indicators::list_indicators),
            route!(indicators::create_indicator),
            route!(indicators::get_indicator),
            route!(indicators::delete_indicator),
            route!(detection_quality::detection_quality),
            route!(submissions::create_submission),
            route!(submissions::get_submission),
            route!(graph_risky_users::graph_list_risky_users),
            route!(graph_risky_users::graph_get_risky_user),
            route!(graph_risky_users::graph_risky_user_history),
            route!(graph_risky_users::graph_confirm_users_compromised),
            route!(graph_risky_users::graph_confirm_users_safe),
            route!(graph_risky_users::graph_dismiss_users),
            route!(graph_risk_detections::graph_list_risk_detections),
            route!(graph_risk_detections::graph_get_risk_detection),
            route!(graph_risky_service_principals::graph_list_risky_service_principals),
            route!(graph_risky_service_principals::graph_get_risky_service_principal),
            route!(graph_risky_service_principals::graph_risky_service_principal_history),
            route!(graph_risky_service_principals::graph_confirm_service_principals_compromised),
            route!(graph_risky_service_principals::graph_dismiss_service_principals),
            route!(graph_risky_service_principals::graph_list_service_principal_risk_detections),
            route!(graph_risky_service_principals::graph_get_service_principal_risk_detection),
            route!(graph_sign_ins::graph_confirm_sign_ins_safe),
            route!(graph_sign_ins::graph_confirm_sign_ins_compromised),
        ])
    });
    &ROUTES
}

/// The Lambda handler: every outcome, including every error, is an HTTP answer.
pub async fn handle(
    app: &App,
    request: Request,
) -> Result<Response<Body>, std::convert::Infallible> {
    Ok(lambda::handle(routes(), app, request).await)
}
