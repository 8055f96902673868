//! SPEC 8, "detection (in), Graph's shape", end to end: a page of Graph's
//! `identityProtection/riskDetections`, Graph's own documentation example, posted unchanged,
//! and read back through the service's lists.

use riskfeedback_tests::harness::{As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";
const USER: &str = "abcdefab-af90-4edf-ac4c-742ff06735d0";
const DOCUMENTED: &str = "6a5874ca-abcd-9d82-5ad39bd71600";

fn analyst() -> As {
    As::analyst(TENANT)
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/graph-docs/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Graph's documented page, with a second detection of the same user that is still at risk:
/// the same sign-in's later `anonymizedIPAddress`, whose level Graph hid.
fn page() -> Value {
    let mut page = fixture("v1.0-riskdetection-list-1.json");
    let mut open = page["value"][0].clone();
    open["id"] = json!("open-1");
    open["requestId"] = json!("sign-in-2");
    open["riskEventType"] = json!("anonymizedIPAddress");
    open["riskState"] = json!("atRisk");
    open["riskDetail"] = json!("none");
    open["riskLevel"] = json!("hidden");
    open["ipAddress"] = json!("198.51.100.23");
    if let Some(value) = page["value"].as_array_mut() {
        value.push(open);
    }
    page["@odata.context"] =
        json!("https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskDetections");
    page
}

async fn get(t: &TestStack, path: &str) -> Value {
    let answer = t.call(&analyst(), "GET", path, None).await;
    assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    answer.body
}

fn by_id(list: &Value, id: &str) -> Value {
    list["value"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no {id} in {list}"))
}

#[tokio::test]
async fn a_graph_page_posted_unchanged_is_taken_and_reads_back() {
    let t = TestStack::new().await;
    let answer = t
        .call(&analyst(), "POST", "/risk-detections", Some(page()))
        .await;
    assert_eq!(answer.status, 202, "{answer:?}");
    t.drain().await;

    let detections = get(&t, &format!("/risk-detections?userId={USER}")).await;
    let documented = by_id(&detections, DOCUMENTED);
    for (field, expected) in [
        ("riskState", json!("remediated")),
        ("riskDetail", json!("userPerformedSecuredPasswordReset")),
        ("riskLevel", json!("medium")),
        ("ipAddress", json!("123.456.7.89")),
        ("tokenIssuerType", json!("Azure Active Directory")),
        ("signInId", json!(DOCUMENTED)),
        ("activity", json!("signin")),
        ("userDisplayName", json!("Olivia Lack")),
        (
            "location",
            json!({"city": "Seattle", "state": "Washington", "countryOrRegion": "US"}),
        ),
    ] {
        assert_eq!(documented[field], expected, "{field} of {documented}");
    }
    let open = by_id(&detections, "open-1");
    assert_eq!(
        (&open["riskState"], &open["riskLevel"]),
        (&json!("atRisk"), &json!("hidden"))
    );

    let user = get(&t, &format!("/risky-users/{USER}")).await;
    assert_eq!(
        (
            &user["riskState"],
            &user["riskLevel"],
            &user["userPrincipalName"]
        ),
        (&json!("atRisk"), &json!("low"), &json!("olack@adatum.com"))
    );
    let closed = get(&t, &format!("/risky-signins/{DOCUMENTED}")).await;
    assert_eq!(
        (&closed["riskState"], &closed["riskLevelAggregated"]),
        (&json!("remediated"), &json!("none"))
    );
    assert_eq!(closed["location"]["city"], "Seattle");
    let open_sign_in = get(&t, "/risky-signins/sign-in-2").await;
    assert_eq!(
        (&open_sign_in["riskState"], &open_sign_in["ipAddress"]),
        (&json!("atRisk"), &json!("198.51.100.23"))
    );
}

#[tokio::test]
async fn a_graph_address_is_evidence_a_block_indicator_matches() {
    let t = TestStack::new().await;
    let indicator = json!({"indicatorType": "ipAddress", "indicatorValue": "198.51.100.23",
                           "action": "block", "title": "known attacker"});
    let created = t
        .call(&analyst(), "POST", "/indicators", Some(indicator))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let answer = t
        .call(&analyst(), "POST", "/risk-detections", Some(page()))
        .await;
    assert_eq!(answer.status, 202, "{answer:?}");
    t.drain().await;
    let user = get(&t, &format!("/risky-users/{USER}")).await;
    assert_eq!(user["riskLevel"], "high", "{user}");
}

#[tokio::test]
async fn a_body_with_both_shapes_or_neither_is_refused_by_field() {
    let t = TestStack::new().await;
    let detections = page()["value"].clone();
    for (body, field) in [
        (
            json!({"detections": detections, "value": detections}),
            "value",
        ),
        (json!({"@odata.context": "x"}), "detections"),
    ] {
        let answer = t
            .call(&analyst(), "POST", "/risk-detections", Some(body))
            .await;
        assert_eq!(answer.status, 400, "{answer:?}");
        assert_eq!(answer.body["errors"][0]["field"], field, "{answer:?}");
    }
}

/// Whether `ours` says what Graph's `documented` object says, field by field: a documented
/// `null` is the same as a field left out, a time is the same instant however many digits
/// give it, and `lastUpdatedDateTime` is the service's own.
fn says_as_documented(documented: &Value, ours: &Value) -> Vec<String> {
    let mut differences = Vec::new();
    for (field, value) in documented.as_object().into_iter().flatten() {
        if field == "@odata.type" || field == "lastUpdatedDateTime" {
            continue;
        }
        let mine = ours.get(field).unwrap_or(&Value::Null);
        let same = match (value, mine) {
            (Value::Object(parts), Value::Object(_)) => {
                says_as_documented(value, mine).is_empty()
                    && parts
                        .keys()
                        .all(|k| !parts[k].is_null() || mine.get(k).is_none_or(Value::is_null))
            }
            (Value::String(a), Value::String(b)) => a == b || same_instant(a, b),
            _ => value == mine,
        };
        if !same {
            differences.push(format!("{field}: documented {value}, answered {mine}"));
        }
    }
    differences
}

/// Two RFC 3339 times of the same instant, however many digits each gives.
fn same_instant(a: &str, b: &str) -> bool {
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    at(a).is_some() && at(a) == at(b)
}

/// The names of a documented object's fields (its values may be placeholders such as
/// "String"), less those named.
fn field_names(documented: &Value, but: &[&str]) -> Vec<String> {
    documented
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .filter(|k| k != "@odata.type" && !but.contains(&k.as_str()))
        .collect()
}

#[tokio::test]
async fn graphs_documented_objects_read_back_through_the_graph_surface_as_documented() {
    let t = TestStack::new().await;
    let detection = fixture("v1.0-riskdetection-list-1.json")["value"][0].clone();
    let app_detection =
        fixture("v1.0-identityprotectionroot-list-serviceprincipalriskdetections-1.json")["value"]
            [0]
        .clone();
    for page in [
        fixture("v1.0-riskdetection-list-1.json"),
        fixture("v1.0-identityprotectionroot-list-serviceprincipalriskdetections-1.json"),
    ] {
        let answer = t
            .call(&analyst(), "POST", "/risk-detections", Some(page))
            .await;
        assert_eq!(answer.status, 202, "{answer:?}");
    }
    t.drain().await;
    // A history entry that Graph's example has the fields of: the user confirmed safe.
    let answer = t
        .call(
            &analyst(),
            "POST",
            "/risky-users/confirm-safe",
            Some(json!({"userIds": [USER]})),
        )
        .await;
    assert_eq!(answer.status, 202);
    t.drain().await;

    const V1: &str = "/graph/v1.0/identityProtection";
    let ours = get(&t, &format!("{V1}/riskDetections/{DOCUMENTED}")).await;
    assert_eq!(says_as_documented(&detection, &ours), Vec::<String>::new());
    let app_id = app_detection["id"].as_str().unwrap_or_default();
    let ours = get(&t, &format!("{V1}/servicePrincipalRiskDetections/{app_id}")).await;
    assert_eq!(
        says_as_documented(&app_detection, &ours),
        Vec::<String>::new()
    );

    let user = get(&t, &format!("{V1}/riskyUsers/{USER}")).await;
    let documented = fixture("v1.0-riskyuser-list-1.json")["value"][0].clone();
    for field in field_names(&documented, &[]) {
        assert!(
            user.get(&field).is_some(),
            "riskyUser lacks {field}: {user}"
        );
    }
    let history = get(&t, &format!("{V1}/riskyUsers/{USER}/history")).await;
    let documented = fixture("v1.0-riskyuser-list-history-1.json")["value"][0].clone();
    for field in field_names(&documented, &[]) {
        assert!(
            history["value"][0].get(&field).is_some(),
            "riskyUserHistoryItem lacks {field}: {history}"
        );
    }
    // What the service is never told: whether the service principal is enabled, and its type.
    let app = app_detection["servicePrincipalId"]
        .as_str()
        .unwrap_or_default();
    let ours = get(&t, &format!("{V1}/riskyServicePrincipals/{app}")).await;
    let documented = fixture("v1.0-identityprotectionroot-list-riskyserviceprincipals-1.json")
        ["value"][0]
        .clone();
    for field in field_names(&documented, &["isEnabled", "servicePrincipalType"]) {
        assert!(
            ours.get(&field).is_some(),
            "riskyServicePrincipal lacks {field}: {ours}"
        );
    }
}
