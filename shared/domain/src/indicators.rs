//! Custom indicators (SPEC 4): allow, block or alert rules for a hash, address, URL or domain,
//! validated by type and normalized so that lookups match however a value was written. Allow
//! and block indicators change how new detections with matching evidence are stored (SPEC 2).

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::model::Evidence;
use crate::validate::{is_bidi_control, Errors};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, strum::Display,
)]
#[cfg_attr(test, derive(strum::EnumIter))]
#[serde(rename_all = "camelCase")]
#[strum(serialize_all = "camelCase")]
pub enum IndicatorType {
    FileSha256,
    FileSha1,
    IpAddress,
    Url,
    DomainName,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IndicatorAction {
    Allow,
    Block,
    Alert,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IndicatorIn {
    pub indicator_type: IndicatorType,
    pub indicator_value: String,
    pub action: IndicatorAction,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Text))]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Comment>))]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date_time: Option<DateTime<Utc>>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Indicator {
    pub id: String,
    pub indicator_type: IndicatorType,
    /// Normalized: lower-case hashes and domains, canonical addresses and URLs.
    pub indicator_value: String,
    pub action: IndicatorAction,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date_time: Option<DateTime<Utc>>,
    pub created_by: Actor,
    pub created_date_time: DateTime<Utc>,
}

impl Indicator {
    /// A new indicator from a validated request.
    pub fn create(
        input: IndicatorIn,
        id: String,
        created_by: Actor,
        now: DateTime<Utc>,
    ) -> Result<Indicator, crate::errors::Invalid> {
        let mut errors = Errors::default();
        validate(&input, now, &mut errors);
        errors.into_result()?;
        Ok(Indicator {
            id,
            indicator_type: input.indicator_type,
            indicator_value: normalize(input.indicator_type, &input.indicator_value)
                .unwrap_or(input.indicator_value),
            action: input.action,
            title: input.title,
            description: input.description,
            expiration_date_time: input.expiration_date_time,
            created_by,
            created_date_time: now,
        })
    }

    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.expiration_date_time.is_none_or(|expiry| expiry > now)
    }
}

/// How a matching indicator changes a new detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Stored `dismissed` / `allowIndicatorMatched`, contributing no risk.
    Allow,
    /// Raised to `high`.
    Block,
}

/// The verdict for a detection from the active indicators matching its evidence: an allow
/// wins over a block (the analyst's latest judgement is usually the allow of a false positive).
pub fn verdict(matches: &[Indicator], now: DateTime<Utc>) -> Option<Verdict> {
    let active = || matches.iter().filter(|i| i.is_active(now));
    if active().any(|i| i.action == IndicatorAction::Allow) {
        Some(Verdict::Allow)
    } else if active().any(|i| i.action == IndicatorAction::Block) {
        Some(Verdict::Block)
    } else {
        None
    }
}

/// The (type, normalized value) pairs a detection's evidence can match.
pub fn evidence_keys(evidence: &Evidence) -> Vec<(IndicatorType, String)> {
    [
        (IndicatorType::IpAddress, evidence.ip_address.as_deref()),
        (IndicatorType::FileSha256, evidence.file_sha256.as_deref()),
        (IndicatorType::Url, evidence.url.as_deref()),
        (IndicatorType::DomainName, evidence.domain_name.as_deref()),
    ]
    .into_iter()
    .filter_map(|(kind, value)| Some((kind, normalize(kind, value?).ok()?)))
    .collect()
}

/// Validates a value for its type and returns its normalized form, or why it is invalid.
/// A value is taken exactly as sent: the URL parser would quietly drop surrounding spaces and
/// controls, and inner tabs and line breaks, which the document's patterns refuse.
pub fn normalize(kind: IndicatorType, value: &str) -> Result<String, String> {
    if value.trim() != value || value.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(
            "must not hold surrounding white space, control or bidirectional-override characters"
                .to_string(),
        );
    }
    match kind {
        IndicatorType::FileSha256 => hex(value, 64),
        IndicatorType::FileSha1 => hex(value, 40),
        IndicatorType::IpAddress => value
            .parse::<IpAddr>()
            .map(|ip| ip.to_string())
            .map_err(|_| "must be an IPv4 or IPv6 address".to_string()),
        IndicatorType::Url => {
            let url = url::Url::parse(value).map_err(|_| "must be an absolute URL".to_string())?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err("must be an absolute http or https URL".to_string());
            }
            Ok(url.to_string())
        }
        IndicatorType::DomainName => domain(value),
    }
}

fn hex(value: &str, len: usize) -> Result<String, String> {
    if value.len() == len && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(format!("must be {len} hexadecimal characters"))
    }
}

fn domain(value: &str) -> Result<String, String> {
    let lower = value.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = lower.split('.').collect();
    let valid = lower.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if valid {
        Ok(lower)
    } else {
        Err("must be a domain name such as contoso.com".to_string())
    }
}

/// Checks an indicator as posted.
fn validate(input: &IndicatorIn, now: DateTime<Utc>, errors: &mut Errors) {
    if let Err(message) = normalize(input.indicator_type, &input.indicator_value) {
        errors.add("indicatorValue", message);
    }
    errors.text("title", &input.title, 256);
    errors.optional_text("description", input.description.as_deref(), 1000);
    if input.expiration_date_time.is_some_and(|e| e <= now) {
        errors.add("expirationDateTime", "must be in the future");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_validated_and_normalized_by_type() {
        let sha = "AB".repeat(32);
        assert_eq!(
            normalize(IndicatorType::FileSha256, &sha),
            Ok("ab".repeat(32))
        );
        assert!(normalize(IndicatorType::FileSha256, "abc").is_err());
        assert!(normalize(IndicatorType::FileSha1, &"g".repeat(40)).is_err());
        assert_eq!(
            normalize(IndicatorType::IpAddress, "203.0.113.7"),
            Ok("203.0.113.7".into())
        );
        for sloppy in [" 203.0.113.7", "203.0.113.7\n", "\u{1}http://contoso.com/"] {
            assert!(
                normalize(IndicatorType::IpAddress, sloppy).is_err(),
                "{sloppy:?}"
            );
        }
        for hidden in ["https://contoso.com/a\tb", "https://contoso.com/\u{202E}x"] {
            assert!(normalize(IndicatorType::Url, hidden).is_err(), "{hidden:?}");
        }
        assert!(normalize(IndicatorType::IpAddress, "300.1.1.1").is_err());
        assert_eq!(
            normalize(IndicatorType::Url, "HTTPS://Contoso.com/a?b=1"),
            Ok("https://contoso.com/a?b=1".into())
        );
        assert!(normalize(IndicatorType::Url, "/relative").is_err());
        assert!(normalize(IndicatorType::Url, "ftp://contoso.com/").is_err());
        assert_eq!(
            normalize(IndicatorType::DomainName, "Contoso.COM."),
            Ok("contoso.com".into())
        );
        assert!(normalize(IndicatorType::DomainName, "localhost").is_err());
        assert!(normalize(IndicatorType::DomainName, "-bad.com").is_err());
    }

    fn indicator_in(value: &str, expiry: Option<DateTime<Utc>>) -> IndicatorIn {
        IndicatorIn {
            indicator_type: IndicatorType::DomainName,
            indicator_value: value.to_string(),
            action: IndicatorAction::Block,
            title: "t".to_string(),
            description: None,
            expiration_date_time: expiry,
        }
    }

    fn analyst() -> Actor {
        Actor {
            id: "a".into(),
            display_name: None,
        }
    }

    #[test]
    fn an_indicator_is_created_valid_and_normalized_or_not_at_all() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        let hour = chrono::Duration::hours(1);
        let created = Indicator::create(
            indicator_in("Contoso.com", Some(now + hour)),
            "i".into(),
            analyst(),
            now,
        );
        assert_eq!(
            created.map(|i| (i.indicator_value, i.created_date_time)),
            Ok(("contoso.com".to_string(), now))
        );
        let fields = |input: IndicatorIn| match Indicator::create(input, "i".into(), analyst(), now)
        {
            Err(crate::errors::Invalid(errors)) => {
                errors.into_iter().map(|e| e.field).collect::<Vec<_>>()
            }
            Ok(_) => Vec::new(),
        };
        assert_eq!(fields(indicator_in("contoso", None)), ["indicatorValue"]);
        for expired in [now, now - hour] {
            assert_eq!(
                fields(indicator_in("contoso.com", Some(expired))),
                ["expirationDateTime"]
            );
        }
        let untitled = IndicatorIn {
            title: " ".to_string(),
            ..indicator_in("contoso.com", None)
        };
        assert_eq!(fields(untitled), ["title"]);
    }

    #[test]
    fn an_indicator_is_active_until_its_expiry() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        let with_expiry = |expiry| Indicator {
            expiration_date_time: expiry,
            ..Indicator::create(
                indicator_in("contoso.com", None),
                "i".into(),
                analyst(),
                now,
            )
            .expect("valid")
        };
        let second = chrono::Duration::seconds(1);
        assert!(with_expiry(None).is_active(now));
        assert!(with_expiry(Some(now + second)).is_active(now));
        assert!(!with_expiry(Some(now)).is_active(now));
        assert!(!with_expiry(Some(now - second)).is_active(now));
    }

    #[test]
    fn evidence_matches_by_its_normalized_values_and_ignores_invalid_ones() {
        let evidence = Evidence {
            ip_address: Some("203.0.113.7".into()),
            file_sha256: Some("AB".repeat(32)),
            url: Some("HTTPS://Contoso.com/a".into()),
            domain_name: Some("Contoso.com.".into()),
        };
        assert_eq!(
            evidence_keys(&evidence),
            vec![
                (IndicatorType::IpAddress, "203.0.113.7".to_string()),
                (IndicatorType::FileSha256, "ab".repeat(32)),
                (IndicatorType::Url, "https://contoso.com/a".to_string()),
                (IndicatorType::DomainName, "contoso.com".to_string()),
            ]
        );
        let invalid = Evidence {
            ip_address: Some("123.456.7.89".into()),
            file_sha256: None,
            url: Some("not a url".into()),
            domain_name: Some("contoso".into()),
        };
        assert_eq!(evidence_keys(&invalid), Vec::new());
    }

    #[test]
    fn a_domain_label_takes_letters_digits_and_inner_hyphens() {
        assert_eq!(
            normalize(IndicatorType::DomainName, "my-site.example"),
            Ok("my-site.example".into())
        );
        for bad in [
            "my_site.example",
            "bad-.example",
            "a..example",
            &format!("{}.com", "a".repeat(64)),
        ] {
            assert!(
                normalize(IndicatorType::DomainName, bad).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn allow_wins_and_expired_indicators_do_not_count() {
        let now = Utc::now();
        let indicator = |action, expiry: Option<DateTime<Utc>>| Indicator {
            id: "i".into(),
            indicator_type: IndicatorType::IpAddress,
            indicator_value: "203.0.113.7".into(),
            action,
            title: "t".into(),
            description: None,
            expiration_date_time: expiry,
            created_by: Actor {
                id: "a".into(),
                display_name: None,
            },
            created_date_time: now,
        };
        let past = Some(now - chrono::Duration::hours(1));
        assert_eq!(
            verdict(
                &[
                    indicator(IndicatorAction::Block, None),
                    indicator(IndicatorAction::Allow, None)
                ],
                now
            ),
            Some(Verdict::Allow)
        );
        assert_eq!(
            verdict(
                &[
                    indicator(IndicatorAction::Block, None),
                    indicator(IndicatorAction::Allow, past)
                ],
                now
            ),
            Some(Verdict::Block)
        );
        assert_eq!(
            verdict(&[indicator(IndicatorAction::Alert, None)], now),
            None
        );
    }
}
