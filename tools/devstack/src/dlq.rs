//! The dead-letter queue of the feedback queue, locally: list what is there (marking each
//! notice's feedback `failed`, in case the processor could not), and redrive it to the
//! feedback queue. Deployed, `aws sqs start-message-move-task` redrives; see the README.

use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};
use riskfeedback::queue::FeedbackNotice;
use riskfeedback::store::FeedbackStore;

/// One dead-lettered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub message_id: String,
    pub receive_count: String,
    pub body: String,
    /// The notice, when the body is one.
    pub notice: Option<FeedbackNotice>,
}

fn sqs_error<E: std::error::Error + 'static>(
    what: &str,
    e: aws_sdk_sqs::error::SdkError<E>,
) -> String {
    format!("{what}: {}", aws_sdk_sqs::error::DisplayErrorContext(&e))
}

/// Lists the dead letters without taking them, and marks each notice's feedback `failed`.
pub async fn inspect(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    store: &impl FeedbackStore,
) -> Result<Vec<DeadLetter>, String> {
    let mut letters: Vec<DeadLetter> = Vec::new();
    // Peeking leaves every message visible, so receive until a round brings nothing new.
    for _ in 0..100 {
        let out = sqs
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| sqs_error("receive", e))?;
        let fresh: Vec<_> = out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter(|m| {
                !letters
                    .iter()
                    .any(|l| Some(&l.message_id) == m.message_id.as_ref())
            })
            .collect();
        if fresh.is_empty() {
            break;
        }
        for message in fresh {
            let id = message.message_id.clone().unwrap_or_default();
            let body = message.body.clone().unwrap_or_default();
            let notice: Option<FeedbackNotice> = serde_json::from_str(&body).ok();
            if let Some(notice) = &notice {
                store
                    .mark_failed(
                        &notice.tenant_id,
                        &notice.feedback_id,
                        "dead-lettered; redrive the feedback dead-letter queue to retry",
                    )
                    .await
                    .map_err(|e| e.to_string())?;
            }
            letters.push(DeadLetter {
                message_id: id,
                receive_count: message
                    .attributes
                    .and_then(|a| {
                        a.get(&MessageSystemAttributeName::ApproximateReceiveCount)
                            .cloned()
                    })
                    .unwrap_or_default(),
                body,
                notice,
            });
        }
    }
    Ok(letters)
}

/// Moves every dead letter back to the feedback queue (same group, fresh de-duplication id);
/// returns how many moved.
pub async fn redrive(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    queue_url: &str,
) -> Result<usize, String> {
    let mut moved = 0;
    loop {
        let out = sqs
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| sqs_error("receive", e))?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(moved);
        }
        let stamp = chrono::Utc::now().timestamp_millis();
        for message in messages {
            let attributes = message.attributes.clone().unwrap_or_default();
            let group = attributes
                .get(&MessageSystemAttributeName::MessageGroupId)
                .cloned()
                .unwrap_or_else(|| "redriven".to_string());
            let dedup = attributes
                .get(&MessageSystemAttributeName::MessageDeduplicationId)
                .cloned()
                .unwrap_or_default();
            let entry = SendMessageBatchRequestEntry::builder()
                .id("0")
                .message_body(message.body.clone().unwrap_or_default())
                .message_group_id(group)
                .message_deduplication_id(format!(
                    "{}-redrive-{stamp}",
                    &dedup[..dedup.len().min(64)]
                ))
                .build()
                .map_err(|e| e.to_string())?;
            sqs.send_message_batch()
                .queue_url(queue_url)
                .entries(entry)
                .send()
                .await
                .map_err(|e| sqs_error("send", e))?;
            sqs.delete_message()
                .queue_url(dlq_url)
                .receipt_handle(message.receipt_handle.clone().unwrap_or_default())
                .send()
                .await
                .map_err(|e| sqs_error("delete", e))?;
            moved += 1;
        }
    }
}
