//! What the replay counts, day by day and per mode; the targets of issue 15 checked on it; and
//! the table and chart it prints and draws.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use serde::Serialize;

use crate::tenant::{AttackKind, Event, Truth};

/// Why what feedback taught kept a detection from raising risk (`taughtBy.cause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    FamiliarNetwork,
    FamiliarLocation,
    LearningMode,
    Other,
}

impl Cause {
    pub fn from_name(name: &str) -> Cause {
        match name {
            "familiarNetwork" => Cause::FamiliarNetwork,
            "familiarLocation" => Cause::FamiliarLocation,
            "learningMode" => Cause::LearningMode,
            _ => Cause::Other,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayFigures {
    pub day: u32,
    pub detections: u32,
    /// Detections that raised risk.
    pub alerts: u32,
    pub false_positive_alerts: u32,
    /// False-positive alerts from a context (the user's network, or city) that raised one before.
    pub repeat_false_positive_alerts: u32,
    /// False positives what feedback taught kept from raising risk.
    pub false_positives_kept: u32,
    pub attacks: u32,
    pub attacks_raised: u32,
    pub attacks_kept_by_cause: BTreeMap<Cause, u32>,
    pub attacks_by_kind: BTreeMap<&'static str, u32>,
    pub attacks_kept_by_kind: BTreeMap<&'static str, u32>,
    /// Decisions the analyst made: one per sign-in, or per user.
    pub analyst_actions: u32,
}

impl DayFigures {
    pub fn new(day: u32) -> DayFigures {
        DayFigures {
            day,
            ..DayFigures::default()
        }
    }

    /// Counts one detection: whether it raised risk, and if not, what kept it from doing so.
    pub fn count(
        &mut self,
        event: &Event,
        raised: bool,
        cause: Option<Cause>,
        alerted: &mut HashSet<String>,
    ) {
        self.detections += 1;
        if raised {
            self.alerts += 1;
        }
        match &event.truth {
            Truth::Benign { context } if raised => {
                self.false_positive_alerts += 1;
                if !alerted.insert(context.clone()) {
                    self.repeat_false_positive_alerts += 1;
                }
            }
            Truth::Benign { .. } => self.false_positives_kept += u32::from(cause.is_some()),
            Truth::Attack(kind) => {
                self.attacks += 1;
                *self.attacks_by_kind.entry(kind.name()).or_default() += 1;
                if raised {
                    self.attacks_raised += 1;
                } else {
                    *self
                        .attacks_kept_by_cause
                        .entry(cause.unwrap_or(Cause::Other))
                        .or_default() += 1;
                    *self.attacks_kept_by_kind.entry(kind.name()).or_default() += 1;
                }
            }
        }
    }
}

/// The run in total, and issue 15's targets checked on it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub last_week_repeat_false_positives_on: u32,
    pub last_week_repeat_false_positives_off: u32,
    /// How many fewer repeat false-positive alerts teaching gives in the last week (target 0.8).
    pub last_week_repeat_reduction: f64,
    pub false_positive_alerts_on: u32,
    pub false_positive_alerts_off: u32,
    pub analyst_actions_on: u32,
    pub analyst_actions_off: u32,
    pub attacks: u32,
    pub attacks_raised_on: u32,
    pub attacks_kept_on_by_cause: BTreeMap<Cause, u32>,
    pub attacks_kept_on_by_kind: BTreeMap<&'static str, u32>,
    pub attacks_by_kind: BTreeMap<&'static str, u32>,
    /// Attacks from an unfamiliar network and place, credential and token attacks included,
    /// that teaching kept from raising risk (target 0).
    pub unfamiliar_attacks_kept_on: u32,
    /// Credential and token attacks kept from raising risk (target 0).
    pub credential_and_token_attacks_kept_on: u32,
    /// Attacks from a network the user really used that teaching kept from raising risk: the
    /// known cost of familiarity, reported, never a target.
    pub familiar_network_attacks_kept_on: u32,
}

impl Summary {
    pub fn targets_hold(&self) -> bool {
        self.last_week_repeat_reduction >= 0.8
            && self.unfamiliar_attacks_kept_on == 0
            && self.credential_and_token_attacks_kept_on == 0
    }
}

pub fn summarise(on: &[DayFigures], off: &[DayFigures], days: u32) -> Summary {
    let last_week = |figures: &[DayFigures]| -> u32 {
        figures
            .iter()
            .filter(|d| d.day + 7 > days)
            .map(|d| d.repeat_false_positive_alerts)
            .sum()
    };
    let sum =
        |figures: &[DayFigures], f: fn(&DayFigures) -> u32| figures.iter().map(f).sum::<u32>();
    let (repeat_on, repeat_off) = (last_week(on), last_week(off));
    let kept_by_kind: BTreeMap<&'static str, u32> = merged(on, |d| &d.attacks_kept_by_kind);
    let kept = |kinds: &[AttackKind]| -> u32 {
        kinds
            .iter()
            .map(|k| kept_by_kind.get(k.name()).copied().unwrap_or(0))
            .sum()
    };
    let must_raise: Vec<AttackKind> = AttackKind::ALL
        .into_iter()
        .filter(|k| k.must_raise())
        .collect();
    Summary {
        last_week_repeat_false_positives_on: repeat_on,
        last_week_repeat_false_positives_off: repeat_off,
        last_week_repeat_reduction: if repeat_off == 0 {
            1.0
        } else {
            1.0 - f64::from(repeat_on) / f64::from(repeat_off)
        },
        false_positive_alerts_on: sum(on, |d| d.false_positive_alerts),
        false_positive_alerts_off: sum(off, |d| d.false_positive_alerts),
        analyst_actions_on: sum(on, |d| d.analyst_actions),
        analyst_actions_off: sum(off, |d| d.analyst_actions),
        attacks: sum(on, |d| d.attacks),
        attacks_raised_on: sum(on, |d| d.attacks_raised),
        attacks_kept_on_by_cause: merged(on, |d| &d.attacks_kept_by_cause),
        attacks_by_kind: merged(on, |d| &d.attacks_by_kind),
        unfamiliar_attacks_kept_on: kept(&must_raise),
        credential_and_token_attacks_kept_on: kept(&[AttackKind::Credential, AttackKind::Token]),
        familiar_network_attacks_kept_on: kept(&[AttackKind::FamiliarNetwork]),
        attacks_kept_on_by_kind: kept_by_kind,
    }
}

/// A per-day count summed over the days, by key.
fn merged<K: Ord + Copy>(
    figures: &[DayFigures],
    f: impl Fn(&DayFigures) -> &BTreeMap<K, u32>,
) -> BTreeMap<K, u32> {
    let mut total = BTreeMap::new();
    for day in figures {
        for (k, v) in f(day) {
            *total.entry(*k).or_insert(0) += v;
        }
    }
    total
}

fn cause(day: &DayFigures, cause: Cause) -> u32 {
    day.attacks_kept_by_cause.get(&cause).copied().unwrap_or(0)
}

/// The Markdown table the README shows: per day, then in total, then the targets.
pub fn table(on: &[DayFigures], off: &[DayFigures], summary: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| day | alerts off / on | false-positive alerts off / on | repeat false positives off / on | attacks | attacks raised (on) | kept by familiar network / place / learning mode (on) | analyst actions off / on |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut totals = (DayFigures::default(), DayFigures::default());
    for (a, b) in on.iter().zip(off) {
        let _ = writeln!(
            out,
            "| {} | {} / {} | {} / {} | {} / {} | {} | {} | {} / {} / {} | {} / {} |",
            a.day,
            b.alerts,
            a.alerts,
            b.false_positive_alerts,
            a.false_positive_alerts,
            b.repeat_false_positive_alerts,
            a.repeat_false_positive_alerts,
            a.attacks,
            a.attacks_raised,
            cause(a, Cause::FamiliarNetwork),
            cause(a, Cause::FamiliarLocation),
            cause(a, Cause::LearningMode),
            b.analyst_actions,
            a.analyst_actions,
        );
        totals.0.alerts += a.alerts;
        totals.1.alerts += b.alerts;
        totals.0.repeat_false_positive_alerts += a.repeat_false_positive_alerts;
        totals.1.repeat_false_positive_alerts += b.repeat_false_positive_alerts;
    }
    let kept = |c: Cause| {
        summary
            .attacks_kept_on_by_cause
            .get(&c)
            .copied()
            .unwrap_or(0)
    };
    let _ = writeln!(
        out,
        "| **total** | {} / {} | {} / {} | {} / {} | {} | {} | {} / {} / {} | {} / {} |",
        totals.1.alerts,
        totals.0.alerts,
        summary.false_positive_alerts_off,
        summary.false_positive_alerts_on,
        totals.1.repeat_false_positive_alerts,
        totals.0.repeat_false_positive_alerts,
        summary.attacks,
        summary.attacks_raised_on,
        kept(Cause::FamiliarNetwork),
        kept(Cause::FamiliarLocation),
        kept(Cause::LearningMode),
        summary.analyst_actions_off,
        summary.analyst_actions_on,
    );
    let verdict = |ok: bool| if ok { "holds" } else { "MISSED" };
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "- Repeat false-positive alerts in the last week: {} with teaching off, {} with it on, {:.0}% fewer (target at least 80%): {}.",
        summary.last_week_repeat_false_positives_off,
        summary.last_week_repeat_false_positives_on,
        summary.last_week_repeat_reduction * 100.0,
        verdict(summary.last_week_repeat_reduction >= 0.8)
    );
    let _ = writeln!(
        out,
        "- Attacks from an unfamiliar network and place, credential and token attacks included, kept from raising risk: {} (target 0): {}.",
        summary.unfamiliar_attacks_kept_on,
        verdict(summary.unfamiliar_attacks_kept_on == 0)
    );
    let _ = writeln!(
        out,
        "- Credential and token attacks kept from raising risk: {} of {} (target 0): {}.",
        summary.credential_and_token_attacks_kept_on,
        summary
            .attacks_by_kind
            .get(AttackKind::Credential.name())
            .copied()
            .unwrap_or(0)
            + summary
                .attacks_by_kind
                .get(AttackKind::Token.name())
                .copied()
                .unwrap_or(0),
        verdict(summary.credential_and_token_attacks_kept_on == 0)
    );
    let _ = writeln!(
        out,
        "- The known cost: attacks from the user's own office network kept from raising risk: {} of {}.",
        summary.familiar_network_attacks_kept_on,
        summary.attacks_by_kind.get(AttackKind::FamiliarNetwork.name()).copied().unwrap_or(0)
    );
    out
}

/// One line of the chart.
struct Series<'a> {
    label: &'a str,
    colour: &'a str,
    dash: &'a str,
    figures: &'a [DayFigures],
    value: fn(&DayFigures) -> u32,
}

/// A line chart of false-positive alerts per day, teaching off and on, with their repeats.
pub fn chart(on: &[DayFigures], off: &[DayFigures]) -> String {
    let (width, height, left, bottom, top, right) = (860.0, 380.0, 56.0, 48.0, 40.0, 250.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let days = on.len().max(1) as f64;
    let highest = off
        .iter()
        .chain(on)
        .map(|d| d.false_positive_alerts)
        .max()
        .unwrap_or(1)
        .max(1);
    let step = [5u32, 10, 20, 25, 50, 100, 200, 500]
        .into_iter()
        .find(|s| highest / s <= 6)
        .unwrap_or(1000);
    let top_value = f64::from(highest.div_ceil(step) * step);
    let x = |day: u32| left + (f64::from(day) - 0.5) / days * plot_w;
    let y = |v: u32| top + plot_h - f64::from(v) / top_value * plot_h;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"##
    );
    let _ = writeln!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        svg,
        r##"<text x="{left}" y="22" font-size="14" font-weight="bold">False-positive alerts per day, teaching off and on (scripts/replay)</text>"##
    );
    let mut tick = 0;
    while f64::from(tick) <= top_value {
        let ty = y(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="#e3e6ea"/><text x="{:.1}" y="{:.1}" text-anchor="end">{tick}</text>"##,
            left + plot_w,
            left - 6.0,
            ty + 4.0
        );
        tick += step;
    }
    for day in (1..=on.len() as u32).filter(|d| d % 5 == 0 || *d == 1) {
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle">{day}</text>"##,
            x(day),
            top + plot_h + 18.0
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle">day</text>"##,
        left + plot_w / 2.0,
        height - 8.0
    );
    let series = [
        Series {
            label: "false positives, teaching off",
            colour: "#8a94a3",
            dash: "6 4",
            figures: off,
            value: |d| d.false_positive_alerts,
        },
        Series {
            label: "false positives, teaching on",
            colour: "#1f5fbf",
            dash: "",
            figures: on,
            value: |d| d.false_positive_alerts,
        },
        Series {
            label: "repeats, teaching off",
            colour: "#d9822b",
            dash: "6 4",
            figures: off,
            value: |d| d.repeat_false_positive_alerts,
        },
        Series {
            label: "repeats, teaching on",
            colour: "#b3261e",
            dash: "",
            figures: on,
            value: |d| d.repeat_false_positive_alerts,
        },
    ];
    for (
        i,
        Series {
            label,
            colour,
            dash,
            figures,
            value,
        },
    ) in series.iter().enumerate()
    {
        let points: Vec<String> = figures
            .iter()
            .map(|d| format!("{:.1},{:.1}", x(d.day), y(value(d))))
            .collect();
        let _ = writeln!(
            svg,
            r##"<polyline fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}" points="{}"/>"##,
            points.join(" ")
        );
        let ly = top + 10.0 + i as f64 * 20.0;
        let lx = left + plot_w + 16.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/><text x="{:.1}" y="{:.1}">{label}</text>"##,
            lx + 24.0,
            lx + 30.0,
            ly + 4.0
        );
    }
    let _ = writeln!(svg, "</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(truth: Truth) -> Event {
        Event {
            detection: json!({"id": "d"}),
            truth,
        }
    }

    fn benign(context: &str) -> Event {
        event(Truth::Benign {
            context: context.to_string(),
        })
    }

    #[test]
    fn a_false_positive_from_a_context_that_alerted_before_is_a_repeat() {
        let mut alerted = HashSet::new();
        let mut day = DayFigures::new(1);
        day.count(&benign("u|vpn"), true, None, &mut alerted);
        day.count(&benign("u|vpn"), true, None, &mut alerted);
        day.count(&benign("v|vpn"), true, None, &mut alerted);
        day.count(
            &benign("u|home"),
            false,
            Some(Cause::FamiliarNetwork),
            &mut alerted,
        );
        assert_eq!(
            (
                day.alerts,
                day.false_positive_alerts,
                day.repeat_false_positive_alerts,
                day.false_positives_kept
            ),
            (3, 3, 1, 1)
        );
    }

    #[test]
    fn the_targets_hold_only_with_80_percent_fewer_repeats_and_no_unfamiliar_attack_kept() {
        let days = |repeats: u32, kept: Option<AttackKind>| {
            let mut alerted = HashSet::new();
            let mut day = DayFigures::new(1);
            for _ in 0..repeats {
                day.count(&benign("u|vpn"), true, None, &mut alerted);
            }
            if let Some(kind) = kept {
                day.count(
                    &event(Truth::Attack(kind)),
                    false,
                    Some(Cause::FamiliarNetwork),
                    &mut alerted,
                );
            }
            vec![day]
        };
        // Ten alerts from one context are nine repeats.
        let off = days(10, None);
        assert!(summarise(&days(2, None), &off, 1).targets_hold());
        assert!(!summarise(&days(3, None), &off, 1).targets_hold());
        let cost = summarise(&days(1, Some(AttackKind::FamiliarNetwork)), &off, 1);
        assert!(cost.targets_hold());
        assert_eq!(cost.familiar_network_attacks_kept_on, 1);
        for kind in [
            AttackKind::FreshNetwork,
            AttackKind::FamiliarCityNewNetwork,
            AttackKind::Credential,
            AttackKind::Token,
        ] {
            assert!(
                !summarise(&days(1, Some(kind)), &off, 1).targets_hold(),
                "{kind:?}"
            );
        }
    }
}
