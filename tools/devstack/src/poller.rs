//! Drives the risk processor from the feedback queue the way the SQS event source mapping does:
//! receive a batch, invoke the handler with an SQS event, delete what succeeded, and leave the
//! reported failures to come back after the visibility timeout (and, past `maxReceiveCount`,
//! to move to the dead-letter queue).

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};
use risk_processor::{process_batch, App};
use riskfeedback::queue::{Maintenance, Message, Queue};
use riskfeedback_aws::SqsQueue;

/// The SQS event record the event source mapping builds for a received message.
pub fn sqs_record(message: &aws_sdk_sqs::types::Message) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = message.message_id.clone();
    record.receipt_handle = message.receipt_handle.clone();
    record.body = message.body.clone();
    record.md5_of_body = message.md5_of_body.clone();
    record.attributes = message
        .attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.as_str().to_string(), value.clone()))
        .collect();
    record.event_source = Some("aws:sqs".to_string());
    record
}

#[derive(Clone, Debug)]
pub struct Poller {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub app: App,
}

/// What one poll did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    pub received: usize,
    pub failed: usize,
    /// Optimistic-concurrency retries the processor made.
    pub conflicts: u32,
}

impl Poller {
    /// Receives at most one batch (up to 10 messages) and processes it.
    pub async fn poll_once(&self, wait_seconds: i32) -> Result<PollReport, String> {
        let mut conflicts = 0;
        let (received, failed) = poll_batch(&self.sqs, &self.queue_url, wait_seconds, |event| {
            let conflicts = &mut conflicts;
            async move {
                let processed = process_batch(&self.app, event).await;
                *conflicts = processed.report.conflicts;
                Ok(processed.response)
            }
        })
        .await?;
        Ok(PollReport {
            received,
            failed,
            conflicts,
        })
    }

    /// Messages in the queue, visible or in flight.
    pub async fn backlog(&self) -> Result<u64, String> {
        backlog(&self.sqs, &self.queue_url).await
    }

    /// Polls until the queue is empty (failed messages included: they come back, and after
    /// `maxReceiveCount` receives move to the dead-letter queue), or until `timeout`.
    pub async fn drain(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let report = self.poll_once(0).await?;
            if report.received == 0 {
                if self.backlog().await? == 0 {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if Instant::now() > deadline {
                return Err(format!("queue not drained within {timeout:?}"));
            }
        }
    }

    /// Puts a maintenance task on the feedback queue, as the template's schedule does.
    pub async fn request(&self, task: Maintenance) -> Result<(), String> {
        let queue = SqsQueue::new(self.sqs.clone(), &self.queue_url);
        queue
            .send(&[Message::maintenance(task, chrono::Utc::now())])
            .await
            .map_err(|e| e.to_string())
    }

    /// Asks for the maintenance the template schedules, every `every`, forever; for
    /// `scripts/dev`, in place of `PendingActionExpirySchedule`.
    pub async fn schedule(&self, every: Duration) {
        loop {
            if let Err(error) = self.request(Maintenance::ExpirePendingActions).await {
                tracing::warn!(%error, "could not ask for pending actions' expiry");
            }
            tokio::time::sleep(every).await;
        }
    }

    /// Polls forever, as the event source mapping would; for `scripts/dev`.
    pub async fn run(self) {
        loop {
            match self.poll_once(1).await {
                Ok(report) if report.received > 0 => {
                    tracing::info!(
                        received = report.received,
                        failed = report.failed,
                        "processed a batch"
                    )
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "polling the feedback queue failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

/// Receives at most one batch (up to 10 messages) from a queue, hands it to `handle` as the
/// event source mapping hands it to the function, and deletes the messages `handle` did not
/// report failed. Returns how many were received and how many failed.
pub async fn poll_batch<F, Fut>(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    wait_seconds: i32,
    handle: F,
) -> Result<(usize, usize), String>
where
    F: FnOnce(SqsEvent) -> Fut,
    Fut: Future<Output = Result<SqsBatchResponse, String>>,
{
    let out = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| format!("receive: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    let messages = out.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok((0, 0));
    }
    let receipts: HashMap<String, String> = messages
        .iter()
        .map(|m| {
            let id = m.message_id.clone().unwrap_or_default();
            (id, m.receipt_handle.clone().unwrap_or_default())
        })
        .collect();
    let mut event = SqsEvent::default();
    event.records = messages.iter().map(sqs_record).collect();
    let received = event.records.len();
    let failed: Vec<String> = handle(event)
        .await?
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    let entries = receipts
        .into_iter()
        .filter(|(id, _)| !failed.contains(id))
        .enumerate()
        .map(|(i, (_, receipt))| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(receipt)
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !entries.is_empty() {
        sqs.delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| format!("delete: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    }
    Ok((received, failed.len()))
}

/// Messages in a queue, visible or in flight. moto counts the visible and the in-flight messages
/// at two different instants, so a message whose visibility timeout ends between them is
/// counted in neither: an empty answer is confirmed by a second look.
pub async fn backlog(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Result<u64, String> {
    let first = count_messages(sqs, queue_url).await?;
    if first > 0 {
        return Ok(first);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    count_messages(sqs, queue_url).await
}

async fn count_messages(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Result<u64, String> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(|e| {
            format!(
                "attributes: {}",
                aws_sdk_sqs::error::DisplayErrorContext(&e)
            )
        })?;
    Ok(out
        .attributes
        .unwrap_or_default()
        .values()
        .filter_map(|v| v.parse::<u64>().ok())
        .sum())
}
