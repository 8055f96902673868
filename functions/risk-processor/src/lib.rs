//! The risk processor: applies queued feedback from SQS FIFO batches, reporting partial batch
//! failures so that only failed messages, and those queued behind them, are retried.

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use lambda_runtime::LambdaEvent;
use riskfeedback::config::Config;
use riskfeedback::processing::{apply_pending, publish_if_complete, Applied, Records, Report};
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

/// One message of a group, in order: applied, or failed (itself, or behind a failure).
enum Handled {
    Applied {
        id: String,
        tenant: String,
        applied: Applied,
    },
    Failed {
        id: String,
    },
}

/// Message groups are independent and run concurrently; within a group messages run in order,
/// and after a failure the rest of that group is reported failed too, as FIFO requires. Then
/// each feedback the batch touched is checked for completion once, after all its commits.
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
    let records = Records::default();
    let groups = join_all(
        groups
            .into_values()
            .map(|messages| process_group(app, &records, messages)),
    )
    .await;

    let mut processed = Processed::default();
    // Each touched feedback, and whether announcing its completion failed.
    let mut completions: BTreeMap<(String, String), bool> = BTreeMap::new();
    for handled in groups.iter().flatten() {
        if let Handled::Applied {
            tenant, applied, ..
        } = handled
        {
            processed.report += applied.report;
            for id in &applied.touched {
                completions.insert((tenant.clone(), id.clone()), false);
            }
        }
    }
    for ((tenant, id), failed) in completions.iter_mut() {
        match publish_if_complete(&app.store, &app.events, tenant, id).await {
            Ok(true) => processed.report.events_published += 1,
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(tenant = %tenant, feedback = %id, %error, "could not announce completion; SQS will redeliver");
                *failed = true;
            }
        }
    }
    for group in groups {
        let mut failing = false;
        for handled in group {
            let id = match handled {
                Handled::Failed { id } => {
                    failing = true;
                    id
                }
                Handled::Applied {
                    id,
                    tenant,
                    applied,
                } => {
                    failing = failing
                        || applied
                            .touched
                            .into_iter()
                            .any(|f| completions.get(&(tenant.clone(), f)) == Some(&true));
                    id
                }
            };
            if failing {
                processed.response.add_failure(id);
            }
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

async fn process_group(app: &App, records: &Records, messages: Vec<SqsMessage>) -> Vec<Handled> {
    let mut handled = Vec::with_capacity(messages.len());
    let mut failed = false;
    for message in messages {
        let id = message.message_id.clone().unwrap_or_default();
        if failed {
            handled.push(Handled::Failed { id });
            continue;
        }
        match process_message(app, records, &message).await {
            Ok((tenant, applied)) => handled.push(Handled::Applied {
                id,
                tenant,
                applied,
            }),
            Err(error) => {
                tracing::warn!(message_id = %id, %error, "message failed; SQS will redeliver it");
                mark_if_last_attempt(app, &message, &error).await;
                failed = true;
                handled.push(Handled::Failed { id });
            }
        }
    }
    handled
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

async fn process_message(
    app: &App,
    records: &Records,
    message: &SqsMessage,
) -> Result<(String, Applied), String> {
    let body = message.body.as_deref().unwrap_or_default();
    let notice: WorkNotice =
        serde_json::from_str(body).map_err(|e| format!("not a work notice: {e}"))?;
    let applied = apply_pending(&app.store, records, &notice)
        .await
        .map_err(|e| e.to_string())?;
    tracing::debug!(
        tenant = %notice.tenant_id, user = %notice.user_id, feedback = %notice.feedback_id,
        steps = applied.report.steps_applied, conflicts = applied.report.conflicts, "notice processed"
    );
    Ok((notice.tenant_id, applied))
}
