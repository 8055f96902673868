//! The one `Queue`: Amazon SQS, sending in batches of up to ten.

use async_trait::async_trait;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;

use riskfeedback::queue::{Message, Queue, QueueError};

/// SQS's limit on the entries of one `SendMessageBatch`.
const MAX_BATCH_ENTRIES: usize = 10;

#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        SqsQueue {
            client,
            url: url.into(),
        }
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, messages: &[Message]) -> Result<(), QueueError> {
        for chunk in messages.chunks(MAX_BATCH_ENTRIES) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(&m.body)
                        .message_group_id(&m.group_id)
                        .message_deduplication_id(&m.deduplication_id)
                        .build()
                        .map_err(|e| QueueError(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string()))?;
            if let Some(failed) = out.failed.first() {
                return Err(QueueError(format!(
                    "{} of {} messages not sent: {}",
                    out.failed.len(),
                    chunk.len(),
                    failed.message.as_deref().unwrap_or(&failed.code)
                )));
            }
        }
        Ok(())
    }
}
