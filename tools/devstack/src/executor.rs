//! A sample executor: the identity provider's side of the remediation command queue, for
//! someone writing a real one. It takes commands off the queue, carries each out once (keyed by
//! its `commandId`, since the queue may deliver one twice), and reports back through the API as
//! a `Signals.Ingest` caller of the command's tenant. Carrying out is where a real executor calls
//! its identity provider (for Entra: reset the password, set `accountEnabled` false, revoke
//! sign-in sessions); this one only logs it. `RISKFEEDBACK_SAMPLE_EXECUTOR=1 scripts/dev` runs it.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use riskfeedback::remediation::RemediationCommand;
use serde_json::{json, Value};

use crate::token;

pub struct Executor {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    /// Where the API answers, e.g. `http://127.0.0.1:3000`.
    pub api: String,
    /// Commands carried out, by `commandId`.
    done: Mutex<HashSet<String>>,
}

impl Executor {
    pub fn new(sqs: aws_sdk_sqs::Client, queue_url: String, api: String) -> Executor {
        Executor {
            sqs,
            queue_url,
            api,
            done: Mutex::default(),
        }
    }

    /// Takes up to 10 commands off the queue, carries out and reports each, and deletes those
    /// reported; a command whose report failed comes back after the queue's visibility timeout.
    /// Returns how many were reported.
    pub async fn run_once(&self, wait_seconds: i32) -> Result<usize, String> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait_seconds)
            .send()
            .await
            .map_err(|e| format!("receiving commands: {e}"))?;
        let mut reported = 0;
        for message in received.messages.unwrap_or_default() {
            let body = message.body().unwrap_or_default();
            let command: RemediationCommand = serde_json::from_str(body)
                .map_err(|e| format!("not a remediation command ({e}): {body}"))?;
            self.carry_out(&command);
            if let Err(error) = self.report(&command).await {
                tracing::warn!(command = %command.command_id, %error, "report failed; the command comes back");
                continue;
            }
            self.sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .map_err(|e| format!("deleting a command: {e}"))?;
            reported += 1;
        }
        Ok(reported)
    }

    /// Takes commands forever.
    pub async fn run(self) {
        loop {
            if let Err(error) = self.run_once(1).await {
                tracing::warn!(%error, "the sample executor failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }

    fn carry_out(&self, command: &RemediationCommand) {
        let first = self
            .done
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(command.command_id.clone());
        if first {
            tracing::info!(command = %command.command, entity = %command.entity.id, tenant = %command.tenant_id, "sample executor: carried out");
        }
    }

    /// Reports the command done, as `Signals.Ingest` of its tenant.
    async fn report(&self, command: &RemediationCommand) -> Result<(), String> {
        let (path, body) = report_of(command, chrono::Utc::now());
        let identity = token::Identity {
            tenant: command.tenant_id.clone(),
            user: "sample-executor".to_string(),
            name: "Sample executor".to_string(),
            roles: vec!["Signals.Ingest".to_string()],
            ttl_seconds: 300,
        };
        let bearer = token::mint(&identity, &token::secret())?;
        let url = url::Url::parse(&self.api)
            .and_then(|base| base.join(&path))
            .map_err(|e| format!("{}: {e}", self.api))?;
        let request = http::Request::post(url.as_str())
            .header("authorization", format!("Bearer {bearer}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        let client = Client::builder(TokioExecutor::new()).build_http();
        let answer = client.request(request).await.map_err(|e| e.to_string())?;
        let status = answer.status();
        let text = answer
            .into_body()
            .collect()
            .await
            .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
            .unwrap_or_default();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("{path} answered {status}: {text}"))
        }
    }
}

/// Where and what an executor reports for a command it carried out: an undo's result, or the
/// action done.
pub fn report_of(
    command: &RemediationCommand,
    now: chrono::DateTime<chrono::Utc>,
) -> (String, Value) {
    let action: String = url::form_urlencoded::byte_serialize(command.action_id.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    if command.command != command.action_type {
        return (
            format!("/remediation-actions/{action}/undo-result"),
            json!({"status": "undone", "commandId": command.command_id}),
        );
    }
    (
        "/remediation-actions".to_string(),
        json!({"actions": [{
            "id": command.action_id,
            "investigationId": command.investigation_id,
            "actionType": command.action_type,
            "entity": command.entity,
            "status": "completed",
            "createdDateTime": command.requested_date_time,
            "completedDateTime": now,
        }]}),
    )
}
