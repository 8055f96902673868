//! The migration of a table written before the lists were spread over shards: principals,
//! sign-ins and detections stored with the old list keys are invisible to the new lists until the
//! backfill gives them theirs;
//! the backfill resumes where an interrupted run stopped, and a second run writes nothing.

use aws_sdk_dynamodb::types::AttributeValue;
use riskfeedback_aws::dynamo::BackfillCounts;
use riskfeedback_aws::DynamoStore;
use riskfeedback_tests::harness::{detection, ids, As, TestStack};
use serde_json::Value;

const TENANT: &str = "contoso";

fn analyst() -> As {
    As::analyst(TENANT)
}

async fn get(t: &TestStack, path: &str) -> Value {
    t.get_ok(&analyst(), path).await
}

/// Every principal, sign-in and detection as the code before the change wrote them: on one
/// list key per tenant and kind, sorted by id, and on no other list.
async fn as_written_before(t: &TestStack) -> usize {
    let table = &t.stack.config.table_name;
    let items = t
        .stack
        .dynamodb
        .scan()
        .table_name(table)
        .filter_expression("sk = :user OR begins_with(sk, :s) OR begins_with(sk, :d) OR sk = :ra")
        .expression_attribute_values(":user", AttributeValue::S("USER".to_string()))
        .expression_attribute_values(":ra", AttributeValue::S("RA".to_string()))
        .expression_attribute_values(":s", AttributeValue::S("S#".to_string()))
        .expression_attribute_values(":d", AttributeValue::S("D#".to_string()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("scan: {e}"))
        .items
        .unwrap_or_default();
    for item in &items {
        let text = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        let (pk, sk, id) = (text("pk"), text("sk"), text("id"));
        let service_principal = pk.contains('\u{1}');
        let (list, sort_key) = match sk.as_str() {
            "RA" => ("ACTIONS", text("gsi1sk")),
            _ => ("", id),
        };
        let list = match (sk.as_str(), service_principal) {
            _ if !list.is_empty() => list,
            ("USER", false) => "USERS",
            ("USER", true) => "SERVICEPRINCIPALS",
            (sk, _) if sk.starts_with("S#") => "SIGNINS",
            (_, false) => "DETECTIONS",
            (_, true) => "SPDETECTIONS",
        };
        t.stack
            .dynamodb
            .update_item()
            .table_name(table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .update_expression(
                "SET gsi1pk = :old, gsi1sk = :id \
                 REMOVE gsi2pk, gsi2sk, gsi3pk, gsi4pk, gsi5pk, gsi6pk, #view",
            )
            .expression_attribute_names("#view", "view")
            .expression_attribute_values(":old", AttributeValue::S(format!("T#{TENANT}#{list}")))
            .expression_attribute_values(":id", AttributeValue::S(sort_key))
            .send()
            .await
            .unwrap_or_else(|e| panic!("update: {e}"));
    }
    items.len() + counters_as_written_before(t).await
}

/// Every detection-quality counter moved back to the one partition per tenant it had before,
/// its shard at the end of its sort key.
async fn counters_as_written_before(t: &TestStack) -> usize {
    let table = &t.stack.config.table_name;
    let mut moved = 0;
    for shard in 0..32 {
        let counters = t
            .stack
            .dynamodb
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(format!("T#{TENANT}#QUALITY#{shard:02}")),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("query: {e}"))
            .items
            .unwrap_or_default();
        for mut counter in counters {
            let key = |item: &std::collections::HashMap<String, AttributeValue>, name: &str| {
                item.get(name)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default()
            };
            let (pk, sk) = (key(&counter, "pk"), key(&counter, "sk"));
            t.stack
                .dynamodb
                .delete_item()
                .table_name(table)
                .key("pk", AttributeValue::S(pk))
                .key("sk", AttributeValue::S(sk.clone()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("delete: {e}"));
            counter.insert(
                "pk".to_string(),
                AttributeValue::S(format!("T#{TENANT}#QUALITY")),
            );
            counter.insert("sk".to_string(), AttributeValue::S(format!("{sk}#{shard}")));
            t.stack
                .dynamodb
                .put_item()
                .table_name(table)
                .set_item(Some(counter))
                .send()
                .await
                .unwrap_or_else(|e| panic!("put: {e}"));
            moved += 1;
        }
    }
    moved
}

const LISTS: [&str; 8] = [
    "/remediation-actions?view=history",
    "/remediation-actions?entityType=file",
    "/risky-users?limit=50",
    "/risky-service-principals?limit=50",
    "/risky-signins?limit=50",
    "/risk-detections?limit=50",
    "/service-principal-risk-detections?limit=50",
    "/risk-detections?riskState=atRisk&riskEventType=unfamiliarFeatures",
];
const DETECTION: &str = "/graph/v1.0/identityProtection/riskDetections/d-3";
/// The last 30 days, the default: the counters are of today.
const QUALITY: &str = "/detection-quality";

async fn backfill_all(store: &DynamoStore, page: i32) -> BackfillCounts {
    let mut total = BackfillCounts::default();
    let mut resume = None;
    loop {
        let done = store
            .backfill_lists(resume.as_deref(), page)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        total += done.counts;
        resume = done.resume;
        if resume.is_none() {
            return total;
        }
    }
}

#[tokio::test]
async fn the_backfill_puts_every_item_back_on_its_lists_resumably_and_once() {
    let t = TestStack::new().await;
    let levels = ["low", "high", "medium", "high", "low", "high", "medium"];
    for (i, level) in levels.iter().enumerate() {
        let sign_in = format!("s-{i}");
        let d = detection(
            &format!("d-{i}"),
            &format!("user-{i}"),
            level,
            (i % 2 == 0).then_some(sign_in.as_str()),
        );
        t.ingest(&analyst(), vec![d]).await;
    }
    let graph_page = serde_json::json!({"value": [{
        "@odata.type": "#microsoft.graph.servicePrincipalRiskDetection",
        "id": "sp-d1",
        "servicePrincipalId": "app-1",
        "riskEventType": "leakedCredentials",
        "riskLevel": "high",
        "riskState": "atRisk",
        "detectionTimingType": "offline",
        "source": "IdentityProtection",
        "detectedDateTime": "2026-11-20T08:00:00Z"
    }]});
    let answer = t
        .call(&analyst(), "POST", "/risk-detections", Some(graph_page))
        .await;
    assert_eq!(answer.status, 202, "{answer:?}");
    t.drain().await;
    let actions = serde_json::json!({"actions": [
        {"id": "a-1", "investigationId": "inv-1", "actionType": "quarantineFile",
         "entity": {"type": "file", "id": "f-1"}, "status": "completed",
         "createdDateTime": "2026-11-20T10:00:00Z"},
        {"id": "a-2", "investigationId": "inv-1", "actionType": "quarantineFile",
         "entity": {"type": "file", "id": "f-2"}, "status": "completed",
         "createdDateTime": "2026-11-20T10:01:00Z"},
    ]});
    let answer = t
        .call(&analyst(), "POST", "/remediation-actions", Some(actions))
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let mut before = Vec::new();
    for list in LISTS {
        before.push(ids(&get(&t, list).await));
    }
    assert_eq!(
        before.iter().map(Vec::len).collect::<Vec<_>>(),
        [2, 2, 7, 1, 4, 7, 1, 7]
    );
    get(&t, DETECTION).await;
    let quality = get(&t, QUALITY).await;
    assert_ne!(quality["value"], serde_json::json!([]), "{quality}");

    // 8 principals, 4 sign-ins, 8 detections, 2 actions and the detections' counters.
    let items = as_written_before(&t).await;
    assert!(items > 22, "{items}");
    assert_eq!(get(&t, QUALITY).await["value"], serde_json::json!([]));
    for list in LISTS {
        assert_eq!(ids(&get(&t, list).await), Vec::<String>::new(), "{list}");
    }
    let by_id = t.call(&analyst(), "GET", DETECTION, None).await;
    assert_eq!(by_id.status, 404, "{by_id:?}");

    let store = DynamoStore::new(t.stack.dynamodb.clone(), &t.stack.config.table_name);
    // A first page, and then the run stops, as an interrupted one would; then it resumes.
    let first = store
        .backfill_lists(None, 5)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut total = first.counts;
    let mut resume = first.resume;
    assert!(resume.is_some(), "{total:?}");
    assert!(total.updated < items as u64, "{total:?}");
    while let Some(at) = resume {
        let page = store
            .backfill_lists(Some(&at), 5)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        total += page.counts;
        resume = page.resume;
    }
    // A moved counter the scan meets again in its new place counts as current.
    assert_eq!((total.updated, total.moved), (items as u64, 0), "{total:?}");
    assert!(total.current <= items as u64 - 22, "{total:?}");
    assert_eq!(get(&t, QUALITY).await, quality);

    for (list, was) in LISTS.iter().zip(&before) {
        assert_eq!(&ids(&get(&t, list).await), was, "{list}");
    }
    assert_eq!(
        ids(&get(&t, "/risky-users?riskLevel=high&riskState=atRisk").await),
        ["user-5", "user-3", "user-1"]
    );
    get(&t, DETECTION).await;

    let again = backfill_all(&store, 100).await;
    assert_eq!(
        (again.updated, again.current),
        (0, items as u64),
        "a second run writes nothing"
    );

    let refused = store.backfill_lists(Some("not a resume point"), 5).await;
    assert!(refused.is_err());
}
