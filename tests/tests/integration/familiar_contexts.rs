//! SPEC 3a, familiar contexts, end to end through the handlers, DynamoDB Local and the local
//! SQS endpoint: what confirming a sign-in safe teaches, how a later detection is judged, how a
//! context is listed, forgotten and counted, and that it stays within its tenant.

use riskfeedback_tests::harness::{detection, Answer, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";

fn analyst() -> As {
    As::analyst(TENANT)
}

/// A detection of `kind` on a new sign-in from `ip` in `place`.
fn from(id: &str, kind: &str, ip: &str, place: &str) -> Value {
    let mut d = detection(id, "alice", "medium", Some(&format!("si-{id}")));
    d["riskEventType"] = json!(kind);
    d["signIn"]["ipAddress"] = json!(ip);
    d["signIn"]["location"] = json!(place);
    d
}

async fn call(t: &TestStack, method: &str, path: &str, body: Option<Value>) -> Answer {
    t.call(&analyst(), method, path, body).await
}

async fn get(t: &TestStack, path: &str) -> Value {
    let answer = call(t, "GET", path, None).await;
    assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    answer.body
}

async fn ingest(t: &TestStack, detections: Vec<Value>) {
    t.ingest(&analyst(), detections).await;
    t.drain().await;
}

async fn post(t: &TestStack, path: &str, body: Value) -> Answer {
    let answer = call(t, "POST", path, Some(body)).await;
    assert_eq!(answer.status, 202, "POST {path}: {answer:?}");
    t.drain().await;
    answer
}

fn detection_in(list: &Value, id: &str) -> Value {
    list["value"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no {id} in {list}"))
}

fn contexts(list: &Value) -> Vec<Value> {
    list["value"].as_array().cloned().unwrap_or_default()
}

/// alice's sign-in from home (203.0.113.7, Lisbon) raised a detection, and an analyst
/// confirmed it safe; her sign-in from 198.51.100.9 (Madrid) is still at risk.
async fn home_confirmed_safe() -> TestStack {
    let t = TestStack::new().await;
    ingest(
        &t,
        vec![
            from("d1", "unfamiliarFeatures", "203.0.113.7", "Lisbon, PT"),
            from("d2", "unfamiliarFeatures", "198.51.100.9", "Madrid, ES"),
        ],
    )
    .await;
    post(
        &t,
        "/risky-signins/confirm-safe",
        json!({"signInIds": ["si-d1"]}),
    )
    .await;
    t
}

#[tokio::test]
async fn confirming_a_sign_in_safe_teaches_its_network_and_place_and_history_says_so() {
    let t = home_confirmed_safe().await;
    let list = get(&t, "/risky-users/alice/familiar-contexts").await;
    let learned = contexts(&list);
    assert_eq!(learned.len(), 2, "{list}");
    let network = learned.iter().find(|c| c["network"].is_string()).cloned();
    let network = network.unwrap_or_else(|| panic!("no network in {list}"));
    assert_eq!(network["network"], "203.0.113.0/24");
    assert_eq!(network["userId"], "alice");
    assert_eq!(network["learnedFrom"]["signInId"], "si-d1");
    assert_eq!(network["hits"], 0);
    let place = learned.iter().find(|c| c["city"].is_string()).cloned();
    let place = place.unwrap_or_else(|| panic!("no place in {list}"));
    assert_eq!(
        (&place["countryOrRegion"], &place["city"]),
        (&json!("PT"), &json!("Lisbon"))
    );
    let expires = network["expirationDateTime"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| panic!("no expiry: {network}"));
    let days = (expires - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!((89.9..=90.0).contains(&days), "lives {days} days");

    let history = get(&t, "/risky-users/alice/history").await;
    let learned_in_history = &history["value"][0]["activity"]["learnedContexts"];
    assert_eq!(
        learned_in_history.as_array().map(Vec::len),
        Some(2),
        "{history}"
    );
}

#[tokio::test]
async fn a_detection_from_a_familiar_context_is_judged_safe_and_counted() {
    let t = home_confirmed_safe().await;
    ingest(
        &t,
        vec![
            from("d3", "unfamiliarFeatures", "203.0.113.99", "Porto, PT"),
            from("d4", "impossibleTravel", "192.0.2.1", "Lisbon, PT"),
            from("d5", "leakedCredentials", "203.0.113.7", "Lisbon, PT"),
            from("d6", "unfamiliarFeatures", "192.0.2.1", "Lisbon, PT"),
        ],
    )
    .await;
    let list = get(&t, "/risk-detections?userId=alice").await;
    let network = detection_in(&list, "d3");
    assert_eq!(
        (&network["riskState"], &network["riskDetail"]),
        (&json!("dismissed"), &json!("aiConfirmedSigninSafe"))
    );
    assert_eq!(network["taughtBy"]["cause"], "familiarNetwork");
    assert_eq!(
        network["taughtBy"]["familiarContext"]["network"],
        "203.0.113.0/24"
    );
    assert_eq!(
        detection_in(&list, "d4")["taughtBy"]["cause"],
        "familiarLocation"
    );
    // Credentials are never taught away; a new network in a familiar city is still unfamiliar.
    for id in ["d5", "d6"] {
        let d = detection_in(&list, id);
        assert_eq!(d["riskState"], "atRisk", "{d}");
        assert!(d.get("taughtBy").is_none(), "{d}");
    }
    let hits: Vec<Value> = contexts(&get(&t, "/risky-users/alice/familiar-contexts").await)
        .iter()
        .map(|c| c["hits"].clone())
        .collect();
    assert_eq!(hits, [json!(1), json!(1)]);

    let today = chrono::Utc::now().date_naive();
    let report = get(&t, &format!("/detection-quality?from={today}&to={today}")).await;
    let suppressed: i64 = report["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["suppressedByFeedback"].as_i64())
        .sum();
    assert_eq!(suppressed, 2, "{report}");
}

#[tokio::test]
async fn forgetting_a_context_is_feedback_in_the_users_history_and_it_stops_matching() {
    let t = home_confirmed_safe().await;
    let list = get(&t, "/risky-users/alice/familiar-contexts").await;
    let network = contexts(&list)
        .into_iter()
        .find(|c| c["network"].is_string())
        .and_then(|c| c["id"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no network in {list}"));
    let path = format!("/familiar-contexts/{network}");

    let reader = As::with_roles(TENANT, &["Risk.Read"]);
    assert_eq!(t.call(&reader, "DELETE", &path, None).await.status, 403);
    let stranger = As::analyst("fabrikam");
    let elsewhere = t.call(&stranger, "DELETE", &path, None).await;
    assert_eq!(elsewhere.status, 404, "{elsewhere:?}");
    let listed_elsewhere = t
        .call(
            &stranger,
            "GET",
            "/risky-users/alice/familiar-contexts",
            None,
        )
        .await;
    assert_eq!(listed_elsewhere.status, 404);

    let answer = call(&t, "DELETE", &path, None).await;
    assert_eq!(answer.status, 202, "{answer:?}");
    assert_eq!(answer.body["action"], "forgetFamiliarContext");
    let feedback = answer.headers.get("location").cloned().unwrap_or_default();
    t.drain().await;
    assert_eq!(get(&t, &feedback).await["state"], "completed");
    assert_eq!(
        contexts(&get(&t, "/risky-users/alice/familiar-contexts").await).len(),
        1
    );
    let history = get(&t, "/risky-users/alice/history").await;
    let entry = &history["value"][0];
    assert_eq!(entry["action"], "forgetFamiliarContext");
    assert_eq!(
        entry["activity"]["forgottenContexts"][0]["id"],
        json!(network)
    );
    assert_eq!(entry["initiatedBy"]["id"], analyst().claims()["oid"]);

    let again = call(&t, "DELETE", &path, None).await;
    assert_eq!(again.status, 404, "{again:?}");
    assert_eq!(again.content_type(), "application/problem+json");
    ingest(
        &t,
        vec![from(
            "d3",
            "unfamiliarFeatures",
            "203.0.113.7",
            "Madrid, ES",
        )],
    )
    .await;
    let list = get(&t, "/risk-detections?userId=alice").await;
    assert_eq!(detection_in(&list, "d3")["riskState"], "atRisk");
}

#[tokio::test]
async fn confirming_a_sign_in_compromised_forgets_the_contexts_it_comes_from() {
    let t = home_confirmed_safe().await;
    // An attacker inside the familiar network, seen by its leaked credentials.
    ingest(
        &t,
        vec![from(
            "d3",
            "leakedCredentials",
            "203.0.113.66",
            "Madrid, ES",
        )],
    )
    .await;
    post(
        &t,
        "/risky-signins/confirm-compromised",
        json!({"signInIds": ["si-d3"]}),
    )
    .await;
    let left = contexts(&get(&t, "/risky-users/alice/familiar-contexts").await);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["city"], "Lisbon");
    let history = get(&t, "/risky-users/alice/history").await;
    assert_eq!(
        history["value"][0]["activity"]["forgottenContexts"][0]["network"],
        "203.0.113.0/24"
    );
}

#[tokio::test]
async fn dismissing_teaches_nothing_and_confirming_the_user_safe_forgets_everything() {
    let t = home_confirmed_safe().await;
    post(
        &t,
        "/risky-signins/dismiss",
        json!({"signInIds": ["si-d2"]}),
    )
    .await;
    assert_eq!(
        contexts(&get(&t, "/risky-users/alice/familiar-contexts").await).len(),
        2
    );
    post(
        &t,
        "/risky-users/confirm-safe",
        json!({"userIds": ["alice"]}),
    )
    .await;
    assert!(contexts(&get(&t, "/risky-users/alice/familiar-contexts").await).is_empty());
    // Learning mode learns again, from what the user does now.
    ingest(
        &t,
        vec![from("d3", "unfamiliarFeatures", "192.0.2.10", "Paris, FR")],
    )
    .await;
    let relearned = contexts(&get(&t, "/risky-users/alice/familiar-contexts").await);
    assert_eq!(relearned.len(), 2, "{relearned:?}");
    assert!(relearned
        .iter()
        .all(|c| c["learnedFrom"]["learningMode"] == true));
}

#[tokio::test]
async fn the_dry_run_shows_what_feedback_would_teach_and_forget() {
    let t = home_confirmed_safe().await;
    let items = t.item_count().await;
    let teach = call(
        &t,
        "POST",
        "/risky-signins/confirm-safe?dryRun=true",
        Some(json!({"signInIds": ["si-d2"]})),
    )
    .await;
    assert_eq!(teach.status, 200, "{teach:?}");
    let learned = &teach.body["targets"][0]["learnedContexts"];
    assert_eq!(learned.as_array().map(Vec::len), Some(2), "{}", teach.body);
    let forget = call(
        &t,
        "POST",
        "/risky-users/confirm-safe?dryRun=true",
        Some(json!({"userIds": ["alice"]})),
    )
    .await;
    let forgotten = &forget.body["targets"][0]["forgottenContexts"];
    assert_eq!(
        forgotten.as_array().map(Vec::len),
        Some(2),
        "{}",
        forget.body
    );
    assert_eq!(t.item_count().await, items, "a dry run writes nothing");
}
