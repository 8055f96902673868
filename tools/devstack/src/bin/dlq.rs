//! `scripts/dlq list|redrive`: the feedback dead-letter queue of the stack `scripts/dev` runs.
//! `list` shows each dead letter (and marks its feedback `failed`); `redrive` moves them all
//! back to the feedback queue, where the processor applies them.

use riskfeedback_aws::DynamoStore;
use riskfeedback_devstack::dlq::{inspect, redrive};
use riskfeedback_devstack::provision::{local_sdk_config, LOCAL_PREFIX};

#[tokio::main]
async fn main() -> Result<(), String> {
    let command = std::env::args().nth(1).unwrap_or_default();
    let sdk = local_sdk_config().await?;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = |name: &str| {
        let sqs = sqs.clone();
        let queue = format!("{LOCAL_PREFIX}-{name}.fifo");
        async move {
            sqs.get_queue_url()
                .queue_name(&queue)
                .send()
                .await
                .map_err(|e| format!("no queue {queue} (is scripts/dev running?): {e}"))
                .map(|out| out.queue_url.unwrap_or_default())
        }
    };
    let dlq_url = url("FeedbackDeadLetterQueue").await?;
    match command.as_str() {
        "list" => {
            let table = format!("{LOCAL_PREFIX}-RiskFeedbackTable");
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
            let letters = inspect(&sqs, &dlq_url, &store).await?;
            println!("{} dead letter(s)", letters.len());
            for letter in letters {
                println!(
                    "{}  receives={}  {}",
                    letter.message_id, letter.receive_count, letter.body
                );
            }
        }
        "redrive" => {
            let moved = redrive(&sqs, &dlq_url, &url("FeedbackQueue").await?).await?;
            println!("{moved} message(s) moved back to the feedback queue");
        }
        _ => return Err("usage: dlq list | dlq redrive".to_string()),
    }
    Ok(())
}
