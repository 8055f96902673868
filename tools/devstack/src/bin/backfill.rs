//! The one-off backfill of a table written before the lists were spread over shards (README
//! "Upgrading a deployed stack"):
//!
//!   backfill --table NAME [--state FILE] [--page ITEMS]
//!
//! DynamoDB is reached as the SDK's standard environment says (`AWS_PROFILE`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL_DYNAMODB`, ...). Where the scan has got to is written to the state file
//! (`backfill.state` by default) after every page; run the same command again to resume from
//! there. It ends by removing the file. A second run over a backfilled table writes nothing.

use std::path::PathBuf;

use riskfeedback_aws::dynamo::BackfillCounts;
use riskfeedback_aws::DynamoStore;

struct Args {
    table: String,
    state: PathBuf,
    page: i32,
}

fn args() -> Result<Args, String> {
    let mut table = None;
    let mut state = PathBuf::from("backfill.state");
    let mut page = 100;
    let mut given = std::env::args().skip(1);
    while let Some(name) = given.next() {
        let mut value = || given.next().ok_or(format!("{name} needs a value"));
        match name.as_str() {
            "--table" => table = Some(value()?),
            "--state" => state = PathBuf::from(value()?),
            "--page" => {
                page = value()?
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or("--page takes 1 to 1000 items")?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        table: table.ok_or("usage: backfill --table NAME [--state FILE] [--page ITEMS]")?,
        state,
        page,
    })
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = args()?;
    let sdk = riskfeedback_aws::sdk::load_sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &args.table);
    let mut resume = match std::fs::read_to_string(&args.state) {
        Ok(text) => {
            eprintln!("resuming from {}", args.state.display());
            Some(text)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("{}: {e}", args.state.display())),
    };
    let mut total = BackfillCounts::default();
    loop {
        let page = store
            .backfill_lists(resume.as_deref(), args.page)
            .await
            .map_err(|e| format!("{e} (the state file keeps where this run got to)"))?;
        total += page.counts;
        eprintln!(
            "scanned {} items: {} given their list keys, {} already current, {} moved by a step",
            total.scanned, total.updated, total.current, total.moved
        );
        resume = page.resume;
        match &resume {
            Some(next) => std::fs::write(&args.state, next)
                .map_err(|e| format!("{}: {e}", args.state.display()))?,
            None => break,
        }
    }
    match std::fs::remove_file(&args.state) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("{}: {e}", args.state.display()))
        }
        _ => Ok(()),
    }
}
