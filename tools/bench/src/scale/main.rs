//! `scripts/bench scale`: what lists cost as a tenant grows, and how ingest spreads its writes
//! (issue 18). Tenants of 1,000, 10,000 and 100,000 users, each with a detection, are written
//! straight into DynamoDB Local in bulk; each list and filter is then read a few pages through
//! the API, counting the DynamoDB requests and read units (`ReturnConsumedCapacity`) per page
//! and item, and the time to the first page. Then 1,000 detections go through ingest and
//! processing on a table whose stream tells which partition keys took the writes.
//!
//! Usage: scale <summary.json> [SIZE...]   (sizes default to 1000 10000 100000)

mod lists;
mod load;
mod spread;

use riskfeedback_tests::faults::FaultProxy;
use riskfeedback_tests::harness::TestStack;
use serde_json::{json, Value};

use crate::lists::{ListCost, LISTS};

type Result<T> = std::result::Result<T, String>;

/// Targets of issue 18.
const MAX_REQUESTS_PER_PAGE: f64 = 2.0;
const MAX_UNITS_GROWTH: f64 = 2.0;
const MAX_KEY_SHARE: f64 = 1.0 / 16.0;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("scale: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [summary_path, sizes @ ..] = args.as_slice() else {
        return Err("usage: scale <summary.json> [SIZE...]".into());
    };
    let sizes: Vec<usize> = if sizes.is_empty() {
        vec![1_000, 10_000, 100_000]
    } else {
        sizes
            .iter()
            .map(|s| s.parse().map_err(|_| format!("not a size: {s}")))
            .collect::<Result<_>>()?
    };

    let t = TestStack::new().await;
    let proxy = FaultProxy::start().await?;
    let measured = t.through(&proxy);
    let mut by_size: Vec<(usize, Vec<ListCost>)> = Vec::new();
    for &size in &sizes {
        let tenant = format!("scale-{size}");
        let took = load::principals(
            &t.stack.dynamodb,
            &t.stack.config.table_name,
            &tenant,
            size,
            size as u64,
        )
        .await?;
        println!(
            "\n{size} users and a detection each written in bulk in {:.1} s ({:.0} items/s)",
            took.as_secs_f64(),
            2.0 * size as f64 / took.as_secs_f64().max(1e-9)
        );
        println!(
            "  {:<22} {:>6} {:>10} {:>14} {:>14} {:>12}",
            "list", "items", "API/page", "DynamoDB/page", "units/item", "first ms"
        );
        let mut costs = Vec::new();
        for list in LISTS {
            let cost = lists::cost(&measured, &proxy, &tenant, list).await?;
            println!(
                "  {:<22} {:>6} {:>10.1} {:>14.1} {:>14} {:>12.1}",
                cost.list,
                cost.items,
                cost.api_calls as f64 / cost.pages.max(1) as f64,
                cost.requests_per_page(),
                cost.units_per_item()
                    .map_or("-".to_string(), |u| format!("{u:.3}")),
                cost.first_page_ms
            );
            costs.push(cost);
        }
        by_size.push((size, costs));
    }

    println!(
        "\nread units per item, largest tenant over smallest (target at most {MAX_UNITS_GROWTH}x):"
    );
    let mut growth = Vec::new();
    for (i, (name, _)) in LISTS.iter().enumerate() {
        let units: Vec<f64> = by_size
            .iter()
            .filter_map(|(_, costs)| costs[i].units_per_item())
            .collect();
        let ratio = match (units.first(), units.last()) {
            (Some(first), Some(last)) if *first > 0.0 => Some(last / first),
            _ => None,
        };
        let verdict = match ratio {
            Some(r) if r <= MAX_UNITS_GROWTH => "holds",
            Some(_) => "MISSES",
            None => "no items",
        };
        println!(
            "  {name:<22} {:>8}  {verdict}",
            ratio.map_or("-".to_string(), |r| format!("{r:.2}x"))
        );
        growth.push(json!({"list": name, "growth": ratio}));
    }
    let most_requests = by_size
        .iter()
        .flat_map(|(_, costs)| costs.iter().map(ListCost::requests_per_page))
        .fold(0.0, f64::max);
    println!(
        "API calls per page: 1 everywhere (target at most {MAX_REQUESTS_PER_PAGE}); DynamoDB requests per page: at most {most_requests:.1}"
    );

    let spread = spread::measure().await?;
    println!(
        "\ningest of {} detections for {} users: {} writes to {} partition keys; the busiest takes {:.1}% (target at most {:.2}%): {}",
        spread::DETECTIONS,
        spread::USERS,
        spread.total(),
        spread.writes.len(),
        spread.largest_share() * 100.0,
        MAX_KEY_SHARE * 100.0,
        if spread.largest_share() <= MAX_KEY_SHARE { "holds" } else { "MISSES" }
    );
    for (key, writes) in spread.busiest(5) {
        println!(
            "  {writes:>6}  {:>5.1}%  {key}",
            writes as f64 * 100.0 / spread.total().max(1) as f64
        );
    }

    let summary = json!({
        "sizes": by_size.iter().map(|(size, costs)| json!({
            "users": size,
            "lists": costs.iter().map(ListCost::json).collect::<Vec<Value>>(),
        })).collect::<Vec<Value>>(),
        "readUnitsGrowth": growth,
        "maxDynamodbRequestsPerPage": most_requests,
        "ingest": spread.json(),
    });
    if let Some(dir) = std::path::Path::new(summary_path).parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(
        summary_path,
        serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{summary_path}: {e}"))?;
    println!("\nwrote {summary_path}");
    Ok(())
}
