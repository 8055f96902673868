//! SPEC 2 and SPEC 8: detections in Graph's shape, as Graph exports them. Graph's own
//! documentation examples (`tests/fixtures/graph-docs`) are the inputs where they say what a
//! rule is about; small variations of them say the rest.

mod common;

use serde_json::{json, Value};

use common::{context, fixture, with};
use riskfeedback::errors::Invalid;
use riskfeedback::feedback::{DetectionIn, TargetOutcome};
use riskfeedback::indicators::evidence_keys;
use riskfeedback::model::{
    Activity, DetectionLevel, DetectionTimingType, RiskDetail, RiskLevel, RiskState, User,
    UserAggregate,
};
use riskfeedback::risk::{apply, Command, Context};

/// The first detection of Graph's documented `GET /identityProtection/riskDetections` answer.
fn graph_example() -> Value {
    fixture("v1.0-riskdetection-list-1.json")["value"][0].clone()
}

fn accepted(detections: Vec<Value>) -> Result<Vec<DetectionIn>, Invalid> {
    common::accepted("detections", detections)
}

fn refused_field(detections: Vec<Value>) -> String {
    match accepted(detections) {
        Ok(d) => panic!("accepted {d:?}"),
        Err(invalid) => invalid
            .0
            .first()
            .map(|e| e.field.clone())
            .unwrap_or_default(),
    }
}

fn ctx() -> Context {
    context(1, "graph-export")
}

fn ingest(agg: &UserAggregate, detections: Vec<Value>) -> UserAggregate {
    let detections = accepted(detections).unwrap_or_else(|e| panic!("refused: {e:?}"));
    let outcome = apply(agg, &Command::IngestDetections(detections), &ctx());
    assert!(outcome
        .results
        .iter()
        .all(|r| r.result == TargetOutcome::Applied));
    outcome.aggregate
}

fn user_of(example: &Value) -> UserAggregate {
    let id = example["userId"].as_str().unwrap_or_default();
    UserAggregate::new(User::new(id))
}

#[test]
fn graphs_documented_detection_is_taken_as_it_is_and_adds_no_risk() {
    let example = graph_example();
    let agg = ingest(&user_of(&example), vec![example.clone()]);
    let d = &agg.detections["6a5874ca-abcd-9d82-5ad39bd71600"];
    assert_eq!(
        (d.risk_state, d.risk_detail, d.risk_level),
        (
            RiskState::Remediated,
            RiskDetail::UserPerformedSecuredPasswordReset,
            DetectionLevel::Medium
        )
    );
    assert_eq!(d.activity, Activity::Signin);
    assert_eq!(d.sign_in_id.as_deref(), example["requestId"].as_str());
    assert_eq!(
        d.token_issuer_type.as_deref(),
        Some("Azure Active Directory")
    );
    assert_eq!(d.user_display_name.as_deref(), Some("Olivia Lack"));
    assert_eq!(
        d.correlation_id.as_deref(),
        Some("abcd74ca-9823-4b1c-9d82-5ad39bd71600")
    );
    assert_eq!(
        d.additional_info.as_deref(),
        example["additionalInfo"].as_str()
    );
    assert_eq!(
        d.activity_date_time.map(|t| t.to_rfc3339()).as_deref(),
        Some("2018-09-05T00:09:18.782285100+00:00")
    );
    // Graph's example address is no address: kept as text, never matched.
    assert_eq!(d.ip_address.as_deref(), Some("123.456.7.89"));
    let evidence = d.evidence.clone().unwrap_or_default();
    assert_eq!(evidence.ip_address.as_deref(), Some("123.456.7.89"));
    assert!(evidence_keys(&evidence).is_empty());
    let place = d.location.clone().unwrap_or_default();
    assert_eq!(
        place.names().collect::<Vec<_>>(),
        ["Seattle", "Washington", "US"]
    );

    let sign_in = &agg.sign_ins["6a5874ca-abcd-9d82-5ad39bd71600"];
    assert_eq!(
        (sign_in.risk_state, sign_in.risk_level_aggregated),
        (RiskState::Remediated, RiskLevel::None)
    );
    assert_eq!(sign_in.ip_address.as_deref(), Some("123.456.7.89"));
    assert_eq!(sign_in.location, d.location);
    assert_eq!(
        (agg.user.risk_state, agg.user.risk_level),
        (RiskState::None, RiskLevel::None)
    );
    assert_eq!(
        agg.user.user_principal_name.as_deref(),
        Some("olack@adatum.com")
    );
}

#[test]
fn graph_betas_older_example_with_risk_type_is_taken_too() {
    let older = fixture("beta-riskdetection-get-1.json");
    let taken = accepted(vec![older]).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(taken[0].risk_event_type, "unfamiliarFeatures");
}

#[test]
fn an_open_graph_detection_raises_risk_on_its_sign_in() {
    let open = with(
        graph_example(),
        json!({"riskState": "atRisk", "riskDetail": "none", "ipAddress": "203.0.113.7"}),
    );
    let agg = ingest(&user_of(&open), vec![open]);
    let sign_in = &agg.sign_ins["6a5874ca-abcd-9d82-5ad39bd71600"];
    assert_eq!(
        (
            sign_in.risk_state,
            sign_in.risk_level_aggregated,
            sign_in.risk_level_during_sign_in
        ),
        (RiskState::AtRisk, RiskLevel::Medium, RiskLevel::Medium)
    );
    assert_eq!(
        sign_in.created_date_time.to_rfc3339(),
        "2018-09-05T00:09:18.782285100+00:00"
    );
    assert_eq!(
        (agg.user.risk_state, agg.user.risk_level),
        (RiskState::AtRisk, RiskLevel::Medium)
    );
    let d = &agg.detections["6a5874ca-abcd-9d82-5ad39bd71600"];
    assert_eq!(d.risk_detail, RiskDetail::None);
    let keys = evidence_keys(&d.evidence.clone().unwrap_or_default());
    assert_eq!(keys.len(), 1, "an address is evidence an indicator matches");
}

#[test]
fn an_offline_detection_leaves_the_sign_ins_real_time_risk_none() {
    let offline = with(
        graph_example(),
        json!({"riskState": "atRisk", "detectionTimingType": "offline"}),
    );
    let agg = ingest(&user_of(&offline), vec![offline]);
    let sign_in = &agg.sign_ins["6a5874ca-abcd-9d82-5ad39bd71600"];
    assert_eq!(
        (
            sign_in.risk_level_during_sign_in,
            sign_in.risk_level_aggregated
        ),
        (RiskLevel::None, RiskLevel::Medium)
    );
}

#[test]
fn a_hidden_level_makes_the_user_at_risk_and_counts_as_low() {
    for level in ["hidden", "unknownFutureValue"] {
        let hidden = with(
            graph_example(),
            json!({"riskState": "atRisk", "riskLevel": level}),
        );
        let agg = ingest(&user_of(&hidden), vec![hidden]);
        assert_eq!(
            (agg.user.risk_state, agg.user.risk_level),
            (RiskState::AtRisk, RiskLevel::Low),
            "{level}"
        );
        let d = &agg.detections["6a5874ca-abcd-9d82-5ad39bd71600"];
        assert_eq!(
            d.risk_level.to_string(),
            level,
            "the level is kept as reported"
        );
    }
}

#[test]
fn each_closed_state_is_kept_and_never_reopens_the_user() {
    for (state, detail) in [
        (RiskState::Remediated, "userPerformedSecuredPasswordChange"),
        (RiskState::Dismissed, "m365DAdminDismissedDetection"),
        (RiskState::ConfirmedSafe, "adminConfirmedSigninSafe"),
        (RiskState::Dismissed, "hidden"),
    ] {
        let closed = with(
            graph_example(),
            json!({"riskState": state, "riskDetail": detail, "riskLevel": "none"}),
        );
        let mut remediated = user_of(&closed);
        remediated.user.risk_state = RiskState::Remediated;
        let agg = ingest(&remediated, vec![closed]);
        let d = &agg.detections["6a5874ca-abcd-9d82-5ad39bd71600"];
        assert_eq!(d.risk_state, state);
        assert_eq!(
            serde_json::to_value(d.risk_detail).ok(),
            Some(json!(detail))
        );
        assert_eq!(
            (agg.user.risk_state, agg.user.risk_level),
            (RiskState::Remediated, RiskLevel::None),
            "{state} {detail}"
        );
    }
}

#[test]
fn a_compromise_the_producer_confirmed_is_the_users() {
    let confirmed = with(
        graph_example(),
        json!({"riskState": "confirmedCompromised", "riskDetail": "adminConfirmedUserCompromised", "riskLevel": "high"}),
    );
    let agg = ingest(&user_of(&confirmed), vec![confirmed]);
    assert_eq!(
        (
            agg.user.risk_state,
            agg.user.risk_level,
            agg.user.risk_detail
        ),
        (
            RiskState::ConfirmedCompromised,
            RiskLevel::High,
            RiskDetail::AdminConfirmedUserCompromised
        )
    );
    let sign_in = &agg.sign_ins["6a5874ca-abcd-9d82-5ad39bd71600"];
    assert_eq!(
        (sign_in.risk_state, sign_in.risk_level_aggregated),
        (RiskState::ConfirmedCompromised, RiskLevel::High)
    );
}

#[test]
fn graphs_other_timing_values_are_taken() {
    for timing in ["notDefined", "nearRealtime", "unknownFutureValue"] {
        let d = with(graph_example(), json!({"detectionTimingType": timing}));
        let taken = accepted(vec![d]).unwrap_or_else(|e| panic!("{timing}: {e:?}"));
        assert_ne!(
            taken[0].detection_timing_type,
            DetectionTimingType::Realtime
        );
    }
}

#[test]
fn a_service_time_graph_got_wrong_is_taken_as_text() {
    let d = with(
        graph_example(),
        json!({"lastUpdatedDateTime": "2021-10-26T16:28:17.8202975Z)"}),
    );
    assert!(accepted(vec![d]).is_ok());
}

#[test]
fn a_location_without_a_sign_in_stays_the_detections() {
    let user_level = with(
        graph_example(),
        json!({"requestId": null, "activity": "user", "riskState": "atRisk"}),
    );
    let agg = ingest(&user_of(&user_level), vec![user_level]);
    let d = &agg.detections["6a5874ca-abcd-9d82-5ad39bd71600"];
    assert_eq!(
        (d.activity, d.sign_in_id.as_deref()),
        (Activity::User, None)
    );
    assert!(agg.sign_ins.is_empty());
    assert_eq!(
        d.location.as_ref().and_then(|l| l.city.as_deref()),
        Some("Seattle")
    );
}

#[test]
fn the_services_own_shape_names_its_sign_ins_address_and_place_on_the_detection() {
    let own = json!({
        "id": "d1", "userId": "u1", "riskEventType": "unfamiliarFeatures", "riskLevel": "medium",
        "detectionTimingType": "realtime", "source": "idp", "detectedDateTime": "2026-12-01T10:00:00Z",
        "signIn": {"id": "s1", "createdDateTime": "2026-12-01T10:00:00Z", "ipAddress": "203.0.113.7",
                   "location": "Lisbon, PT", "riskLevelDuringSignIn": "medium"}
    });
    let taken = accepted(vec![own]).unwrap_or_else(|e| panic!("{e:?}"));
    let d = &taken[0];
    assert_eq!(d.ip_address.as_deref(), Some("203.0.113.7"));
    assert_eq!(
        d.location.as_ref().map(|l| l.names().collect::<Vec<_>>()),
        Some(vec!["Lisbon", "PT"])
    );
    // The sign-in's address is where the sign-in came from, not evidence the sensor reported.
    assert_eq!(d.evidence, None);
}

#[test]
fn coordinates_are_kept_to_a_centimetre_which_dynamodb_can_store() {
    let d = with(
        graph_example(),
        json!({"location": {"city": "Seattle", "geoCoordinates":
            {"latitude": 47.606_209_123_456, "longitude": -7.96e-298, "altitude": 1e-200}}}),
    );
    let taken = accepted(vec![d]).unwrap_or_else(|e| panic!("{e:?}"));
    let geo = taken[0]
        .location
        .as_ref()
        .and_then(|l| l.geo_coordinates)
        .unwrap_or_default();
    assert_eq!(
        (geo.latitude, geo.longitude, geo.altitude),
        (Some(47.606_209_1), Some(0.0), Some(0.0))
    );
    assert_eq!(
        serde_json::to_value(geo).ok(),
        Some(json!({"latitude": 47.606_209_1, "longitude": 0.0, "altitude": 0.0}))
    );
}

#[test]
fn what_no_producer_could_mean_is_refused_by_field() {
    let example = graph_example();
    let cases = [
        (
            json!({"riskState": "atRisk", "riskLevel": "none"}),
            "detections[0].riskLevel",
        ),
        (json!({"riskLevel": "severe"}), "[0].riskLevel"),
        (json!({"riskState": "gone"}), "[0].riskState"),
        (json!({"riskDetail": "becauseISaidSo"}), "[0].riskDetail"),
        (
            json!({"@odata.type": "#microsoft.graph.riskyUser"}),
            "detections[0].@odata.type",
        ),
        (
            json!({"signIn": {"id": "6a5874ca-abcd-9d82-5ad39bd71600", "createdDateTime": "2026-12-01T10:00:00Z", "riskLevelDuringSignIn": "low"}}),
            "detections[0].requestId",
        ),
        (
            json!({"location": {"city": "Seattle", "town": "x"}}),
            "[0].location.town",
        ),
        (
            json!({"location": {"geoCoordinates": {"latitude": 91.0}}}),
            "detections[0].location.geoCoordinates.latitude",
        ),
        (
            json!({"ipAddress": "a".repeat(65)}),
            "detections[0].ipAddress",
        ),
        (json!({"requestId": ""}), "detections[0].requestId"),
        (
            json!({"tokenIssuerType": "\u{1b}[2J"}),
            "detections[0].tokenIssuerType",
        ),
    ];
    for (changes, field) in cases {
        let bad = with(example.clone(), changes.clone());
        let refused = refused_field(vec![bad]);
        assert!(refused.ends_with(field), "{changes}: {refused}");
    }
}
