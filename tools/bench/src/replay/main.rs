//! `scripts/replay`: does feedback teach? A synthetic tenant's month of detections goes through
//! the real service (the handlers, the processor, DynamoDB Local and the local SQS endpoint)
//! twice at once: with teaching on, as deployed, and with teaching off (no detection type judged
//! by context, so feedback changes state and counts only). Each day an oracle analyst gives the
//! right feedback on the first alerts of the day. The report compares the two, day by day, and
//! checks issue 15's targets.
//!
//! Usage: replay <report.json> <chart.svg> [--users N] [--days N] [--seed N] [--capacity N]

mod report;
mod tenant;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use futures::stream::{self, StreamExt};
use riskfeedback::familiar::ContextTypes;
use riskfeedback::risk::Settings;
use riskfeedback_tests::harness::{As, TestStack};
use serde_json::{json, Value};

use crate::report::{Cause, DayFigures};
use crate::tenant::{Event, Tenant, Truth};

const TENANT: &str = "replay";
const USAGE: &str =
    "usage: replay <report.json> <chart.svg> [--users N] [--days N] [--seed N] [--capacity N]";

type Result<T> = std::result::Result<T, String>;

#[derive(Debug, Clone, Copy)]
struct Options {
    users: usize,
    days: u32,
    seed: u64,
    /// Alerts the analyst handles a day.
    capacity: usize,
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("replay: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [report_path, chart_path, rest @ ..] = args.as_slice() else {
        return Err(USAGE.into());
    };
    let mut options = Options {
        users: 500,
        days: 30,
        seed: 15,
        capacity: 30,
    };
    for pair in rest.chunks(2) {
        let [name, value] = pair else {
            return Err(USAGE.into());
        };
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{name} takes a number, not {v:?}"))
        };
        match name.as_str() {
            "--users" => options.users = number(value)? as usize,
            "--days" => options.days = number(value)? as u32,
            "--seed" => options.seed = number(value)?,
            "--capacity" => options.capacity = number(value)? as usize,
            _ => return Err(USAGE.into()),
        }
    }
    let mut tenant = Tenant::new(options.seed, options.users, options.days);
    let days: Vec<Vec<Event>> = (0..options.days).map(|d| tenant.day(d)).collect();
    let total: usize = days.iter().map(Vec::len).sum();
    eprintln!(
        "replay: {} users, {} days, {total} detections, seed {}, the analyst handles {} alerts a day",
        options.users, options.days, options.seed, options.capacity
    );
    let days = Arc::new(days);
    let started = std::time::Instant::now();
    let (on, off) = tokio::join!(
        replay(days.clone(), true, options),
        replay(days.clone(), false, options)
    );
    let (on, off) = (on?, off?);
    eprintln!(
        "replay: both runs took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let summary = report::summarise(&on, &off, options.days);
    print!("{}", report::table(&on, &off, &summary));
    std::fs::write(chart_path, report::chart(&on, &off))
        .map_err(|e| format!("{chart_path}: {e}"))?;
    let json = json!({
        "options": {"users": options.users, "days": options.days, "seed": options.seed, "capacity": options.capacity},
        "teachingOn": on,
        "teachingOff": off,
        "summary": summary,
    });
    let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    std::fs::write(report_path, text).map_err(|e| format!("{report_path}: {e}"))?;
    eprintln!("replay: wrote {report_path} and {chart_path}");
    if summary.targets_hold() {
        Ok(())
    } else {
        Err("a target does not hold (see the table)".into())
    }
}

/// One month of the tenant through a stack of its own, teaching on or off.
async fn replay(
    days: Arc<Vec<Vec<Event>>>,
    teaching: bool,
    options: Options,
) -> Result<Vec<DayFigures>> {
    let mut t = TestStack::new().await;
    if !teaching {
        t.poller.app.settings = Settings {
            context_types: Arc::new(ContextTypes {
                network: Default::default(),
                location: Default::default(),
            }),
            ..t.poller.app.settings.clone()
        };
    }
    let analyst = As::analyst(TENANT);
    let mut alerted: HashSet<String> = HashSet::new();
    let mut figures = Vec::new();
    for (day, events) in days.iter().enumerate() {
        for batch in events.chunks(100) {
            let detections: Vec<Value> = batch.iter().map(|e| e.detection.clone()).collect();
            let answer = t
                .call(
                    &analyst,
                    "POST",
                    "/risk-detections",
                    Some(json!({ "detections": detections })),
                )
                .await;
            if answer.status != 202 {
                return Err(format!("ingestion refused: {answer:?}"));
            }
        }
        t.drain().await;
        let stored = stored_today(&t, &analyst, events).await?;
        let mut today = DayFigures::new(day as u32 + 1);
        let mut alerts = Vec::new();
        for event in events {
            let Some(detection) = stored.get(event.id()) else {
                return Err(format!("detection {} was not stored", event.id()));
            };
            let raised = detection["riskState"] == "atRisk";
            let cause = detection["taughtBy"]["cause"]
                .as_str()
                .map(Cause::from_name);
            today.count(event, raised, cause, &mut alerted);
            if raised {
                alerts.push(event);
            }
        }
        today.analyst_actions = give_feedback(&t, &analyst, &alerts, options.capacity).await?;
        t.drain().await;
        eprintln!(
            "replay: teaching {}: day {:>2}: {:>3} alerts, {:>3} false positive, {:>3} repeats",
            if teaching { "on " } else { "off" },
            today.day,
            today.alerts,
            today.false_positive_alerts,
            today.repeat_false_positive_alerts
        );
        figures.push(today);
    }
    Ok(figures)
}

/// The day's detections as the service stored them, read per user.
async fn stored_today(
    t: &TestStack,
    analyst: &As,
    events: &[Event],
) -> Result<HashMap<String, Value>> {
    let users: HashSet<&str> = events.iter().map(Event::user).collect();
    let pages: Vec<Result<Vec<Value>>> = stream::iter(users)
        .map(|user| async move {
            let answer = t
                .call(
                    analyst,
                    "GET",
                    &format!("/risk-detections?userId={user}&limit=500"),
                    None,
                )
                .await;
            match answer.body["value"].as_array() {
                Some(list) if answer.status == 200 => Ok(list.clone()),
                _ => Err(format!("listing {user}'s detections: {answer:?}")),
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut stored = HashMap::new();
    for page in pages {
        for d in page? {
            stored.insert(d["id"].as_str().unwrap_or_default().to_string(), d);
        }
    }
    Ok(stored)
}

/// The oracle analyst: the right feedback on the first `capacity` alerts of the day, one
/// decision per sign-in (or per user, for an attack not linked to a sign-in), sent in bulk.
/// Returns the decisions made.
async fn give_feedback(
    t: &TestStack,
    analyst: &As,
    alerts: &[&Event],
    capacity: usize,
) -> Result<u32> {
    let mut calls: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut decided = HashSet::new();
    for event in alerts.iter().take(capacity) {
        let (path, target) = match (&event.truth, event.sign_in()) {
            (Truth::Benign { .. }, Some(s)) => ("/risky-signins/confirm-safe", s),
            (Truth::Attack(_), Some(s)) => ("/risky-signins/confirm-compromised", s),
            (_, None) => ("/risky-users/confirm-compromised", event.user()),
        };
        if decided.insert(target.to_string()) {
            calls.entry(path).or_default().push(target.to_string());
        }
    }
    for (path, targets) in &calls {
        let field = if path.starts_with("/risky-signins") {
            "signInIds"
        } else {
            "userIds"
        };
        for chunk in targets.chunks(60) {
            let answer = t
                .call(analyst, "POST", path, Some(json!({ field: chunk })))
                .await;
            if answer.status != 202 {
                return Err(format!("{path} refused: {answer:?}"));
            }
        }
    }
    Ok(decided.len() as u32)
}
