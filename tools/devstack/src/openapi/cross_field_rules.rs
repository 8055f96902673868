//! The rules of the document that span fields, which the types' derived schemas cannot say:
//! which value an indicator's type takes, which fields each submitted item needs, the shape of
//! a bulk undo and of an ingestion, what a detection at risk carries, and which password event
//! names a sign-in.

use std::collections::BTreeMap;

use riskfeedback::feedback::{
    PasswordEventKind, GRAPH_DETECTION_TYPE, GRAPH_SERVICE_PRINCIPAL_DETECTION_TYPE,
};
use riskfeedback::indicators::IndicatorType;
use riskfeedback::model::{DetectionLevel, RiskState};
use riskfeedback::openapi::{Cursor, DayOrTime, DomainName, HttpUrl, IpAddress, Sha1, Sha256};
use riskfeedback::submissions::{Category, ItemType};
use serde_json::{json, Value};
use utoipa::PartialSchema;

/// The rules that span fields, or pick a field's rule by another field's value, which the
/// types' derived schemas cannot say. `schemas` are the document's components by name; the
/// rules are written as JSON Schema because that is what they are.
pub fn add_cross_field_rules(schemas: &mut BTreeMap<String, Value>) {
    // Schemas only parameters and these rules name, which utoipa does not collect.
    let referenced = [
        ("Cursor", Cursor::schema()),
        ("DayOrTime", DayOrTime::schema()),
        ("Sha256", Sha256::schema()),
        ("Sha1", Sha1::schema()),
        ("IpAddress", IpAddress::schema()),
        ("HttpUrl", HttpUrl::schema()),
        ("DomainName", DomainName::schema()),
    ];
    for (name, schema) in referenced {
        schemas.insert(
            name.to_string(),
            serde_json::to_value(schema).unwrap_or_default(),
        );
    }
    if let Some(indicator) = schemas.get_mut("IndicatorIn") {
        indicator["oneOf"] = indicator_values();
    }
    if let Some(submission) = schemas.get_mut("SubmissionIn") {
        submission["allOf"] = submission_rules();
    }
    if let Some(undo) = schemas.get_mut("UndoManyBody") {
        // `null` is the same as leaving a field out.
        undo["oneOf"] = json!([
            {"required": ["actionIds"], "properties": {
                "actionIds": {"$ref": "#/components/schemas/IdList"},
                "investigationId": {"type": "null"}}},
            {"required": ["investigationId"], "properties": {
                "investigationId": {"$ref": "#/components/schemas/Id"},
                "actionIds": {"type": "null"}}},
        ]);
        undo["required"] = json!(["reason"]);
        undo["properties"]["reason"] = json!({"$ref": "#/components/schemas/Comment"});
        undo["description"] =
            json!("Exactly one of `actionIds` and `investigationId`, and why (`reason`).");
    }
    if let Some(body) = schemas.get_mut("DetectionsBody") {
        // `ingest_detections`: the detections, or a Graph page's `value`; `null` is the same as
        // leaving a field out.
        body["oneOf"] = json!([
            {"required": ["detections"], "properties": {
                "detections": {"type": "array"}, "value": {"type": "null"}}},
            {"required": ["value"], "properties": {
                "value": {"type": "array"}, "detections": {"type": "null"}}},
        ]);
    }
    if let Some(detection) = schemas.get_mut("DetectionIn") {
        detection["allOf"] = detection_rules();
    }
    if let Some(password) = schemas.get_mut("PasswordEventBody") {
        // `FeedbackRequest::password`: `signInId` for, and only for, `mfaPassed`; `null` is the
        // same as leaving it out.
        password["oneOf"] = json!([
            {"required": ["signInId"], "properties": {
                "kind": {"const": PasswordEventKind::MfaPassed},
                "signInId": {"$ref": "#/components/schemas/Id"}}},
            {"properties": {
                "kind": {"not": {"const": PasswordEventKind::MfaPassed}},
                "signInId": {"type": "null"}}},
        ]);
    }
    // A stored submission is the request's fields and its own, in one object: the derived
    // `allOf` of the request (which refuses other fields) and the rest could match nothing.
    let request = schemas.get("SubmissionIn").cloned();
    if let (Some(request), Some(Value::Object(stored))) = (request, schemas.get_mut("Submission")) {
        let own = stored
            .get("allOf")
            .and_then(|parts| parts.get(1))
            .cloned()
            .unwrap_or_default();
        let mut properties = request["properties"].clone();
        if let (Some(all), Some(more)) = (properties.as_object_mut(), own["properties"].as_object())
        {
            all.extend(more.clone());
        }
        let required: Vec<Value> = [&request["required"], &own["required"]]
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .cloned()
            .collect();
        stored.remove("allOf");
        stored.insert("type".into(), json!("object"));
        stored.insert("required".into(), Value::Array(required));
        stored.insert("properties".into(), properties);
    }
}

/// `intake::check_detection`: a detection concerns a user or a service principal, carries some
/// risk while at risk, and names its sign-in once, by Graph's `requestId` or by `signIn`.
fn detection_rules() -> Value {
    let arrived_in_a_verdict = [
        RiskState::ConfirmedSafe,
        RiskState::ConfirmedCompromised,
        RiskState::Dismissed,
        RiskState::Remediated,
    ];
    json!([
        {
            // A user's detection, or a service principal's (SPEC 3c), which names no user and
            // no sign-in of its own; `@odata.type`, if sent, says which.
            "oneOf": [
                {"required": ["userId"], "properties": {
                    "servicePrincipalId": {"type": "null"},
                    "@odata.type": {"enum": [GRAPH_DETECTION_TYPE, null]}}},
                {"required": ["servicePrincipalId"], "not": {"required": ["userId"]}, "properties": {
                    "servicePrincipalId": {"$ref": "#/components/schemas/Id"},
                    "@odata.type": {"enum": [GRAPH_SERVICE_PRINCIPAL_DETECTION_TYPE, null]},
                    "signIn": {"type": "null"}, "userPrincipalName": {"type": "null"},
                    "userDisplayName": {"type": "null"}}},
            ]
        },
        {
            "if": {"required": ["riskLevel"], "properties": {"riskLevel": {"const": DetectionLevel::None}}},
            "then": {"required": ["riskState"], "properties": {"riskState": {"enum": arrived_in_a_verdict}}}
        },
        {
            "if": {"required": ["signIn"], "properties": {"signIn": {"type": "object"}}},
            "then": {"properties": {"requestId": {"type": "null"}}}
        },
    ])
}

/// `indicatorValue` as `indicators::normalize` takes it for each `indicatorType`.
fn indicator_values() -> Value {
    let variant = |kind: IndicatorType, value: &str| {
        json!({"properties": {
            "indicatorType": {"const": kind},
            "indicatorValue": {"$ref": format!("#/components/schemas/{value}")}}})
    };
    json!([
        variant(IndicatorType::FileSha256, "Sha256"),
        variant(IndicatorType::FileSha1, "Sha1"),
        variant(IndicatorType::IpAddress, "IpAddress"),
        variant(IndicatorType::Url, "HttpUrl"),
        variant(IndicatorType::DomainName, "DomainName"),
    ])
}

/// `submissions::validate`: the item field each `itemType` needs, and what only a false
/// positive may ask for.
fn submission_rules() -> Value {
    let needs = |types: &[ItemType], field: &str, schema: Value| {
        json!({
            "if": {"properties": {"itemType": {"enum": types}}},
            "then": {"properties": {"item": {"required": [field], "properties": {field: schema}}}}
        })
    };
    let files = [ItemType::EmailAttachment, ItemType::File, ItemType::App];
    let urls = [ItemType::EmailUrl, ItemType::OfficeFileUrl];
    let with_indicator_value: Vec<ItemType> = files.iter().chain(&urls).copied().collect();
    json!([
        needs(&[ItemType::EmailMessage], "networkMessageId",
              json!({"$ref": "#/components/schemas/Text"})),
        needs(&urls, "url", json!({"$ref": "#/components/schemas/HttpUrl"})),
        needs(&files, "fileSha256", json!({"$ref": "#/components/schemas/Sha256"})),
        {
            "if": {"required": ["undoRemediation"], "properties": {"undoRemediation": {"const": true}}},
            "then": {"required": ["remediationActionIds"], "properties": {
                "category": {"const": Category::FalsePositive},
                "remediationActionIds": {"minItems": 1}}}
        },
        {
            "if": {"required": ["allowIndicator"], "properties": {"allowIndicator": {"type": "object"}}},
            "then": {"properties": {
                "category": {"const": Category::FalsePositive},
                "itemType": {"enum": with_indicator_value}}}
        },
    ])
}
