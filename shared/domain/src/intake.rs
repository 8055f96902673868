//! Accepting work: resolve each target to its user, store the record and queue one step per
//! user, then notify the processor. A `202` is answered only after both. The record and the
//! steps are stored in one transaction, or, for an ingestion reaching more users than one
//! transaction holds, in several that accept the whole only with the last: all or nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::Caller;
use crate::errors::{Invalid, KeyReused};
use crate::feedback::{
    DetectionIn, FeedbackAction, PasswordEvent, PasswordEventKind, TargetOutcome,
    GRAPH_DETECTION_TYPE, GRAPH_SERVICE_PRINCIPAL_DETECTION_TYPE,
};
use crate::idempotency::{new_id, request_hash, same_request};
use crate::limits::{
    MAX_ADDITIONAL_INFO_LEN, MAX_BULK_TARGETS, MAX_COMMENT_LEN, MAX_DETECTIONS_PER_CALL,
    MAX_EVIDENCE_LEN, MAX_EVIDENCE_URL_LEN, MAX_KEY_IDS, MAX_TEXT_LEN,
};
use crate::location::{GeoCoordinates, SignInLocation};
use crate::model::DetectionLevel;
use crate::principal::{principal_key, PrincipalKind};
use crate::queue::{FeedbackNotice, FeedbackProcessed, Message, Queue, QueueError};
use crate::remediation::AdminAction;
use crate::retry::retry_after_conflict;
use crate::risk::Command;
use crate::sign_in_blocks::BlockIndicatorRequest;
use crate::store::{
    Accepted, FeedbackRecord, FeedbackStore, IntakeState, PendingStep, StoreError, TargetStatus,
    UserSteps,
};
use crate::validate::Errors;

/// Detections per queued step: keeps one step's transaction (detections, sign-ins, their
/// owner pointers, user, record, history) within DynamoDB's 100 items.
pub const DETECTIONS_PER_STEP: usize = 25;
/// Conflicts in a row an intake retries before it answers `503`.
const ACCEPT_CONFLICTS: u32 = 3;

/// Why a request is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    KeyReused(#[from] KeyReused),
    #[error(
        "the request under this Idempotency-Key was abandoned before it was stored whole, and \
         none of it applies; send it again under a new Idempotency-Key"
    )]
    Abandoned,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// What a caller asks for, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FeedbackRequest {
    Feedback {
        action: FeedbackAction,
        target_ids: Vec<String>,
        comment: Option<String>,
        /// What a confirm sign-in compromised asks to block besides: part of the request, so
        /// that a retry under its `Idempotency-Key` with another choice is refused.
        #[serde(skip_serializing_if = "Option::is_none")]
        block_indicator: Option<BlockIndicatorRequest>,
        /// What a confirm compromised asks the executor to do to the users besides (SPEC 3b),
        /// part of the request for the same reason.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        then: Vec<AdminAction>,
    },
    Password {
        user_id: String,
        kind: PasswordEventKind,
        /// The sign-in an `mfaPassed` names.
        #[serde(skip_serializing_if = "Option::is_none")]
        sign_in_id: Option<String>,
    },
    Detections(Vec<DetectionIn>),
}

impl FeedbackRequest {
    /// Feedback on the users or sign-ins `target_ids` (the body's `field`): 1 to
    /// `MAX_BULK_TARGETS` distinct ids, and an optional comment.
    pub fn feedback(
        action: FeedbackAction,
        field: &str,
        target_ids: Vec<String>,
        comment: Option<String>,
    ) -> Result<FeedbackRequest, Invalid> {
        let mut errors = Errors::default();
        errors.id_list(field, &target_ids, MAX_BULK_TARGETS);
        errors.optional_text("comment", comment.as_deref(), MAX_COMMENT_LEN);
        errors.into_result()?;
        Ok(FeedbackRequest::Feedback {
            action,
            target_ids,
            comment,
            block_indicator: None,
            then: Vec::new(),
        })
    }

    /// The same feedback, also blocking the named sign-ins' addresses (`blockIndicator`) and
    /// acting on their users (`then`: each action once).
    pub fn with_follow_up(
        self,
        block: Option<BlockIndicatorRequest>,
        kinds: Vec<AdminAction>,
    ) -> Result<FeedbackRequest, Invalid> {
        let mut errors = Errors::default();
        for (i, kind) in kinds.iter().enumerate() {
            if kinds[..i].contains(kind) {
                errors.add(format!("then[{i}]"), "repeats an earlier action");
            }
        }
        errors.into_result()?;
        Ok(match self {
            FeedbackRequest::Feedback {
                action,
                target_ids,
                comment,
                ..
            } => FeedbackRequest::Feedback {
                action,
                target_ids,
                comment,
                block_indicator: block,
                then: kinds,
            },
            other => other,
        })
    }

    /// Detections as a sensor sends them, in the body's `field`: 1 to
    /// `MAX_DETECTIONS_PER_CALL`, with distinct ids, each valid.
    pub fn detections(
        field: &str,
        detections: Vec<DetectionIn>,
    ) -> Result<FeedbackRequest, Invalid> {
        let mut errors = Errors::default();
        if detections.is_empty() {
            errors.add(field, "must hold at least one detection");
        } else if detections.len() > MAX_DETECTIONS_PER_CALL {
            errors.add(
                field,
                format!(
                    "must hold at most {MAX_DETECTIONS_PER_CALL} detections, got {}",
                    detections.len()
                ),
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (i, d) in detections.iter().enumerate() {
            let at = |name: &str| format!("{field}[{i}].{name}");
            errors.id(at("id"), &d.id);
            if !seen.insert(&d.id) {
                errors.add(at("id"), "repeats an earlier detection id");
            }
            match (d.user_id.is_empty(), &d.service_principal_id) {
                (false, None) => errors.id(at("userId"), &d.user_id),
                (true, Some(id)) => errors.id(at("servicePrincipalId"), id),
                (false, Some(_)) => errors.add(
                    at("servicePrincipalId"),
                    "names a service principal besides userId: a detection concerns one",
                ),
                (true, None) => {
                    errors.add(at("userId"), "is required, or servicePrincipalId instead")
                }
            }
            check_detection(&mut errors, d, &at);
        }
        errors.into_result()?;
        Ok(FeedbackRequest::Detections(
            detections
                .into_iter()
                .map(DetectionIn::in_own_shape)
                .collect(),
        ))
    }

    /// A password event of one user; `mfaPassed`, and only it, names the sign-in it passed on.
    pub fn password(
        user_id: String,
        kind: PasswordEventKind,
        sign_in_id: Option<String>,
    ) -> Result<FeedbackRequest, Invalid> {
        let mut errors = Errors::default();
        errors.id("userId", &user_id);
        match (kind, &sign_in_id) {
            (PasswordEventKind::MfaPassed, Some(id)) => errors.id("signInId", id),
            (PasswordEventKind::MfaPassed, None) => {
                errors.add("signInId", "is required for mfaPassed")
            }
            (_, Some(_)) => errors.add("signInId", "only an mfaPassed event names a sign-in"),
            (_, None) => {}
        }
        errors.into_result()?;
        Ok(FeedbackRequest::Password {
            user_id,
            kind,
            sign_in_id,
        })
    }

    pub(crate) fn action(&self) -> FeedbackAction {
        match self {
            FeedbackRequest::Feedback { action, .. } => *action,
            FeedbackRequest::Password { .. } => FeedbackAction::PasswordEvent,
            FeedbackRequest::Detections(_) => FeedbackAction::IngestDetections,
        }
    }

    /// The domain command for one user's share of the targets.
    pub(crate) fn command(&self, targets: &[String]) -> Command {
        match self {
            FeedbackRequest::Feedback { action, .. } => {
                Command::for_step(*action, None, &[], targets)
            }
            FeedbackRequest::Password {
                kind, sign_in_id, ..
            } => Command::Password(PasswordEvent {
                kind: *kind,
                sign_in_id: sign_in_id.clone(),
            }),
            FeedbackRequest::Detections(d) => {
                Command::for_step(FeedbackAction::IngestDetections, None, d, targets)
            }
        }
    }

    pub(crate) fn target_ids(&self) -> Vec<String> {
        match self {
            FeedbackRequest::Feedback { target_ids, .. } => target_ids.clone(),
            FeedbackRequest::Password { user_id, .. } => vec![user_id.clone()],
            FeedbackRequest::Detections(d) => d.iter().map(|d| d.id.clone()).collect(),
        }
    }
}

/// Accepts a work request; returns the stored record (the earlier one for a retried key).
pub async fn submit(
    store: &impl FeedbackStore,
    work_queue: &impl Queue,
    events: &impl Queue,
    caller: &Caller,
    request: FeedbackRequest,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<FeedbackRecord, IntakeError> {
    let tenant = caller.tenant_id.as_str();
    let id = new_id(caller, idempotency_key);
    let hash = request_hash(&request);
    let mut stored = match idempotency_key {
        Some(_) => store.work(tenant, &id).await?,
        None => None,
    };
    if let Some(settled) = stored.take_if(|r| r.intake_state != IntakeState::Accepting) {
        return replay(work_queue, events, tenant, settled, &hash).await;
    }
    let (steps, not_found) = plan(store, tenant, &id, &request).await?;
    let record = FeedbackRecord {
        id: id.clone(),
        action: request.action(),
        submitted_by: caller.actor.clone(),
        submitted_date_time: now,
        last_updated_date_time: now,
        comment: match &request {
            FeedbackRequest::Feedback { comment, .. } => comment.clone(),
            _ => None,
        },
        password_event_kind: match &request {
            FeedbackRequest::Password { kind, .. } => Some(*kind),
            _ => None,
        },
        password_sign_in_id: match &request {
            FeedbackRequest::Password { sign_in_id, .. } => sign_in_id.clone(),
            _ => None,
        },
        target_ids: request.target_ids(),
        results: not_found
            .into_iter()
            .map(|t| {
                (
                    t,
                    TargetStatus {
                        result: TargetOutcome::NotFound,
                        reason: None,
                    },
                )
            })
            .collect(),
        users: steps.iter().map(|s| s.user_id.clone()).collect(),
        detections: match request {
            FeedbackRequest::Detections(d) => d,
            _ => Vec::new(),
        },
        request_hash: hash.clone(),
        event_published: false,
        failure_reason: None,
        failed_date_time: None,
        intake_state: IntakeState::Accepted,
        chunks_committed: None,
    };
    let create_users = record.action == FeedbackAction::IngestDetections;
    let mut attempt = 0;
    let mut conflicts = 0;
    let accepted = loop {
        attempt += 1;
        let outcome = match &stored {
            None => store.accept(tenant, &record, &steps, create_users).await,
            // An earlier attempt stored part of it. Only ingestion can need more than one
            // transaction (feedback names at most MAX_BULK_TARGETS users), and its plan follows
            // from the body alone, so `steps` are the earlier attempt's.
            Some(existing) if existing.intake_state == IntakeState::Accepting => {
                same_request(&existing.request_hash, &hash)?;
                store.accept(tenant, existing, &steps, create_users).await
            }
            Some(existing) => {
                return replay(work_queue, events, tenant, existing.clone(), &hash).await
            }
        };
        match outcome {
            Ok(Accepted::New) => {
                break match stored {
                    Some(resumed) => FeedbackRecord {
                        intake_state: IntakeState::Accepted,
                        chunks_committed: None,
                        ..resumed
                    },
                    None => record,
                }
            }
            // Stored already (a retry, or a reused key), or moved on by another attempt.
            Ok(Accepted::Existing(existing)) => stored = Some(*existing),
            // A processor committed to one of the users at the same moment: try again.
            Err(StoreError::Conflict) => {
                conflicts += 1;
                if !retry_after_conflict(conflicts, ACCEPT_CONFLICTS).await {
                    return Err(StoreError::Conflict.into());
                }
            }
            Err(e) => return Err(e.into()),
        }
    };
    crate::telemetry::feedback_accepted();
    if attempt > 1 {
        tracing::info!(tenant, feedback = %accepted.id, attempts = attempt, "accepted after retries");
    }
    announce(work_queue, events, tenant, &accepted).await?;
    Ok(accepted)
}

/// A retry with the same key and body gets the same record (and its notices are sent again,
/// in case the first attempt failed after storing); a different body is refused, and so is a
/// retry of an intake abandoned unfinished, of which nothing applies.
async fn replay(
    work_queue: &impl Queue,
    events: &impl Queue,
    tenant: &str,
    existing: FeedbackRecord,
    hash: &str,
) -> Result<FeedbackRecord, IntakeError> {
    same_request(&existing.request_hash, hash)?;
    if existing.intake_state == IntakeState::Abandoned {
        return Err(IntakeError::Abandoned);
    }
    announce(work_queue, events, tenant, &existing).await?;
    Ok(existing)
}

/// Notifies the processor of the users' queued work, in one notice. Work that reached no user at all
/// (every target unknown) is already complete, so its completion event goes out here.
async fn announce(
    work_queue: &impl Queue,
    events: &impl Queue,
    tenant: &str,
    record: &FeedbackRecord,
) -> Result<(), QueueError> {
    if record.users.is_empty() {
        let event = FeedbackProcessed::new(tenant, record.view());
        events.send(&[Message::event(&event)]).await?;
        return Ok(());
    }
    let notice = Message::notice(&FeedbackNotice {
        tenant_id: tenant.to_string(),
        feedback_id: record.id.clone(),
        user_ids: record.users.clone(),
    });
    work_queue.send(&[notice]).await?;
    Ok(())
}

type StepsByUser = BTreeMap<String, (Option<String>, Vec<Vec<String>>)>;

/// Principals named directly are one step each, with themselves as the target.
async fn resolve_principals(
    store: &impl FeedbackStore,
    tenant: &str,
    kind: PrincipalKind,
    ids: &[String],
    by_user: &mut StepsByUser,
    not_found: &mut Vec<String>,
) -> Result<(), StoreError> {
    let keys: Vec<String> = ids.iter().map(|id| principal_key(kind, id)).collect();
    let existing = store.existing_users(tenant, &keys).await?;
    for (id, key) in ids.iter().zip(keys) {
        if existing.contains(&key) {
            by_user.insert(key, (None, vec![vec![id.clone()]]));
        } else {
            not_found.push(id.clone());
        }
    }
    Ok(())
}

/// Groups the targets by user and splits them into steps; returns the targets that exist nowhere.
pub(crate) async fn plan(
    store: &impl FeedbackStore,
    tenant: &str,
    feedback_id: &str,
    request: &FeedbackRequest,
) -> Result<(Vec<UserSteps>, Vec<String>), StoreError> {
    let mut by_user = StepsByUser::new();
    let mut not_found = Vec::new();
    match request {
        FeedbackRequest::Feedback {
            action, target_ids, ..
        } if action.targets_sign_ins() || *action == FeedbackAction::ForgetFamiliarContext => {
            let owners: HashMap<String, String> = if action.targets_sign_ins() {
                store.sign_in_owners(tenant, target_ids).await?
            } else {
                store.familiar_context_owners(tenant, target_ids).await?
            };
            // A user's targets are one step: its command names them all.
            for target in target_ids {
                match owners.get(target) {
                    Some(user) => {
                        let steps = &mut by_user.entry(user.clone()).or_default().1;
                        match steps.first_mut() {
                            Some(targets) => targets.push(target.clone()),
                            None => steps.push(vec![target.clone()]),
                        }
                    }
                    None => not_found.push(target.clone()),
                }
            }
        }
        FeedbackRequest::Feedback {
            action, target_ids, ..
        } => {
            let kind = if action.targets_service_principals() {
                PrincipalKind::ServicePrincipal
            } else {
                PrincipalKind::User
            };
            resolve_principals(
                store,
                tenant,
                kind,
                target_ids,
                &mut by_user,
                &mut not_found,
            )
            .await?
        }
        FeedbackRequest::Password { user_id, .. } => {
            let users = [user_id.clone()];
            let kind = PrincipalKind::User;
            resolve_principals(store, tenant, kind, &users, &mut by_user, &mut not_found).await?
        }
        FeedbackRequest::Detections(detections) => {
            for d in detections {
                let entry = by_user.entry(d.user_id.clone()).or_default();
                if entry.0.is_none() {
                    entry.0 = d.user_principal_name.clone();
                }
                match entry.1.last_mut() {
                    Some(targets) if targets.len() < DETECTIONS_PER_STEP => {
                        targets.push(d.id.clone())
                    }
                    _ => entry.1.push(vec![d.id.clone()]),
                }
            }
        }
    }
    let mut n = 0;
    let steps = by_user
        .into_iter()
        .map(|(user_id, (user_principal_name, groups))| UserSteps {
            user_id,
            user_principal_name,
            steps: groups
                .into_iter()
                .map(|targets| {
                    n += 1;
                    PendingStep {
                        step_id: format!("{feedback_id}.{n}"),
                        feedback_id: feedback_id.to_string(),
                        targets,
                    }
                })
                .collect(),
        })
        .collect();
    Ok((steps, not_found))
}

/// The rules of one detection besides its ids: text within its limits, a level for one that
/// arrives at risk, and one sign-in however it is named.
fn check_detection(errors: &mut Errors, d: &DetectionIn, at: &dyn Fn(&str) -> String) {
    let expected = match d.service_principal_id {
        Some(_) => GRAPH_SERVICE_PRINCIPAL_DETECTION_TYPE,
        None => GRAPH_DETECTION_TYPE,
    };
    if d.odata_type.as_deref().is_some_and(|kind| kind != expected) {
        errors.add(at("@odata.type"), format!("must be {expected}"));
    }
    if d.service_principal_id.is_some() {
        if d.sign_in.is_some() {
            errors.add(
                at("signIn"),
                "a service principal's detection names its sign-in only as requestId",
            );
        }
        if d.user_principal_name.is_some() || d.user_display_name.is_some() {
            errors.add(
                at("userPrincipalName"),
                "names a user on a service principal's detection",
            );
        }
    }
    if d.key_ids.len() > MAX_KEY_IDS {
        errors.add(at("keyIds"), format!("must hold at most {MAX_KEY_IDS} ids"));
    }
    for (i, key) in d.key_ids.iter().enumerate() {
        errors.id(at(&format!("keyIds[{i}]")), key);
    }
    if let Some(app) = &d.app_id {
        errors.id(at("appId"), app);
    }
    for (field, value) in [
        ("userPrincipalName", &d.user_principal_name),
        ("userDisplayName", &d.user_display_name),
        (
            "servicePrincipalDisplayName",
            &d.service_principal_display_name,
        ),
        ("tokenIssuerType", &d.token_issuer_type),
        ("lastUpdatedDateTime", &d.last_updated_date_time),
    ] {
        errors.optional_text(at(field), value.as_deref(), MAX_TEXT_LEN);
    }
    errors.name(at("riskEventType"), &d.risk_event_type);
    errors.name(at("source"), &d.source);
    if d.risk_level == DetectionLevel::None && d.arrives_in().is_none() {
        errors.add(
            at("riskLevel"),
            "must be low, medium, high or hidden for a detection at risk",
        );
    }
    for (field, value) in [
        ("requestId", &d.request_id),
        ("correlationId", &d.correlation_id),
    ] {
        if let Some(value) = value {
            errors.id(at(field), value);
        }
    }
    if d.request_id.is_some() && d.sign_in.is_some() {
        errors.add(
            at("requestId"),
            "names the sign-in a second time: send Graph's requestId or signIn, not both",
        );
    }
    errors.optional_text(at("ipAddress"), d.ip_address.as_deref(), MAX_EVIDENCE_LEN);
    errors.optional_text(
        at("additionalInfo"),
        d.additional_info.as_deref(),
        MAX_ADDITIONAL_INFO_LEN,
    );
    check_location(errors, "location", d.location.as_ref(), at);
    if let Some(sign_in) = &d.sign_in {
        errors.id(at("signIn.id"), &sign_in.id);
        errors.optional_text(
            at("signIn.ipAddress"),
            sign_in.ip_address.as_deref(),
            MAX_EVIDENCE_LEN,
        );
        check_location(errors, "signIn.location", sign_in.location.as_ref(), at);
        errors.optional_text(
            at("signIn.appDisplayName"),
            sign_in.app_display_name.as_deref(),
            MAX_TEXT_LEN,
        );
    }
    if let Some(e) = &d.evidence {
        errors.optional_text(
            at("evidence.ipAddress"),
            e.ip_address.as_deref(),
            MAX_EVIDENCE_LEN,
        );
        errors.optional_text(
            at("evidence.fileSha256"),
            e.file_sha256.as_deref(),
            MAX_EVIDENCE_LEN,
        );
        errors.optional_text(at("evidence.url"), e.url.as_deref(), MAX_EVIDENCE_URL_LEN);
        errors.optional_text(
            at("evidence.domainName"),
            e.domain_name.as_deref(),
            MAX_TEXT_LEN,
        );
    }
}

fn check_location(
    errors: &mut Errors,
    field: &str,
    place: Option<&SignInLocation>,
    at: &dyn Fn(&str) -> String,
) {
    let Some(place) = place else { return };
    for (part, value) in [
        ("city", &place.city),
        ("state", &place.state),
        ("countryOrRegion", &place.country_or_region),
    ] {
        errors.optional_text(
            at(&format!("{field}.{part}")),
            value.as_deref(),
            MAX_TEXT_LEN,
        );
    }
    if let Some(geo) = &place.geo_coordinates {
        for (part, value, bound) in [
            ("latitude", geo.latitude, 90.0),
            ("longitude", geo.longitude, 180.0),
            ("altitude", geo.altitude, GeoCoordinates::MAX_ALTITUDE),
        ] {
            if value.is_some_and(|v| !(-bound..=bound).contains(&v)) {
                errors.add(
                    at(&format!("{field}.geoCoordinates.{part}")),
                    format!("must be between -{bound} and {bound}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::FieldError;

    fn fields(result: Result<FeedbackRequest, Invalid>) -> Vec<String> {
        match result {
            Err(Invalid(errors)) => errors.into_iter().map(|e: FieldError| e.field).collect(),
            other => panic!("not refused: {other:?}"),
        }
    }

    fn detection(id: &str, risk_level: &str) -> DetectionIn {
        serde_json::from_value(serde_json::json!({
            "id": id, "userId": "alice", "riskEventType": "unfamiliarFeatures",
            "riskLevel": risk_level, "detectionTimingType": "realtime", "source": "idp",
            "detectedDateTime": "2026-11-20T10:00:00Z",
        }))
        .expect("a detection")
    }

    #[test]
    fn feedback_names_1_to_60_distinct_targets() {
        let ids = |n: usize| (0..n).map(|i| format!("u{i}")).collect::<Vec<_>>();
        let action = FeedbackAction::ConfirmUserCompromised;
        assert!(FeedbackRequest::feedback(action, "userIds", ids(MAX_BULK_TARGETS), None).is_ok());
        for bad in [ids(0), ids(MAX_BULK_TARGETS + 1)] {
            assert_eq!(
                fields(FeedbackRequest::feedback(action, "userIds", bad, None)),
                ["userIds"]
            );
        }
        let repeated = vec!["u".to_string(), "u".to_string()];
        assert_eq!(
            fields(FeedbackRequest::feedback(action, "userIds", repeated, None)),
            ["userIds[1]"]
        );
        let long = "c".repeat(MAX_COMMENT_LEN + 1);
        assert_eq!(
            fields(FeedbackRequest::feedback(
                action,
                "signInIds",
                ids(1),
                Some(long)
            )),
            ["comment"]
        );
    }

    #[test]
    fn detections_are_1_to_100_with_distinct_ids_and_a_risk() {
        let batch = |n: usize| (0..n).map(|i| detection(&format!("d{i}"), "low")).collect();
        assert!(FeedbackRequest::detections("detections", batch(MAX_DETECTIONS_PER_CALL)).is_ok());
        assert_eq!(
            fields(FeedbackRequest::detections("detections", batch(0))),
            ["detections"]
        );
        assert_eq!(
            fields(FeedbackRequest::detections(
                "detections",
                batch(MAX_DETECTIONS_PER_CALL + 1)
            )),
            ["detections"]
        );
        let repeated = vec![detection("d", "low"), detection("d", "high")];
        assert_eq!(
            fields(FeedbackRequest::detections("detections", repeated)),
            ["detections[1].id"]
        );
        assert_eq!(
            fields(FeedbackRequest::detections(
                "detections",
                vec![detection("d", "none")]
            )),
            ["detections[0].riskLevel"]
        );
    }

    #[test]
    fn a_password_event_names_a_valid_user() {
        let kind = PasswordEventKind::SecurePasswordChange;
        assert!(FeedbackRequest::password("alice".into(), kind, None).is_ok());
        assert!(FeedbackRequest::password(String::new(), kind, None).is_err());
    }

    #[test]
    fn only_mfa_passed_names_a_sign_in_and_it_must() {
        use PasswordEventKind::{MfaPassed, SecurePasswordReset};
        let password = |kind, sign_in: Option<&str>| {
            FeedbackRequest::password("alice".into(), kind, sign_in.map(str::to_string))
        };
        assert!(password(MfaPassed, Some("s1")).is_ok());
        assert_eq!(fields(password(MfaPassed, None)), ["signInId"]);
        assert_eq!(fields(password(MfaPassed, Some("\u{7}"))), ["signInId"]);
        assert_eq!(
            fields(password(SecurePasswordReset, Some("s1"))),
            ["signInId"]
        );
    }
}
