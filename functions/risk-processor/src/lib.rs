//! The risk processor: applies queued feedback from SQS FIFO batches, reporting partial batch
//! failures so that only failed messages, and those queued behind them, are retried.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::Utc;
use futures::stream::{self, StreamExt};
use lambda_runtime::LambdaEvent;
use riskfeedback::actions::expire_pending;
use riskfeedback::config::Config;
use riskfeedback::processing::{
    apply_pending, publish_completed, Applied, Records, Report, ACCEPTING_DEADLINE,
};
use riskfeedback::queue::{FeedbackNotice, Maintenance};
use riskfeedback::risk::Settings;
use riskfeedback::store::FeedbackStore;
use riskfeedback::telemetry;
use riskfeedback_aws::DynamoStore;
use riskfeedback_aws::SqsQueue;

#[derive(Clone, Debug)]
pub struct App {
    pub store: DynamoStore,
    pub events: SqsQueue,
    pub max_receive_count: u32,
    /// How long an unfinished intake may yet complete before it is abandoned.
    pub accepting_deadline: Duration,
    /// What the deployment decides about the rules.
    pub settings: Settings,
    /// How long a pending remediation action waits for a decision before it expires.
    pub pending_action_days: u32,
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
            accepting_deadline: ACCEPTING_DEADLINE,
            settings: config.settings(),
            pending_action_days: config.pending_action_days,
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

/// Users whose work runs at once within one batch: enough to overlap DynamoDB round trips
/// without one invocation flooding the table.
pub const USERS_AT_ONCE: usize = 16;

/// One received message: its id, and its notice or why it is not one.
struct Received {
    message: SqsMessage,
    notice: Result<FeedbackNotice, String>,
}

impl Received {
    fn id(&self) -> String {
        self.message.message_id.clone().unwrap_or_default()
    }
}

type UserKey = (String, String);

/// Every user named by the batch's notices runs once, however many notices name them (a
/// user's pending steps are all applied by one run), with up to `USERS_AT_ONCE` users at a
/// time. A message that is not a notice holds back the rest of its group, as FIFO requires.
/// Then each feedback the batch touched is checked for completion once, after all its commits,
/// and the completed ones are announced together.
/// A message fails if one of its users or completions failed, or if one before it in its group
/// failed; SQS redelivers it, and since notices are only wake-ups the redelivery applies
/// nothing twice.
pub async fn process_batch(app: &App, event: SqsEvent) -> Processed {
    let messages = event.records.len();
    let (maintenance, event_records): (Vec<SqsMessage>, Vec<SqsMessage>) = event
        .records
        .into_iter()
        .partition(|m| maintenance_task(m).is_some());
    let failed_maintenance = run_maintenance(app, &maintenance).await;
    let mut groups: BTreeMap<String, Vec<Received>> = BTreeMap::new();
    for message in event_records {
        let group = message
            .attributes
            .get("MessageGroupId")
            .cloned()
            .unwrap_or_default();
        let notice =
            serde_json::from_str::<FeedbackNotice>(message.body.as_deref().unwrap_or_default())
                .map_err(|e| format!("not a work notice: {e}"));
        if let Ok(notice) = &notice {
            tracing::info!(
                message_id = message.message_id.as_deref().unwrap_or_default(),
                tenant = %notice.tenant_id, feedback = %notice.feedback_id,
                users = notice.user_ids.len(), "notice received"
            );
        }
        groups
            .entry(group)
            .or_default()
            .push(Received { message, notice });
    }

    let mut users: BTreeSet<UserKey> = BTreeSet::new();
    let mut feedbacks: BTreeSet<UserKey> = BTreeSet::new();
    for group in groups.values() {
        for notice in group.iter().map_while(|r| r.notice.as_ref().ok()) {
            let tenant = &notice.tenant_id;
            users.extend(notice.user_ids.iter().map(|u| (tenant.clone(), u.clone())));
            feedbacks.insert((tenant.clone(), notice.feedback_id.clone()));
        }
    }
    let records = Records::default();
    let outcomes: HashMap<UserKey, Result<Applied, String>> = stream::iter(users)
        .map(|(tenant, user)| {
            let records = &records;
            async move {
                let outcome = apply_pending(
                    &app.store,
                    records,
                    &tenant,
                    &user,
                    app.accepting_deadline,
                    &app.settings,
                )
                .await
                .map_err(|e| e.to_string());
                ((tenant, user), outcome)
            }
        })
        .buffer_unordered(USERS_AT_ONCE)
        .collect()
        .await;

    let mut processed = Processed::default();
    for id in failed_maintenance {
        processed.response.add_failure(id);
    }
    for ((tenant, _), outcome) in &outcomes {
        if let Ok(applied) = outcome {
            processed.report += applied.report;
            feedbacks.extend(applied.touched.iter().map(|f| (tenant.clone(), f.clone())));
        }
    }
    let mut unannounced: BTreeSet<UserKey> = BTreeSet::new();
    for ((tenant, id), outcome) in
        publish_completed(&app.store, &app.events, feedbacks, USERS_AT_ONCE).await
    {
        match outcome {
            Ok(true) => processed.report.events_published += 1,
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(tenant = %tenant, feedback = %id, %error, "could not announce completion; SQS will redeliver");
                unannounced.insert((tenant, id));
            }
        }
    }

    for group in groups.into_values() {
        let mut failing = false;
        for received in group {
            if !failing {
                if let Some(error) = failure(&received, &outcomes, &unannounced) {
                    tracing::warn!(message_id = %received.id(), %error, "message failed; SQS will redeliver it");
                    mark_if_last_attempt(app, &received, &error).await;
                    failing = true;
                }
            }
            if failing {
                processed.response.add_failure(received.id());
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

fn maintenance_task(message: &SqsMessage) -> Option<Maintenance> {
    serde_json::from_str(message.body.as_deref().unwrap_or_default()).ok()
}

/// Runs the maintenance the batch asks for, once however many messages ask; returns the ids
/// of the messages to redeliver if it failed.
async fn run_maintenance(app: &App, messages: &[SqsMessage]) -> Vec<String> {
    if messages.is_empty() {
        return Vec::new();
    }
    match expire_pending(&app.store, app.pending_action_days, Utc::now()).await {
        Ok(expired) => {
            tracing::info!(
                expired,
                days = app.pending_action_days,
                "pending actions expired"
            );
            Vec::new()
        }
        Err(error) => {
            tracing::warn!(%error, "expiring pending actions failed; SQS will redeliver");
            messages
                .iter()
                .map(|m| m.message_id.clone().unwrap_or_default())
                .collect()
        }
    }
}

/// Why a message failed: it is not a notice, one of its users failed, or a feedback it led to
/// completing could not be announced.
fn failure(
    received: &Received,
    outcomes: &HashMap<UserKey, Result<Applied, String>>,
    unannounced: &BTreeSet<UserKey>,
) -> Option<String> {
    let notice = match &received.notice {
        Ok(notice) => notice,
        Err(error) => return Some(error.clone()),
    };
    let tenant = &notice.tenant_id;
    let unannounced = |feedback: &String| unannounced.contains(&(tenant.clone(), feedback.clone()));
    if unannounced(&notice.feedback_id) {
        return Some(format!("feedback {} not announced", notice.feedback_id));
    }
    for user in &notice.user_ids {
        match outcomes.get(&(tenant.clone(), user.clone())) {
            Some(Ok(applied)) => {
                if let Some(feedback) = applied.touched.iter().find(|f| unannounced(f)) {
                    return Some(format!("feedback {feedback} not announced"));
                }
            }
            Some(Err(error)) => return Some(format!("user {user}: {error}")),
            None => return Some(format!("user {user} was not processed")),
        }
    }
    None
}

/// On its last receive a failing notice goes to the dead-letter queue next: say so on the
/// feedback, so analysts see `failed` and why until it is redriven.
async fn mark_if_last_attempt(app: &App, received: &Received, error: &str) {
    let receives = received
        .message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(1);
    let Ok(notice) = &received.notice else {
        return;
    };
    if receives < app.max_receive_count {
        return;
    }
    let reason = format!("dead-lettered after {receives} attempts: {error}");
    match app
        .store
        .mark_failed(&notice.tenant_id, &notice.feedback_id, &reason)
        .await
    {
        Ok(()) => {
            tracing::warn!(tenant = %notice.tenant_id, feedback = %notice.feedback_id, %reason, "feedback failed");
            telemetry::feedback_failed();
        }
        Err(e) => {
            tracing::error!(feedback = %notice.feedback_id, error = %e, "could not mark the feedback failed")
        }
    }
}
