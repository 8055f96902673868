//! The risk rules' state transitions (SPEC 2-3) over arbitrary sequences of ingestions and
//! feedback on one user: no panic, applying a step twice equals once, and the user's and each
//! sign-in's state and level always follow from its active detections. The same invariants as
//! `shared/domain/tests/risk_properties.rs`, explored by coverage instead of by random generation.
#![no_main]

use arbitrary::Arbitrary;
use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use riskfeedback::auth::Actor;
use riskfeedback::familiar::{context_id, network_of, Location};
use riskfeedback::feedback::{DetectionIn, PasswordEvent, PasswordEventKind, SignInIn};
use riskfeedback::location::SignInLocation;
use riskfeedback::model::{DetectionTimingType, RiskLevel, RiskState, User, UserAggregate};
use riskfeedback::risk::{apply, Command, Context};

/// Small id pools, so that sequences revisit the same sign-ins and detections.
const SIGN_INS: [&str; 4] = ["s1", "s2", "s3", "unknown"];
const DETECTIONS: [&str; 6] = ["d1", "d2", "d3", "d4", "d5", "d6"];
/// Context-based types of both kinds, and types never taught away.
const TYPES: [&str; 5] = [
    "unfamiliarFeatures",
    "anonymizedIPAddress",
    "newCountry",
    "leakedCredentials",
    "anomalousToken",
];
/// Where each sign-in comes from: s2 shares s1's network, s3 shares s1's city.
const ORIGINS: [(&str, &str); 3] = [
    ("203.0.113.7", "Lisbon, PT"),
    ("203.0.113.9", "Porto, PT"),
    ("198.51.100.1", "Lisbon, PT"),
];

/// A detection by pool index and level, on a sign-in (pool index, real-time level) or none.
#[derive(Debug, Arbitrary)]
struct Detected {
    id: u8,
    kind: u8,
    level: u8,
    sign_in: Option<(u8, u8)>,
}

#[derive(Debug, Arbitrary)]
enum Step {
    Ingest(Vec<Detected>),
    ConfirmSignInsSafe(Vec<u8>),
    ConfirmSignInsCompromised(Vec<u8>),
    DismissSignIns(Vec<u8>),
    ConfirmUserCompromised,
    ConfirmUserSafe,
    DismissUser,
    Password(u8, u8),
    ForgetFamiliarContexts(Vec<u8>),
}

fn level(n: u8) -> RiskLevel {
    [
        RiskLevel::None,
        RiskLevel::Low,
        RiskLevel::Medium,
        RiskLevel::High,
    ][usize::from(n % 4)]
}

fn at(second: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + second, 0).unwrap_or_default()
}

fn sign_ins(picks: &[u8]) -> Vec<String> {
    picks
        .iter()
        .take(3)
        .map(|n| SIGN_INS[usize::from(*n) % SIGN_INS.len()].to_string())
        .collect()
}

fn command(step: &Step) -> Command {
    match step {
        Step::Ingest(detections) => Command::IngestDetections(
            detections
                .iter()
                .take(3)
                .map(|d| DetectionIn {
                    id: DETECTIONS[usize::from(d.id) % DETECTIONS.len()].to_string(),
                    user_id: "u1".to_string(),
                    user_principal_name: None,
                    risk_event_type: TYPES[usize::from(d.kind) % TYPES.len()].to_string(),
                    risk_level: level(d.level).into(),
                    detection_timing_type: DetectionTimingType::Offline,
                    source: "fuzz".to_string(),
                    detected_date_time: at(0),
                    sign_in: d.sign_in.map(|(id, real_time)| SignInIn {
                        id: SIGN_INS[usize::from(id) % 3].to_string(),
                        created_date_time: at(0),
                        ip_address: Some(ORIGINS[usize::from(id) % 3].0.to_string()),
                        location: SignInLocation::from_text(ORIGINS[usize::from(id) % 3].1),
                        app_display_name: None,
                        risk_level_during_sign_in: level(real_time),
                    }),
                    evidence: None,
                    ..DetectionIn::default()
                })
                .collect(),
        ),
        Step::ConfirmSignInsSafe(ids) => Command::ConfirmSignInsSafe(sign_ins(ids)),
        Step::ConfirmSignInsCompromised(ids) => Command::ConfirmSignInsCompromised(sign_ins(ids)),
        Step::DismissSignIns(ids) => Command::DismissSignIns(sign_ins(ids)),
        Step::ConfirmUserCompromised => Command::ConfirmUserCompromised,
        Step::ConfirmUserSafe => Command::ConfirmUserSafe,
        Step::DismissUser => Command::DismissUser,
        Step::Password(n, sign_in) => {
            let kind = [
                PasswordEventKind::SecurePasswordReset,
                PasswordEventKind::SecurePasswordChange,
                PasswordEventKind::AdminTemporaryPassword,
                PasswordEventKind::OnPremisesPasswordChange,
                PasswordEventKind::MfaPassed,
            ][usize::from(*n % 5)];
            Command::Password(PasswordEvent {
                kind,
                sign_in_id: (kind == PasswordEventKind::MfaPassed)
                    .then(|| SIGN_INS[usize::from(*sign_in) % SIGN_INS.len()].to_string()),
            })
        }
        Step::ForgetFamiliarContexts(picks) => Command::ForgetFamiliarContexts(
            picks
                .iter()
                .take(3)
                .map(|n| {
                    let (ip, place) = ORIGINS[usize::from(*n / 2) % ORIGINS.len()];
                    if n % 2 == 0 {
                        context_id("u1", network_of(ip).as_deref(), None)
                    } else {
                        context_id(
                            "u1",
                            None,
                            SignInLocation::from_text(place)
                                .and_then(|p| Location::of(&p))
                                .as_ref(),
                        )
                    }
                })
                .collect(),
        ),
    }
}

fn ctx(index: usize) -> Context {
    Context {
        step_id: format!("step-{index}"),
        feedback_id: format!("fb-{index}"),
        actor: Actor {
            id: "analyst".to_string(),
            display_name: None,
        },
        comment: None,
        now: at(index as i64 / 2),
        verdicts: Default::default(),
        settings: Default::default(),
    }
}

fn assert_consistent(agg: &UserAggregate, index: usize) {
    let highest = agg
        .active_detections()
        .map(|d| d.risk_level.counts_as())
        .max();
    let compromised = agg.user.risk_state == RiskState::ConfirmedCompromised;
    let expected_level = if compromised {
        RiskLevel::High
    } else {
        highest.unwrap_or(RiskLevel::None)
    };
    assert_eq!(
        agg.user.risk_level, expected_level,
        "step {index}: {agg:#?}"
    );
    assert_eq!(
        agg.user.risk_state == RiskState::AtRisk,
        highest.is_some() && !compromised,
        "step {index}: {agg:#?}"
    );
    if agg.user.risk_state == RiskState::Dismissed {
        assert!(highest.is_none(), "step {index}: {agg:#?}");
    }
    for sign_in in agg.sign_ins.values() {
        let active = agg
            .active_detections()
            .filter(|d| d.sign_in_id.as_deref() == Some(sign_in.id.as_str()))
            .map(|d| d.risk_level.counts_as())
            .max();
        let expected = match sign_in.risk_state {
            RiskState::ConfirmedCompromised => RiskLevel::High,
            RiskState::AtRisk => active.unwrap_or(RiskLevel::None),
            _ => {
                assert_eq!(active, None, "closed sign-in {}: {agg:#?}", sign_in.id);
                RiskLevel::None
            }
        };
        assert_eq!(
            sign_in.risk_level_aggregated, expected,
            "step {index}: {agg:#?}"
        );
    }
}

fuzz_target!(|steps: Vec<Step>| {
    let mut agg = UserAggregate::new(User::new("u1"));
    for (index, step) in steps.iter().take(32).enumerate() {
        let command = command(step);
        let after = apply(&agg, &command, &ctx(index)).aggregate;
        let twice = apply(&after, &command, &ctx(index)).aggregate;
        assert_eq!(twice, after, "step {index} applied twice: {command:?}");
        assert_consistent(&after, index);
        agg = after;
    }
});
