//! `scripts/peek-queue NAME`: prints the messages waiting on one of the local stack's queues
//! (`RemediationCommandQueue`, `EventsQueue`, `FeedbackDeadLetterQueue`, ...) without taking
//! them: they stay for their real consumer.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use riskfeedback_devstack::provision::{local_sdk_config, LOCAL_PREFIX};

#[tokio::main]
async fn main() -> Result<(), String> {
    let name = std::env::args()
        .nth(1)
        .ok_or("usage: peek-queue QUEUE (e.g. RemediationCommandQueue, EventsQueue, FeedbackDeadLetterQueue)")?;
    let sqs = aws_sdk_sqs::Client::new(&local_sdk_config().await?);
    let queue_name = format!("{LOCAL_PREFIX}-{name}.fifo");
    let url = sqs
        .get_queue_url()
        .queue_name(&queue_name)
        .send()
        .await
        .map_err(|e| {
            format!(
                "no queue {queue_name} (is scripts/dev running?): {}",
                aws_sdk_sqs::error::DisplayErrorContext(&e)
            )
        })?
        .queue_url
        .unwrap_or_default();
    let out = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        // Visible again at once: peeking takes nothing away from the consumer.
        .visibility_timeout(0)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .map_err(|e| format!("receive: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    let messages = out.messages.unwrap_or_default();
    if messages.is_empty() {
        println!("{queue_name}: empty");
    }
    for message in messages {
        let body = message.body.unwrap_or_default();
        let pretty = serde_json::from_str::<serde_json::Value>(&body)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or(body);
        println!("{pretty}");
    }
    Ok(())
}
