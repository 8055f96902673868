//! SPEC 2 (risk computation) and SPEC 3 (the feedback table), one plain test per rule or row.
//! Aggregates are built the way real data arrives: by ingesting detections into a fresh user.

use chrono::{DateTime, Utc};
use riskfeedback::auth::Actor;
use riskfeedback::feedback::{
    DetectionIn, PasswordEvent, PasswordEventKind, SignInIn, TargetOutcome, TargetResult,
};
use riskfeedback::model::{
    Activity, DetectionTimingType, RiskDetail, RiskLevel, RiskState, User, UserAggregate,
};
use riskfeedback::risk::{apply, Command, Context, Outcome, Settings};

use RiskLevel::{High, Low, Medium};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn at(second: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + second, 0).expect("valid timestamp")
}

/// The context of the `step`-th unit of work: its own step id, one second after the previous.
fn ctx(step: u32) -> Context {
    ctx_at(step, at(i64::from(step)))
}

fn ctx_at(step: u32, now: DateTime<Utc>) -> Context {
    Context {
        step_id: format!("step-{step}"),
        feedback_id: format!("fb-{step}"),
        actor: Actor {
            id: "analyst".to_string(),
            display_name: None,
        },
        comment: None,
        now,
        verdicts: Default::default(),
        settings: Default::default(),
    }
}

/// A detection as a signal source posts it; with a sign-in, the sign-in's real-time risk is
/// the detection's level.
fn detection(id: &str, level: RiskLevel, sign_in: Option<&str>) -> DetectionIn {
    DetectionIn {
        id: id.to_string(),
        user_id: "u1".to_string(),
        user_principal_name: None,
        risk_event_type: "unfamiliarFeatures".to_string(),
        risk_level: level.into(),
        detection_timing_type: if sign_in.is_some() {
            DetectionTimingType::Realtime
        } else {
            DetectionTimingType::Offline
        },
        source: "test".to_string(),
        detected_date_time: at(0),
        sign_in: sign_in.map(|id| SignInIn {
            id: id.to_string(),
            created_date_time: at(0),
            ip_address: None,
            location: None,
            app_display_name: None,
            risk_level_during_sign_in: level,
        }),
        evidence: None,
        ..DetectionIn::default()
    }
}

fn new_user() -> UserAggregate {
    UserAggregate::new(User::new("u1"))
}

fn run(agg: &UserAggregate, command: Command, step: u32) -> Outcome {
    apply(agg, &command, &ctx(step))
}

fn ingest(agg: &UserAggregate, detections: Vec<DetectionIn>, step: u32) -> UserAggregate {
    run(agg, Command::IngestDetections(detections), step).aggregate
}

fn ids(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| id.to_string()).collect()
}

/// u1 with sign-in s1 (d1, medium), sign-in s2 (d2, high) and a user-level detection d3 (low).
fn seeded() -> UserAggregate {
    ingest(
        &new_user(),
        vec![
            detection("d1", Medium, Some("s1")),
            detection("d2", High, Some("s2")),
            detection("d3", Low, None),
        ],
        0,
    )
}

/// u1 with only sign-in risk: s1 (d1, medium) and s2 (d2, high).
fn two_sign_ins() -> UserAggregate {
    ingest(
        &new_user(),
        vec![
            detection("d1", Medium, Some("s1")),
            detection("d2", High, Some("s2")),
        ],
        0,
    )
}

fn user_risk(agg: &UserAggregate) -> (RiskState, RiskLevel, RiskDetail) {
    (
        agg.user.risk_state,
        agg.user.risk_level,
        agg.user.risk_detail,
    )
}

fn sign_in_risk(agg: &UserAggregate, id: &str) -> (RiskState, RiskLevel, RiskDetail) {
    let s = &agg.sign_ins[id];
    (s.risk_state, s.risk_level_aggregated, s.risk_detail)
}

fn detection_state(agg: &UserAggregate, id: &str) -> RiskState {
    agg.detections[id].risk_state
}

fn assert_nothing_active(agg: &UserAggregate) {
    assert_eq!(agg.active_detections().count(), 0, "{agg:#?}");
    assert!(
        agg.sign_ins.values().all(|s| !s.risk_state.is_active()),
        "{agg:#?}"
    );
}

fn applied(id: &str) -> TargetResult {
    TargetResult::new(id, TargetOutcome::Applied)
}

fn not_found(id: &str) -> TargetResult {
    TargetResult::new(id, TargetOutcome::NotFound)
}

// ---------------------------------------------------------------------------------------------
// SPEC 3: the feedback table, one test per row
// ---------------------------------------------------------------------------------------------

#[test]
fn confirm_sign_in_safe_closes_it_and_recomputes_the_user_without_it() {
    let before = seeded();
    let out = run(&before, Command::ConfirmSignInsSafe(ids(&["s2"])), 1);
    let agg = &out.aggregate;

    assert_eq!(out.results, vec![applied("s2")]);
    assert_eq!(
        sign_in_risk(agg, "s2"),
        (
            RiskState::ConfirmedSafe,
            RiskLevel::None,
            RiskDetail::AdminConfirmedSigninSafe
        )
    );
    assert_eq!(detection_state(agg, "d2"), RiskState::ConfirmedSafe);
    assert_eq!(
        agg.detections["d2"].risk_detail,
        RiskDetail::AdminConfirmedSigninSafe
    );
    // The other sign-in and the user-level detection still count.
    assert_eq!(agg.sign_ins["s1"], before.sign_ins["s1"]);
    assert_eq!(detection_state(agg, "d3"), RiskState::AtRisk);
    assert_eq!(
        (agg.user.risk_state, agg.user.risk_level),
        (RiskState::AtRisk, Medium)
    );
}

#[test]
fn confirm_sign_in_safe_with_nothing_left_active_remediates_the_user() {
    let out = run(
        &two_sign_ins(),
        Command::ConfirmSignInsSafe(ids(&["s1", "s2"])),
        1,
    );

    assert_eq!(out.results, vec![applied("s1"), applied("s2")]);
    assert_eq!(
        user_risk(&out.aggregate),
        (
            RiskState::Remediated,
            RiskLevel::None,
            RiskDetail::AdminConfirmedSigninSafe
        )
    );
    assert_nothing_active(&out.aggregate);
}

#[test]
fn confirm_sign_in_compromised_makes_sign_in_and_user_confirmed_compromised() {
    let before = seeded();
    let out = run(&before, Command::ConfirmSignInsCompromised(ids(&["s1"])), 1);
    let agg = &out.aggregate;

    assert_eq!(out.results, vec![applied("s1")]);
    assert_eq!(
        sign_in_risk(agg, "s1"),
        (
            RiskState::ConfirmedCompromised,
            High,
            RiskDetail::AdminConfirmedSigninCompromised
        )
    );
    assert_eq!(detection_state(agg, "d1"), RiskState::ConfirmedCompromised);
    assert_eq!(agg.sign_ins["s2"], before.sign_ins["s2"]);
    assert_eq!(agg.detections["d2"], before.detections["d2"]);
    assert_eq!(
        user_risk(agg),
        (
            RiskState::ConfirmedCompromised,
            High,
            RiskDetail::AdminConfirmedSigninCompromised
        )
    );
}

#[test]
fn dismiss_sign_in_closes_it_and_recomputes_the_user_without_it() {
    let before = seeded();
    let out = run(&before, Command::DismissSignIns(ids(&["s2"])), 1);
    let agg = &out.aggregate;

    assert_eq!(out.results, vec![applied("s2")]);
    assert_eq!(
        sign_in_risk(agg, "s2"),
        (
            RiskState::Dismissed,
            RiskLevel::None,
            RiskDetail::AdminDismissedRiskForSignIn
        )
    );
    assert_eq!(detection_state(agg, "d2"), RiskState::Dismissed);
    assert_eq!(agg.sign_ins["s1"], before.sign_ins["s1"]);
    assert_eq!(
        (agg.user.risk_state, agg.user.risk_level),
        (RiskState::AtRisk, Medium)
    );
}

#[test]
fn dismiss_sign_in_with_nothing_left_active_dismisses_the_user() {
    let out = run(
        &two_sign_ins(),
        Command::DismissSignIns(ids(&["s1", "s2"])),
        1,
    );

    assert_eq!(
        user_risk(&out.aggregate),
        (
            RiskState::Dismissed,
            RiskLevel::None,
            RiskDetail::AdminDismissedRiskForSignIn
        )
    );
    assert_nothing_active(&out.aggregate);
}

#[test]
fn confirm_user_compromised_confirms_what_was_at_risk_and_adds_an_admin_detection() {
    let before = seeded();
    let out = run(&before, Command::ConfirmUserCompromised, 1);
    let agg = &out.aggregate;

    assert_eq!(out.results, vec![applied("u1")]);
    for id in ["s1", "s2"] {
        assert_eq!(
            sign_in_risk(agg, id),
            (
                RiskState::ConfirmedCompromised,
                High,
                RiskDetail::AdminConfirmedUserCompromised
            ),
            "{id}"
        );
        assert_eq!(
            agg.sign_ins[id].risk_level_during_sign_in,
            before.sign_ins[id].risk_level_during_sign_in
        );
    }
    for id in ["d1", "d2", "d3"] {
        let d = &agg.detections[id];
        assert_eq!(
            (d.risk_state, d.risk_detail, d.risk_level),
            (
                RiskState::ConfirmedCompromised,
                RiskDetail::AdminConfirmedUserCompromised,
                before.detections[id].risk_level
            ),
            "{id}"
        );
    }
    assert_eq!(
        out.history.activity.risk_event_types,
        ["adminConfirmedUserCompromised", "unfamiliarFeatures"]
    );
    let added: Vec<_> = agg
        .detections
        .values()
        .filter(|d| !before.detections.contains_key(&d.id))
        .collect();
    assert_eq!(added.len(), 1, "exactly one detection is added");
    let admin = added[0];
    assert_eq!(admin.risk_event_type, "adminConfirmedUserCompromised");
    assert_eq!(admin.activity, Activity::User);
    assert_eq!(admin.risk_level, High.into());
    assert_eq!(admin.detection_timing_type, DetectionTimingType::Offline);
    assert_eq!(admin.source, "admin");
    assert_eq!(admin.sign_in_id, None);
    assert!(admin.risk_state.is_active());
    assert_eq!(
        user_risk(agg),
        (
            RiskState::ConfirmedCompromised,
            High,
            RiskDetail::AdminConfirmedUserCompromised
        )
    );
}

#[test]
fn confirm_user_compromised_keeps_what_was_already_closed_or_confirmed() {
    let before = run(
        &seeded(),
        Command::ConfirmSignInsCompromised(ids(&["s1"])),
        1,
    )
    .aggregate;
    let before = run(&before, Command::DismissSignIns(ids(&["s2"])), 2).aggregate;
    let out = run(&before, Command::ConfirmUserCompromised, 3);
    let agg = &out.aggregate;
    assert_eq!(agg.sign_ins["s1"], before.sign_ins["s1"]);
    assert_eq!(agg.detections["d1"], before.detections["d1"]);
    assert_eq!(agg.sign_ins["s2"], before.sign_ins["s2"]);
    assert_eq!(detection_state(agg, "d2"), RiskState::Dismissed);
    assert_eq!(detection_state(agg, "d3"), RiskState::ConfirmedCompromised);
}

#[test]
fn confirm_user_safe_closes_every_active_risk() {
    // s1 is already dismissed: only sign-ins with active risk become confirmed safe.
    let before = run(&seeded(), Command::DismissSignIns(ids(&["s1"])), 1).aggregate;
    let out = run(&before, Command::ConfirmUserSafe, 2);
    let agg = &out.aggregate;

    assert_eq!(out.results, vec![applied("u1")]);
    assert_eq!(agg.sign_ins["s1"], before.sign_ins["s1"]);
    assert_eq!(agg.detections["d1"], before.detections["d1"]);
    assert_eq!(
        sign_in_risk(agg, "s2"),
        (
            RiskState::ConfirmedSafe,
            RiskLevel::None,
            RiskDetail::AdminConfirmedAccountSafe
        )
    );
    assert_eq!(detection_state(agg, "d2"), RiskState::ConfirmedSafe);
    assert_eq!(detection_state(agg, "d3"), RiskState::ConfirmedSafe);
    assert_eq!(
        user_risk(agg),
        (
            RiskState::ConfirmedSafe,
            RiskLevel::None,
            RiskDetail::AdminConfirmedAccountSafe
        )
    );
    assert_nothing_active(agg);
}

/// A new detection for u1 at `second`, of `kind`, with or without a sign-in.
fn typed(id: &str, kind: &str, sign_in: Option<&str>) -> DetectionIn {
    DetectionIn {
        risk_event_type: kind.to_string(),
        ..detection(id, Medium, sign_in)
    }
}

#[test]
fn confirm_user_safe_starts_learning_mode_for_the_configured_days() {
    let out = run(&seeded(), Command::ConfirmUserSafe, 1);
    assert_eq!(
        out.aggregate.user.learning_until_date_time,
        Some(at(1) + chrono::Duration::days(14))
    );
    let thirty = Context {
        settings: Settings {
            learning_days: 30,
            ..Settings::default()
        },
        ..ctx(1)
    };
    let out = apply(&seeded(), &Command::ConfirmUserSafe, &thirty);
    assert_eq!(
        out.aggregate.user.learning_until_date_time,
        Some(at(1) + chrono::Duration::days(30))
    );
}

#[test]
fn in_learning_mode_context_based_sign_in_detections_are_taught_away() {
    let learning = run(&seeded(), Command::ConfirmUserSafe, 1).aggregate;
    let after = ingest(
        &learning,
        vec![
            typed("d10", "unfamiliarFeatures", Some("s10")),
            typed("d11", "impossibleTravel", Some("s11")),
            typed("d12", "leakedCredentials", Some("s12")),
            typed("d13", "anomalousToken", Some("s13")),
            typed("d14", "unfamiliarFeatures", None),
        ],
        2,
    );
    for id in ["d10", "d11"] {
        let d = &after.detections[id];
        assert_eq!(
            (d.risk_state, d.risk_detail),
            (RiskState::Dismissed, RiskDetail::AiConfirmedSigninSafe),
            "{id}"
        );
    }
    assert_eq!(after.sign_ins["s10"].risk_state, RiskState::None);
    // Credential and token types, and detections not linked to a sign-in, apply as usual.
    for id in ["d12", "d13", "d14"] {
        assert_eq!(detection_state(&after, id), RiskState::AtRisk, "{id}");
    }
    assert_eq!(user_risk(&after).0, RiskState::AtRisk);
}

#[test]
fn after_learning_mode_context_based_detections_raise_risk_again() {
    let learning = run(&seeded(), Command::ConfirmUserSafe, 1).aggregate;
    let later = at(1) + chrono::Duration::days(14);
    let out = apply(
        &learning,
        &Command::IngestDetections(vec![typed("d10", "unfamiliarFeatures", Some("s10"))]),
        &ctx_at(2, later),
    );
    assert_eq!(detection_state(&out.aggregate, "d10"), RiskState::AtRisk);
}

#[test]
fn confirming_a_compromise_ends_learning_mode() {
    let learning = run(&seeded(), Command::ConfirmUserSafe, 1).aggregate;
    let user = run(&learning, Command::ConfirmUserCompromised, 2).aggregate;
    assert_eq!(user.user.learning_until_date_time, None);
    let learning = ingest(
        &learning,
        vec![typed("d10", "leakedCredentials", Some("s10"))],
        2,
    );
    let sign_in = run(
        &learning,
        Command::ConfirmSignInsCompromised(ids(&["s10"])),
        3,
    )
    .aggregate;
    assert_eq!(sign_in.user.learning_until_date_time, None);
    // Feedback naming no known sign-in changes nothing, learning mode included.
    let unknown = run(
        &learning,
        Command::ConfirmSignInsCompromised(ids(&["s-x"])),
        3,
    )
    .aggregate;
    assert_eq!(unknown, learning);
}

#[test]
fn dismiss_user_closes_every_active_risk() {
    // s1 is already confirmed safe: only sign-ins with active risk become dismissed.
    let before = run(&seeded(), Command::ConfirmSignInsSafe(ids(&["s1"])), 1).aggregate;
    let out = run(&before, Command::DismissUser, 2);
    let agg = &out.aggregate;

    assert_eq!(out.results, vec![applied("u1")]);
    assert_eq!(agg.sign_ins["s1"], before.sign_ins["s1"]);
    assert_eq!(agg.detections["d1"], before.detections["d1"]);
    assert_eq!(
        sign_in_risk(agg, "s2"),
        (
            RiskState::Dismissed,
            RiskLevel::None,
            RiskDetail::AdminDismissedAllRiskForUser
        )
    );
    assert_eq!(detection_state(agg, "d2"), RiskState::Dismissed);
    assert_eq!(detection_state(agg, "d3"), RiskState::Dismissed);
    assert_eq!(
        user_risk(agg),
        (
            RiskState::Dismissed,
            RiskLevel::None,
            RiskDetail::AdminDismissedAllRiskForUser
        )
    );
    assert_nothing_active(agg);
}

/// The three password rows: every active risk is remediated, with the event's detail.
fn assert_password_event_remediates(kind: PasswordEventKind, detail: RiskDetail) {
    let out = run(&seeded(), Command::Password(PasswordEvent::of(kind)), 1);
    let agg = &out.aggregate;

    assert_eq!(out.results, vec![applied("u1")]);
    for id in ["s1", "s2"] {
        assert_eq!(
            sign_in_risk(agg, id),
            (RiskState::Remediated, RiskLevel::None, detail)
        );
    }
    for id in ["d1", "d2", "d3"] {
        assert_eq!(detection_state(agg, id), RiskState::Remediated);
    }
    assert_eq!(
        user_risk(agg),
        (RiskState::Remediated, RiskLevel::None, detail)
    );
    assert_nothing_active(agg);
}

#[test]
fn secure_password_reset_remediates_every_active_risk() {
    assert_password_event_remediates(
        PasswordEventKind::SecurePasswordReset,
        RiskDetail::UserPerformedSecuredPasswordReset,
    );
}

#[test]
fn secure_password_change_remediates_every_active_risk() {
    assert_password_event_remediates(
        PasswordEventKind::SecurePasswordChange,
        RiskDetail::UserPerformedSecuredPasswordChange,
    );
}

#[test]
fn admin_temporary_password_remediates_every_active_risk() {
    assert_password_event_remediates(
        PasswordEventKind::AdminTemporaryPassword,
        RiskDetail::AdminGeneratedTemporaryPassword,
    );
}

#[test]
fn a_password_changed_on_premises_remediates_only_where_the_setting_allows_it() {
    let event = Command::Password(PasswordEvent::of(
        PasswordEventKind::OnPremisesPasswordChange,
    ));
    let allowed = Context {
        settings: Settings {
            on_premises_password_change_resets_risk: true,
            ..Settings::default()
        },
        ..ctx(1)
    };
    let out = apply(&seeded(), &event, &allowed);
    assert_eq!(
        user_risk(&out.aggregate),
        (
            RiskState::Remediated,
            RiskLevel::None,
            RiskDetail::UserChangedPasswordOnPremises
        )
    );
    assert_nothing_active(&out.aggregate);

    // Off (the default): recorded in the user's history, nothing else changes.
    let before = seeded();
    let out = run(&before, event, 1);
    assert_eq!(out.aggregate, before);
    assert_eq!(out.results, vec![applied("u1")]);
    assert_eq!(
        out.history.activity.detail,
        RiskDetail::UserChangedPasswordOnPremises
    );
}

fn mfa_passed(sign_in: &str) -> Command {
    Command::Password(PasswordEvent {
        kind: PasswordEventKind::MfaPassed,
        sign_in_id: Some(sign_in.to_string()),
    })
}

#[test]
fn mfa_passed_remediates_its_sign_in_and_recomputes_the_user_without_it() {
    let before = seeded();
    let out = run(&before, mfa_passed("s2"), 1);
    let agg = &out.aggregate;
    let mfa = RiskDetail::UserPassedMfaDrivenByRiskBasedPolicy;
    assert_eq!(out.results, vec![applied("u1")]);
    assert_eq!(
        sign_in_risk(agg, "s2"),
        (RiskState::Remediated, RiskLevel::None, mfa)
    );
    assert_eq!(
        agg.sign_ins["s2"].risk_level_during_sign_in,
        before.sign_ins["s2"].risk_level_during_sign_in
    );
    assert_eq!(detection_state(agg, "d2"), RiskState::Remediated);
    assert_eq!(agg.detections["d2"].risk_detail, mfa);
    // The other sign-in and the user-level detection still count.
    assert_eq!(agg.sign_ins["s1"], before.sign_ins["s1"]);
    assert_eq!(detection_state(agg, "d3"), RiskState::AtRisk);
    assert_eq!(user_risk(agg).0, RiskState::AtRisk);
    assert_eq!(user_risk(agg).1, Medium);
}

#[test]
fn mfa_passed_on_the_last_risky_sign_in_remediates_the_user() {
    let out = run(&two_sign_ins(), mfa_passed("s1"), 1);
    let out = run(&out.aggregate, mfa_passed("s2"), 2);
    assert_eq!(
        user_risk(&out.aggregate),
        (
            RiskState::Remediated,
            RiskLevel::None,
            RiskDetail::UserPassedMfaDrivenByRiskBasedPolicy
        )
    );
    assert_nothing_active(&out.aggregate);
}

#[test]
fn mfa_passed_leaves_token_theft_active() {
    let mut theft = detection("d9", High, Some("s1"));
    theft.risk_event_type = "anomalousToken".to_string();
    let before = ingest(&seeded(), vec![theft], 1);
    let out = run(&before, mfa_passed("s1"), 2);
    let agg = &out.aggregate;
    // The stolen token keeps its sign-in at risk, at its own level.
    assert_eq!(
        sign_in_risk(agg, "s1"),
        (RiskState::AtRisk, High, RiskDetail::None)
    );
    assert_eq!(detection_state(agg, "d1"), RiskState::Remediated);
    assert_eq!(detection_state(agg, "d9"), RiskState::AtRisk);
    assert_eq!(user_risk(agg).0, RiskState::AtRisk);
    assert_eq!(user_risk(agg).1, High);
}

#[test]
fn after_mfa_passed_a_sign_in_is_as_risky_as_the_token_theft_left_on_it() {
    let mut theft = detection("d9", Low, Some("s2"));
    theft.risk_event_type = "anomalousToken".to_string();
    let before = ingest(&two_sign_ins(), vec![theft], 1);
    assert_eq!(sign_in_risk(&before, "s2").1, High);
    let out = run(&before, mfa_passed("s2"), 2);
    assert_eq!(
        sign_in_risk(&out.aggregate, "s2"),
        (RiskState::AtRisk, Low, RiskDetail::None)
    );
}

#[test]
fn mfa_passed_on_a_sign_in_the_user_does_not_have_changes_nothing() {
    let before = seeded();
    let out = run(&before, mfa_passed("s-other"), 1);
    assert_eq!(out.aggregate, before);
    assert_eq!(out.results.len(), 1);
    assert_eq!(out.results[0].result, TargetOutcome::NotFound);
    assert_eq!(
        out.results[0].reason.as_deref(),
        Some("the user has no sign-in s-other")
    );
}

#[test]
fn secure_password_reset_remediates_a_confirmed_compromised_user() {
    let before = run(&seeded(), Command::ConfirmUserCompromised, 1).aggregate;
    let out = run(
        &before,
        Command::Password(PasswordEvent::of(PasswordEventKind::SecurePasswordReset)),
        2,
    );

    assert_eq!(
        user_risk(&out.aggregate),
        (
            RiskState::Remediated,
            RiskLevel::None,
            RiskDetail::UserPerformedSecuredPasswordReset
        )
    );
    assert_nothing_active(&out.aggregate);
}

// ---------------------------------------------------------------------------------------------
// SPEC 2: risk computation
// ---------------------------------------------------------------------------------------------

#[test]
fn sign_in_aggregate_level_is_the_highest_of_its_active_detections() {
    let agg = ingest(
        &new_user(),
        vec![
            detection("d1", Low, Some("s1")),
            detection("d2", High, Some("s1")),
            detection("d3", Medium, Some("s1")),
            detection("d4", Low, Some("s2")),
        ],
        0,
    );
    assert_eq!(
        sign_in_risk(&agg, "s1"),
        (RiskState::AtRisk, High, RiskDetail::None)
    );
    assert_eq!(
        sign_in_risk(&agg, "s2"),
        (RiskState::AtRisk, Low, RiskDetail::None)
    );

    // Once its detections stop counting, a sign-in's aggregate risk is none.
    let agg = run(&agg, Command::DismissSignIns(ids(&["s1"])), 1).aggregate;
    assert_eq!(agg.sign_ins["s1"].risk_level_aggregated, RiskLevel::None);
}

#[test]
fn user_level_is_the_highest_of_its_active_detections() {
    let agg = seeded();
    assert_eq!(user_risk(&agg), (RiskState::AtRisk, High, RiskDetail::None));

    let agg = run(&agg, Command::DismissSignIns(ids(&["s2"])), 1).aggregate;
    assert_eq!(
        (agg.user.risk_state, agg.user.risk_level),
        (RiskState::AtRisk, Medium)
    );

    let agg = run(&agg, Command::ConfirmSignInsSafe(ids(&["s1"])), 2).aggregate;
    assert_eq!(
        (agg.user.risk_state, agg.user.risk_level),
        (RiskState::AtRisk, Low)
    );
}

#[test]
fn confirmed_compromised_user_is_high_whatever_its_detections() {
    let agg = ingest(&new_user(), vec![detection("d1", Low, Some("s1"))], 0);
    let agg = run(&agg, Command::ConfirmSignInsCompromised(ids(&["s1"])), 1).aggregate;
    assert_eq!(
        (agg.user.risk_state, agg.user.risk_level),
        (RiskState::ConfirmedCompromised, High)
    );

    let agg = ingest(&agg, vec![detection("d2", Low, None)], 2);
    assert_eq!(
        (agg.user.risk_state, agg.user.risk_level),
        (RiskState::ConfirmedCompromised, High)
    );
}

#[test]
fn feedback_on_another_sign_in_keeps_a_confirmed_compromised_user_compromised() {
    let compromised = run(
        &seeded(),
        Command::ConfirmSignInsCompromised(ids(&["s1"])),
        1,
    )
    .aggregate;
    for command in [
        Command::DismissSignIns(ids(&["s2"])),
        Command::ConfirmSignInsSafe(ids(&["s2"])),
    ] {
        let agg = run(&compromised, command.clone(), 2).aggregate;
        assert_eq!(agg.user, compromised.user, "{command:?}");
    }
}

#[test]
fn new_detection_makes_a_user_without_risk_at_risk() {
    let agg = ingest(&new_user(), vec![detection("d1", Medium, None)], 0);
    assert_eq!(
        user_risk(&agg),
        (RiskState::AtRisk, Medium, RiskDetail::None)
    );
}

#[test]
fn new_detection_reopens_a_dismissed_user() {
    let dismissed = run(&seeded(), Command::DismissUser, 1).aggregate;
    let agg = ingest(&dismissed, vec![detection("d9", Low, Some("s1"))], 2);

    assert_eq!(user_risk(&agg), (RiskState::AtRisk, Low, RiskDetail::None));
    // The closed sign-in it names is reopened too, at the new detection's level.
    assert_eq!(
        sign_in_risk(&agg, "s1"),
        (RiskState::AtRisk, Low, RiskDetail::None)
    );
}

#[test]
fn new_detection_reopens_a_remediated_user() {
    let remediated = run(
        &seeded(),
        Command::Password(PasswordEvent::of(PasswordEventKind::SecurePasswordChange)),
        1,
    )
    .aggregate;
    let agg = ingest(&remediated, vec![detection("d9", High, None)], 2);

    assert_eq!(user_risk(&agg), (RiskState::AtRisk, High, RiskDetail::None));
}

#[test]
fn new_detection_never_lowers_risk() {
    let before = seeded();
    let agg = ingest(
        &before,
        vec![
            detection("d8", Low, Some("s2")),
            detection("d9", RiskLevel::None, None),
        ],
        1,
    );

    assert_eq!(agg.user.risk_level, High);
    assert_eq!(agg.sign_ins["s2"].risk_level_aggregated, High);
    assert_eq!(agg.user.risk_state, RiskState::AtRisk);
}

#[test]
fn new_detection_never_changes_a_confirmed_compromised_user() {
    let before = run(&seeded(), Command::ConfirmUserCompromised, 1).aggregate;
    let agg = ingest(
        &before,
        vec![
            detection("d8", Low, Some("s1")),
            detection("d9", High, Some("s9")),
        ],
        2,
    );

    assert_eq!(agg.user, before.user);
    assert!(
        agg.detections.contains_key("d9"),
        "the detection is still stored"
    );
}

#[test]
fn real_time_risk_of_a_sign_in_never_changes() {
    let mut first = detection("d1", Low, Some("s1"));
    first.sign_in.as_mut().unwrap().risk_level_during_sign_in = Medium;
    let mut agg = ingest(&new_user(), vec![first], 0);
    assert_eq!(agg.sign_ins["s1"].risk_level_during_sign_in, Medium);

    let mut later = detection("d2", High, Some("s1"));
    later.sign_in.as_mut().unwrap().risk_level_during_sign_in = High;
    let commands = [
        Command::IngestDetections(vec![later]),
        Command::ConfirmSignInsCompromised(ids(&["s1"])),
        Command::ConfirmSignInsSafe(ids(&["s1"])),
        Command::DismissSignIns(ids(&["s1"])),
        Command::ConfirmUserCompromised,
        Command::ConfirmUserSafe,
        Command::DismissUser,
        Command::Password(PasswordEvent::of(PasswordEventKind::AdminTemporaryPassword)),
    ];
    for (step, command) in (1..).zip(commands) {
        agg = run(&agg, command, step).aggregate;
        assert_eq!(
            agg.sign_ins["s1"].risk_level_during_sign_in, Medium,
            "after step {step}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Seed flows, not-found targets, retries
// ---------------------------------------------------------------------------------------------

#[test]
fn confirm_user_compromised_then_dismiss_user_in_the_same_second_ends_dismissed() {
    let same_second = at(5);
    let compromised = apply(
        &seeded(),
        &Command::ConfirmUserCompromised,
        &ctx_at(1, same_second),
    );
    let dismissed = apply(
        &compromised.aggregate,
        &Command::DismissUser,
        &ctx_at(2, same_second),
    );
    let agg = &dismissed.aggregate;

    assert_eq!(
        user_risk(agg),
        (
            RiskState::Dismissed,
            RiskLevel::None,
            RiskDetail::AdminDismissedAllRiskForUser
        )
    );
    assert_nothing_active(agg);
    let admin = agg
        .detections
        .values()
        .find(|d| d.risk_event_type == "adminConfirmedUserCompromised")
        .expect("the admin detection is kept");
    assert_eq!(admin.risk_state, RiskState::Dismissed);
}

#[test]
fn unknown_sign_ins_are_not_found_and_known_ones_still_apply() {
    let before = two_sign_ins();
    let commands = [
        Command::ConfirmSignInsSafe(ids(&["s1", "nope"])),
        Command::ConfirmSignInsCompromised(ids(&["s1", "nope"])),
        Command::DismissSignIns(ids(&["s1", "nope"])),
    ];
    for command in commands {
        let out = run(&before, command.clone(), 1);
        assert_eq!(
            out.results,
            vec![applied("s1"), not_found("nope")],
            "{command:?}"
        );
        assert_ne!(
            out.aggregate.sign_ins["s1"], before.sign_ins["s1"],
            "{command:?}"
        );
        assert!(!out.aggregate.sign_ins.contains_key("nope"), "{command:?}");
    }
}

#[test]
fn feedback_naming_only_unknown_sign_ins_changes_nothing() {
    let before = two_sign_ins();
    let commands = [
        Command::ConfirmSignInsSafe(ids(&["nope"])),
        Command::ConfirmSignInsCompromised(ids(&["nope"])),
        Command::DismissSignIns(ids(&["nope"])),
    ];
    for command in commands {
        let out = run(&before, command.clone(), 1);
        assert_eq!(out.results, vec![not_found("nope")], "{command:?}");
        assert_eq!(out.aggregate, before, "{command:?}");
    }
}

#[test]
fn re_ingesting_an_existing_detection_changes_nothing() {
    let before = seeded();
    // The same id, even with a different level and sign-in, is a retry and not news.
    let retry = vec![
        detection("d1", High, Some("s7")),
        detection("d3", Low, None),
    ];
    let out = run(&before, Command::IngestDetections(retry), 1);

    assert_eq!(out.results, vec![applied("d1"), applied("d3")]);
    assert_eq!(out.aggregate, before);
}

#[test]
fn re_ingesting_an_existing_detection_does_not_reopen_a_dismissed_user() {
    let before = run(&seeded(), Command::DismissUser, 1).aggregate;
    let agg = ingest(&before, vec![detection("d2", High, Some("s2"))], 2);

    assert_eq!(agg, before);
}

// ---------------------------------------------------------------------------------------------
// Aggregates that normal feedback does not produce (written by hand, as an older version or a
// repair might have left them): the rules still hold for them.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_password_event_remediates_a_user_at_risk_with_no_active_detection() {
    let mut agg = new_user();
    agg.user.risk_state = RiskState::AtRisk;
    agg.user.risk_level = Medium;
    let after = run(
        &agg,
        Command::Password(PasswordEvent::of(PasswordEventKind::SecurePasswordReset)),
        1,
    )
    .aggregate;
    assert_eq!(
        user_risk(&after),
        (
            RiskState::Remediated,
            RiskLevel::None,
            RiskDetail::UserPerformedSecuredPasswordReset
        )
    );
}

#[test]
fn a_detection_an_allow_indicator_dismisses_leaves_its_new_sign_in_without_risk() {
    let mut context = ctx(1);
    context
        .verdicts
        .insert("d9".to_string(), riskfeedback::indicators::Verdict::Allow);
    let command = Command::IngestDetections(vec![detection("d9", High, Some("s9"))]);
    let after = apply(&new_user(), &command, &context).aggregate;
    assert_eq!(detection_state(&after, "d9"), RiskState::Dismissed);
    assert_eq!(
        sign_in_risk(&after, "s9"),
        (RiskState::None, RiskLevel::None, RiskDetail::None)
    );
    assert_eq!(user_risk(&after).0, RiskState::None);
}

#[test]
fn a_confirmed_compromised_detection_makes_its_user_confirmed_compromised_on_recompute() {
    let mut agg = run(
        &seeded(),
        Command::ConfirmSignInsCompromised(ids(&["s1"])),
        1,
    )
    .aggregate;
    agg.user.risk_state = RiskState::AtRisk;
    agg.user.risk_level = Medium;
    let after = run(&agg, Command::DismissSignIns(ids(&["s2"])), 2).aggregate;
    assert_eq!(
        (after.user.risk_state, after.user.risk_level),
        (RiskState::ConfirmedCompromised, High)
    );
}

#[test]
fn with_no_active_detection_left_a_users_level_is_none() {
    let mut agg = new_user();
    agg.user.risk_state = RiskState::AtRisk;
    agg.user.risk_level = High;
    let mut context = ctx(1);
    context
        .verdicts
        .insert("d9".to_string(), riskfeedback::indicators::Verdict::Allow);
    let command = Command::IngestDetections(vec![detection("d9", High, None)]);
    let after = apply(&agg, &command, &context).aggregate;
    assert_eq!(after.user.risk_level, RiskLevel::None);
    assert_eq!(
        after.user.risk_state,
        RiskState::AtRisk,
        "only the level follows"
    );
}
