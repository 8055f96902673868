//! Detection quality (SPEC 5): how often each kind of detection turned out right or wrong.
//! Counters are kept per day, detection type and source, and moved in the same transactions
//! as the changes they count, so the report needs no scan of detections.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::errors::Invalid;
use crate::limits::{DEFAULT_QUALITY_DAYS, MAX_QUALITY_DAYS};
use crate::model::{RiskDetail, RiskState, UserAggregate};

/// The days a report covers, from `from` and `to` as the caller gave them: RFC 3339 times or
/// `YYYY-MM-DD` dates, a date standing for its whole day. The two are compared as times, so
/// `from` after `to` is refused even within one day; counters are kept per day, so the report
/// covers every day the period touches.
pub fn report_days(
    from: Option<&str>,
    to: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(NaiveDate, NaiveDate), Invalid> {
    let to = match to {
        Some(v) => parse_bound("to", v, Bound::End)?,
        None => now,
    };
    let from = match from {
        Some(v) => parse_bound("from", v, Bound::Start)?,
        None => start_of(to.date_naive() - Duration::days(DEFAULT_QUALITY_DAYS - 1)),
    };
    if from > to {
        return Err(Invalid::field("from", "must not be after to"));
    }
    let (first, last) = (from.date_naive(), to.date_naive());
    if (last - first).num_days() >= MAX_QUALITY_DAYS {
        return Err(Invalid::field(
            "from",
            format!("the period may span at most {MAX_QUALITY_DAYS} days"),
        ));
    }
    Ok((first, last))
}

enum Bound {
    Start,
    End,
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

fn parse_bound(name: &str, value: &str, bound: Bound) -> Result<DateTime<Utc>, Invalid> {
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Ok(time.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| Invalid::field(name, "must be an RFC 3339 time or a YYYY-MM-DD date"))?;
    Ok(match bound {
        Bound::Start => start_of(day),
        Bound::End => start_of(day) + Duration::days(1) - Duration::nanoseconds(1),
    })
}

/// What is counted for one detection type and source.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    #[serde(default)]
    pub detections: u64,
    #[serde(default)]
    pub confirmed_compromised: u64,
    #[serde(default)]
    pub confirmed_safe: u64,
    #[serde(default)]
    pub dismissed: u64,
    #[serde(default)]
    pub false_positives: u64,
    #[serde(default)]
    pub false_negatives: u64,
    /// New detections that what feedback taught kept from raising risk (SPEC 3a).
    #[serde(default)]
    pub suppressed_by_feedback: u64,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.detections += other.detections;
        self.confirmed_compromised += other.confirmed_compromised;
        self.confirmed_safe += other.confirmed_safe;
        self.dismissed += other.dismissed;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
        self.suppressed_by_feedback += other.suppressed_by_feedback;
    }

    pub fn is_zero(&self) -> bool {
        *self == Counts::default()
    }

    /// confirmed compromised / (confirmed compromised + confirmed safe + false positives);
    /// `None` while nothing has been judged.
    pub fn precision(&self) -> Option<f64> {
        let judged = self.confirmed_compromised + self.confirmed_safe + self.false_positives;
        (judged > 0).then(|| self.confirmed_compromised as f64 / judged as f64)
    }
}

/// A detection type and the source that raised it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kind {
    pub risk_event_type: String,
    pub source: String,
}

/// What a change to one user adds to the counters: new detections, and detections that
/// moved into a verdict state.
pub fn deltas(before: &UserAggregate, after: &UserAggregate) -> BTreeMap<Kind, Counts> {
    let mut deltas: BTreeMap<Kind, Counts> = BTreeMap::new();
    for detection in after.detections.values() {
        let previous = before.detections.get(&detection.id);
        let mut counts = Counts::default();
        if previous.is_none() {
            counts.detections = 1;
        }
        if previous.is_none() && detection.risk_detail == RiskDetail::AiConfirmedSigninSafe {
            // Taught away, not judged: no analyst dismissed it.
            counts.suppressed_by_feedback = 1;
        } else if previous.map(|p| p.risk_state) != Some(detection.risk_state) {
            match detection.risk_state {
                RiskState::ConfirmedCompromised => counts.confirmed_compromised = 1,
                RiskState::ConfirmedSafe => counts.confirmed_safe = 1,
                RiskState::Dismissed => counts.dismissed = 1,
                _ => {}
            }
        }
        if !counts.is_zero() {
            let kind = Kind {
                risk_event_type: detection.risk_event_type.clone(),
                source: detection.source.clone(),
            };
            deltas.entry(kind).or_default().add(&counts);
        }
    }
    deltas
}

/// One row of the report.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityRow {
    pub risk_event_type: String,
    pub source: String,
    #[serde(flatten)]
    pub counts: Counts,
    pub precision: Option<f64>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub value: Vec<QualityRow>,
}

impl QualityReport {
    pub fn new(from: NaiveDate, to: NaiveDate, totals: BTreeMap<Kind, Counts>) -> Self {
        QualityReport {
            from,
            to,
            value: totals
                .into_iter()
                .map(|(kind, counts)| QualityRow {
                    risk_event_type: kind.risk_event_type,
                    source: kind.source,
                    precision: counts.precision(),
                    counts,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_counts_false_positives_against_the_detection() {
        let counts = Counts {
            confirmed_compromised: 3,
            confirmed_safe: 1,
            false_positives: 2,
            ..Counts::default()
        };
        assert_eq!(counts.precision(), Some(0.5));
        assert_eq!(Counts::default().precision(), None);
    }

    fn counts(base: u64) -> Counts {
        Counts {
            detections: base,
            confirmed_compromised: base + 1,
            confirmed_safe: base + 2,
            dismissed: base + 3,
            false_positives: base + 4,
            false_negatives: base + 5,
            suppressed_by_feedback: base + 6,
        }
    }

    #[test]
    fn counts_add_field_by_field() {
        let mut sum = counts(2);
        sum.add(&counts(3));
        assert_eq!(
            sum,
            Counts {
                detections: 5,
                confirmed_compromised: 7,
                confirmed_safe: 9,
                dismissed: 11,
                false_positives: 13,
                false_negatives: 15,
                suppressed_by_feedback: 17,
            }
        );
        assert!(Counts::default().is_zero());
        assert!(!counts(0).is_zero());
        assert!(!Counts {
            suppressed_by_feedback: 1,
            ..Counts::default()
        }
        .is_zero());
    }

    fn detection(id: &str, kind: &str, state: RiskState) -> crate::model::Detection {
        let at = DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        crate::model::Detection {
            id: id.to_string(),
            user_id: "alice".to_string(),
            service_principal_id: None,
            service_principal_display_name: None,
            app_id: None,
            key_ids: Vec::new(),
            user_principal_name: None,
            user_display_name: None,
            risk_event_type: kind.to_string(),
            risk_level: crate::model::DetectionLevel::Medium,
            detection_timing_type: crate::model::DetectionTimingType::Realtime,
            source: "idp".to_string(),
            detected_date_time: at,
            activity_date_time: None,
            activity: crate::model::Activity::Signin,
            risk_state: state,
            risk_detail: crate::model::RiskDetail::None,
            last_updated_date_time: at,
            sign_in_id: None,
            ip_address: None,
            location: None,
            correlation_id: None,
            token_issuer_type: None,
            additional_info: None,
            evidence: None,
            taught_by: None,
        }
    }

    fn aggregate(detections: &[crate::model::Detection]) -> UserAggregate {
        let mut aggregate = UserAggregate::new(crate::model::User::new("alice"));
        for d in detections {
            aggregate.detections.insert(d.id.clone(), d.clone());
        }
        aggregate
    }

    fn kind(risk_event_type: &str) -> Kind {
        Kind {
            risk_event_type: risk_event_type.to_string(),
            source: "idp".to_string(),
        }
    }

    #[test]
    fn deltas_count_new_detections_and_moves_into_a_verdict() {
        use RiskState::*;
        let before = aggregate(&[
            detection("d1", "t1", AtRisk),
            detection("d2", "t2", AtRisk),
            detection("d3", "t3", AtRisk),
            detection("d4", "t4", ConfirmedSafe),
            detection("d5", "t5", AtRisk),
        ]);
        let after = aggregate(&[
            detection("d1", "t1", ConfirmedCompromised),
            detection("d2", "t2", ConfirmedSafe),
            detection("d3", "t3", Dismissed),
            // Unchanged, or moved to a state that is no verdict: nothing to count.
            detection("d4", "t4", ConfirmedSafe),
            detection("d5", "t5", Remediated),
            detection("d6", "t6", AtRisk),
            detection("d7", "t7", Dismissed),
            crate::model::Detection {
                risk_detail: crate::model::RiskDetail::AiConfirmedSigninSafe,
                ..detection("d8", "t8", Dismissed)
            },
        ]);
        let one = |f: fn(&mut Counts)| {
            let mut c = Counts::default();
            f(&mut c);
            c
        };
        let expected: BTreeMap<Kind, Counts> = [
            (kind("t1"), one(|c| c.confirmed_compromised = 1)),
            (kind("t2"), one(|c| c.confirmed_safe = 1)),
            (kind("t3"), one(|c| c.dismissed = 1)),
            (kind("t6"), one(|c| c.detections = 1)),
            (
                kind("t7"),
                Counts {
                    detections: 1,
                    dismissed: 1,
                    ..Counts::default()
                },
            ),
            (
                kind("t8"),
                Counts {
                    detections: 1,
                    suppressed_by_feedback: 1,
                    ..Counts::default()
                },
            ),
        ]
        .into_iter()
        .collect();
        assert_eq!(deltas(&before, &after), expected);
        assert!(deltas(&after, &after).is_empty());
    }

    #[test]
    fn a_report_has_a_row_per_kind_with_its_precision() {
        let totals: BTreeMap<Kind, Counts> =
            [(kind("t1"), counts(0)), (kind("t2"), Counts::default())]
                .into_iter()
                .collect();
        let from = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
        let to = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        let report = QualityReport::new(from, to, totals);
        assert_eq!((report.from, report.to), (from, to));
        assert_eq!(
            report.value,
            vec![
                QualityRow {
                    risk_event_type: "t1".to_string(),
                    source: "idp".to_string(),
                    counts: counts(0),
                    precision: Some(1.0 / 7.0),
                },
                QualityRow {
                    risk_event_type: "t2".to_string(),
                    source: "idp".to_string(),
                    counts: Counts::default(),
                    precision: None,
                },
            ]
        );
    }
}

#[cfg(test)]
mod period_tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn refused(from: Option<&str>, to: Option<&str>) -> String {
        match report_days(from, to, now()) {
            Err(Invalid(errors)) => errors[0].message.clone(),
            other => panic!("{from:?}..{to:?} gave {other:?}"),
        }
    }

    #[test]
    fn bounds_are_compared_as_times() {
        assert_eq!(
            refused(Some("2026-11-03T12:00:00Z"), Some("2026-11-03T08:00:00Z")),
            "must not be after to"
        );
        assert_eq!(
            report_days(
                Some("2026-11-03T08:00:00Z"),
                Some("2026-11-03T12:00:00Z"),
                now()
            )
            .ok(),
            Some((day("2026-11-03"), day("2026-11-03")))
        );
        // A date is its whole day: a time within it is neither before its start nor after its end.
        assert!(report_days(Some("2026-11-03"), Some("2026-11-03T00:00:00Z"), now()).is_ok());
        assert!(report_days(Some("2026-11-03T23:59:59Z"), Some("2026-11-03"), now()).is_ok());
        assert_eq!(
            refused(Some("2026-11-04"), Some("2026-11-03T23:59:59Z")),
            "must not be after to"
        );
        // Offsets are converted to UTC before the comparison.
        assert_eq!(
            refused(
                Some("2026-11-03T10:00:00+02:00"),
                Some("2026-11-03T07:00:00Z")
            ),
            "must not be after to"
        );
    }

    #[test]
    fn the_default_period_is_the_last_thirty_days() {
        assert_eq!(
            report_days(None, None, now()).ok(),
            Some((day("2026-11-03"), day("2026-12-02")))
        );
        assert_eq!(
            report_days(None, Some("2026-06-30"), now()).ok(),
            Some((day("2026-06-01"), day("2026-06-30")))
        );
    }

    #[test]
    fn a_period_spans_at_most_a_year_and_a_day() {
        assert!(report_days(Some("2025-01-01"), Some("2026-01-01"), now()).is_ok());
        assert_eq!(
            refused(Some("2025-01-01"), Some("2026-01-02")),
            "the period may span at most 366 days"
        );
        assert_eq!(
            refused(Some("yesterday"), None),
            "must be an RFC 3339 time or a YYYY-MM-DD date"
        );
    }
}
