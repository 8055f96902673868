//! SPEC 8a, the Graph-compatible surface, through the handlers and DynamoDB Local: Graph's
//! paths, shapes, OData options, links and error envelope over the same data and rules as the
//! API's own routes. `scripts/graph-sdk` drives the same surface with Microsoft's Graph SDK.

use std::collections::BTreeMap;

use riskfeedback_tests::harness::{detection, Answer, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";
const V1: &str = "/graph/v1.0/identityProtection";

fn analyst() -> As {
    As::analyst(TENANT)
}

async fn get(t: &TestStack, path: &str) -> Value {
    let answer = t.call(&analyst(), "GET", path, None).await;
    assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    answer.body
}

fn ids(list: &Value) -> Vec<String> {
    list["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["id"].as_str().map(String::from))
        .collect()
}

/// The error envelope Graph answers with, and its code.
fn graph_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.graph_error(status)["code"], code, "{answer:?}");
}

/// alice (high, on sign-in si-a), bob (medium), carol@contoso.com (low): at risk.
async fn three_users(t: &TestStack) {
    let mut alice = detection("d-a", "alice", "high", Some("si-a"));
    alice["userPrincipalName"] = json!("alice@contoso.com");
    alice["detectedDateTime"] = json!("2026-12-01T08:00:00Z");
    let mut bob = detection("d-b", "bob", "medium", None);
    bob["userPrincipalName"] = json!("bob@contoso.com");
    bob["detectedDateTime"] = json!("2026-12-02T08:00:00Z");
    let mut carol = detection("d-c", "carol", "low", None);
    carol["userPrincipalName"] = json!("carol@contoso.com");
    carol["detectedDateTime"] = json!("2026-12-03T08:00:00Z");
    t.ingest(&analyst(), vec![alice, bob, carol]).await;
}

#[tokio::test]
async fn risky_users_list_filter_and_page_by_absolute_links() {
    let t = TestStack::new().await;
    three_users(&t).await;

    let high = get(
        &t,
        &format!("{V1}/riskyUsers?$filter=riskLevel%20eq%20'high'"),
    )
    .await;
    assert_eq!(ids(&high), ["alice"]);
    assert_eq!(high["value"][0]["isDeleted"], false);
    assert_eq!(high["value"][0]["userPrincipalName"], "alice@contoso.com");
    assert!(high["@odata.context"]
        .as_str()
        .is_some_and(|c| c.ends_with("/graph/v1.0/$metadata#identityProtection/riskyUsers")));

    let named = get(
        &t,
        &format!("{V1}/riskyUsers?$filter=startswith(userPrincipalName,'CAROL')%20and%20riskState%20eq%20'atRisk'"),
    )
    .await;
    assert_eq!(ids(&named), ["carol"]);

    // A page of two, then the rest by the link as given: absolute, with the options kept, in
    // the only order the list has, which `$orderby` may name.
    let mut seen = Vec::new();
    let mut times = Vec::new();
    let mut next = Some(format!(
        "{V1}/riskyUsers?$top=2&$orderby=riskLastUpdatedDateTime%20desc"
    ));
    let mut pages = 0;
    while let Some(link) = next {
        let path = link
            .strip_prefix("https://localhost")
            .map(String::from)
            .unwrap_or(link.clone());
        assert!(
            pages == 0 || link.starts_with("https://localhost/graph/v1.0/"),
            "{link}"
        );
        let page = get(&t, &path).await;
        seen.extend(ids(&page));
        times.extend(page["value"].as_array().into_iter().flatten().map(|u| {
            u["riskLastUpdatedDateTime"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }));
        next = page["@odata.nextLink"].as_str().map(String::from);
        if let Some(link) = &next {
            assert!(link.contains("$top=2"), "{link}");
            assert!(link.contains("$orderby=riskLastUpdatedDateTime"), "{link}");
        }
        pages += 1;
    }
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    seen.sort();
    assert_eq!(seen, ["alice", "bob", "carol"]);
    assert!(pages >= 2);

    // `$count`, as text, where an id would stand.
    for (path, size) in [
        ("riskyUsers", "3"),
        ("riskDetections", "3"),
        ("riskyServicePrincipals", "0"),
    ] {
        let counted = t
            .call(&analyst(), "GET", &format!("{V1}/{path}/$count"), None)
            .await;
        assert_eq!(counted.status, 200, "{counted:?}");
        assert_eq!(counted.content_type(), "text/plain");
        assert_eq!(
            counted.body,
            json!(size.parse::<u64>().unwrap_or_default()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn one_user_its_history_and_graphs_actions() {
    let t = TestStack::new().await;
    three_users(&t).await;

    let alice = get(&t, &format!("{V1}/riskyUsers/alice")).await;
    assert_eq!(
        (&alice["id"], &alice["riskLevel"]),
        (&json!("alice"), &json!("high"))
    );
    assert!(alice["@odata.context"]
        .as_str()
        .is_some_and(|c| c.ends_with("#identityProtection/riskyUsers/$entity")));

    let done = t
        .call(
            &analyst(),
            "POST",
            &format!("{V1}/riskyUsers/confirmCompromised"),
            Some(json!({"userIds": ["alice", "bob"]})),
        )
        .await;
    assert_eq!(done.status, 204, "{done:?}");
    let location = done.headers.get("location").cloned().unwrap_or_default();
    assert!(location.starts_with("/feedback/"), "{location}");
    t.drain().await;
    let feedback = get(&t, &location).await;
    assert_eq!(feedback["state"], "completed", "{feedback}");

    let dismissed = t
        .call(
            &analyst(),
            "POST",
            &format!("{V1}/riskyUsers/dismiss"),
            Some(json!({"userIds": ["bob"]})),
        )
        .await;
    assert_eq!(dismissed.status, 204);
    let safe = t
        .call(
            &analyst(),
            "POST",
            &format!("{V1}/riskyUsers/confirmSafe"),
            Some(json!({"userIds": ["carol"]})),
        )
        .await;
    assert_eq!(safe.status, 204);
    t.drain().await;

    let states: BTreeMap<String, Value> = ["alice", "bob", "carol"]
        .into_iter()
        .map(|id| (id.to_string(), json!(null)))
        .collect();
    for id in states.keys() {
        let user = get(&t, &format!("/risky-users/{id}")).await;
        let expected = match id.as_str() {
            "alice" => "confirmedCompromised",
            "bob" => "dismissed",
            _ => "confirmedSafe",
        };
        assert_eq!(user["riskState"], expected, "{user}");
    }

    let history = get(&t, &format!("{V1}/riskyUsers/alice/history")).await;
    let newest = &history["value"][0];
    assert_eq!(newest["initiatedBy"], "analyst-1", "{history}");
    assert_eq!(newest["riskState"], "confirmedCompromised");
    assert_eq!(
        newest["activity"]["detail"],
        "adminConfirmedUserCompromised"
    );
    assert!(newest["riskLastUpdatedDateTime"].is_string());
    let confirmations = get(
        &t,
        &format!(
            "{V1}/riskyUsers/alice/history?$filter=riskState%20eq%20'confirmedCompromised'%20and%20initiatedBy%20eq%20'analyst-1'"
        ),
    )
    .await;
    assert_eq!(ids(&confirmations).len(), 1, "{confirmations}");
}

#[tokio::test]
async fn risk_detections_filter_on_user_and_a_time_range() {
    let t = TestStack::new().await;
    three_users(&t).await;
    let mut later = detection("d-a2", "alice", "low", None);
    later["detectedDateTime"] = json!("2026-12-05T08:00:00Z");
    t.ingest(&analyst(), vec![later]).await;

    let alices = get(
        &t,
        &format!("{V1}/riskDetections?$filter=userId%20eq%20'alice'"),
    )
    .await;
    let mut found = ids(&alices);
    found.sort();
    assert_eq!(found, ["d-a", "d-a2"]);
    let signed = alices["value"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["id"] == "d-a")
        .cloned()
        .unwrap_or_default();
    assert_eq!(signed["requestId"], "si-a");

    let range = get(
        &t,
        &format!(
            "{V1}/riskDetections?$filter=detectedDateTime%20ge%202026-12-02T00:00:00Z%20and%20detectedDateTime%20le%202026-12-03T08:00:00Z"
        ),
    )
    .await;
    let mut found = ids(&range);
    found.sort();
    assert_eq!(found, ["d-b", "d-c"]);

    let one = get(&t, &format!("{V1}/riskDetections/d-b")).await;
    assert_eq!((&one["id"], &one["userId"]), (&json!("d-b"), &json!("bob")));
}

#[tokio::test]
async fn betas_sign_in_actions_take_request_ids() {
    let t = TestStack::new().await;
    three_users(&t).await;
    let answer = t
        .call(
            &analyst(),
            "POST",
            "/graph/beta/auditLogs/signIns/confirmSafe",
            Some(json!({"requestIds": ["si-a"]})),
        )
        .await;
    assert_eq!(answer.status, 204, "{answer:?}");
    t.drain().await;
    let sign_in = get(&t, "/risky-signins/si-a").await;
    assert_eq!(sign_in["riskState"], "confirmedSafe");

    let compromised = t
        .call(
            &analyst(),
            "POST",
            "/graph/beta/auditLogs/signIns/confirmCompromised",
            Some(json!({"requestIds": ["si-a"]})),
        )
        .await;
    assert_eq!(compromised.status, 204);
    t.drain().await;
    let sign_in = get(&t, "/risky-signins/si-a").await;
    assert_eq!(sign_in["riskState"], "confirmedCompromised");
}

#[tokio::test]
async fn every_refusal_is_graphs_error_envelope() {
    let t = TestStack::new().await;
    three_users(&t).await;
    let reader = As::with_roles(TENANT, &["Risk.Read"]);

    let missing = t
        .call(&analyst(), "GET", &format!("{V1}/riskyUsers/nobody"), None)
        .await;
    graph_error(&missing, 404, "itemNotFound");

    let bad_filter = t
        .call(
            &analyst(),
            "GET",
            &format!("{V1}/riskyUsers?$filter=riskLevel%20has%20'high'"),
            None,
        )
        .await;
    graph_error(&bad_filter, 400, "invalidRequest");
    assert_eq!(bad_filter.body["error"]["details"][0]["target"], "$filter");

    let top = t
        .call(&analyst(), "GET", &format!("{V1}/riskyUsers?$top=0"), None)
        .await;
    graph_error(&top, 400, "invalidRequest");

    for (path, order) in [
        ("riskyUsers", "riskLevel"),
        ("riskyUsers", "riskLastUpdatedDateTime%20asc"),
        ("riskDetections", "riskLastUpdatedDateTime%20desc"),
    ] {
        let order = t
            .call(
                &analyst(),
                "GET",
                &format!("{V1}/{path}?$orderby={order}"),
                None,
            )
            .await;
        graph_error(&order, 400, "invalidRequest");
        assert_eq!(order.body["error"]["details"][0]["target"], "$orderby");
    }

    let forbidden = t
        .call(
            &reader,
            "POST",
            &format!("{V1}/riskyUsers/dismiss"),
            Some(json!({"userIds": ["bob"]})),
        )
        .await;
    graph_error(&forbidden, 403, "accessDenied");

    let bad_body = t
        .call(
            &analyst(),
            "POST",
            &format!("{V1}/riskyUsers/dismiss"),
            Some(json!({"userIds": []})),
        )
        .await;
    graph_error(&bad_body, 400, "invalidRequest");
    assert_eq!(bad_body.body["error"]["details"][0]["target"], "userIds");

    let unknown_option = t
        .call(
            &analyst(),
            "GET",
            &format!("{V1}/riskyUsers?$expand=x"),
            None,
        )
        .await;
    graph_error(&unknown_option, 400, "invalidRequest");

    let anonymous = t
        .call_raw(
            None,
            "GET",
            &format!("{V1}/riskyUsers"),
            BTreeMap::new(),
            Vec::new(),
        )
        .await;
    graph_error(&anonymous, 401, "unauthenticated");

    let no_route = t
        .call(
            &analyst(),
            "GET",
            "/graph/v1.0/identityProtection/nothing",
            None,
        )
        .await;
    graph_error(&no_route, 404, "itemNotFound");

    // Off the surface, the API's own problem+json is unchanged.
    let own = t.call(&analyst(), "GET", "/risky-users/nobody", None).await;
    assert_eq!(
        own.headers.get("content-type").map(String::as_str),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn another_tenant_sees_nothing_through_the_surface() {
    let t = TestStack::new().await;
    three_users(&t).await;
    let other = As::analyst("fabrikam");
    let list = t
        .call(&other, "GET", &format!("{V1}/riskyUsers"), None)
        .await;
    assert_eq!((list.status, ids(&list.body).len()), (200, 0));
    let one = t
        .call(&other, "GET", &format!("{V1}/riskDetections/d-a"), None)
        .await;
    graph_error(&one, 404, "itemNotFound");
}

#[tokio::test]
async fn risky_service_principals_and_their_detections_through_the_surface() {
    let t = TestStack::new().await;
    let path = format!(
        "{}/fixtures/graph-docs/v1.0-serviceprincipalriskdetection-get-1.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let documented: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_else(|| panic!("{path}"));
    // Graph's documented answer holds one detection under `value`, not a list of them.
    let detection = documented["value"].clone();
    let app = detection["servicePrincipalId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let id = detection["id"].as_str().unwrap_or_default().to_string();
    let answer = t
        .call(
            &analyst(),
            "POST",
            "/risk-detections",
            Some(json!({"value": [detection]})),
        )
        .await;
    assert_eq!(answer.status, 202, "{answer:?}");
    t.drain().await;

    let list = get(&t, &format!("{V1}/riskyServicePrincipals?$filter=appId%20eq%20'0grb38ac-a572-491d-a9db-b07197643457'")).await;
    assert_eq!(ids(&list), [app.as_str()]);
    assert_eq!(list["value"][0]["displayName"], "Contoso App");
    let one = get(&t, &format!("{V1}/riskyServicePrincipals/{app}")).await;
    assert!(one["@odata.context"]
        .as_str()
        .is_some_and(|c| c.ends_with("#identityProtection/riskyServicePrincipals/$entity")));

    let detections = get(
        &t,
        &format!("{V1}/servicePrincipalRiskDetections?$filter=servicePrincipalId%20eq%20'{app}'"),
    )
    .await;
    assert_eq!(ids(&detections), [id.as_str()]);
    let detection = get(&t, &format!("{V1}/servicePrincipalRiskDetections/{id}")).await;
    assert_eq!(detection["servicePrincipalId"], app.as_str());
    assert!(detection.get("userId").is_none(), "{detection}");
    // A user's detection is not a service principal's, and the other way round.
    let as_users = t
        .call(
            &analyst(),
            "GET",
            &format!("{V1}/riskDetections/{id}"),
            None,
        )
        .await;
    graph_error(&as_users, 404, "itemNotFound");

    let done = t
        .call(
            &analyst(),
            "POST",
            &format!("{V1}/riskyServicePrincipals/confirmCompromised"),
            Some(json!({"servicePrincipalIds": [app]})),
        )
        .await;
    assert_eq!(done.status, 204, "{done:?}");
    t.drain().await;
    let history = get(&t, &format!("{V1}/riskyServicePrincipals/{app}/history")).await;
    let newest = &history["value"][0];
    assert_eq!(
        (&newest["servicePrincipalId"], &newest["riskState"]),
        (&json!(app), &json!("confirmedCompromised"))
    );
    assert!(newest.get("userId").is_none(), "{newest}");
    let dismissed = t
        .call(
            &analyst(),
            "POST",
            &format!("{V1}/riskyServicePrincipals/dismiss"),
            Some(json!({"servicePrincipalIds": [app]})),
        )
        .await;
    assert_eq!(dismissed.status, 204);
    t.drain().await;
    let one = get(&t, &format!("{V1}/riskyServicePrincipals/{app}")).await;
    assert_eq!(
        one["riskDetail"],
        "adminDismissedAllRiskForServicePrincipal"
    );
    let missing = t
        .call(
            &analyst(),
            "GET",
            &format!("{V1}/riskyServicePrincipals/nobody/history"),
            None,
        )
        .await;
    graph_error(&missing, 404, "itemNotFound");
}
