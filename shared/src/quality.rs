//! Detection quality (SPEC 5): how often each kind of detection turned out right or wrong.
//! Counters are kept per day, detection type and source, and moved in the same transactions
//! as the changes they count, so the report needs no scan of detections.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{RiskState, UserAggregate};

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
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.detections += other.detections;
        self.confirmed_compromised += other.confirmed_compromised;
        self.confirmed_safe += other.confirmed_safe;
        self.dismissed += other.dismissed;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
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
        if previous.map(|p| p.risk_state) != Some(detection.risk_state) {
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
}
