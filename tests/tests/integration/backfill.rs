//! The migration of a table written before the lists were spread over shards: principals stored
//! with the old list keys are invisible to the new lists until the backfill gives them theirs;
//! the backfill resumes where an interrupted run stopped, and a second run writes nothing.

use aws_sdk_dynamodb::types::AttributeValue;
use riskfeedback_aws::dynamo::BackfillCounts;
use riskfeedback_aws::DynamoStore;
use riskfeedback_tests::harness::{detection, As, TestStack};
use serde_json::Value;

const TENANT: &str = "contoso";

fn analyst() -> As {
    As::analyst(TENANT)
}

async fn get(t: &TestStack, path: &str) -> Value {
    let answer = t.call(&analyst(), "GET", path, None).await;
    assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    answer.body
}

fn ids(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["id"].as_str().map(str::to_string))
        .collect()
}

/// Every principal's item as the code before the change wrote it: on one list key per tenant
/// and kind, sorted by id, and on no filtered list.
async fn as_written_before(t: &TestStack) -> usize {
    let table = &t.stack.config.table_name;
    let items = t
        .stack
        .dynamodb
        .scan()
        .table_name(table)
        .filter_expression("sk = :user")
        .expression_attribute_values(":user", AttributeValue::S("USER".to_string()))
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
        let (pk, id) = (text("pk"), text("id"));
        let list = if id.starts_with('\u{1}') {
            "SERVICEPRINCIPALS"
        } else {
            "USERS"
        };
        t.stack
            .dynamodb
            .update_item()
            .table_name(table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S("USER".to_string()))
            .update_expression("SET gsi1pk = :old, gsi1sk = :id REMOVE gsi3pk, gsi4pk, gsi5pk")
            .expression_attribute_values(":old", AttributeValue::S(format!("T#{TENANT}#{list}")))
            .expression_attribute_values(":id", AttributeValue::S(id))
            .send()
            .await
            .unwrap_or_else(|e| panic!("update: {e}"));
    }
    items.len()
}

#[tokio::test]
async fn the_backfill_puts_every_principal_back_on_its_lists_resumably_and_once() {
    let t = TestStack::new().await;
    for (i, level) in ["low", "high", "medium", "high", "low", "high", "medium"]
        .iter()
        .enumerate()
    {
        t.ingest(
            &analyst(),
            vec![detection(
                &format!("d-{i}"),
                &format!("user-{i}"),
                level,
                None,
            )],
        )
        .await;
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
    let before = ids(&get(&t, "/risky-users?limit=50").await);
    assert_eq!(before.len(), 7);

    assert_eq!(as_written_before(&t).await, 8);
    assert_eq!(ids(&get(&t, "/risky-users").await), Vec::<String>::new());
    assert_eq!(
        ids(&get(&t, "/risky-service-principals").await),
        Vec::<String>::new()
    );

    let store = DynamoStore::new(t.stack.dynamodb.clone(), &t.stack.config.table_name);
    // A first page, and then the run stops, as an interrupted one would.
    let first = store
        .backfill_lists(None, 5)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut total = first.counts;
    let mut resume = first.resume;
    assert!(resume.is_some(), "{total:?}");
    assert!(total.updated < 8, "{total:?}");
    while let Some(at) = resume {
        let page = store
            .backfill_lists(Some(&at), 5)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        total += page.counts;
        resume = page.resume;
    }
    assert_eq!((total.updated, total.current, total.moved), (8, 0, 0));

    assert_eq!(ids(&get(&t, "/risky-users?limit=50").await), before);
    assert_eq!(
        ids(&get(&t, "/risky-users?riskLevel=high&riskState=atRisk").await),
        ["user-5", "user-3", "user-1"]
    );
    assert_eq!(
        ids(&get(&t, "/risky-service-principals?riskLevel=high").await),
        ["app-1"]
    );

    let mut again = BackfillCounts::default();
    let mut resume = None;
    loop {
        let page = store
            .backfill_lists(resume.as_deref(), 100)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        again += page.counts;
        resume = page.resume;
        if resume.is_none() {
            break;
        }
    }
    assert_eq!(
        (again.updated, again.current),
        (0, 8),
        "a second run writes nothing"
    );

    let refused = store.backfill_lists(Some("not a resume point"), 5).await;
    assert!(refused.is_err());
}
