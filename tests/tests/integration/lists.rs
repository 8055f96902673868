//! SPEC 8's list rules against DynamoDB Local: risky principals list newest
//! `riskLastUpdatedDateTime` first; a filtered list fills each page however few items match;
//! and a client paging through a filter while writes go on sees every item that did not move,
//! once, in order.

use std::collections::HashSet;

use riskfeedback_tests::harness::{detection, ids, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";

fn analyst() -> As {
    As::analyst(TENANT)
}

async fn get(t: &TestStack, path: &str) -> Value {
    t.get_ok(&analyst(), path).await
}

/// Every page of `path` (which has its query), each checked to be full but the last.
async fn every_page(t: &TestStack, path: &str, limit: usize) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let at = match &cursor {
            Some(c) => format!("{path}&limit={limit}&cursor={c}"),
            None => format!("{path}&limit={limit}"),
        };
        let page = get(t, &at).await;
        let value = page["value"].as_array().cloned().unwrap_or_default();
        cursor = page["nextCursor"].as_str().map(str::to_string);
        let last = cursor.is_none();
        assert!(
            value.len() == limit || last,
            "{at}: a page of {} before the end",
            value.len()
        );
        pages.push(value);
        if last {
            return pages;
        }
    }
}

fn ids_of(users: &[Value]) -> Vec<String> {
    ids(&json!({ "value": users }))
}

fn assert_newest_first(users: &[Value]) {
    let times: Vec<&str> = users
        .iter()
        .map(|u| u["riskLastUpdatedDateTime"].as_str().unwrap_or_default())
        .collect();
    for pair in times.windows(2) {
        assert!(pair[0] >= pair[1], "not newest first: {times:?}");
    }
}

/// `count` users, `user-{first}` on, each at risk at one level of `levels` in turn, each
/// processed after the one before.
async fn at_risk(t: &TestStack, first: usize, count: usize, levels: &[&str]) {
    for i in first..first + count {
        let level = levels[i % levels.len()];
        t.ingest(
            &analyst(),
            vec![detection(
                &format!("d-{i}"),
                &format!("user-{i:03}"),
                level,
                None,
            )],
        )
        .await;
    }
}

#[tokio::test]
async fn risky_users_list_newest_first_and_every_filter_fills_its_pages() {
    let t = TestStack::new().await;
    at_risk(&t, 0, 24, &["low", "medium", "high"]).await;
    for i in [1, 4, 7] {
        let answer = t
            .call(
                &analyst(),
                "POST",
                "/risky-users/dismiss",
                Some(json!({"userIds": [format!("user-{i:03}")]})),
            )
            .await;
        assert_eq!(answer.status, 202, "{answer:?}");
        t.drain().await;
    }

    let all: Vec<Value> = every_page(&t, "/risky-users?", 5).await.concat();
    assert_eq!(all.len(), 24);
    assert_newest_first(&all);
    let newest: Vec<String> = ids_of(&all).into_iter().take(3).collect();
    assert_eq!(
        newest,
        ["user-007", "user-004", "user-001"],
        "dismissed last"
    );

    for (query, expected) in [
        ("riskLevel=high", 8),
        ("riskState=atRisk", 21),
        ("riskState=dismissed", 3),
        ("riskLevel=medium&riskState=atRisk", 5),
        ("riskLevel=high&riskState=dismissed", 0),
    ] {
        let listed: Vec<Value> = every_page(&t, &format!("/risky-users?{query}"), 3)
            .await
            .concat();
        assert_eq!(listed.len(), expected, "{query}");
        assert_newest_first(&listed);
        for (name, value) in query.split('&').filter_map(|p| p.split_once('=')) {
            assert!(
                listed.iter().all(|u| u[name] == value),
                "{query}: {listed:?}"
            );
        }
    }
}

#[tokio::test]
async fn paging_a_filter_while_writes_go_on_sees_each_unmoved_user_once() {
    let t = TestStack::new().await;
    at_risk(&t, 0, 12, &["high", "low"]).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut writes = 100;
    loop {
        let path = match &cursor {
            Some(c) => format!("/risky-users?riskLevel=high&limit=2&cursor={c}"),
            None => "/risky-users?riskLevel=high&limit=2".to_string(),
        };
        let page = get(&t, &path).await;
        seen.extend(page["value"].as_array().cloned().unwrap_or_default());
        cursor = page["nextCursor"].as_str().map(str::to_string);
        if cursor.is_none() {
            break;
        }
        // Between pages, new users at risk come in at the top of the list.
        at_risk(&t, writes, 2, &["high"]).await;
        writes += 2;
    }
    let seen_ids = ids_of(&seen);
    let unique: HashSet<&String> = seen_ids.iter().collect();
    assert_eq!(unique.len(), seen_ids.len(), "twice: {seen_ids:?}");
    let first: Vec<String> = (0..12)
        .filter(|i| i % 2 == 0)
        .map(|i| format!("user-{i:03}"))
        .collect();
    for id in &first {
        assert!(seen_ids.contains(id), "{id} missing from {seen_ids:?}");
    }
    assert_newest_first(&seen);
    let now = every_page(&t, "/risky-users?riskLevel=high", 50)
        .await
        .concat();
    assert_eq!(now.len(), 6 + (writes - 100), "every write is listed now");
    assert_eq!(now[0]["id"], format!("user-{:03}", writes - 1));
}

#[tokio::test]
async fn a_cursor_pages_only_the_list_it_came_from() {
    let t = TestStack::new().await;
    at_risk(&t, 0, 3, &["high"]).await;
    let first = get(&t, "/risky-users?riskLevel=high&limit=1").await;
    let cursor = first["nextCursor"].as_str().unwrap_or_default();
    assert!(!cursor.is_empty(), "{first}");
    for other in [
        "/risky-users?riskLevel=low",
        "/risky-users?",
        "/risky-service-principals?riskLevel=high",
    ] {
        let answer = t
            .call(&analyst(), "GET", &format!("{other}&cursor={cursor}"), None)
            .await;
        assert_eq!(
            answer.problem(400)["errors"][0]["field"],
            "cursor",
            "{other}"
        );
    }
}

fn assert_newest_first_by(items: &[Value], field: &str) {
    let times: Vec<&str> = items
        .iter()
        .map(|d| d[field].as_str().unwrap_or_default())
        .collect();
    for pair in times.windows(2) {
        assert!(pair[0] >= pair[1], "not newest first by {field}: {times:?}");
    }
}

#[tokio::test]
async fn detections_and_sign_ins_list_newest_first_by_every_filter() {
    let t = TestStack::new().await;
    let mut detections = Vec::new();
    for i in 0..24 {
        let sign_in = format!("s-{i:02}");
        let mut d = detection(
            &format!("d-{i:02}"),
            &format!("user-{}", i % 4),
            ["low", "medium", "high"][i % 3],
            (i % 2 == 0).then_some(sign_in.as_str()),
        );
        // Detected in an order of their own, unlike their ids'.
        let minute = (i * 7) % 24;
        d["detectedDateTime"] = json!(format!("2026-11-20T08:{minute:02}:00Z"));
        if let Some(s) = d.get_mut("signIn") {
            s["createdDateTime"] = json!(format!("2026-11-20T08:{minute:02}:00Z"));
        }
        d["riskEventType"] = json!(["unfamiliarFeatures", "anonymizedIPAddress"][i % 2]);
        detections.push(d);
    }
    t.ingest(&analyst(), detections).await;
    let answer = t
        .call(
            &analyst(),
            "POST",
            "/risky-users/dismiss",
            Some(json!({"userIds": ["user-1"]})),
        )
        .await;
    assert_eq!(answer.status, 202, "{answer:?}");
    t.drain().await;

    for (query, expected) in [
        ("", 24),
        ("riskState=atRisk", 18),
        ("riskState=dismissed", 6),
        ("riskEventType=unfamiliarFeatures", 12),
        ("riskEventType=anonymizedIPAddress&riskState=dismissed", 6),
        ("riskEventType=unfamiliarFeatures&riskState=dismissed", 0),
        ("userId=user-2", 6),
        ("userId=user-2&riskEventType=unfamiliarFeatures", 6),
        ("userId=user-1&riskState=atRisk", 0),
        ("signInId=s-04", 1),
        ("signInId=s-04&userId=user-1", 0),
        ("signInId=nowhere", 0),
    ] {
        let listed: Vec<Value> = every_page(&t, &format!("/risk-detections?{query}"), 4)
            .await
            .concat();
        assert_eq!(listed.len(), expected, "{query}: {listed:?}");
        assert_newest_first_by(&listed, "detectedDateTime");
        for (name, value) in query.split('&').filter_map(|p| p.split_once('=')) {
            assert!(listed.iter().all(|d| d[name] == value), "{query}");
        }
    }

    for (query, expected) in [
        ("", 12),
        ("riskState=atRisk", 12),
        ("userId=user-0", 6),
        ("userId=user-0&riskState=atRisk", 6),
        ("userId=user-1", 0),
    ] {
        let listed: Vec<Value> = every_page(&t, &format!("/risky-signins?{query}"), 5)
            .await
            .concat();
        assert_eq!(listed.len(), expected, "{query}: {listed:?}");
        assert_newest_first_by(&listed, "createdDateTime");
    }
}
