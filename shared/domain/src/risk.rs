//! The risk computation of SPEC 2 and the feedback transitions of SPEC 3, as pure functions
//! over one user's aggregate. Nothing here knows about storage, queues or clocks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::Actor;
use crate::familiar::{
    forget_matching, learn, recognise, ContextKind, ContextRef, ContextTypes, LearnedFrom, Lesson,
    SignInContext, TaughtBy, TaughtCause,
};
use crate::feedback::{
    DetectionIn, FeedbackAction, PasswordEvent, PasswordEventKind, TargetOutcome, TargetResult,
};
use crate::history::{HistoryActivity, HistoryEntry, RiskSnapshot};
use crate::indicators::Verdict;
use crate::limits::{DEFAULT_FAMILIAR_CONTEXT_DAYS, DEFAULT_LEARNING_DAYS};
use crate::model::{
    Activity, Detection, DetectionLevel, DetectionTimingType, RiskDetail, RiskLevel, RiskState,
    SignIn, UserAggregate,
};
use crate::principal::{principal_of, PrincipalKind};

/// What one unit of work asks of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    ConfirmSignInsSafe(Vec<String>),
    ConfirmSignInsCompromised(Vec<String>),
    DismissSignIns(Vec<String>),
    ConfirmUserCompromised,
    ConfirmUserSafe,
    DismissUser,
    Password(PasswordEvent),
    IngestDetections(Vec<DetectionIn>),
    ForgetFamiliarContexts(Vec<String>),
    ConfirmServicePrincipalCompromised,
    DismissServicePrincipal,
}

/// Detection types of token theft: a passed MFA prompt does not remediate them, since the
/// stolen token needs none; only a secure password change does (SPEC 3).
pub const TOKEN_THEFT_TYPES: [&str; 3] = [
    "anomalousToken",
    "tokenIssuerAnomaly",
    "attackerinTheMiddle",
];

impl Command {
    /// The command one queued step stands for: the action, with this user's share of the targets.
    pub fn for_step(
        action: FeedbackAction,
        password: Option<PasswordEvent>,
        detections: &[DetectionIn],
        targets: &[String],
    ) -> Command {
        let targets = targets.to_vec();
        match action {
            FeedbackAction::ConfirmSignInSafe => Command::ConfirmSignInsSafe(targets),
            FeedbackAction::ConfirmSignInCompromised => Command::ConfirmSignInsCompromised(targets),
            FeedbackAction::DismissSignIn => Command::DismissSignIns(targets),
            FeedbackAction::ConfirmUserCompromised => Command::ConfirmUserCompromised,
            FeedbackAction::ConfirmUserSafe => Command::ConfirmUserSafe,
            FeedbackAction::DismissUser => Command::DismissUser,
            FeedbackAction::PasswordEvent => Command::Password(
                password.unwrap_or(PasswordEvent::of(PasswordEventKind::SecurePasswordReset)),
            ),
            FeedbackAction::IngestDetections => Command::IngestDetections(
                detections
                    .iter()
                    .filter(|d| targets.contains(&d.id))
                    .cloned()
                    .collect(),
            ),
            FeedbackAction::ForgetFamiliarContext => Command::ForgetFamiliarContexts(targets),
            FeedbackAction::ConfirmServicePrincipalCompromised => {
                Command::ConfirmServicePrincipalCompromised
            }
            FeedbackAction::DismissServicePrincipal => Command::DismissServicePrincipal,
        }
    }

    pub fn action(&self) -> FeedbackAction {
        match self {
            Command::ConfirmSignInsSafe(_) => FeedbackAction::ConfirmSignInSafe,
            Command::ConfirmSignInsCompromised(_) => FeedbackAction::ConfirmSignInCompromised,
            Command::DismissSignIns(_) => FeedbackAction::DismissSignIn,
            Command::ConfirmUserCompromised => FeedbackAction::ConfirmUserCompromised,
            Command::ConfirmUserSafe => FeedbackAction::ConfirmUserSafe,
            Command::DismissUser => FeedbackAction::DismissUser,
            Command::Password(_) => FeedbackAction::PasswordEvent,
            Command::IngestDetections(_) => FeedbackAction::IngestDetections,
            Command::ForgetFamiliarContexts(_) => FeedbackAction::ForgetFamiliarContext,
            Command::ConfirmServicePrincipalCompromised => {
                FeedbackAction::ConfirmServicePrincipalCompromised
            }
            Command::DismissServicePrincipal => FeedbackAction::DismissServicePrincipal,
        }
    }
}

/// Who asked, when, and under which id: what the history needs and what makes ids deterministic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// Unique per unit of work and user step; names the history entry and any detection it adds,
    /// so that applying the same work twice yields the same items.
    pub step_id: String,
    pub feedback_id: String,
    pub actor: Actor,
    pub comment: Option<String>,
    pub now: DateTime<Utc>,
    /// What matching allow or block indicators say about new detections, by detection id.
    pub verdicts: BTreeMap<String, Verdict>,
    pub settings: Settings,
}

/// What a deployment decides about the rules (`Config::settings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `allowOnPremisesPasswordChangeToResetUserRisk`: whether a password changed on premises
    /// remediates the user's risk.
    pub on_premises_password_change_resets_risk: bool,
    /// How long confirming a user safe puts the user in learning mode.
    pub learning_days: u32,
    /// How long a familiar context lives after it was last learned.
    pub familiar_context_days: u32,
    /// The detection types what feedback taught may judge, by network or by location.
    pub context_types: Arc<ContextTypes>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            on_premises_password_change_resets_risk: false,
            learning_days: DEFAULT_LEARNING_DAYS,
            familiar_context_days: DEFAULT_FAMILIAR_CONTEXT_DAYS,
            context_types: Arc::default(),
        }
    }
}

/// What a step did besides changing state, for its history entry.
#[derive(Debug, Default)]
struct Trace {
    event_types: BTreeSet<String>,
    learned: Vec<ContextRef>,
    forgotten: Vec<ContextRef>,
}

impl Trace {
    /// Each context once, in the order first named.
    fn distinct(contexts: Vec<ContextRef>) -> Vec<ContextRef> {
        let mut seen = BTreeSet::new();
        contexts
            .into_iter()
            .filter(|c| seen.insert(c.id.clone()))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub aggregate: UserAggregate,
    pub history: HistoryEntry,
    pub results: Vec<TargetResult>,
}

/// Applies one command to a user's aggregate and returns the new aggregate, the history entry
/// that records it, and a result per target.
pub fn apply(before: &UserAggregate, command: &Command, ctx: &Context) -> Outcome {
    let mut agg = before.clone();
    let mut trace = Trace::default();
    let user_id = agg.user.id.clone();
    // A principal named as a target is named by its own id, not its aggregate's key.
    let principal = principal_of(&user_id).1.to_string();
    let (results, detail) = match command {
        Command::ConfirmSignInsSafe(ids) => {
            let outcome = sign_in_feedback(
                &mut agg,
                ids,
                SignInVerdict {
                    state: RiskState::ConfirmedSafe,
                    detail: RiskDetail::AdminConfirmedSigninSafe,
                    user_state_when_clear: RiskState::Remediated,
                },
                ctx.now,
                &mut trace,
            );
            // The seed: "similar sign-ins shouldn't be considered risky in the future".
            learn_from_sign_ins(&mut agg, &outcome.0, ctx, &mut trace);
            outcome
        }
        Command::DismissSignIns(ids) => sign_in_feedback(
            &mut agg,
            ids,
            SignInVerdict {
                state: RiskState::Dismissed,
                detail: RiskDetail::AdminDismissedRiskForSignIn,
                user_state_when_clear: RiskState::Dismissed,
            },
            ctx.now,
            &mut trace,
        ),
        Command::ConfirmSignInsCompromised(ids) => {
            forget_sign_ins(&mut agg, ids, &mut trace);
            let results = confirm_sign_ins_compromised(&mut agg, ids, ctx.now, &mut trace);
            (results, RiskDetail::AdminConfirmedSigninCompromised)
        }
        Command::ConfirmUserCompromised => {
            let detail = RiskDetail::AdminConfirmedUserCompromised;
            confirm_compromised(&mut agg, detail, ctx, &mut trace);
            (
                vec![TargetResult::new(&principal, TargetOutcome::Applied)],
                detail,
            )
        }
        Command::ConfirmServicePrincipalCompromised => {
            let detail = RiskDetail::AdminConfirmedServicePrincipalCompromised;
            confirm_compromised(&mut agg, detail, ctx, &mut trace);
            (
                vec![TargetResult::new(&principal, TargetOutcome::Applied)],
                detail,
            )
        }
        Command::DismissServicePrincipal => {
            let detail = RiskDetail::AdminDismissedAllRiskForServicePrincipal;
            close_all_risk(&mut agg, RiskState::Dismissed, detail, ctx.now, &mut trace);
            (
                vec![TargetResult::new(&principal, TargetOutcome::Applied)],
                detail,
            )
        }
        Command::ConfirmUserSafe => {
            close_all_risk(
                &mut agg,
                RiskState::ConfirmedSafe,
                RiskDetail::AdminConfirmedAccountSafe,
                ctx.now,
                &mut trace,
            );
            // The seed: it "places it in learning mode to relearn the usage properties": what
            // was familiar before is relearned from scratch.
            let all = std::mem::take(&mut agg.familiar_contexts);
            trace.forgotten.extend(all.values().map(|c| c.reference()));
            let days = chrono::Duration::days(i64::from(ctx.settings.learning_days));
            agg.user.learning_until_date_time = Some(ctx.now + days);
            (
                vec![TargetResult::new(&user_id, TargetOutcome::Applied)],
                RiskDetail::AdminConfirmedAccountSafe,
            )
        }
        Command::DismissUser => {
            close_all_risk(
                &mut agg,
                RiskState::Dismissed,
                RiskDetail::AdminDismissedAllRiskForUser,
                ctx.now,
                &mut trace,
            );
            (
                vec![TargetResult::new(&user_id, TargetOutcome::Applied)],
                RiskDetail::AdminDismissedAllRiskForUser,
            )
        }
        Command::Password(event) => {
            let result = password_event(&mut agg, event, ctx, &mut trace);
            (vec![result], event.kind.risk_detail())
        }
        Command::IngestDetections(detections) => {
            let results = ingest(&mut agg, detections, ctx, &mut trace);
            (results, RiskDetail::None)
        }
        Command::ForgetFamiliarContexts(ids) => {
            let results = ids
                .iter()
                .map(|id| match agg.familiar_contexts.remove(id) {
                    Some(context) => {
                        trace.forgotten.push(context.reference());
                        TargetResult::new(id, TargetOutcome::Applied)
                    }
                    None => TargetResult::new(id, TargetOutcome::NotFound),
                })
                .collect();
            (results, RiskDetail::None)
        }
    };
    let history = HistoryEntry {
        id: ctx.step_id.clone(),
        user_id,
        service_principal_id: None,
        feedback_id: ctx.feedback_id.clone(),
        action: command.action(),
        activity: HistoryActivity {
            risk_event_types: trace.event_types.into_iter().collect(),
            detail,
            learned_contexts: Trace::distinct(trace.learned),
            forgotten_contexts: Trace::distinct(trace.forgotten),
        },
        initiated_by: ctx.actor.clone(),
        comment: ctx.comment.clone(),
        risk_level: agg.user.risk_level,
        risk_state: agg.user.risk_state,
        risk_detail: agg.user.risk_detail,
        before: snapshot(before),
        created_date_time: ctx.now,
    };
    Outcome {
        aggregate: agg,
        history,
        results,
    }
}

fn snapshot(agg: &UserAggregate) -> RiskSnapshot {
    RiskSnapshot {
        risk_level: agg.user.risk_level,
        risk_state: agg.user.risk_state,
        risk_detail: agg.user.risk_detail,
    }
}

struct SignInVerdict {
    state: RiskState,
    detail: RiskDetail,
    /// The user's state when no active detection remains after the verdict.
    user_state_when_clear: RiskState,
}

/// Confirm safe or dismiss named sign-ins: they and their detections stop counting, and the user
/// is recomputed without them.
fn sign_in_feedback(
    agg: &mut UserAggregate,
    ids: &[String],
    verdict: SignInVerdict,
    now: DateTime<Utc>,
    trace: &mut Trace,
) -> (Vec<TargetResult>, RiskDetail) {
    let results = set_sign_ins(
        agg,
        ids,
        verdict.state,
        RiskLevel::None,
        verdict.detail,
        now,
        trace,
    );
    if results.iter().any(|r| r.result == TargetOutcome::Applied) {
        recompute_user(
            agg,
            Some((verdict.user_state_when_clear, verdict.detail)),
            now,
        );
    }
    (results, verdict.detail)
}

/// Makes the context of each sign-in the analyst confirmed safe familiar for the user.
fn learn_from_sign_ins(
    agg: &mut UserAggregate,
    results: &[TargetResult],
    ctx: &Context,
    trace: &mut Trace,
) {
    for result in results
        .iter()
        .filter(|r| r.result == TargetOutcome::Applied)
    {
        let Some(sign_in) = agg.sign_ins.get(&result.id) else {
            continue;
        };
        let context = sign_in_context(sign_in);
        make_familiar(agg, &context, &result.id, false, ctx, trace);
    }
}

/// Makes a sign-in's context familiar for the user, learned from this step's feedback.
fn make_familiar(
    agg: &mut UserAggregate,
    context: &SignInContext,
    sign_in_id: &str,
    learning_mode: bool,
    ctx: &Context,
    trace: &mut Trace,
) {
    let lesson = Lesson {
        user_id: &agg.user.id,
        learned_from: LearnedFrom {
            feedback_id: ctx.feedback_id.clone(),
            sign_in_id: sign_in_id.to_string(),
            learning_mode,
        },
        created_by: &ctx.actor,
        now: ctx.now,
        days: ctx.settings.familiar_context_days,
    };
    let learned = learn(&mut agg.familiar_contexts, context, &lesson);
    trace.learned.extend(learned);
}

/// Forgets the user's familiar contexts that any of these sign-ins comes from.
fn forget_sign_ins(agg: &mut UserAggregate, ids: &[String], trace: &mut Trace) {
    for id in ids {
        if let Some(sign_in) = agg.sign_ins.get(id) {
            let context = sign_in_context(sign_in);
            trace
                .forgotten
                .extend(forget_matching(&mut agg.familiar_contexts, &context));
        }
    }
}

fn sign_in_context(sign_in: &SignIn) -> SignInContext {
    SignInContext::of(sign_in.ip_address.as_deref(), sign_in.location.as_ref())
}

fn confirm_sign_ins_compromised(
    agg: &mut UserAggregate,
    ids: &[String],
    now: DateTime<Utc>,
    trace: &mut Trace,
) -> Vec<TargetResult> {
    let detail = RiskDetail::AdminConfirmedSigninCompromised;
    let results = set_sign_ins(
        agg,
        ids,
        RiskState::ConfirmedCompromised,
        RiskLevel::High,
        detail,
        now,
        trace,
    );
    if results.iter().any(|r| r.result == TargetOutcome::Applied) {
        set_user(
            agg,
            RiskState::ConfirmedCompromised,
            RiskLevel::High,
            detail,
            now,
        );
        // What an attacker did is nothing to learn from: learning mode ends.
        agg.user.learning_until_date_time = None;
    }
    results
}

/// Gives each named sign-in, and all of its detections, the analyst's verdict.
fn set_sign_ins(
    agg: &mut UserAggregate,
    ids: &[String],
    state: RiskState,
    aggregated: RiskLevel,
    detail: RiskDetail,
    now: DateTime<Utc>,
    trace: &mut Trace,
) -> Vec<TargetResult> {
    ids.iter()
        .map(|id| match agg.sign_ins.get_mut(id) {
            None => TargetResult::new(id, TargetOutcome::NotFound),
            Some(sign_in) => {
                sign_in.risk_state = state;
                sign_in.risk_level_aggregated = aggregated;
                sign_in.risk_detail = detail;
                for d in agg.detections.values_mut() {
                    if d.sign_in_id.as_deref() == Some(id.as_str()) {
                        trace.event_types.insert(d.risk_event_type.clone());
                        set_detection(d, state, detail, now);
                    }
                }
                TargetResult::new(id, TargetOutcome::Applied)
            }
        })
        .collect()
}

/// Confirms the principal compromised: every active risk is confirmed compromised, and a
/// detection of the analyst's own records it (`adminConfirmedUserCompromised` for a user,
/// `adminConfirmedServicePrincipalCompromised` for a service principal: `detail`'s name).
fn confirm_compromised(
    agg: &mut UserAggregate,
    detail: RiskDetail,
    ctx: &Context,
    trace: &mut Trace,
) {
    // What an attacker did is nothing to learn from: learning mode ends.
    agg.user.learning_until_date_time = None;
    // What was at risk is now known compromised, and where it came from is no longer familiar.
    // What an analyst already confirmed compromised keeps the detail that says which sign-in
    // they confirmed.
    let at_risk: Vec<String> = agg
        .sign_ins
        .values()
        .filter(|s| s.risk_state == RiskState::AtRisk)
        .map(|s| s.id.clone())
        .collect();
    forget_sign_ins(agg, &at_risk, trace);
    for sign_in in agg.sign_ins.values_mut() {
        if sign_in.risk_state == RiskState::AtRisk {
            sign_in.risk_state = RiskState::ConfirmedCompromised;
            sign_in.risk_level_aggregated = RiskLevel::High;
            sign_in.risk_detail = detail;
        }
    }
    for d in agg.detections.values_mut() {
        if d.risk_state == RiskState::AtRisk {
            trace.event_types.insert(d.risk_event_type.clone());
            set_detection(d, RiskState::ConfirmedCompromised, detail, ctx.now);
        }
    }
    let risk_event_type = serde_json::to_value(detail)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    let id = format!("{}-{risk_event_type}", ctx.step_id);
    trace.event_types.insert(risk_event_type.clone());
    agg.detections
        .entry(id.clone())
        .or_insert_with(|| Detection {
            id,
            user_id: agg.user.id.clone(),
            service_principal_id: None,
            service_principal_display_name: None,
            app_id: None,
            key_ids: Vec::new(),
            user_principal_name: agg.user.user_principal_name.clone(),
            user_display_name: None,
            risk_event_type,
            risk_level: DetectionLevel::High,
            detection_timing_type: DetectionTimingType::Offline,
            source: "admin".to_string(),
            detected_date_time: ctx.now,
            activity_date_time: None,
            activity: match principal_of(&agg.user.id).0 {
                PrincipalKind::User => Activity::User,
                PrincipalKind::ServicePrincipal => Activity::ServicePrincipal,
            },
            risk_state: RiskState::ConfirmedCompromised,
            risk_detail: detail,
            last_updated_date_time: ctx.now,
            sign_in_id: None,
            ip_address: None,
            location: None,
            correlation_id: None,
            token_issuer_type: None,
            additional_info: None,
            evidence: None,
            taught_by: None,
        });
    set_user(
        agg,
        RiskState::ConfirmedCompromised,
        RiskLevel::High,
        detail,
        ctx.now,
    );
}

/// Closes every active risk of the user: sign-ins with active risk, active detections, the user.
fn close_all_risk(
    agg: &mut UserAggregate,
    state: RiskState,
    detail: RiskDetail,
    now: DateTime<Utc>,
    trace: &mut Trace,
) {
    for sign_in in agg.sign_ins.values_mut() {
        if sign_in.risk_state.is_active() {
            sign_in.risk_state = state;
            sign_in.risk_level_aggregated = RiskLevel::None;
            sign_in.risk_detail = detail;
        }
    }
    for d in agg.detections.values_mut() {
        if d.risk_state.is_active() {
            trace.event_types.insert(d.risk_event_type.clone());
            set_detection(d, state, detail, now);
        }
    }
    set_user(agg, state, RiskLevel::None, detail, now);
}

/// A password event remediates the user's risk; for a user who is not at risk there is
/// nothing to close. A password changed on premises does so only where the setting allows it,
/// and MFA passed remediates its one sign-in, except for token theft.
fn password_event(
    agg: &mut UserAggregate,
    event: &PasswordEvent,
    ctx: &Context,
    trace: &mut Trace,
) -> TargetResult {
    let user_id = agg.user.id.clone();
    let detail = event.kind.risk_detail();
    match event.kind {
        PasswordEventKind::MfaPassed => {
            let sign_in = event.sign_in_id.as_deref().unwrap_or_default();
            return mfa_passed(agg, sign_in, ctx.now, trace);
        }
        PasswordEventKind::OnPremisesPasswordChange
            if !ctx.settings.on_premises_password_change_resets_risk => {}
        _ => {
            let at_risk =
                agg.user.risk_state.is_active() || agg.active_detections().next().is_some();
            if at_risk {
                close_all_risk(agg, RiskState::Remediated, detail, ctx.now, trace);
            }
        }
    }
    TargetResult::new(user_id, TargetOutcome::Applied)
}

/// The user passed MFA on one sign-in: that sign-in and its detections are remediated, but
/// token theft stays active, and so does the sign-in's risk while it does (SPEC 2: a sign-in's
/// level is the highest of its active detections); the user is recomputed without what was
/// remediated.
fn mfa_passed(
    agg: &mut UserAggregate,
    sign_in_id: &str,
    now: DateTime<Utc>,
    trace: &mut Trace,
) -> TargetResult {
    let detail = RiskDetail::UserPassedMfaDrivenByRiskBasedPolicy;
    if !agg.sign_ins.contains_key(sign_in_id) {
        return TargetResult {
            reason: Some(format!("the user has no sign-in {sign_in_id}")),
            ..TargetResult::new(&agg.user.id, TargetOutcome::NotFound)
        };
    }
    let mut still_active = None;
    for d in agg.detections.values_mut() {
        if d.sign_in_id.as_deref() != Some(sign_in_id) || !d.risk_state.is_active() {
            continue;
        }
        if TOKEN_THEFT_TYPES.contains(&d.risk_event_type.as_str()) {
            still_active = still_active.max(Some(d.risk_level.counts_as()));
        } else {
            trace.event_types.insert(d.risk_event_type.clone());
            set_detection(d, RiskState::Remediated, detail, now);
        }
    }
    if let Some(sign_in) = agg.sign_ins.get_mut(sign_in_id) {
        match still_active {
            // Confirmed compromised, the sign-in is `high` whatever remains.
            Some(_) if sign_in.risk_state == RiskState::ConfirmedCompromised => {}
            Some(level) => sign_in.risk_level_aggregated = level,
            None => {
                sign_in.risk_state = RiskState::Remediated;
                sign_in.risk_level_aggregated = RiskLevel::None;
                sign_in.risk_detail = detail;
            }
        }
    }
    recompute_user(agg, Some((RiskState::Remediated, detail)), now);
    TargetResult::new(&agg.user.id, TargetOutcome::Applied)
}

/// Stores new detections. A new detection never lowers risk and never changes a user
/// who is confirmed compromised; it reopens a closed sign-in or user. One matching an allow
/// indicator is stored dismissed and counts for nothing; one matching a block indicator is high.
/// One exported closed from another system is stored as it came, and counts for nothing.
fn ingest(
    agg: &mut UserAggregate,
    detections: &[DetectionIn],
    ctx: &Context,
    trace: &mut Trace,
) -> Vec<TargetResult> {
    let now = ctx.now;
    let mut results = Vec::with_capacity(detections.len());
    let mut confirmed_by_producer = None;
    for input in detections {
        results.push(TargetResult::new(&input.id, TargetOutcome::Applied));
        // Re-posting a stored detection is a retry, not news: it changes nothing.
        if agg.detections.contains_key(&input.id) {
            continue;
        }
        if agg.user.user_principal_name.is_none() {
            agg.user.user_principal_name = input.user_principal_name.clone();
        }
        if agg.user.user_display_name.is_none() {
            agg.user.user_display_name = input
                .user_display_name
                .clone()
                .or_else(|| input.service_principal_display_name.clone());
        }
        if agg.user.app_id.is_none() {
            agg.user.app_id = input.app_id.clone();
        }
        trace.event_types.insert(input.risk_event_type.clone());
        let (risk_state, risk_detail, risk_level, taught_by) = judge(agg, input, ctx, trace);
        if risk_state == RiskState::ConfirmedCompromised {
            confirmed_by_producer = Some(risk_detail);
        }
        let detection = Detection {
            id: input.id.clone(),
            user_id: agg.user.id.clone(),
            service_principal_id: None,
            service_principal_display_name: input.service_principal_display_name.clone(),
            app_id: input.app_id.clone(),
            key_ids: input.key_ids.clone(),
            user_principal_name: input
                .user_principal_name
                .clone()
                .or_else(|| agg.user.user_principal_name.clone()),
            user_display_name: input.user_display_name.clone(),
            risk_event_type: input.risk_event_type.clone(),
            risk_level,
            detection_timing_type: input.detection_timing_type,
            source: input.source.clone(),
            detected_date_time: input.detected_date_time,
            activity_date_time: input.activity_date_time,
            activity: match (principal_of(&agg.user.id).0, &input.sign_in) {
                (PrincipalKind::ServicePrincipal, _) => Activity::ServicePrincipal,
                (PrincipalKind::User, Some(_)) => Activity::Signin,
                (PrincipalKind::User, None) => Activity::User,
            },
            risk_state,
            risk_detail,
            last_updated_date_time: now,
            // A service principal's sign-in is not one the service keeps: its id is kept as
            // Graph's `requestId` is.
            sign_in_id: input
                .sign_in
                .as_ref()
                .map(|s| s.id.clone())
                .or_else(|| input.request_id.clone()),
            ip_address: input.ip_address.clone(),
            location: input.location.clone(),
            correlation_id: input.correlation_id.clone(),
            token_issuer_type: input.token_issuer_type.clone(),
            additional_info: input.additional_info.clone(),
            evidence: input.evidence.clone(),
            taught_by,
        };
        if let Some(sign_in) = &input.sign_in {
            let entry = agg
                .sign_ins
                .entry(sign_in.id.clone())
                .or_insert_with(|| SignIn {
                    id: sign_in.id.clone(),
                    user_id: agg.user.id.clone(),
                    created_date_time: sign_in.created_date_time,
                    ip_address: sign_in.ip_address.clone(),
                    location: sign_in.location.clone(),
                    app_display_name: sign_in.app_display_name.clone(),
                    risk_level_during_sign_in: sign_in.risk_level_during_sign_in,
                    risk_level_aggregated: RiskLevel::None,
                    risk_state: RiskState::None,
                    risk_detail: RiskDetail::None,
                });
            let level = risk_level.counts_as();
            match (entry.risk_state, risk_state) {
                (RiskState::ConfirmedCompromised, _) => {}
                // The producer's verdict on a sign-in new to the service is the sign-in's.
                (RiskState::None, RiskState::ConfirmedCompromised) => {
                    entry.risk_state = risk_state;
                    entry.risk_detail = risk_detail;
                    entry.risk_level_aggregated = RiskLevel::High;
                }
                (RiskState::None, _) if input.arrives_in().is_some() => {
                    entry.risk_state = risk_state;
                    entry.risk_detail = risk_detail;
                }
                _ if !risk_state.is_active() => {}
                (RiskState::AtRisk, _) => {
                    entry.risk_level_aggregated = entry.risk_level_aggregated.max(level)
                }
                _ => {
                    entry.risk_state = RiskState::AtRisk;
                    entry.risk_detail = RiskDetail::None;
                    entry.risk_level_aggregated = level;
                }
            }
        }
        agg.detections.insert(detection.id.clone(), detection);
    }
    if agg.user.risk_state != RiskState::ConfirmedCompromised {
        recompute_user(agg, None, now);
        // The producer confirmed the compromise: its word is the user's detail, as an
        // analyst's confirmation here would be.
        if let Some(detail) = confirmed_by_producer {
            agg.user.risk_detail = detail;
        }
    }
    results
}

/// How a new detection is stored: as the producer exported it, if it arrived in a verdict;
/// otherwise as an indicator says, or as what feedback taught judges it, or at risk.
fn judge(
    agg: &mut UserAggregate,
    input: &DetectionIn,
    ctx: &Context,
    trace: &mut Trace,
) -> (RiskState, RiskDetail, DetectionLevel, Option<TaughtBy>) {
    if let Some((state, detail)) = input.arrives_in() {
        return (state, detail, input.risk_level, None);
    }
    // An indicator is an analyst's explicit word on this evidence: it outranks what feedback
    // taught.
    match ctx.verdicts.get(&input.id) {
        Some(Verdict::Allow) => (
            RiskState::Dismissed,
            RiskDetail::AllowIndicatorMatched,
            input.risk_level,
            None,
        ),
        Some(Verdict::Block) => (
            RiskState::AtRisk,
            RiskDetail::None,
            DetectionLevel::High,
            None,
        ),
        None => match taught(agg, input, ctx, trace) {
            Some(taught_by) => (
                RiskState::Dismissed,
                RiskDetail::AiConfirmedSigninSafe,
                input.risk_level,
                Some(taught_by),
            ),
            None => (RiskState::AtRisk, RiskDetail::None, input.risk_level, None),
        },
    }
}

fn in_learning_mode(user: &crate::model::User, now: DateTime<Utc>) -> bool {
    user.learning_until_date_time
        .is_some_and(|until| now < until)
}

/// What feedback taught says of a new detection: that it comes from a familiar context, or that
/// the user is in learning mode (and then its context becomes familiar). `None`, and the
/// detection applies as usual, unless it is of a context-based type and linked to a sign-in.
fn taught(
    agg: &mut UserAggregate,
    input: &DetectionIn,
    ctx: &Context,
    trace: &mut Trace,
) -> Option<TaughtBy> {
    let sign_in = input.sign_in.as_ref()?;
    let kind = ctx
        .settings
        .context_types
        .judges_by(&input.risk_event_type)?;
    let evidence_ip = input
        .evidence
        .as_ref()
        .and_then(|e| e.ip_address.as_deref());
    let context = SignInContext::of(
        sign_in.ip_address.as_deref().or(evidence_ip),
        sign_in.location.as_ref(),
    );
    if let Some(matched) = recognise(&mut agg.familiar_contexts, kind, &context, ctx.now) {
        let cause = match kind {
            ContextKind::Network => TaughtCause::FamiliarNetwork,
            ContextKind::Location => TaughtCause::FamiliarLocation,
        };
        return Some(TaughtBy {
            cause,
            familiar_context: Some(matched),
        });
    }
    if !in_learning_mode(&agg.user, ctx.now) {
        return None;
    }
    make_familiar(agg, &context, &sign_in.id, true, ctx, trace);
    Some(TaughtBy {
        cause: TaughtCause::LearningMode,
        familiar_context: None,
    })
}

/// SPEC 2: the user's level is the highest of its active detections, `high` if confirmed
/// compromised; with an active detection the user is at risk unless a stronger state applies.
/// `when_clear` is the state and detail to take when no active detection remains.
fn recompute_user(
    agg: &mut UserAggregate,
    when_clear: Option<(RiskState, RiskDetail)>,
    now: DateTime<Utc>,
) {
    let highest = agg
        .active_detections()
        .map(|d| d.risk_level.counts_as())
        .max();
    let confirmed_compromised = agg
        .active_detections()
        .any(|d| d.risk_state == RiskState::ConfirmedCompromised);
    match highest {
        Some(_) if confirmed_compromised => {
            if agg.user.risk_state != RiskState::ConfirmedCompromised {
                let detail = agg.user.risk_detail;
                set_user(
                    agg,
                    RiskState::ConfirmedCompromised,
                    RiskLevel::High,
                    detail,
                    now,
                );
            }
        }
        Some(level) => {
            let detail = if agg.user.risk_state == RiskState::AtRisk {
                agg.user.risk_detail
            } else {
                RiskDetail::None
            };
            set_user(agg, RiskState::AtRisk, level, detail, now);
        }
        None => match when_clear {
            Some((state, detail)) => set_user(agg, state, RiskLevel::None, detail, now),
            None => {
                if agg.user.risk_level != RiskLevel::None {
                    let (state, detail) = (agg.user.risk_state, agg.user.risk_detail);
                    set_user(agg, state, RiskLevel::None, detail, now);
                }
            }
        },
    }
}

fn set_user(
    agg: &mut UserAggregate,
    state: RiskState,
    level: RiskLevel,
    detail: RiskDetail,
    now: DateTime<Utc>,
) {
    let user = &mut agg.user;
    if (user.risk_state, user.risk_level, user.risk_detail) != (state, level, detail) {
        user.risk_state = state;
        user.risk_level = level;
        user.risk_detail = detail;
        user.risk_last_updated_date_time = Some(now);
    }
}

/// An analyst's (or a password event's) verdict on a detection: what feedback taught no longer
/// speaks for it.
fn set_detection(d: &mut Detection, state: RiskState, detail: RiskDetail, now: DateTime<Utc>) {
    if (d.risk_state, d.risk_detail) != (state, detail) {
        d.risk_state = state;
        d.risk_detail = detail;
        d.last_updated_date_time = now;
        d.taught_by = None;
    }
}
