//! The risk processor: applies queued feedback from SQS FIFO batches, reporting partial batch
//! failures so that only failed messages, and those queued behind them, are retried.

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use lambda_runtime::LambdaEvent;
use riskfeedback::config::Config;
use riskfeedback::processing::{process_notice, Report};
use riskfeedback::queue::{SqsQueue, WorkNotice};
use riskfeedback::store::{DynamoStore, WorkStore};

#[derive(Clone, Debug)]
pub struct App {
    pub store: DynamoStore,
    pub events: SqsQueue,
    pub max_receive_count: u32,
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
            events: SqsQueue::new(sqs, &config.events_queue_url),
            max_receive_count: config.max_receive_count,
        }
    }
}

pub async fn handle(
    app: &App,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, std::convert::Infallible> {
    Ok(process_batch(app, event.payload).await.response)
}

/// What a batch did: the partial batch response SQS needs, and the totals of its notices.
#[derive(Debug, Default)]
pub struct Processed {
    pub response: SqsBatchResponse,
    pub report: Report,
}

/// Message groups are independent and run concurrently; within a group messages run in order,
/// and after a failure the rest of that group is reported failed too, as FIFO requires.
pub async fn process_batch(app: &App, event: SqsEvent) -> Processed {
    let messages = event.records.len();
    let mut groups: BTreeMap<String, Vec<SqsMessage>> = BTreeMap::new();
    for message in event.records {
        let group = message
            .attributes
            .get("MessageGroupId")
            .cloned()
            .unwrap_or_default();
        groups.entry(group).or_default().push(message);
    }
    let groups = join_all(
        groups
            .into_values()
            .map(|messages| process_group(app, messages)),
    )
    .await;
    let mut processed = Processed::default();
    for (failed, report) in groups {
        processed.report += report;
        for id in failed {
            processed.response.add_failure(id);
        }
    }
    let report = processed.report;
    tracing::info!(
        messages,
        failed = processed.response.batch_item_failures.len(),
        steps_applied = report.steps_applied,
        conflicts = report.conflicts,
        events_published = report.events_published,
        "batch processed"
    );
    processed
}

/// The ids of the group's failed messages, and what its notices did.
async fn process_group(app: &App, messages: Vec<SqsMessage>) -> (Vec<String>, Report) {
    let mut failed = Vec::new();
    let mut total = Report::default();
    for message in messages {
        let id = message.message_id.clone().unwrap_or_default();
        if !failed.is_empty() {
            failed.push(id);
            continue;
        }
        match process_message(app, &message).await {
            Ok(report) => total += report,
            Err(error) => {
                tracing::warn!(message_id = %id, %error, "message failed; SQS will redeliver it");
                mark_if_last_attempt(app, &message, &error).await;
                failed.push(id);
            }
        }
    }
    (failed, total)
}

/// On its last receive a failing notice goes to the dead-letter queue next: say so on the
/// feedback, so analysts see `failed` and why until it is redriven.
async fn mark_if_last_attempt(app: &App, message: &SqsMessage, error: &str) {
    let receives = message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(1);
    if receives < app.max_receive_count {
        return;
    }
    let Ok(notice) =
        serde_json::from_str::<WorkNotice>(message.body.as_deref().unwrap_or_default())
    else {
        return;
    };
    let reason = format!("dead-lettered after {receives} attempts: {error}");
    if let Err(e) = app
        .store
        .mark_failed(&notice.tenant_id, &notice.feedback_id, &reason)
        .await
    {
        tracing::error!(feedback = %notice.feedback_id, error = %e, "could not mark the feedback failed");
    }
}

async fn process_message(app: &App, message: &SqsMessage) -> Result<Report, String> {
    let body = message.body.as_deref().unwrap_or_default();
    let notice: WorkNotice =
        serde_json::from_str(body).map_err(|e| format!("not a work notice: {e}"))?;
    let report = process_notice(&app.store, &app.events, &notice)
        .await
        .map_err(|e| e.to_string())?;
    tracing::debug!(
        tenant = %notice.tenant_id, user = %notice.user_id, feedback = %notice.feedback_id,
        steps = report.steps_applied, conflicts = report.conflicts, "notice processed"
    );
    Ok(report)
}
