//! SPEC 3c: workload identities have risk as users do. Graph's own documented
//! `servicePrincipalRiskDetection` is the input; the rules are the users' with the service
//! principal's details.

mod common;

use serde_json::{json, Value};

use common::{context, fixture};
use riskfeedback::errors::Invalid;
use riskfeedback::feedback::{DetectionIn, TargetOutcome};
use riskfeedback::model::{Activity, RiskDetail, RiskLevel, RiskState, User, UserAggregate};
use riskfeedback::principal::{principal_key, principal_of, PrincipalKind};
use riskfeedback::risk::{apply, Command, Context};

const APP: &str = "99b8d28b-11ae-4e84-9bef-0e767e286grg";

/// The first detection of Graph's documented `servicePrincipalRiskDetections` answer.
fn graph_example() -> Value {
    fixture("v1.0-identityprotectionroot-list-serviceprincipalriskdetections-1.json")["value"][0]
        .clone()
}

/// Detections posted as a Graph page, under `value`.
fn accepted(detections: Vec<Value>) -> Result<Vec<DetectionIn>, Invalid> {
    common::accepted("value", detections)
}

fn ctx(step: u32) -> Context {
    context(step, "analyst")
}

fn app() -> UserAggregate {
    UserAggregate::new(User::new(principal_key(
        PrincipalKind::ServicePrincipal,
        APP,
    )))
}

/// The documented detection, ingested into a new service principal.
fn at_risk() -> UserAggregate {
    let detections = accepted(vec![graph_example()]).unwrap_or_else(|e| panic!("{e:?}"));
    apply(&app(), &Command::IngestDetections(detections), &ctx(1)).aggregate
}

fn with(changes: Value) -> Value {
    common::with(graph_example(), changes)
}

#[test]
fn graphs_documented_detection_puts_its_service_principal_at_risk() {
    let taken = accepted(vec![graph_example()]).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        principal_of(&taken[0].user_id),
        (PrincipalKind::ServicePrincipal, APP)
    );
    assert_eq!(
        taken[0].sign_in, None,
        "a service principal's sign-in is not kept"
    );

    let agg = at_risk();
    assert_eq!(
        (agg.user.risk_state, agg.user.risk_level),
        (RiskState::AtRisk, RiskLevel::High)
    );
    assert_eq!(agg.user.user_display_name.as_deref(), Some("Contoso App"));
    assert_eq!(
        agg.user.app_id.as_deref(),
        Some("0grb38ac-a572-491d-a9db-b07197643457")
    );
    assert!(agg.sign_ins.is_empty());
    let d = agg.detections.values().next().cloned().map(|d| d.as_seen());
    let d = d.unwrap_or_else(|| panic!("no detection"));
    assert_eq!(d.activity, Activity::ServicePrincipal);
    assert_eq!(
        (d.user_id.as_str(), d.service_principal_id.as_deref()),
        ("", Some(APP))
    );
    assert_eq!(d.key_ids, ["9d9fea30-d8e3-481b-b57c-0ef569a989e5"]);
    let json = serde_json::to_value(&d).unwrap_or_default();
    assert!(json.get("userId").is_none(), "{json}");
    assert_eq!(json["servicePrincipalId"], APP);
}

#[test]
fn a_request_id_stays_the_service_principals_without_a_sign_in() {
    let d = with(json!({"requestId": "req-1"}));
    let detections = accepted(vec![d]).unwrap_or_else(|e| panic!("{e:?}"));
    let agg = apply(&app(), &Command::IngestDetections(detections), &ctx(1)).aggregate;
    assert!(agg.sign_ins.is_empty());
    let d = agg
        .detections
        .values()
        .next()
        .cloned()
        .unwrap_or_else(|| panic!("none"));
    assert_eq!(d.sign_in_id.as_deref(), Some("req-1"));
}

#[test]
fn confirm_compromised_is_the_service_principals_verdict() {
    let outcome = apply(
        &at_risk(),
        &Command::ConfirmServicePrincipalCompromised,
        &ctx(2),
    );
    let agg = &outcome.aggregate;
    assert_eq!(
        (
            agg.user.risk_state,
            agg.user.risk_level,
            agg.user.risk_detail
        ),
        (
            RiskState::ConfirmedCompromised,
            RiskLevel::High,
            RiskDetail::AdminConfirmedServicePrincipalCompromised
        )
    );
    assert_eq!(
        outcome.results[0].id, APP,
        "the target is named by its own id"
    );
    assert_eq!(outcome.results[0].result, TargetOutcome::Applied);
    let admin: Vec<_> = agg
        .detections
        .values()
        .filter(|d| d.risk_event_type == "adminConfirmedServicePrincipalCompromised")
        .collect();
    assert_eq!(admin.len(), 1);
    assert_eq!(admin[0].activity, Activity::ServicePrincipal);
    let history = outcome.history.as_seen();
    assert_eq!(history.service_principal_id.as_deref(), Some(APP));
    assert!(history.user_id.is_empty());
}

#[test]
fn dismiss_closes_all_of_its_risk() {
    let outcome = apply(&at_risk(), &Command::DismissServicePrincipal, &ctx(2));
    let agg = &outcome.aggregate;
    assert_eq!(
        (
            agg.user.risk_state,
            agg.user.risk_level,
            agg.user.risk_detail
        ),
        (
            RiskState::Dismissed,
            RiskLevel::None,
            RiskDetail::AdminDismissedAllRiskForServicePrincipal
        )
    );
    assert!(agg.active_detections().next().is_none());
    assert_eq!(outcome.results[0].id, APP);
}

#[test]
fn a_detection_names_one_principal_of_one_kind() {
    let user_id = json!({"userId": "alice"});
    let neither = {
        let mut d = graph_example();
        d.as_object_mut().map(|o| o.remove("servicePrincipalId"));
        d
    };
    let sign_in = json!({"signIn": {"id": "s1", "createdDateTime": "2026-12-01T10:00:00Z", "riskLevelDuringSignIn": "low"}});
    let users_type = json!({"@odata.type": "#microsoft.graph.riskDetection"});
    let user_name = json!({"userPrincipalName": "alice@contoso.com"});
    let key = json!({"keyIds": ["\u{7}"]});
    for (d, field) in [
        (with(user_id), "value[0].servicePrincipalId"),
        (neither, "value[0].userId"),
        (with(sign_in), "value[0].signIn"),
        (with(users_type), "value[0].@odata.type"),
        (with(user_name), "value[0].userPrincipalName"),
        (with(key), "value[0].keyIds[0]"),
    ] {
        match accepted(vec![d.clone()]) {
            Ok(taken) => panic!("{d} taken as {taken:?}"),
            Err(invalid) => assert_eq!(invalid.0[0].field, field, "{d}"),
        }
    }
}
