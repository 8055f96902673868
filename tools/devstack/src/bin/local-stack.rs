//! `scripts/dev`: the whole system on this machine. Creates the template's table and queues on
//! the local endpoints, serves the API like API Gateway at RISKFEEDBACK_PORT, drives the
//! processor from the feedback queue like the SQS event source mapping, and asks every minute
//! for the maintenance the template schedules (pending actions' expiry).
//!
//! With RISKFEEDBACK_SAM_ENV_JSON set (`scripts/sam-local up`), it also writes there the
//! `--env-vars` file `sam local` needs to run the functions against the same table and queues.

use std::sync::Arc;

use riskfeedback_devstack::executor::Executor;
use riskfeedback_devstack::gateway::Gateway;
use riskfeedback_devstack::poller::Poller;
use riskfeedback_devstack::provision::{Options, Stack, LOCAL_PREFIX};
use riskfeedback_devstack::token;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let port = std::env::var("RISKFEEDBACK_PORT").unwrap_or_else(|_| "3000".to_string());
    let stack = Stack::create(LOCAL_PREFIX, &Options::default()).await?;
    if let Ok(path) = std::env::var("RISKFEEDBACK_SAM_ENV_JSON") {
        write_sam_env_vars(&stack, &path)?;
    }
    let listener = TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port} ({e}); is scripts/dev already running? Set RISKFEEDBACK_PORT to use another port"))?;
    let gateway = Arc::new(Gateway::new(&stack, token::secret()));
    let poller = Poller {
        sqs: stack.sqs.clone(),
        queue_url: stack.config.feedback_queue_url.clone(),
        app: risk_processor::App::new(&stack.sdk, &stack.config),
    };
    // The console signs in with this token (all roles, tenant contoso) from its address.
    let console_token = token::mint(
        &token::Identity {
            tenant: "contoso".to_string(),
            user: "local-analyst".to_string(),
            name: "Local Analyst".to_string(),
            roles: riskfeedback::role::Role::ALL
                .iter()
                .map(|r| r.name().to_string())
                .collect(),
            ttl_seconds: 12 * 3600,
        },
        &token::secret(),
    )?;
    println!("\nConsole: http://127.0.0.1:{port}/console/#token={console_token}");
    println!(
        "\nriskfeedback is up: http://127.0.0.1:{port}\n\
         \n  table        {}\n  feedback     {}\n  dead letters {}\n  events       {}\n  commands     {}\n\
         \nMint a token (tenant, roles) and call the API, for example:\n\
         \n  TOKEN=$(cargo run -q -p riskfeedback-devstack --bin mint-token -- --tenant contoso --roles Risk.Read,Risk.Feedback,Signals.Ingest)\
         \n  curl -s -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:{port}/risky-users\n\
         \nscripts/peek-queue RemediationCommandQueue (or EventsQueue, FeedbackDeadLetterQueue) shows a queue.\
         \nThe README walks through the seed scenarios. Ctrl-C stops everything.\n",
        stack.config.table_name,
        stack.config.feedback_queue_url,
        stack.queue_url("FeedbackDeadLetterQueue"),
        stack.config.events_queue_url,
        stack.config.remediation_command_queue_url,
    );
    let maintenance = poller.clone();
    // RISKFEEDBACK_SAMPLE_EXECUTOR=1: the sample executor takes the commands and reports back.
    if std::env::var("RISKFEEDBACK_SAMPLE_EXECUTOR").is_ok_and(|v| v == "1") {
        let executor = Executor::new(
            stack.sqs.clone(),
            stack.config.remediation_command_queue_url.clone(),
            format!("http://127.0.0.1:{port}"),
        );
        tokio::spawn(executor.run());
        println!("The sample executor takes the remediation commands and reports them done.");
    }
    tokio::select! {
        _ = gateway.serve(listener) => {}
        _ = maintenance.schedule(std::time::Duration::from_secs(60)) => {}
        _ = poller.run() => {}
        _ = tokio::signal::ctrl_c() => println!("stopping"),
    }
    Ok(())
}

/// `scripts/dev`'s tokens work under `sam local start-api` too: the same secret.
fn write_sam_env_vars(stack: &Stack, path: &str) -> Result<(), String> {
    let env_vars = stack.sam_env_vars(&token::secret())?;
    let text = serde_json::to_string_pretty(&env_vars).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}"))?;
    println!("wrote {path} for sam local --env-vars");
    Ok(())
}
