//! The seed documents' scenarios, end to end through the handlers, DynamoDB Local and the
//! local SQS endpoint: each row of the SPEC 3 feedback table, processing state, ordering,
//! redelivery, idempotency, bulk results, preview and completion events.

use std::time::Duration;

use riskfeedback::risk::Settings;
use riskfeedback_devstack::poller::{sqs_record, Poller};
use riskfeedback_tests::harness::{detection, one_detection_each, Answer, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";

fn analyst() -> As {
    As::analyst(TENANT)
}

async fn ingest(t: &TestStack, detections: Vec<Value>) -> Answer {
    let answer = t
        .call(
            &analyst(),
            "POST",
            "/risk-detections",
            Some(json!({ "detections": detections })),
        )
        .await;
    assert_eq!(answer.status, 202, "{answer:?}");
    answer
}

async fn feedback(t: &TestStack, path: &str, body: Value) -> Answer {
    let answer = t.call(&analyst(), "POST", path, Some(body)).await;
    assert_eq!(answer.status, 202, "{answer:?}");
    assert_eq!(
        answer.headers.get("location").map(String::as_str),
        Some(
            format!(
                "/feedback/{}",
                answer.body["id"].as_str().unwrap_or_default()
            )
            .as_str()
        )
    );
    answer
}

async fn get(t: &TestStack, path: &str) -> Value {
    let answer = t.call(&analyst(), "GET", path, None).await;
    assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
    answer.body
}

fn risk(value: &Value) -> (String, String, String) {
    (
        value["riskState"].as_str().unwrap_or_default().to_string(),
        value["riskLevel"]
            .as_str()
            .or(value["riskLevelAggregated"].as_str())
            .unwrap_or_default()
            .to_string(),
        value["riskDetail"].as_str().unwrap_or_default().to_string(),
    )
}

fn expect(state: &str, level: &str, detail: &str) -> (String, String, String) {
    (state.to_string(), level.to_string(), detail.to_string())
}

/// alice: one medium sign-in (si-a1) and one low sign-in (si-a2); bob: a high detection not
/// linked to a sign-in.
async fn seeded() -> TestStack {
    let t = TestStack::new().await;
    ingest(
        &t,
        vec![
            detection("d-a1", "alice", "medium", Some("si-a1")),
            detection("d-a2", "alice", "low", Some("si-a2")),
            detection("d-b1", "bob", "high", None),
        ],
    )
    .await;
    t.drain().await;
    t
}

#[tokio::test]
async fn ingested_detections_make_users_and_sign_ins_risky() {
    let t = seeded().await;
    let alice = get(&t, "/risky-users/alice").await;
    assert_eq!(risk(&alice), expect("atRisk", "medium", "none"));
    assert_eq!(alice["userPrincipalName"], "alice@contoso.com");
    assert_eq!(alice["requiredRemediation"], "none");
    let bob = get(&t, "/risky-users/bob").await;
    assert_eq!(risk(&bob), expect("atRisk", "high", "none"));
    assert_eq!(bob["requiredRemediation"], "securePasswordReset");
    let sign_in = get(&t, "/risky-signins/si-a1").await;
    assert_eq!(sign_in["riskLevelDuringSignIn"], "medium");
    assert_eq!(sign_in["riskLevelAggregated"], "medium");
    assert_eq!(sign_in["riskState"], "atRisk");
    let bobs = get(&t, "/risk-detections?userId=bob").await;
    assert_eq!(bobs["value"][0]["activity"], "user");
}

/// A batch may name up to 100 distinct users (SPEC 8), more than one DynamoDB transaction
/// holds beside its record: it is accepted whole, and each user is at risk from its detection,
/// once.
#[tokio::test]
async fn a_batch_of_100_detections_for_100_users_is_accepted_and_applied_whole() {
    let t = TestStack::new().await;
    let answer = ingest(&t, one_detection_each(100)).await;
    let id = answer.body["id"].as_str().unwrap_or_default().to_string();
    t.drain().await;

    let users = get(&t, "/risky-users?limit=500").await;
    let users = users["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(users.len(), 100);
    for user in &users {
        assert_eq!(risk(user), expect("atRisk", "high", "none"), "{user}");
        assert_eq!(user["isProcessing"], false, "{user}");
    }
    let detections = get(&t, "/risk-detections?limit=500").await;
    assert_eq!(detections["value"].as_array().map(Vec::len), Some(100));
    let history = get(&t, "/risky-users/user-099/history").await;
    assert_eq!(
        history["value"].as_array().map(Vec::len),
        Some(1),
        "{history}"
    );
    let feedback = get(&t, &format!("/feedback/{id}")).await;
    assert_eq!(feedback["state"], "completed", "{feedback}");
    let targets = feedback["targets"].as_array().cloned().unwrap_or_default();
    assert_eq!(targets.len(), 100);
    assert!(
        targets.iter().all(|t| t["result"] == "applied"),
        "{feedback}"
    );
}

#[tokio::test]
async fn confirm_sign_in_safe_reverses_its_impact_on_the_user() {
    let t = seeded().await;
    let first = feedback(
        &t,
        "/risky-signins/confirm-safe",
        json!({"signInIds": ["si-a1"], "comment": "travelling"}),
    )
    .await;
    t.drain().await;
    let sign_in = get(&t, "/risky-signins/si-a1").await;
    assert_eq!(
        risk(&sign_in),
        expect("confirmedSafe", "none", "adminConfirmedSigninSafe")
    );
    assert_eq!(
        sign_in["riskLevelDuringSignIn"], "medium",
        "real-time risk never changes"
    );
    // Recomputed without it: the low sign-in is still active.
    assert_eq!(
        risk(&get(&t, "/risky-users/alice").await),
        expect("atRisk", "low", "none")
    );
    feedback(
        &t,
        "/risky-signins/confirm-safe",
        json!({"signInIds": ["si-a2"]}),
    )
    .await;
    t.drain().await;
    assert_eq!(
        risk(&get(&t, "/risky-users/alice").await),
        expect("remediated", "none", "adminConfirmedSigninSafe")
    );
    let detections = get(&t, "/risk-detections?signInId=si-a1").await;
    assert_eq!(detections["value"][0]["riskState"], "confirmedSafe");
    let done = get(
        &t,
        &format!(
            "/feedback/{}",
            first.body["id"].as_str().unwrap_or_default()
        ),
    )
    .await;
    assert_eq!(done["state"], "completed");
    assert_eq!(
        done["targets"],
        json!([{"id": "si-a1", "result": "applied"}])
    );
    assert!(done["completedDateTime"].is_string());
    let history = get(&t, "/risky-users/alice/history").await;
    let newest = &history["value"][1];
    assert_eq!(newest["comment"], "travelling");
    assert_eq!(newest["initiatedBy"]["id"], "analyst-1");
    assert_eq!(newest["before"]["riskLevel"], "medium");
}

#[tokio::test]
async fn confirm_sign_in_compromised_raises_sign_in_and_user_to_high() {
    let t = seeded().await;
    feedback(
        &t,
        "/risky-signins/confirm-compromised",
        json!({"signInIds": ["si-a2"]}),
    )
    .await;
    t.drain().await;
    assert_eq!(
        risk(&get(&t, "/risky-signins/si-a2").await),
        expect(
            "confirmedCompromised",
            "high",
            "adminConfirmedSigninCompromised"
        )
    );
    let alice = get(&t, "/risky-users/alice").await;
    assert_eq!(
        risk(&alice),
        expect(
            "confirmedCompromised",
            "high",
            "adminConfirmedSigninCompromised"
        )
    );
    assert_eq!(alice["requiredRemediation"], "securePasswordReset");
}

#[tokio::test]
async fn dismiss_sign_in_risk() {
    let t = seeded().await;
    feedback(
        &t,
        "/risky-signins/dismiss",
        json!({"signInIds": ["si-a1", "si-a2"]}),
    )
    .await;
    t.drain().await;
    assert_eq!(
        risk(&get(&t, "/risky-signins/si-a1").await),
        expect("dismissed", "none", "adminDismissedRiskForSignIn")
    );
    assert_eq!(
        risk(&get(&t, "/risky-users/alice").await),
        expect("dismissed", "none", "adminDismissedRiskForSignIn")
    );
}

#[tokio::test]
async fn confirm_user_compromised_confirms_what_was_at_risk_and_adds_an_admin_detection() {
    let t = seeded().await;
    feedback(
        &t,
        "/risky-users/confirm-compromised",
        json!({"userIds": ["alice"]}),
    )
    .await;
    t.drain().await;
    assert_eq!(
        risk(&get(&t, "/risky-users/alice").await),
        expect(
            "confirmedCompromised",
            "high",
            "adminConfirmedUserCompromised"
        )
    );
    let admin = get(
        &t,
        "/risk-detections?userId=alice&riskEventType=adminConfirmedUserCompromised",
    )
    .await;
    let admin = &admin["value"][0];
    assert_eq!(admin["activity"], "user");
    assert_eq!(admin["riskLevel"], "high");
    assert_eq!(admin["detectionTimingType"], "offline");
    assert_eq!(admin["source"], "admin");
    // What was at risk is confirmed compromised (SPEC 3); real-time risk stays as it was.
    for (id, during) in [("si-a1", "medium"), ("si-a2", "low")] {
        let sign_in = get(&t, &format!("/risky-signins/{id}")).await;
        assert_eq!(
            (
                &sign_in["riskState"],
                &sign_in["riskLevelAggregated"],
                &sign_in["riskDetail"],
                &sign_in["riskLevelDuringSignIn"]
            ),
            (
                &json!("confirmedCompromised"),
                &json!("high"),
                &json!("adminConfirmedUserCompromised"),
                &json!(during)
            ),
            "{id}"
        );
    }
    let detections = get(&t, "/risk-detections?userId=alice").await;
    let states: Vec<(&Value, &Value)> = detections["value"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| (&d["riskState"], &d["riskDetail"]))
        .collect();
    assert_eq!(states.len(), 3, "{detections}");
    for state in states {
        assert_eq!(
            state,
            (
                &json!("confirmedCompromised"),
                &json!("adminConfirmedUserCompromised")
            )
        );
    }
    // Another user's risk is untouched.
    assert_eq!(
        get(&t, "/risk-detections?userId=bob").await["value"][0]["riskState"],
        "atRisk"
    );
}

#[tokio::test]
async fn confirm_user_safe_closes_every_active_risk() {
    let t = seeded().await;
    feedback(
        &t,
        "/risky-users/confirm-safe",
        json!({"userIds": ["alice"]}),
    )
    .await;
    t.drain().await;
    assert_eq!(
        risk(&get(&t, "/risky-users/alice").await),
        expect("confirmedSafe", "none", "adminConfirmedAccountSafe")
    );
    for sign_in in ["si-a1", "si-a2"] {
        let s = get(&t, &format!("/risky-signins/{sign_in}")).await;
        assert_eq!(
            (s["riskState"].as_str(), s["riskLevelAggregated"].as_str()),
            (Some("confirmedSafe"), Some("none"))
        );
    }
    let active = get(&t, "/risk-detections?userId=alice&riskState=atRisk").await;
    assert_eq!(active["value"], json!([]));
}

#[tokio::test]
async fn dismiss_user_risk() {
    let t = seeded().await;
    feedback(
        &t,
        "/risky-users/dismiss",
        json!({"userIds": ["alice", "bob"]}),
    )
    .await;
    t.drain().await;
    for user in ["alice", "bob"] {
        assert_eq!(
            risk(&get(&t, &format!("/risky-users/{user}")).await),
            expect("dismissed", "none", "adminDismissedAllRiskForUser")
        );
    }
    assert_eq!(
        get(&t, "/risky-signins/si-a2").await["riskState"],
        "dismissed"
    );
}

#[tokio::test]
async fn password_events_remediate_the_user() {
    let t = seeded().await;
    let cases = [
        (
            "securePasswordReset",
            "alice",
            "userPerformedSecuredPasswordReset",
        ),
        (
            "adminTemporaryPassword",
            "bob",
            "adminGeneratedTemporaryPassword",
        ),
    ];
    for (kind, user, _) in cases {
        let answer = t
            .call(
                &analyst(),
                "POST",
                "/password-events",
                Some(json!({"userId": user, "kind": kind})),
            )
            .await;
        assert_eq!(answer.status, 202, "{answer:?}");
    }
    t.drain().await;
    for (_, user, detail) in cases {
        assert_eq!(
            risk(&get(&t, &format!("/risky-users/{user}")).await),
            expect("remediated", "none", detail)
        );
    }
    assert_eq!(
        get(&t, "/risky-signins/si-a1").await["riskState"],
        "remediated"
    );
    // A new detection makes a remediated user at risk again; a change event then remediates it.
    ingest(&t, vec![detection("d-a3", "alice", "low", None)]).await;
    t.drain().await;
    assert_eq!(
        risk(&get(&t, "/risky-users/alice").await),
        expect("atRisk", "low", "none")
    );
    t.call(
        &analyst(),
        "POST",
        "/password-events",
        Some(json!({"userId": "alice", "kind": "securePasswordChange"})),
    )
    .await;
    t.drain().await;
    assert_eq!(
        risk(&get(&t, "/risky-users/alice").await),
        expect("remediated", "none", "userPerformedSecuredPasswordChange")
    );
}

async fn password_event(t: &TestStack, body: Value) {
    let answer = t
        .call(&analyst(), "POST", "/password-events", Some(body))
        .await;
    assert_eq!(answer.status, 202, "{answer:?}");
}

#[tokio::test]
async fn mfa_passed_remediates_its_sign_in_and_the_user_is_recomputed_without_it() {
    let t = seeded().await;
    password_event(
        &t,
        json!({"userId": "alice", "kind": "mfaPassed", "signInId": "si-a1"}),
    )
    .await;
    t.drain().await;
    let sign_in = get(&t, "/risky-signins/si-a1").await;
    assert_eq!(
        (
            &sign_in["riskState"],
            &sign_in["riskLevelAggregated"],
            &sign_in["riskDetail"],
            &sign_in["riskLevelDuringSignIn"]
        ),
        (
            &json!("remediated"),
            &json!("none"),
            &json!("userPassedMFADrivenByRiskBasedPolicy"),
            &json!("medium")
        )
    );
    assert_eq!(get(&t, "/risky-signins/si-a2").await["riskState"], "atRisk");
    assert_eq!(
        risk(&get(&t, "/risky-users/alice").await),
        expect("atRisk", "low", "none")
    );
    // A sign-in the user does not have is that target's `notFound`, and changes nothing.
    let answer = t
        .call(
            &analyst(),
            "POST",
            "/password-events",
            Some(json!({"userId": "alice", "kind": "mfaPassed", "signInId": "si-b9"})),
        )
        .await;
    t.drain().await;
    let id = answer.body["id"].as_str().unwrap_or_default();
    let done = get(&t, &format!("/feedback/{id}")).await;
    assert_eq!(done["targets"][0]["result"], "notFound", "{done}");
    assert_eq!(
        (&done["passwordEventKind"], &done["signInId"]),
        (&json!("mfaPassed"), &json!("si-b9")),
        "the feedback says which sign-in it named"
    );
    assert_eq!(get(&t, "/risky-signins/si-a2").await["riskState"], "atRisk");
}

#[tokio::test]
async fn a_password_changed_on_premises_remediates_only_where_the_setting_allows_it() {
    let t = seeded().await;
    let on_premises = json!({"userId": "alice", "kind": "onPremisesPasswordChange"});
    // Off, the default: in the history, and nothing else.
    password_event(&t, on_premises.clone()).await;
    t.drain().await;
    assert_eq!(
        risk(&get(&t, "/risky-users/alice").await),
        expect("atRisk", "medium", "none")
    );
    let history = get(&t, "/risky-users/alice/history").await;
    assert_eq!(
        history["value"][0]["activity"]["detail"], "userChangedPasswordOnPremises",
        "{history}"
    );
    // On: it remediates, as a secure password change does.
    let allowed = Poller {
        app: risk_processor::App {
            settings: Settings {
                on_premises_password_change_resets_risk: true,
                ..t.poller.app.settings.clone()
            },
            ..t.poller.app.clone()
        },
        ..t.poller.clone()
    };
    password_event(&t, on_premises).await;
    allowed
        .drain(Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        risk(&get(&t, "/risky-users/alice").await),
        expect("remediated", "none", "userChangedPasswordOnPremises")
    );
    assert_eq!(
        get(&t, "/risky-signins/si-a1").await["riskState"],
        "remediated"
    );
}

#[tokio::test]
async fn confirm_user_safe_starts_learning_mode_which_teaches_away_context_based_detections() {
    let t = seeded().await;
    feedback(
        &t,
        "/risky-users/confirm-safe",
        json!({"userIds": ["alice"]}),
    )
    .await;
    t.drain().await;
    let alice = get(&t, "/risky-users/alice").await;
    let until = alice["learningUntilDateTime"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| panic!("no learning mode: {alice}"));
    let days = (until - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!((13.9..=14.0).contains(&days), "learning for {days} days");

    let mut leaked = detection("d-a8", "alice", "medium", Some("si-a8"));
    leaked["riskEventType"] = json!("leakedCredentials");
    ingest(
        &t,
        vec![detection("d-a7", "alice", "high", Some("si-a7")), leaked],
    )
    .await;
    t.drain().await;
    let detections = get(&t, "/risk-detections?userId=alice").await;
    let state = |id: &str| {
        detections["value"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["id"] == id)
            .map(|d| (d["riskState"].clone(), d["riskDetail"].clone()))
    };
    assert_eq!(
        state("d-a7"),
        Some((json!("dismissed"), json!("aiConfirmedSigninSafe"))),
        "{detections}"
    );
    assert_eq!(
        state("d-a8"),
        Some((json!("atRisk"), json!("none"))),
        "{detections}"
    );
    assert_eq!(
        risk(&get(&t, "/risky-users/alice").await),
        expect("atRisk", "medium", "none")
    );
    let today = chrono::Utc::now().date_naive();
    let report = get(&t, &format!("/detection-quality?from={today}&to={today}")).await;
    let unfamiliar = report["value"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["riskEventType"] == "unfamiliarFeatures")
        .cloned()
        .unwrap_or_default();
    assert_eq!(unfamiliar["suppressedByFeedback"], 1, "{report}");
}

#[tokio::test]
async fn confirming_a_sign_in_compromised_can_block_its_address_all_or_nothing() {
    let t = seeded().await;
    // Not without the role to manage indicators, nor for a sign-in that is not known or has no
    // address: each refused whole, with nothing written.
    let mut no_address = detection("d-c1", "carol", "medium", Some("si-c1"));
    no_address["signIn"]
        .as_object_mut()
        .map(|s| s.remove("ipAddress"));
    ingest(&t, vec![no_address]).await;
    t.drain().await;
    let feedback_only = As::with_roles(TENANT, &["Risk.Feedback", "Risk.Read"]);
    let refusals = [
        (&feedback_only, json!(["si-a1"]), 403, None),
        (
            &analyst(),
            json!(["si-a1", "si-x9"]),
            400,
            Some("signInIds[1]"),
        ),
        (&analyst(), json!(["si-c1"]), 400, Some("signInIds[0]")),
    ];
    for (caller, sign_ins, status, field) in refusals {
        let before = t.item_count().await;
        let answer = t
            .call(
                caller,
                "POST",
                "/risky-signins/confirm-compromised",
                Some(json!({"signInIds": sign_ins, "blockIndicator": {}})),
            )
            .await;
        let problem = answer.problem(status);
        if let Some(field) = field {
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        }
        assert_eq!(
            t.item_count().await,
            before,
            "{sign_ins}: something was written"
        );
    }

    // Both of alice's sign-ins came from one address: one block indicator, and the feedback.
    let caller = analyst();
    let keyed_block = |sign_ins: Value, block: Value| {
        let mut body = json!({"signInIds": sign_ins});
        if block.is_object() {
            body["blockIndicator"] = block;
        }
        let mut headers = std::collections::BTreeMap::new();
        headers.insert("content-type".to_string(), "application/json".to_string());
        headers.insert("idempotency-key".to_string(), "block-1".to_string());
        t.call_raw(
            Some(&caller),
            "POST",
            "/risky-signins/confirm-compromised",
            headers,
            body.to_string().into_bytes(),
        )
    };
    let keyed = |sign_ins: Value| keyed_block(sign_ins, json!({}));
    assert_eq!(keyed(json!(["si-a1", "si-a2"])).await.status, 202);
    t.drain().await;
    // The key again with another sign-in, of another address: refused, and nothing written.
    let mut elsewhere = detection("d-b3", "bob", "low", Some("si-b3"));
    elsewhere["signIn"]["ipAddress"] = json!("198.51.100.9");
    ingest(&t, vec![elsewhere]).await;
    t.drain().await;
    let before = t.item_count().await;
    keyed(json!(["si-b3"])).await.problem(422);
    // Nor with the same sign-ins, another expiry or no block at all: the choice is the request.
    let expiry = json!({"expirationDateTime": "2099-01-01T00:00:00Z"});
    keyed_block(json!(["si-a1", "si-a2"]), expiry)
        .await
        .problem(422);
    keyed_block(json!(["si-a1", "si-a2"]), Value::Null)
        .await
        .problem(422);
    assert_eq!(t.item_count().await, before, "a reused key wrote something");
    assert_eq!(
        get(&t, "/risky-signins/si-a1").await["riskState"],
        "confirmedCompromised"
    );
    let indicators = get(&t, "/indicators").await;
    let blocks: Vec<&Value> = indicators["value"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(blocks.len(), 1, "{indicators}");
    assert_eq!(
        (
            &blocks[0]["indicatorType"],
            &blocks[0]["indicatorValue"],
            &blocks[0]["action"]
        ),
        (&json!("ipAddress"), &json!("203.0.113.7"), &json!("block"))
    );
    // A later detection whose evidence carries that address is raised to high.
    let mut later = detection("d-b2", "bob", "low", None);
    later["evidence"] = json!({"ipAddress": "203.0.113.7"});
    ingest(&t, vec![later]).await;
    t.drain().await;
    let bobs = get(&t, "/risk-detections?userId=bob").await;
    let raised = bobs["value"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["id"] == "d-b2")
        .cloned()
        .unwrap_or_default();
    assert_eq!(raised["riskLevel"], "high", "{bobs}");
}

/// The seed's "remediated outside the product" flow, submitted within the same second, with the
/// notices handed to the processor in reverse order: acceptance order still wins.
#[tokio::test]
async fn confirm_compromised_then_dismiss_ends_dismissed_whatever_the_delivery_order() {
    let t = seeded().await;
    feedback(
        &t,
        "/risky-users/confirm-compromised",
        json!({"userIds": ["bob"]}),
    )
    .await;
    let dismiss = feedback(&t, "/risky-users/dismiss", json!({"userIds": ["bob"]})).await;
    let user = get(&t, "/risky-users/bob").await;
    assert_eq!(
        user["isProcessing"], true,
        "queued feedback shows on the user"
    );
    assert_eq!(dismiss.body["state"], "queued");
    // Take both notices off the queue and deliver the later one first.
    let out = t
        .stack
        .sqs
        .receive_message()
        .queue_url(&t.stack.config.feedback_queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive");
    let mut messages = out.messages.unwrap_or_default();
    assert_eq!(messages.len(), 2);
    messages.reverse();
    for message in &messages {
        let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
        event.records.push(sqs_record(message));
        let response = risk_processor::process_batch(&t.poller.app, event)
            .await
            .response;
        assert!(response.batch_item_failures.is_empty());
    }
    let bob = get(&t, "/risky-users/bob").await;
    assert_eq!(
        risk(&bob),
        expect("dismissed", "none", "adminDismissedAllRiskForUser")
    );
    assert_eq!(bob["isProcessing"], false);
    let history = get(&t, "/risky-users/bob/history").await;
    let actions: Vec<&str> = history["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["dismissUser", "confirmUserCompromised", "ingestDetections"],
        "newest first"
    );
}

/// SQS delivers at least once: the same batch processed twice has its effect once.
#[tokio::test]
async fn redelivered_messages_apply_once() {
    let t = seeded().await;
    feedback(
        &t,
        "/risky-users/confirm-compromised",
        json!({"userIds": ["alice"]}),
    )
    .await;
    let out = t
        .stack
        .sqs
        .receive_message()
        .queue_url(&t.stack.config.feedback_queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive");
    let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
    event.records = out.messages().iter().map(sqs_record).collect();
    for _ in 0..2 {
        let response = risk_processor::process_batch(&t.poller.app, event.clone())
            .await
            .response;
        assert!(response.batch_item_failures.is_empty());
    }
    let history = get(&t, "/risky-users/alice/history").await;
    assert_eq!(
        history["value"].as_array().map(Vec::len),
        Some(2),
        "ingestion and one confirmation"
    );
    let admin = get(
        &t,
        "/risk-detections?userId=alice&riskEventType=adminConfirmedUserCompromised",
    )
    .await;
    assert_eq!(admin["value"].as_array().map(Vec::len), Some(1));
    let events = t.receive_all("EventsQueue").await;
    let completed: Vec<&Value> = events
        .iter()
        .filter(|e| e["feedback"]["action"] == "confirmUserCompromised")
        .collect();
    assert_eq!(completed.len(), 1, "one completion event: {events:?}");
}

#[tokio::test]
async fn completion_is_published_as_feedback_processed() {
    let t = seeded().await;
    let sent = feedback(
        &t,
        "/risky-users/dismiss",
        json!({"userIds": ["alice", "ghost"]}),
    )
    .await;
    t.drain().await;
    let events = t.receive_all("EventsQueue").await;
    let event = events
        .iter()
        .find(|e| e["feedback"]["id"] == sent.body["id"])
        .unwrap_or_else(|| panic!("no event for the feedback in {events:?}"));
    assert_eq!(event["type"], "FeedbackProcessed");
    assert_eq!(event["tenantId"], TENANT);
    assert_eq!(event["feedback"]["state"], "completedWithErrors");
    assert_eq!(
        event["feedback"]["targets"],
        json!([{"id": "alice", "result": "applied"}, {"id": "ghost", "result": "notFound"}])
    );
}

#[tokio::test]
async fn bulk_feedback_reports_each_target() {
    let t = seeded().await;
    let mut ids: Vec<String> = (0..58).map(|i| format!("missing-{i}")).collect();
    ids.push("alice".to_string());
    ids.push("bob".to_string());
    let sent = feedback(&t, "/risky-users/confirm-safe", json!({"userIds": ids})).await;
    t.drain().await;
    let done = get(
        &t,
        &format!("/feedback/{}", sent.body["id"].as_str().unwrap_or_default()),
    )
    .await;
    assert_eq!(done["state"], "completedWithErrors");
    let targets = done["targets"].as_array().cloned().unwrap_or_default();
    assert_eq!(targets.len(), 60);
    let applied: Vec<&str> = targets
        .iter()
        .filter(|r| r["result"] == "applied")
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(applied, ["alice", "bob"]);
    assert_eq!(
        targets.iter().filter(|r| r["result"] == "notFound").count(),
        58
    );
}

#[tokio::test]
async fn idempotency_key_returns_the_same_feedback_once() {
    let t = seeded().await;
    let body = json!({"userIds": ["alice"]}).to_string().into_bytes();
    let headers = |key: &str| {
        std::collections::BTreeMap::from([
            ("content-type".to_string(), "application/json".to_string()),
            ("idempotency-key".to_string(), key.to_string()),
        ])
    };
    let first = t
        .call_raw(
            Some(&analyst()),
            "POST",
            "/risky-users/confirm-compromised",
            headers("k-1"),
            body.clone(),
        )
        .await;
    let again = t
        .call_raw(
            Some(&analyst()),
            "POST",
            "/risky-users/confirm-compromised",
            headers("k-1"),
            body,
        )
        .await;
    assert_eq!((first.status, again.status), (202, 202));
    assert_eq!(first.body["id"], again.body["id"]);
    let reused = t
        .call_raw(
            Some(&analyst()),
            "POST",
            "/risky-users/confirm-compromised",
            headers("k-1"),
            json!({"userIds": ["bob"]}).to_string().into_bytes(),
        )
        .await;
    reused.problem(422);
    t.drain().await;
    let history = get(&t, "/risky-users/alice/history").await;
    assert_eq!(history["value"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn dry_run_previews_without_changing_anything() {
    let t = seeded().await;
    let items = t.item_count().await;
    let answer = t
        .call(
            &analyst(),
            "POST",
            "/risky-signins/confirm-compromised?dryRun=true",
            Some(json!({"signInIds": ["si-a1", "si-x"]})),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["dryRun"], true);
    let preview = &answer.body["targets"][0];
    assert_eq!(preview["id"], "si-a1");
    assert_eq!(preview["before"]["user"]["riskState"], "atRisk");
    assert_eq!(
        preview["after"]["user"]["riskState"],
        "confirmedCompromised"
    );
    assert_eq!(
        preview["after"]["signIns"][0]["riskLevelAggregated"],
        "high"
    );
    assert_eq!(
        answer.body["targets"][1],
        json!({"id": "si-x", "result": "notFound"})
    );
    assert_eq!(t.item_count().await, items, "a dry run writes nothing");
    assert_eq!(get(&t, "/risky-users/alice").await["riskState"], "atRisk");
}

#[tokio::test]
async fn lists_filter_and_page_within_the_tenant() {
    let t = seeded().await;
    let high = get(&t, "/risky-users?riskLevel=high").await;
    let ids: Vec<&str> = high["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(ids, ["bob"]);
    let first = get(&t, "/risky-signins?limit=1").await;
    assert_eq!(first["value"].as_array().map(Vec::len), Some(1));
    let cursor = first["nextCursor"].as_str().unwrap_or_default().to_string();
    assert!(!cursor.is_empty());
    let second = get(&t, &format!("/risky-signins?limit=1&cursor={cursor}")).await;
    assert_ne!(first["value"][0]["id"], second["value"][0]["id"]);
    // The cursor means nothing to another tenant.
    let other = t
        .call(
            &As::analyst("fabrikam"),
            "GET",
            &format!("/risky-signins?limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(other.problem(400)["errors"][0]["field"], "cursor");
    let by_user = get(&t, "/risky-signins?userId=alice&riskState=atRisk").await;
    assert_eq!(by_user["value"].as_array().map(Vec::len), Some(2));
}

/// A step that changes more items than one DynamoDB transaction holds (25 detections, each
/// with its own sign-in and type, plus counters) is written in chunks and still applies whole.
#[tokio::test]
async fn a_step_larger_than_one_transaction_applies_whole() {
    let t = TestStack::new().await;
    let detections: Vec<Value> = (0..25)
        .map(|i| {
            let mut d = detection(&format!("d{i}"), "zoe", "low", Some(&format!("s{i}")));
            d["riskEventType"] = json!(format!("type{i}"));
            d
        })
        .collect();
    ingest(&t, detections).await;
    t.drain().await;
    let zoe = get(&t, "/risky-users/zoe").await;
    assert_eq!(risk(&zoe), expect("atRisk", "low", "none"));
    let sign_ins = get(&t, "/risky-signins?userId=zoe&limit=100").await;
    assert_eq!(sign_ins["value"].as_array().map(Vec::len), Some(25));
    feedback(&t, "/risky-users/dismiss", json!({"userIds": ["zoe"]})).await;
    t.drain().await;
    let open = get(&t, "/risk-detections?userId=zoe&riskState=atRisk").await;
    assert_eq!(open["value"], json!([]));
    assert_eq!(
        get(&t, "/risky-signins/s24").await["riskState"],
        "dismissed"
    );
}

/// A page can end on a user whose id is long in bytes (244 characters, 730 bytes of UTF-8, near
/// SPEC 1's limit); its cursor, which carries that id, still leads to the next page.
#[tokio::test]
async fn a_page_ending_on_the_longest_id_leads_to_the_next() {
    let t = TestStack::new().await;
    let long = format!("a{}", "€".repeat(243));
    // Processed last, so newest.
    t.ingest(&analyst(), vec![detection("d-short", "b", "low", None)])
        .await;
    t.ingest(&analyst(), vec![detection("d-long", &long, "high", None)])
        .await;
    let first = get(&t, "/risky-users?limit=1").await;
    assert_eq!(first["value"][0]["id"], long.as_str());
    let cursor = first["nextCursor"].as_str().unwrap_or_default().to_string();
    let second = get(&t, &format!("/risky-users?limit=1&cursor={cursor}")).await;
    assert_eq!(second["value"][0]["id"], "b", "{second}");
}

/// A dry run stores nothing under its Idempotency-Key, but refuses a malformed one as a real
/// run does.
#[tokio::test]
async fn a_dry_run_refuses_a_malformed_idempotency_key() {
    let t = seeded().await;
    let headers = [
        ("content-type".to_string(), "application/json".to_string()),
        ("idempotency-key".to_string(), "not a key".to_string()),
    ]
    .into();
    let body = json!({"userIds": ["alice"]}).to_string().into_bytes();
    let answer = t
        .call_raw(
            Some(&analyst()),
            "POST",
            "/risky-users/confirm-safe?dryRun=true",
            headers,
            body,
        )
        .await;
    assert_eq!(answer.problem(400)["errors"][0]["field"], "Idempotency-Key");
}

/// SPEC 1 counts an id in characters: 256 of four bytes each is 1,024 bytes, which with a key's
/// prefix is more than a DynamoDB sort key holds. Such ids are stored, found, listed by and
/// given feedback like any other.
#[tokio::test]
async fn ids_of_256_four_byte_characters_are_stored_and_found() {
    let t = TestStack::new().await;
    // With "@contoso.com", the harness's userPrincipalName stays within 256 characters.
    let user = format!("u{}", "\u{1F600}".repeat(243));
    let sign_in = "\u{1F600}".repeat(256);
    let detection_id = format!("d{}", "\u{1F600}".repeat(255));
    t.ingest(
        &analyst(),
        vec![detection(&detection_id, &user, "high", Some(&sign_in))],
    )
    .await;
    let encoded: String = sign_in.bytes().map(|b| format!("%{b:02X}")).collect();
    assert_eq!(
        get(&t, &format!("/risky-signins/{encoded}")).await["id"],
        sign_in.as_str()
    );
    let found = get(&t, &format!("/risk-detections?signInId={encoded}")).await;
    assert_eq!(found["value"][0]["id"], detection_id.as_str(), "{found}");
    assert_eq!(
        get(&t, "/risky-users").await["value"][0]["id"],
        user.as_str()
    );
    let answer = feedback(
        &t,
        "/risky-signins/confirm-safe",
        json!({ "signInIds": [sign_in] }),
    )
    .await;
    t.drain().await;
    let id = answer.body["id"].as_str().unwrap_or_default();
    assert_eq!(
        get(&t, &format!("/feedback/{id}")).await["state"],
        "completed"
    );
    assert_eq!(
        get(&t, &format!("/risky-signins/{encoded}")).await["riskState"],
        "confirmedSafe"
    );
}
