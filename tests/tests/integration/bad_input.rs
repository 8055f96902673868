//! Every bad input gets a 4xx problem+json naming what is wrong, and writes nothing.

use std::collections::BTreeMap;

use riskfeedback_tests::harness::{detection, As, TestStack};
use serde_json::{json, Value};

const TENANT: &str = "contoso";

fn json_headers() -> BTreeMap<String, String> {
    BTreeMap::from([("content-type".to_string(), "application/json".to_string())])
}

/// Sends a raw body and asserts the problem status, the field named, and that nothing was written.
async fn refused(
    t: &TestStack,
    method: &str,
    path: &str,
    body: &[u8],
    status: u16,
    field: Option<&str>,
) -> Value {
    let before = t.item_count().await;
    let answer = t
        .call_raw(
            Some(&As::analyst(TENANT)),
            method,
            path,
            json_headers(),
            body.to_vec(),
        )
        .await;
    let problem = answer.problem(status).clone();
    if let Some(field) = field {
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    assert!(problem["type"]
        .as_str()
        .is_some_and(|t| t.starts_with("/problems/")));
    assert!(problem["detail"].is_string());
    assert_eq!(
        t.item_count().await,
        before,
        "{method} {path} wrote something"
    );
    problem
}

#[tokio::test]
async fn malformed_or_unexpected_bodies_name_the_field() {
    let t = TestStack::new().await;
    let path = "/risky-users/dismiss";
    refused(&t, "POST", path, b"{not json", 400, Some("body")).await;
    refused(&t, "POST", path, b"", 400, Some("body")).await;
    refused(
        &t,
        "POST",
        path,
        br#"{"userIds": ["a"], "extra": true}"#,
        400,
        Some("extra"),
    )
    .await;
    refused(
        &t,
        "POST",
        path,
        br#"{"userIds": "alice"}"#,
        400,
        Some("userIds"),
    )
    .await;
    refused(
        &t,
        "POST",
        path,
        br#"{"userIds": [1]}"#,
        400,
        Some("userIds[0]"),
    )
    .await;
    refused(
        &t,
        "POST",
        path,
        br#"{"userIds": []}"#,
        400,
        Some("userIds"),
    )
    .await;
    refused(
        &t,
        "POST",
        path,
        br#"{"userIds": ["a", "a"]}"#,
        400,
        Some("userIds[1]"),
    )
    .await;
    refused(
        &t,
        "POST",
        path,
        br#"{"userIds": ["\u0007etc"]}"#,
        400,
        Some("userIds[0]"),
    )
    .await;
    refused(
        &t,
        "POST",
        path,
        br#"{"userIds": ["a\u202eb"]}"#,
        400,
        Some("userIds[0]"),
    )
    .await;
    refused(
        &t,
        "POST",
        path,
        br#"{"userIds": ["a"]} trailing"#,
        400,
        Some("body"),
    )
    .await;
    let long_comment = json!({"userIds": ["a"], "comment": "x".repeat(1001)}).to_string();
    refused(
        &t,
        "POST",
        path,
        long_comment.as_bytes(),
        400,
        Some("comment"),
    )
    .await;
    let sixty_one: Vec<String> = (0..61).map(|i| format!("u{i}")).collect();
    let body = json!({ "userIds": sixty_one }).to_string();
    let problem = refused(&t, "POST", path, body.as_bytes(), 400, Some("userIds")).await;
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("at most 60"));
    refused(
        &t,
        "POST",
        "/risky-signins/confirm-safe",
        br#"{"userIds": ["a"]}"#,
        400,
        Some("userIds"),
    )
    .await;
}

#[tokio::test]
async fn detections_are_validated_field_by_field() {
    let t = TestStack::new().await;
    let mut bad = detection("d1", "alice", "low", Some("s1"));
    bad["riskLevel"] = json!("none");
    bad["signIn"]["id"] = json!("bad\u{7}id");
    let body = json!({"detections": [bad]}).to_string();
    let problem = refused(&t, "POST", "/risk-detections", body.as_bytes(), 400, None).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["detections[0].riskLevel", "detections[0].signIn.id"]
    );
    let mut wrong_type = detection("d1", "alice", "low", None);
    wrong_type["riskLevel"] = json!("severe");
    let body = json!({"detections": [wrong_type]}).to_string();
    refused(
        &t,
        "POST",
        "/risk-detections",
        body.as_bytes(),
        400,
        Some("detections[0].riskLevel"),
    )
    .await;
    let hundred_one: Vec<Value> = (0..101)
        .map(|i| detection(&format!("d{i}"), "alice", "low", None))
        .collect();
    let body = json!({ "detections": hundred_one }).to_string();
    refused(
        &t,
        "POST",
        "/risk-detections",
        body.as_bytes(),
        400,
        Some("detections"),
    )
    .await;
    let twice = json!({"detections": [detection("d1", "a", "low", None), detection("d1", "b", "low", None)]}).to_string();
    refused(
        &t,
        "POST",
        "/risk-detections",
        twice.as_bytes(),
        400,
        Some("detections[1].id"),
    )
    .await;
    refused(
        &t,
        "POST",
        "/password-events",
        br#"{"userId": "a", "kind": "guess"}"#,
        400,
        Some("kind"),
    )
    .await;
    for body in [
        &br#"{"userId": "a", "kind": "mfaPassed"}"#[..],
        br#"{"userId": "a", "kind": "securePasswordReset", "signInId": "s1"}"#,
    ] {
        refused(&t, "POST", "/password-events", body, 400, Some("signInId")).await;
    }
}

#[tokio::test]
async fn wrong_media_type_and_huge_bodies_are_refused() {
    let t = TestStack::new().await;
    let answer = t
        .call_raw(
            Some(&As::analyst(TENANT)),
            "POST",
            "/risky-users/dismiss",
            BTreeMap::from([("content-type".to_string(), "text/plain".to_string())]),
            br#"{"userIds": ["a"]}"#.to_vec(),
        )
        .await;
    answer.problem(415);
    let huge = format!(
        r#"{{"userIds": ["a"], "comment": "{}"}}"#,
        "x".repeat(300 * 1024)
    );
    refused(
        &t,
        "POST",
        "/risky-users/dismiss",
        huge.as_bytes(),
        413,
        None,
    )
    .await;
}

#[tokio::test]
async fn query_strings_and_path_ids_are_checked() {
    let t = TestStack::new().await;
    refused(
        &t,
        "GET",
        "/risky-users?riskLevel=extreme",
        b"",
        400,
        Some("riskLevel"),
    )
    .await;
    refused(&t, "GET", "/risky-users?limit=0", b"", 400, Some("limit")).await;
    refused(&t, "GET", "/risky-users?limit=501", b"", 400, Some("limit")).await;
    refused(
        &t,
        "GET",
        "/risky-users?colour=red",
        b"",
        400,
        Some("colour"),
    )
    .await;
    refused(
        &t,
        "GET",
        "/risky-users?cursor=tampered",
        b"",
        400,
        Some("cursor"),
    )
    .await;
    refused(&t, "GET", "/risky-users/a%07", b"", 400, Some("userId")).await;
    refused(
        &t,
        "POST",
        "/risky-users/dismiss?dryRun=maybe",
        br#"{"userIds": ["a"]}"#,
        400,
        Some("dryRun"),
    )
    .await;
    let answer = t
        .call(&As::analyst(TENANT), "GET", "/risky-users/nobody", None)
        .await;
    answer.problem(404);
    let answer = t
        .call(&As::analyst(TENANT), "GET", "/no-such-route", None)
        .await;
    answer.problem(404);
    let answer = t
        .call(&As::analyst(TENANT), "DELETE", "/risky-users", None)
        .await;
    answer.problem(404);
}

#[tokio::test]
async fn roles_and_identity_are_enforced() {
    let t = TestStack::new().await;
    let reader = As::with_roles(TENANT, &["Risk.Read"]);
    let body = json!({"userIds": ["a"]});
    let answer = t
        .call(&reader, "POST", "/risky-users/dismiss", Some(body.clone()))
        .await;
    assert_eq!(
        answer.problem(403)["detail"],
        "the caller lacks the role Risk.Feedback"
    );
    let unknown = As::with_roles(TENANT, &["Risk.Everything"]);
    t.call(&unknown, "GET", "/risky-users", None)
        .await
        .problem(403);
    let analyst = As::with_roles(TENANT, &["Risk.Feedback"]);
    t.call(
        &analyst,
        "POST",
        "/risk-detections",
        Some(json!({"detections": []})),
    )
    .await
    .problem(403);
    t.call(&analyst, "GET", "/risky-users", None)
        .await
        .problem(403);
    let anonymous = t
        .call_raw(None, "GET", "/risky-users", BTreeMap::new(), Vec::new())
        .await;
    anonymous.problem(401);
    let remediation = t
        .call(
            &reader,
            "POST",
            "/remediation-actions/a1/undo",
            Some(json!({"reason": "r"})),
        )
        .await;
    remediation.problem(403);
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let t = TestStack::new().await;
    let contoso = As::analyst(TENANT);
    let fabrikam = As::analyst("fabrikam");
    let sent = t
        .call(
            &contoso,
            "POST",
            "/risk-detections",
            Some(json!({"detections": [detection("d1", "alice", "high", Some("s1"))]})),
        )
        .await;
    assert_eq!(sent.status, 202);
    t.drain().await;
    let feedback_id = sent.body["id"].as_str().unwrap_or_default().to_string();
    for path in [
        "/risky-users/alice",
        "/risky-users/alice/history",
        "/risky-signins/s1",
        &format!("/feedback/{feedback_id}"),
    ] {
        let answer = t.call(&fabrikam, "GET", path, None).await;
        answer.problem(404);
        assert_eq!(
            t.call(&contoso, "GET", path, None).await.status,
            200,
            "{path}"
        );
    }
    for path in ["/risky-users", "/risky-signins", "/risk-detections"] {
        let answer = t.call(&fabrikam, "GET", path, None).await;
        assert_eq!(answer.body["value"], json!([]), "{path}");
    }
    // Feedback from another tenant reaches nothing.
    let other = t
        .call(
            &fabrikam,
            "POST",
            "/risky-users/dismiss",
            Some(json!({"userIds": ["alice"]})),
        )
        .await;
    assert_eq!(
        other.body["targets"],
        json!([{"id": "alice", "result": "notFound"}])
    );
    t.drain().await;
    let alice = t.call(&contoso, "GET", "/risky-users/alice", None).await;
    assert_eq!(alice.body["riskState"], "atRisk");
}

/// What other systems send is taken as sent: UPNs and ids with `/`, `#` or spaces, percent-encoded
/// in paths as the console's `encodeURIComponent` does, and comments with Windows line endings.
#[tokio::test]
async fn ids_and_text_from_other_systems_are_taken_as_sent() {
    let t = TestStack::new().await;
    let analyst = As::analyst(TENANT);
    let users = [
        "carol@contoso.com",
        "o'brien@contoso.com",
        "alice",
        "a/b #1",
    ];
    let detections = users
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let mut d = detection(
                &format!("det-{i}"),
                user,
                "medium",
                Some(&format!("<si-{i}@idp>")),
            );
            d["userPrincipalName"] = json!("someone@contoso.com");
            d
        })
        .collect();
    t.ingest(&analyst, detections).await;
    for (path, user) in [
        ("/risky-users/carol%40contoso.com", "carol@contoso.com"),
        ("/risky-users/o'brien@contoso.com", "o'brien@contoso.com"),
        ("/risky-users/%61lice", "alice"),
        ("/risky-users/a%2Fb%20%231", "a/b #1"),
    ] {
        let answer = t.call(&analyst, "GET", path, None).await;
        assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
        assert_eq!(answer.body["id"], user);
    }
    let history = t
        .call(&analyst, "GET", "/risky-users/a%2Fb%20%231/history", None)
        .await;
    assert_eq!(history.status, 200, "{history:?}");
    let sign_in = t
        .call(&analyst, "GET", "/risky-signins/%3Csi-0%40idp%3E", None)
        .await;
    assert_eq!(sign_in.status, 200, "{sign_in:?}");
    let dismissed = t
        .call(
            &analyst,
            "POST",
            "/risky-users/dismiss",
            Some(json!({"userIds": ["carol@contoso.com", "a/b #1"],
                        "comment": "Travel, confirmed by phone.\r\nTicket 4711."})),
        )
        .await;
    assert_eq!(dismissed.status, 202, "{dismissed:?}");
    t.drain().await;
    let carol = t
        .call(&analyst, "GET", "/risky-users/carol%40contoso.com", None)
        .await;
    assert_eq!(carol.body["riskState"], "dismissed", "{carol:?}");
    refused(
        &t,
        "POST",
        "/risky-users/dismiss",
        br#"{"userIds": ["alice"], "comment": "a lone\rcarriage return"}"#,
        400,
        Some("comment"),
    )
    .await;
}
