//! Remediation actions (SPEC 4): ingestion by investigation systems, the action center's
//! pending and history views, approve (sending the action's command) / reject, undo with a
//! compensating command to the remediation command queue, the executor's results, and the
//! admin actions that act on users (SPEC 3b: reset password, block user, revoke sessions).

pub mod routes;

use std::sync::LazyLock;

use lambda_http::{Body, Request, Response};
use riskfeedback::config::Config;
use riskfeedback_aws::lambda;
use riskfeedback_aws::DynamoStore;
use riskfeedback_aws::SqsQueue;
use riskfeedback_http::route;
use riskfeedback_http::router::Routes;

use routes::{action_center, admin_actions, signals, undo};

#[derive(Clone, Debug)]
pub struct App {
    pub store: DynamoStore,
    /// Where the executor's commands go: actions approved or taken, and undos.
    pub commands: SqsQueue,
    /// Where a completed password reset goes, as the user's password event.
    pub work_queue: SqsQueue,
    pub events: SqsQueue,
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
            commands: SqsQueue::new(sqs.clone(), &config.remediation_command_queue_url),
            work_queue: SqsQueue::new(sqs.clone(), &config.feedback_queue_url),
            events: SqsQueue::new(sqs, &config.events_queue_url),
        }
    }
}

/// This function's routes, each declared once, on its handler.
pub fn routes() -> &'static Routes<App> {
    static ROUTES: LazyLock<Routes<App>> = LazyLock::new(|| {
        Routes::new(vec![
            route!(signals::ingest_actions),
            route!(signals::record_undo_result),
            route!(action_center::list_actions),
            route!(action_center::get_action),
            route!(action_center::approve_action),
            route!(action_center::reject_action),
            route!(undo::undo_action),
            route!(undo::undo_actions),
            route!(admin_actions::reset_password),
            route!(admin_actions::block_users),
            route!(admin_actions::revoke_sessions),
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
