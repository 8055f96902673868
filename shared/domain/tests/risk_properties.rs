//! Properties of the risk rules (SPEC 2 and 3) over random sequences of ingestions and feedback.
//! Sign-in and detection ids come from small pools so that sequences revisit the same items,
//! re-ingest detections and name unknown sign-ins.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use riskfeedback::auth::Actor;
use riskfeedback::familiar::{context_id, network_of, ContextTypes, Location, SignInContext};
use riskfeedback::feedback::{DetectionIn, PasswordEvent, PasswordEventKind, SignInIn};
use riskfeedback::location::SignInLocation;
use riskfeedback::model::{
    DetectionTimingType, RiskDetail, RiskLevel, RiskState, User, UserAggregate,
};
use riskfeedback::risk::{apply, Command, Context};

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const SIGN_INS: [&str; 3] = ["s1", "s2", "s3"];
/// Feedback may also name a sign-in that does not exist.
const FEEDBACK_SIGN_INS: [&str; 4] = ["s1", "s2", "s3", "unknown"];
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
fn origin(sign_in: &str) -> (&'static str, &'static str) {
    match sign_in {
        "s1" => ("203.0.113.7", "Lisbon, PT"),
        "s2" => ("203.0.113.9", "Porto, PT"),
        _ => ("198.51.100.1", "Lisbon, PT"),
    }
}

/// Ids of the contexts the sign-ins can teach, and one that never exists.
fn context_ids() -> Vec<String> {
    let mut ids: Vec<String> = SIGN_INS
        .iter()
        .flat_map(|s| {
            let (ip, place) = origin(s);
            [
                context_id("u1", network_of(ip).as_deref(), None),
                context_id(
                    "u1",
                    None,
                    SignInLocation::from_text(place)
                        .and_then(|p| Location::of(&p))
                        .as_ref(),
                ),
            ]
        })
        .collect();
    ids.push("fc-unknown".to_string());
    ids
}

fn level() -> impl Strategy<Value = RiskLevel> {
    prop::sample::select(vec![
        RiskLevel::None,
        RiskLevel::Low,
        RiskLevel::Medium,
        RiskLevel::High,
    ])
}

fn detection() -> impl Strategy<Value = DetectionIn> {
    (
        prop::sample::select(DETECTIONS.to_vec()),
        level(),
        prop::option::of((prop::sample::select(SIGN_INS.to_vec()), level())),
        prop::sample::select(TYPES.to_vec()),
    )
        .prop_map(|(id, level, sign_in, kind)| DetectionIn {
            id: id.to_string(),
            user_id: "u1".to_string(),
            user_principal_name: None,
            risk_event_type: kind.to_string(),
            risk_level: level.into(),
            detection_timing_type: DetectionTimingType::Offline,
            source: "test".to_string(),
            detected_date_time: at(0),
            sign_in: sign_in.map(|(id, real_time)| SignInIn {
                id: id.to_string(),
                created_date_time: at(0),
                ip_address: Some(origin(id).0.to_string()),
                location: SignInLocation::from_text(origin(id).1),
                app_display_name: None,
                risk_level_during_sign_in: real_time,
            }),
            evidence: None,
            ..DetectionIn::default()
        })
}

fn sign_in_ids() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(FEEDBACK_SIGN_INS.to_vec()).prop_map(str::to_string),
        1..=3,
    )
}

fn password_event() -> impl Strategy<Value = PasswordEvent> {
    (
        prop::sample::select(vec![
            PasswordEventKind::SecurePasswordReset,
            PasswordEventKind::SecurePasswordChange,
            PasswordEventKind::AdminTemporaryPassword,
            PasswordEventKind::OnPremisesPasswordChange,
            PasswordEventKind::MfaPassed,
        ]),
        prop::sample::select(FEEDBACK_SIGN_INS.to_vec()),
    )
        .prop_map(|(kind, sign_in)| PasswordEvent {
            kind,
            sign_in_id: (kind == PasswordEventKind::MfaPassed).then(|| sign_in.to_string()),
        })
}

/// The kinds that close all of a user's risk, with the deployment's default settings.
fn closes_all(kind: PasswordEventKind) -> bool {
    matches!(
        kind,
        PasswordEventKind::SecurePasswordReset
            | PasswordEventKind::SecurePasswordChange
            | PasswordEventKind::AdminTemporaryPassword
    )
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        4 => prop::collection::vec(detection(), 1..=3).prop_map(Command::IngestDetections),
        1 => sign_in_ids().prop_map(Command::ConfirmSignInsSafe),
        1 => sign_in_ids().prop_map(Command::ConfirmSignInsCompromised),
        1 => sign_in_ids().prop_map(Command::DismissSignIns),
        1 => Just(Command::ConfirmUserCompromised),
        1 => Just(Command::ConfirmUserSafe),
        1 => Just(Command::DismissUser),
        1 => password_event().prop_map(Command::Password),
        1 => prop::collection::vec(prop::sample::select(context_ids()), 1..=2)
            .prop_map(Command::ForgetFamiliarContexts),
    ]
}

fn commands() -> impl Strategy<Value = Vec<Command>> {
    prop::collection::vec(command(), 1..24)
}

// ---------------------------------------------------------------------------------------------
// Replaying a sequence
// ---------------------------------------------------------------------------------------------

fn at(second: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + second, 0).expect("valid timestamp")
}

/// Every step has its own step id; two steps share each second, as bursts of feedback do.
fn ctx(step: usize) -> Context {
    Context {
        step_id: format!("step-{step}"),
        feedback_id: format!("fb-{step}"),
        actor: Actor {
            id: "analyst".to_string(),
            display_name: None,
        },
        comment: None,
        now: at(step as i64 / 2),
        verdicts: Default::default(),
        settings: Default::default(),
    }
}

struct Step<'a> {
    index: usize,
    command: &'a Command,
    before: UserAggregate,
    after: UserAggregate,
}

/// Applies the commands in order to a fresh user and returns every step.
fn replay(commands: &[Command]) -> Vec<Step<'_>> {
    let mut agg = UserAggregate::new(User::new("u1"));
    commands
        .iter()
        .enumerate()
        .map(|(index, command)| {
            let after = apply(&agg, command, &ctx(index)).aggregate;
            let before = std::mem::replace(&mut agg, after.clone());
            Step {
                index,
                command,
                before,
                after,
            }
        })
        .collect()
}

fn highest_active(agg: &UserAggregate) -> Option<RiskLevel> {
    agg.active_detections()
        .map(|d| d.risk_level.counts_as())
        .max()
}

fn nothing_active(agg: &UserAggregate) -> bool {
    agg.active_detections().next().is_none()
        && agg.sign_ins.values().all(|s| !s.risk_state.is_active())
}

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(256)
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// (a) SPEC 1: real-time risk is fixed when the sign-in happened.
    #[test]
    fn real_time_risk_never_changes(commands in commands()) {
        let mut first_seen: BTreeMap<String, RiskLevel> = BTreeMap::new();
        for step in replay(&commands) {
            for sign_in in step.after.sign_ins.values() {
                let fixed = *first_seen
                    .entry(sign_in.id.clone())
                    .or_insert(sign_in.risk_level_during_sign_in);
                prop_assert_eq!(
                    sign_in.risk_level_during_sign_in, fixed,
                    "sign-in {} at step {}", &sign_in.id, step.index
                );
            }
        }
    }

    /// (b) A dismissed user has nothing left that counts.
    #[test]
    fn dismissed_user_has_no_active_detection(commands in commands()) {
        for step in replay(&commands) {
            if step.after.user.risk_state == RiskState::Dismissed {
                prop_assert!(
                    step.after.active_detections().next().is_none(),
                    "step {}: {:#?}", step.index, step.after
                );
            }
        }
    }

    /// (c) SPEC 2: the user's level is the highest active detection, `high` when confirmed
    /// compromised.
    #[test]
    fn user_level_follows_active_detections(commands in commands()) {
        for step in replay(&commands) {
            let user = &step.after.user;
            let expected = if user.risk_state == RiskState::ConfirmedCompromised {
                RiskLevel::High
            } else {
                highest_active(&step.after).unwrap_or(RiskLevel::None)
            };
            prop_assert_eq!(user.risk_level, expected, "step {}: {:#?}", step.index, step.after);
        }
    }

    /// (d) SPEC 2: a user with an active detection is `atRisk` unless confirmed compromised
    /// (the only stronger state), and only such a user is `atRisk`. A user is confirmed
    /// compromised exactly while a confirmed compromised detection (the one that made it so)
    /// is still open: feedback on other sign-ins or new detections do not undo it.
    #[test]
    fn user_is_at_risk_iff_it_has_active_risk(commands in commands()) {
        for step in replay(&commands) {
            let agg = &step.after;
            let has_active = agg.active_detections().next().is_some();
            let compromised = agg.user.risk_state == RiskState::ConfirmedCompromised;
            prop_assert_eq!(
                agg.user.risk_state == RiskState::AtRisk,
                has_active && !compromised,
                "step {}: {:#?}", step.index, agg
            );
            let has_compromised_detection = agg
                .detections
                .values()
                .any(|d| d.risk_state == RiskState::ConfirmedCompromised);
            prop_assert_eq!(compromised, has_compromised_detection, "step {}: {:#?}", step.index, agg);
        }
    }

    /// (e) Redelivered work is harmless: the same command with the same context twice equals once.
    #[test]
    fn applying_a_command_twice_equals_once(commands in commands()) {
        for step in replay(&commands) {
            let twice = apply(&step.after, step.command, &ctx(step.index)).aggregate;
            prop_assert_eq!(&twice, &step.after, "step {}: {:?}", step.index, step.command);
        }
    }

    /// (f) SPEC 3: dismissing the user, confirming it safe or a password event leaves nothing
    /// active. (A password event on a user who is not at risk changes nothing, and by (d) such
    /// a user has nothing active either.)
    #[test]
    fn closing_the_user_leaves_nothing_active(commands in commands()) {
        for step in replay(&commands) {
            let expected_state = match step.command {
                Command::DismissUser => RiskState::Dismissed,
                Command::ConfirmUserSafe => RiskState::ConfirmedSafe,
                Command::Password(e) if !closes_all(e.kind) => {
                    // With the setting off, a password changed on premises is history only.
                    if e.kind == PasswordEventKind::OnPremisesPasswordChange {
                        prop_assert_eq!(&step.after, &step.before, "step {}", step.index);
                    }
                    continue;
                }
                Command::Password(_) if step.before.user.risk_state.is_active() => {
                    RiskState::Remediated
                }
                Command::Password(_) => {
                    prop_assert_eq!(&step.after, &step.before, "step {}", step.index);
                    step.before.user.risk_state
                }
                _ => continue,
            };
            prop_assert!(nothing_active(&step.after), "step {}: {:#?}", step.index, step.after);
            prop_assert_eq!(step.after.user.risk_state, expected_state, "step {}", step.index);
            prop_assert_eq!(step.after.user.risk_level, RiskLevel::None, "step {}", step.index);
        }
    }

    /// (g) SPEC 2: a sign-in's aggregate level is the highest of its active detections, `high`
    /// once confirmed compromised, `none` once closed.
    #[test]
    fn sign_in_aggregate_follows_its_active_detections(commands in commands()) {
        for step in replay(&commands) {
            let agg = &step.after;
            for sign_in in agg.sign_ins.values() {
                let highest = agg
                    .active_detections()
                    .filter(|d| d.sign_in_id.as_deref() == Some(sign_in.id.as_str()))
                    .map(|d| d.risk_level.counts_as())
                    .max();
                let expected = match sign_in.risk_state {
                    RiskState::ConfirmedCompromised => RiskLevel::High,
                    RiskState::AtRisk => highest.unwrap_or(RiskLevel::None),
                    _ => {
                        prop_assert_eq!(highest, None, "closed sign-in {}: {:#?}", &sign_in.id, agg);
                        RiskLevel::None
                    }
                };
                prop_assert_eq!(
                    sign_in.risk_level_aggregated, expected,
                    "sign-in {} at step {}: {:#?}", &sign_in.id, step.index, agg
                );
            }
        }
    }

    /// (h) SPEC 2: a new detection never lowers risk and never changes a confirmed compromised
    /// user.
    #[test]
    fn ingestion_never_lowers_risk(commands in commands()) {
        for step in replay(&commands) {
            if !matches!(step.command, Command::IngestDetections(_)) {
                continue;
            }
            let (before, after) = (&step.before, &step.after);
            if before.user.risk_state == RiskState::ConfirmedCompromised {
                prop_assert_eq!(&after.user, &before.user, "step {}", step.index);
            }
            prop_assert!(after.user.risk_level >= before.user.risk_level, "step {}", step.index);
            for (id, sign_in) in &before.sign_ins {
                prop_assert!(
                    after.sign_ins[id].risk_level_aggregated >= sign_in.risk_level_aggregated,
                    "sign-in {} at step {}", id, step.index
                );
            }
        }
    }

    /// (i) SPEC 3a: what feedback taught judges only sign-in-linked detections of context-based
    /// types, and judges them safe.
    #[test]
    fn only_context_based_sign_in_detections_are_taught_away(commands in commands()) {
        let types = ContextTypes::default();
        for step in replay(&commands) {
            for d in step.after.detections.values().filter(|d| d.taught_by.is_some()) {
                prop_assert!(d.sign_in_id.is_some(), "{} at step {}", &d.id, step.index);
                prop_assert!(types.judges_by(&d.risk_event_type).is_some(), "{}", &d.risk_event_type);
                prop_assert_eq!(
                    (d.risk_state, d.risk_detail),
                    (RiskState::Dismissed, RiskDetail::AiConfirmedSigninSafe),
                    "{} at step {}", &d.id, step.index
                );
            }
        }
    }

    /// (j) SPEC 3a: after a sign-in is confirmed compromised nothing familiar matches it; after
    /// the user is confirmed safe nothing is familiar; dismissing changes nothing familiar.
    #[test]
    fn compromise_forgets_what_it_matches_and_dismissal_teaches_nothing(commands in commands()) {
        for step in replay(&commands) {
            let contexts = &step.after.familiar_contexts;
            match step.command {
                Command::ConfirmSignInsCompromised(ids) => {
                    for id in ids.iter().filter(|id| step.before.sign_ins.contains_key(*id)) {
                        let sign_in = &step.after.sign_ins[id];
                        let from = SignInContext::of(sign_in.ip_address.as_deref(), sign_in.location.as_ref());
                        prop_assert!(
                            !contexts.values().any(|c| c.matches(&from)),
                            "{} still familiar at step {}", id, step.index
                        );
                    }
                }
                Command::ConfirmUserSafe => prop_assert!(contexts.is_empty(), "step {}", step.index),
                Command::DismissSignIns(_) | Command::DismissUser => {
                    prop_assert_eq!(contexts, &step.before.familiar_contexts, "step {}", step.index)
                }
                _ => {}
            }
        }
    }
}
