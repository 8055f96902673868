//! Custom indicators (SPEC 4) and their effect on new detections (SPEC 2): allow indicators
//! dismiss matching detections, block indicators raise them to high, expired or deleted ones
//! do nothing, and values are validated by type.

use riskfeedback_tests::harness::{detection, Answer, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";

fn analyst() -> As {
    As::analyst(TENANT)
}

async fn create(t: &TestStack, body: Value) -> Answer {
    t.call(&analyst(), "POST", "/indicators", Some(body)).await
}

fn with_evidence(id: &str, user: &str, level: &str, evidence: Value) -> Value {
    let mut d = detection(id, user, level, Some(&format!("si-{id}")));
    d["evidence"] = evidence;
    d
}

async fn get(t: &TestStack, path: &str) -> Value {
    let answer = t.call(&analyst(), "GET", path, None).await;
    assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    answer.body
}

#[tokio::test]
async fn indicators_are_created_listed_read_and_deleted() {
    let t = TestStack::new().await;
    let created = create(
        &t,
        json!({"indicatorType": "fileSha256", "indicatorValue": "AB".repeat(32), "action": "allow",
               "title": "Internal build tool", "description": "Signed by us"}),
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.body["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        created.headers.get("location"),
        Some(&format!("/indicators/{id}"))
    );
    assert_eq!(
        created.body["indicatorValue"],
        "ab".repeat(32),
        "normalized"
    );
    assert_eq!(created.body["createdBy"]["id"], "analyst-1");
    assert_eq!(
        get(&t, &format!("/indicators/{id}")).await["title"],
        "Internal build tool"
    );
    assert_eq!(get(&t, "/indicators").await["value"][0]["id"], id.as_str());
    let other = t
        .call(
            &As::analyst("fabrikam"),
            "GET",
            &format!("/indicators/{id}"),
            None,
        )
        .await;
    other.problem(404);
    let reader = As::with_roles(TENANT, &["Risk.Read"]);
    t.call(&reader, "DELETE", &format!("/indicators/{id}"), None)
        .await
        .problem(403);
    let deleted = t
        .call(&analyst(), "DELETE", &format!("/indicators/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    t.call(&analyst(), "GET", &format!("/indicators/{id}"), None)
        .await
        .problem(404);
    t.call(&analyst(), "DELETE", &format!("/indicators/{id}"), None)
        .await
        .problem(404);
}

#[tokio::test]
async fn values_are_validated_by_type() {
    let t = TestStack::new().await;
    let before = t.item_count().await;
    let not_hex = "z".repeat(40);
    let cases = [
        ("fileSha256", "abc"),
        ("fileSha1", not_hex.as_str()),
        ("ipAddress", "999.1.1.1"),
        ("url", "not a url"),
        ("url", "javascript:alert(1)"),
        ("domainName", "no_underscores.com"),
    ];
    for (kind, value) in cases {
        let answer = create(&t, json!({"indicatorType": kind, "indicatorValue": value, "action": "block", "title": "t"})).await;
        assert_eq!(
            answer.problem(400)["errors"][0]["field"],
            "indicatorValue",
            "{kind} {value}"
        );
    }
    let past = create(
        &t,
        json!({"indicatorType": "ipAddress", "indicatorValue": "203.0.113.9", "action": "allow", "title": "t",
               "expirationDateTime": "2020-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(
        past.problem(400)["errors"][0]["field"],
        "expirationDateTime"
    );
    let unknown_type = create(&t, json!({"indicatorType": "email", "indicatorValue": "a@b.c", "action": "allow", "title": "t"})).await;
    assert_eq!(
        unknown_type.problem(400)["errors"][0]["field"],
        "indicatorType"
    );
    assert_eq!(t.item_count().await, before);
}

#[tokio::test]
async fn allow_indicators_dismiss_and_block_indicators_raise_new_detections() {
    let t = TestStack::new().await;
    assert_eq!(
        create(&t, json!({"indicatorType": "ipAddress", "indicatorValue": "203.0.113.50", "action": "allow", "title": "VPN egress"})).await.status,
        201
    );
    assert_eq!(
        create(&t, json!({"indicatorType": "domainName", "indicatorValue": "EVIL.example", "action": "block", "title": "Phishing kit"})).await.status,
        201
    );
    t.ingest(
        &analyst(),
        vec![
            with_evidence(
                "d-allowed",
                "alice",
                "medium",
                json!({"ipAddress": "203.0.113.50"}),
            ),
            with_evidence(
                "d-blocked",
                "bob",
                "low",
                json!({"domainName": "evil.example"}),
            ),
            with_evidence(
                "d-plain",
                "carol",
                "low",
                json!({"ipAddress": "198.51.100.1"}),
            ),
        ],
    )
    .await;
    let allowed = get(&t, "/risk-detections?userId=alice").await;
    assert_eq!(allowed["value"][0]["riskState"], "dismissed");
    assert_eq!(allowed["value"][0]["riskDetail"], "allowIndicatorMatched");
    let alice = get(&t, "/risky-users/alice").await;
    assert_eq!(
        (alice["riskState"].as_str(), alice["riskLevel"].as_str()),
        (Some("none"), Some("none"))
    );
    let blocked = get(&t, "/risk-detections?userId=bob").await;
    assert_eq!(blocked["value"][0]["riskLevel"], "high");
    assert_eq!(get(&t, "/risky-users/bob").await["riskLevel"], "high");
    assert_eq!(get(&t, "/risky-users/carol").await["riskLevel"], "low");
}

#[tokio::test]
async fn expired_and_deleted_indicators_no_longer_apply() {
    let t = TestStack::new().await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    let expiring = create(
        &t,
        json!({"indicatorType": "url", "indicatorValue": "https://files.contoso.com/tool.exe", "action": "allow",
               "title": "Tool download", "expirationDateTime": soon}),
    )
    .await;
    assert_eq!(expiring.status, 201, "{expiring:?}");
    let deleted = create(&t, json!({"indicatorType": "ipAddress", "indicatorValue": "203.0.113.60", "action": "allow", "title": "Old VPN"})).await;
    let deleted_id = deleted.body["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        t.call(
            &analyst(),
            "DELETE",
            &format!("/indicators/{deleted_id}"),
            None
        )
        .await
        .status,
        204
    );
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    t.ingest(
        &analyst(),
        vec![
            with_evidence(
                "d-url",
                "alice",
                "medium",
                json!({"url": "https://FILES.contoso.com/tool.exe"}),
            ),
            with_evidence(
                "d-ip",
                "bob",
                "medium",
                json!({"ipAddress": "203.0.113.60"}),
            ),
        ],
    )
    .await;
    for user in ["alice", "bob"] {
        let user = get(&t, &format!("/risky-users/{user}")).await;
        assert_eq!(
            (user["riskState"].as_str(), user["riskLevel"].as_str()),
            (Some("atRisk"), Some("medium"))
        );
    }
}

#[tokio::test]
async fn a_reused_idempotency_key_with_another_body_is_refused() {
    let t = TestStack::new().await;
    let caller = analyst();
    let keyed = |body: Value| {
        let headers = std::collections::BTreeMap::from([
            ("content-type".to_string(), "application/json".to_string()),
            ("idempotency-key".to_string(), "ind-key-1".to_string()),
        ]);
        t.call_raw(
            Some(&caller),
            "POST",
            "/indicators",
            headers,
            body.to_string().into_bytes(),
        )
    };
    let body = json!({"indicatorType": "domainName", "indicatorValue": "contoso.com",
                      "action": "allow", "title": "Ours"});
    let first = keyed(body.clone()).await;
    assert_eq!(first.status, 201, "{first:?}");
    let again = keyed(body.clone()).await;
    assert_eq!(again.status, 201, "{again:?}");
    assert_eq!(again.body["id"], first.body["id"]);
    let mut other = body;
    other["title"] = json!("Someone else's");
    let problem = keyed(other).await.problem(422).clone();
    assert_eq!(problem["type"], "/problems/idempotency-key-reused");
    assert_eq!(
        get(
            &t,
            &format!(
                "/indicators/{}",
                first.body["id"].as_str().unwrap_or_default()
            )
        )
        .await["title"],
        "Ours"
    );
}
