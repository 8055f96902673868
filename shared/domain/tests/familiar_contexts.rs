//! SPEC 3a, familiar contexts: what confirming a sign-in safe teaches, what matches it, and
//! what forgets it, one test per rule, over aggregates built by ingesting detections.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use riskfeedback::auth::Actor;
use riskfeedback::familiar::{ContextRef, ContextTypes, TaughtCause};
use riskfeedback::feedback::{DetectionIn, SignInIn, TargetOutcome};
use riskfeedback::indicators::Verdict;
use riskfeedback::location::SignInLocation;
use riskfeedback::model::{
    DetectionTimingType, RiskDetail, RiskLevel, RiskState, User, UserAggregate,
};
use riskfeedback::risk::{apply, Command, Context, Outcome, Settings};

fn at(day: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).expect("valid timestamp") + Duration::days(day)
}

fn ctx(step: u32, day: i64) -> Context {
    Context {
        step_id: format!("step-{step}"),
        feedback_id: format!("fb-{step}"),
        actor: Actor {
            id: "analyst".to_string(),
            display_name: None,
        },
        comment: None,
        now: at(day),
        verdicts: BTreeMap::new(),
        settings: Settings::default(),
    }
}

/// A sign-in-linked detection from `ip` in `place`.
fn from(id: &str, kind: &str, ip: &str, place: &str) -> DetectionIn {
    DetectionIn {
        id: id.to_string(),
        user_id: "u1".to_string(),
        user_principal_name: None,
        risk_event_type: kind.to_string(),
        risk_level: RiskLevel::Medium.into(),
        detection_timing_type: DetectionTimingType::Realtime,
        source: "idp".to_string(),
        detected_date_time: at(0),
        sign_in: Some(SignInIn {
            id: format!("s-{id}"),
            created_date_time: at(0),
            ip_address: Some(ip.to_string()),
            location: SignInLocation::from_text(place),
            app_display_name: None,
            risk_level_during_sign_in: RiskLevel::Medium,
        }),
        evidence: None,
        ..DetectionIn::default()
    }
}

fn ingest(agg: &UserAggregate, detections: Vec<DetectionIn>, step: u32, day: i64) -> Outcome {
    apply(agg, &Command::IngestDetections(detections), &ctx(step, day))
}

fn run(agg: &UserAggregate, command: Command, step: u32, day: i64) -> Outcome {
    apply(agg, &command, &ctx(step, day))
}

/// u1's sign-in from home (203.0.113.7, Lisbon) raised an `unfamiliarFeatures` detection.
fn raised_at_home() -> Outcome {
    let new = UserAggregate::new(User::new("u1"));
    ingest(
        &new,
        vec![from(
            "d1",
            "unfamiliarFeatures",
            "203.0.113.7",
            "Lisbon, PT",
        )],
        1,
        0,
    )
}

/// u1 signed in from home (203.0.113.7, Lisbon) and an analyst confirmed that sign-in safe.
fn home_confirmed_safe() -> UserAggregate {
    let raised = raised_at_home();
    run(
        &raised.aggregate,
        Command::ConfirmSignInsSafe(vec!["s-d1".to_string()]),
        2,
        0,
    )
    .aggregate
}

fn state(agg: &UserAggregate, detection: &str) -> (RiskState, RiskDetail) {
    let d = &agg.detections[detection];
    (d.risk_state, d.risk_detail)
}

fn taught(agg: &UserAggregate, detection: &str) -> Option<TaughtCause> {
    agg.detections[detection]
        .taught_by
        .as_ref()
        .map(|t| t.cause)
}

fn what(contexts: &[ContextRef]) -> Vec<String> {
    let mut named: Vec<String> = contexts
        .iter()
        .map(|c| c.network.clone().or(c.city.clone()).unwrap_or_default())
        .collect();
    named.sort();
    named
}

const SAFE: (RiskState, RiskDetail) = (RiskState::Dismissed, RiskDetail::AiConfirmedSigninSafe);
const AT_RISK: (RiskState, RiskDetail) = (RiskState::AtRisk, RiskDetail::None);

#[test]
fn confirming_a_sign_in_safe_makes_its_network_and_place_familiar_and_says_so_in_history() {
    let raised = raised_at_home();
    let out = run(
        &raised.aggregate,
        Command::ConfirmSignInsSafe(vec!["s-d1".to_string()]),
        2,
        0,
    );
    let contexts = &out.aggregate.familiar_contexts;
    assert_eq!(contexts.len(), 2);
    for context in contexts.values() {
        assert_eq!(context.user_id, "u1");
        assert_eq!(context.learned_from.feedback_id, "fb-2");
        assert_eq!(context.learned_from.sign_in_id, "s-d1");
        assert!(!context.learned_from.learning_mode);
        assert_eq!(context.created_by.id, "analyst");
        assert_eq!(context.expiration_date_time, at(90));
        assert_eq!(context.hits, 0);
    }
    assert_eq!(
        what(&out.history.activity.learned_contexts),
        ["203.0.113.0/24", "Lisbon"]
    );
    assert!(out.history.activity.forgotten_contexts.is_empty());
}

#[test]
fn a_detection_from_a_familiar_network_is_judged_safe_names_the_context_and_adds_no_risk() {
    let taught_agg = home_confirmed_safe();
    let out = ingest(
        &taught_agg,
        vec![from(
            "d2",
            "unfamiliarFeatures",
            "203.0.113.99",
            "Porto, PT",
        )],
        3,
        5,
    );
    let agg = &out.aggregate;
    assert_eq!(state(agg, "d2"), SAFE);
    let by = agg.detections["d2"].taught_by.clone().expect("taught");
    assert_eq!(by.cause, TaughtCause::FamiliarNetwork);
    let matched = by.familiar_context.expect("a context matched");
    assert_eq!(matched.network.as_deref(), Some("203.0.113.0/24"));
    assert_eq!(agg.familiar_contexts[&matched.id].hits, 1);
    assert_eq!(
        agg.familiar_contexts[&matched.id].last_hit_date_time,
        Some(at(5))
    );
    assert_eq!(agg.user.risk_level, RiskLevel::None);
    assert_ne!(agg.user.risk_state, RiskState::AtRisk);
}

#[test]
fn a_location_type_from_a_familiar_place_is_judged_safe_whatever_the_network() {
    let out = ingest(
        &home_confirmed_safe(),
        vec![from("d2", "impossibleTravel", "198.51.100.1", "lisbon, PT")],
        3,
        5,
    );
    assert_eq!(state(&out.aggregate, "d2"), SAFE);
    assert_eq!(
        taught(&out.aggregate, "d2"),
        Some(TaughtCause::FamiliarLocation)
    );
}

#[test]
fn a_network_type_from_a_familiar_place_but_a_new_network_raises_risk() {
    let out = ingest(
        &home_confirmed_safe(),
        vec![from(
            "d2",
            "unfamiliarFeatures",
            "198.51.100.1",
            "Lisbon, PT",
        )],
        3,
        5,
    );
    assert_eq!(state(&out.aggregate, "d2"), AT_RISK);
    assert_eq!(out.aggregate.user.risk_state, RiskState::AtRisk);
}

#[test]
fn credential_token_and_admin_types_and_detections_without_a_sign_in_are_never_taught_away() {
    let mut no_sign_in = from("d6", "unfamiliarFeatures", "203.0.113.7", "Lisbon, PT");
    no_sign_in.sign_in = None;
    let out = ingest(
        &home_confirmed_safe(),
        vec![
            from("d2", "leakedCredentials", "203.0.113.7", "Lisbon, PT"),
            from("d3", "passwordSpray", "203.0.113.7", "Lisbon, PT"),
            from("d4", "anomalousToken", "203.0.113.7", "Lisbon, PT"),
            from(
                "d5",
                "investigationsThreatIntelligence",
                "203.0.113.7",
                "Lisbon, PT",
            ),
            no_sign_in,
        ],
        3,
        5,
    );
    for id in ["d2", "d3", "d4", "d5", "d6"] {
        assert_eq!(state(&out.aggregate, id), AT_RISK, "{id}");
        assert_eq!(taught(&out.aggregate, id), None, "{id}");
    }
    assert!(out
        .aggregate
        .familiar_contexts
        .values()
        .all(|c| c.hits == 0));
}

#[test]
fn an_expired_context_matches_no_more() {
    let out = ingest(
        &home_confirmed_safe(),
        vec![from(
            "d2",
            "unfamiliarFeatures",
            "203.0.113.7",
            "Lisbon, PT",
        )],
        3,
        90,
    );
    assert_eq!(state(&out.aggregate, "d2"), AT_RISK);
}

#[test]
fn a_deployment_chooses_the_context_based_types() {
    let mut step = ctx(3, 5);
    step.settings = Settings {
        context_types: Arc::new(ContextTypes {
            network: ["vpnUse".to_string()].into(),
            location: Default::default(),
        }),
        ..Settings::default()
    };
    let out = apply(
        &home_confirmed_safe(),
        &Command::IngestDetections(vec![
            from("d2", "vpnUse", "203.0.113.7", "Lisbon, PT"),
            from("d3", "unfamiliarFeatures", "203.0.113.7", "Lisbon, PT"),
        ]),
        &step,
    );
    assert_eq!(state(&out.aggregate, "d2"), SAFE);
    assert_eq!(state(&out.aggregate, "d3"), AT_RISK);
}

#[test]
fn an_indicator_outranks_what_feedback_taught() {
    let mut step = ctx(3, 5);
    step.verdicts = BTreeMap::from([("d2".to_string(), Verdict::Block)]);
    let out = apply(
        &home_confirmed_safe(),
        &Command::IngestDetections(vec![from(
            "d2",
            "unfamiliarFeatures",
            "203.0.113.7",
            "Lisbon, PT",
        )]),
        &step,
    );
    let d = &out.aggregate.detections["d2"];
    assert_eq!(
        (d.risk_state, d.risk_level),
        (RiskState::AtRisk, RiskLevel::High.into())
    );
    assert_eq!(d.taught_by, None);
}

#[test]
fn dismissing_teaches_nothing() {
    let raised = raised_at_home();
    let dismissed = run(
        &raised.aggregate,
        Command::DismissSignIns(vec!["s-d1".to_string()]),
        2,
        0,
    );
    assert!(dismissed.aggregate.familiar_contexts.is_empty());
    assert!(dismissed.history.activity.learned_contexts.is_empty());
    let dismissed_user = run(&raised.aggregate, Command::DismissUser, 2, 0);
    assert!(dismissed_user.aggregate.familiar_contexts.is_empty());
    let out = ingest(
        &dismissed.aggregate,
        vec![from(
            "d2",
            "unfamiliarFeatures",
            "203.0.113.7",
            "Lisbon, PT",
        )],
        3,
        1,
    );
    assert_eq!(state(&out.aggregate, "d2"), AT_RISK);
}

#[test]
fn confirming_a_sign_in_compromised_forgets_the_contexts_it_matches() {
    // An attacker signs in from the familiar network, from another city.
    let attacked = ingest(
        &home_confirmed_safe(),
        vec![from(
            "d2",
            "leakedCredentials",
            "203.0.113.66",
            "Madrid, ES",
        )],
        3,
        5,
    );
    let out = run(
        &attacked.aggregate,
        Command::ConfirmSignInsCompromised(vec!["s-d2".to_string()]),
        4,
        5,
    );
    assert_eq!(
        what(&out.history.activity.forgotten_contexts),
        ["203.0.113.0/24"]
    );
    let left: Vec<_> = out.aggregate.familiar_contexts.values().collect();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].city.as_deref(), Some("Lisbon"));
    let next = ingest(
        &out.aggregate,
        vec![from("d3", "unfamiliarFeatures", "203.0.113.7", "Porto, PT")],
        5,
        6,
    );
    assert_eq!(state(&next.aggregate, "d3"), AT_RISK);
}

#[test]
fn confirming_a_user_compromised_forgets_the_contexts_of_its_at_risk_sign_ins() {
    let attacked = ingest(
        &home_confirmed_safe(),
        vec![from("d2", "passwordSpray", "198.51.100.9", "Lisbon, PT")],
        3,
        5,
    );
    let out = run(&attacked.aggregate, Command::ConfirmUserCompromised, 4, 5);
    assert_eq!(what(&out.history.activity.forgotten_contexts), ["Lisbon"]);
    assert_eq!(out.aggregate.familiar_contexts.len(), 1);
}

#[test]
fn confirming_a_user_safe_forgets_everything_and_learning_mode_relearns() {
    let out = run(&home_confirmed_safe(), Command::ConfirmUserSafe, 3, 1);
    assert!(out.aggregate.familiar_contexts.is_empty());
    assert_eq!(out.history.activity.forgotten_contexts.len(), 2);
    assert_eq!(out.aggregate.user.learning_until_date_time, Some(at(15)));

    let learning = ingest(
        &out.aggregate,
        vec![
            from("d2", "unfamiliarFeatures", "192.0.2.10", "Paris, FR"),
            from("d3", "impossibleTravel", "192.0.2.11", "Paris, FR"),
            from("d4", "leakedCredentials", "192.0.2.12", "Paris, FR"),
        ],
        4,
        2,
    );
    let agg = &learning.aggregate;
    assert_eq!(taught(agg, "d2"), Some(TaughtCause::LearningMode));
    // The first detection taught Paris, so the second matched it.
    assert_eq!(taught(agg, "d3"), Some(TaughtCause::FamiliarLocation));
    assert_eq!(state(agg, "d4"), AT_RISK);
    assert_eq!(
        what(&learning.history.activity.learned_contexts),
        ["192.0.2.0/24", "Paris"]
    );
    for context in agg.familiar_contexts.values() {
        assert!(context.learned_from.learning_mode);
        assert_eq!(context.learned_from.feedback_id, "fb-4");
        assert_eq!(context.learned_from.sign_in_id, "s-d2");
    }

    // After learning mode, what it learned is still familiar.
    let later = ingest(
        agg,
        vec![from("d5", "unfamiliarFeatures", "192.0.2.200", "Lyon, FR")],
        5,
        30,
    );
    assert_eq!(
        taught(&later.aggregate, "d5"),
        Some(TaughtCause::FamiliarNetwork)
    );
}

#[test]
fn forgetting_a_context_stops_it_matching_and_an_unknown_one_is_not_found() {
    let agg = home_confirmed_safe();
    let network = agg
        .familiar_contexts
        .values()
        .find(|c| c.network.is_some())
        .map(|c| c.id.clone())
        .expect("a network was learned");
    let out = run(
        &agg,
        Command::ForgetFamiliarContexts(vec![network.clone(), "fc-unknown".to_string()]),
        3,
        1,
    );
    let results: Vec<_> = out
        .results
        .iter()
        .map(|r| (r.id.as_str(), r.result))
        .collect();
    assert_eq!(
        results,
        [
            (network.as_str(), TargetOutcome::Applied),
            ("fc-unknown", TargetOutcome::NotFound)
        ]
    );
    assert_eq!(
        what(&out.history.activity.forgotten_contexts),
        ["203.0.113.0/24"]
    );
    assert_eq!(out.aggregate.user, agg.user, "forgetting changes no risk");
    let next = ingest(
        &out.aggregate,
        vec![from(
            "d2",
            "unfamiliarFeatures",
            "203.0.113.7",
            "Lisbon, PT",
        )],
        4,
        2,
    );
    assert_eq!(state(&next.aggregate, "d2"), AT_RISK);
}

#[test]
fn applying_the_same_step_twice_teaches_the_same_contexts() {
    let agg = home_confirmed_safe();
    let again = run(
        &agg,
        Command::ConfirmSignInsSafe(vec!["s-d1".to_string()]),
        2,
        0,
    );
    assert_eq!(again.aggregate.familiar_contexts, agg.familiar_contexts);
}
