//! What confirming a sign-in safe teaches (SPEC 3a): the sign-in's network and location become
//! **familiar contexts** of its user, and a later detection of a context-based type from one of
//! them is judged safe instead of raising risk. Pure rules: the risk rules (`risk`) decide when
//! to learn, match and forget; this module says what a context is and what matches it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::digest::hex_sha256;
use crate::location::SignInLocation;

/// How a context-based detection type judges a sign-in: by where it came from on the network,
/// or by where it came from on the map.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ContextKind {
    Network,
    Location,
}

/// The detection types what feedback taught may judge, by what they judge (SPEC 3a's defaults;
/// a deployment may name others). Credential, token and admin types belong in neither list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextTypes {
    pub network: BTreeSet<String>,
    pub location: BTreeSet<String>,
}

pub const DEFAULT_NETWORK_TYPES: [&str; 5] = [
    "unfamiliarFeatures",
    "anonymizedIPAddress",
    "suspiciousIPAddress",
    "riskyIPAddress",
    "maliciousIPAddress",
];
pub const DEFAULT_LOCATION_TYPES: [&str; 3] = ["newCountry", "impossibleTravel", "unlikelyTravel"];

impl Default for ContextTypes {
    fn default() -> ContextTypes {
        ContextTypes {
            network: DEFAULT_NETWORK_TYPES.map(String::from).into(),
            location: DEFAULT_LOCATION_TYPES.map(String::from).into(),
        }
    }
}

impl ContextTypes {
    /// What a detection of this type judges by, if it judges by context at all.
    pub fn judges_by(&self, risk_event_type: &str) -> Option<ContextKind> {
        if self.network.contains(risk_event_type) {
            Some(ContextKind::Network)
        } else if self.location.contains(risk_event_type) {
            Some(ContextKind::Location)
        } else {
            None
        }
    }
}

/// A place a familiar location holds: a country or region, and a city in it if known. A
/// location that names no country or region is no place to be familiar with: a city's name
/// alone is in many countries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub country_or_region: String,
    pub city: Option<String>,
}

impl Location {
    pub fn of(place: &SignInLocation) -> Option<Location> {
        Some(Location {
            country_or_region: place.country_or_region.clone()?,
            city: place.city.clone(),
        })
    }
}

/// Where one sign-in came from, as far as familiarity is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInContext {
    /// The IPv4 /24 or IPv6 /48 holding the sign-in's address.
    pub network: Option<String>,
    pub location: Option<Location>,
}

impl SignInContext {
    pub fn of(ip_address: Option<&str>, location: Option<&SignInLocation>) -> SignInContext {
        SignInContext {
            network: ip_address.and_then(network_of),
            location: location.and_then(Location::of),
        }
    }
}

/// The network an address belongs to, as a familiar context holds it: the IPv4 /24 or the
/// IPv6 /48. A home router's or an office's addresses change within these, an attacker's rarely
/// land in them. `None` for text that is not an address.
pub fn network_of(ip_address: &str) -> Option<String> {
    match ip_address.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}.0/24"))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => network_of(&v4.to_string()),
            None => {
                let s = v6.segments();
                let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
                Some(format!("{prefix}/48"))
            }
        },
    }
}

/// Where a context was learned: the feedback and the sign-in it named.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LearnedFrom {
    pub feedback_id: String,
    pub sign_in_id: String,
    /// Learned from a detection while the user was in learning mode, not from an analyst's
    /// confirmation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub learning_mode: bool,
}

/// A network or a location that is familiar for one user (SPEC 3a). Exactly one of `network`
/// and `countryOrRegion` is set.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FamiliarContext {
    pub id: String,
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_or_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    pub learned_from: LearnedFrom,
    pub created_by: Actor,
    pub created_date_time: DateTime<Utc>,
    pub expiration_date_time: DateTime<Utc>,
    /// Detections this context kept from raising risk.
    pub hits: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_hit_date_time: Option<DateTime<Utc>>,
}

impl FamiliarContext {
    pub fn kind(&self) -> ContextKind {
        if self.network.is_some() {
            ContextKind::Network
        } else {
            ContextKind::Location
        }
    }

    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        now < self.expiration_date_time
    }

    /// Whether a sign-in from `context` comes from this familiar network or place. A place
    /// learned without a city matches its whole country or region; names compare ignoring case.
    pub fn matches(&self, context: &SignInContext) -> bool {
        match (&self.network, &context.location) {
            (Some(network), _) => context.network.as_ref() == Some(network),
            (None, Some(place)) => {
                let same = |a: &str, b: &str| a.to_lowercase() == b.to_lowercase();
                let country = self.country_or_region.as_deref().unwrap_or_default();
                same(country, &place.country_or_region)
                    && match (&self.city, &place.city) {
                        (None, _) => true,
                        (Some(city), Some(other)) => same(city, other),
                        (Some(_), None) => false,
                    }
            }
            (None, None) => false,
        }
    }

    /// The context as a reference to it: what history and a taught detection name.
    pub fn reference(&self) -> ContextRef {
        ContextRef {
            id: self.id.clone(),
            network: self.network.clone(),
            country_or_region: self.country_or_region.clone(),
            city: self.city.clone(),
        }
    }
}

/// A familiar context as history and detections name it: its id and what it holds, which stay
/// readable after the context is forgotten.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_or_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
}

/// Why what feedback taught judged a detection safe.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TaughtCause {
    FamiliarNetwork,
    FamiliarLocation,
    LearningMode,
}

/// On a detection stored `dismissed`, `aiConfirmedSigninSafe`: what taught the service to judge
/// it safe, and the familiar context that matched, if one did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaughtBy {
    pub cause: TaughtCause,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub familiar_context: Option<ContextRef>,
}

/// The id of a user's context for one network or place: the same context learned again keeps
/// its id, so learning is idempotent and a context is never held twice.
pub fn context_id(user_id: &str, network: Option<&str>, place: Option<&Location>) -> String {
    let what = match (network, place) {
        (Some(network), _) => format!("network\0{network}"),
        (None, Some(place)) => format!(
            "location\0{}\0{}",
            place.country_or_region.to_lowercase(),
            place.city.as_deref().unwrap_or_default().to_lowercase()
        ),
        (None, None) => String::new(),
    };
    let digest = hex_sha256(format!("{user_id}\0{what}").as_bytes());
    format!("fc-{}", &digest[..24])
}

/// The most contexts one user keeps: learning mode learns from every context-based detection,
/// so without a bound a user's contexts, which every step loads, would grow without one.
pub const MAX_CONTEXTS_PER_USER: usize = 200;

/// What learning from one sign-in needs besides the sign-in.
#[derive(Debug, Clone)]
pub struct Lesson<'a> {
    pub user_id: &'a str,
    pub learned_from: LearnedFrom,
    pub created_by: &'a Actor,
    pub now: DateTime<Utc>,
    pub days: u32,
}

/// Makes the sign-in's network and place familiar for the user: new contexts, or known ones
/// learned again, which live on from now. Expired contexts are dropped, and past
/// [`MAX_CONTEXTS_PER_USER`] the least recently useful ones. Returns what it learned.
pub fn learn(
    contexts: &mut BTreeMap<String, FamiliarContext>,
    sign_in: &SignInContext,
    lesson: &Lesson<'_>,
) -> Vec<ContextRef> {
    let expiration = lesson.now + Duration::days(i64::from(lesson.days));
    let mut learned = Vec::new();
    let parts = [
        (sign_in.network.as_deref(), None),
        (None, sign_in.location.as_ref()),
    ];
    for (network, place) in parts {
        if network.is_none() && place.is_none() {
            continue;
        }
        let id = context_id(lesson.user_id, network, place);
        let context = contexts
            .entry(id.clone())
            .and_modify(|known| {
                known.learned_from = lesson.learned_from.clone();
                known.expiration_date_time = known.expiration_date_time.max(expiration);
            })
            .or_insert_with(|| FamiliarContext {
                id,
                user_id: lesson.user_id.to_string(),
                network: network.map(str::to_string),
                country_or_region: place.map(|p| p.country_or_region.clone()),
                city: place.and_then(|p| p.city.clone()),
                learned_from: lesson.learned_from.clone(),
                created_by: lesson.created_by.clone(),
                created_date_time: lesson.now,
                expiration_date_time: expiration,
                hits: 0,
                last_hit_date_time: None,
            });
        learned.push(context.reference());
    }
    contexts.retain(|_, c| c.is_active(lesson.now));
    while contexts.len() > MAX_CONTEXTS_PER_USER {
        let stalest = contexts
            .values()
            .min_by_key(|c| {
                (
                    c.last_hit_date_time.unwrap_or(c.created_date_time),
                    c.id.clone(),
                )
            })
            .map(|c| c.id.clone());
        match stalest {
            Some(id) => contexts.remove(&id),
            None => break,
        };
    }
    learned
}

/// The unexpired context of the kind a detection type judges by that the sign-in comes from,
/// if there is one; it counts the hit.
pub fn recognise(
    contexts: &mut BTreeMap<String, FamiliarContext>,
    kind: ContextKind,
    sign_in: &SignInContext,
    now: DateTime<Utc>,
) -> Option<ContextRef> {
    let context = contexts
        .values_mut()
        .find(|c| c.kind() == kind && c.is_active(now) && c.matches(sign_in))?;
    context.hits += 1;
    context.last_hit_date_time = Some(now);
    Some(context.reference())
}

/// Forgets every context the sign-in comes from, of either kind: an attacker's network, and the
/// place they signed in from, are never familiar. Returns what it forgot.
pub fn forget_matching(
    contexts: &mut BTreeMap<String, FamiliarContext>,
    sign_in: &SignInContext,
) -> Vec<ContextRef> {
    let matching: Vec<String> = contexts
        .values()
        .filter(|c| c.matches(sign_in))
        .map(|c| c.id.clone())
        .collect();
    matching
        .iter()
        .filter_map(|id| contexts.remove(id))
        .map(|c| c.reference())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn analyst() -> Actor {
        Actor {
            id: "analyst".to_string(),
            display_name: None,
        }
    }

    fn lesson<'a>(actor: &'a Actor, now: DateTime<Utc>, days: u32) -> Lesson<'a> {
        Lesson {
            user_id: "alice",
            learned_from: LearnedFrom {
                feedback_id: "f1".to_string(),
                sign_in_id: "s1".to_string(),
                learning_mode: false,
            },
            created_by: actor,
            now,
            days,
        }
    }

    /// A sign-in from `ip` in the place `text` names.
    fn context(ip: Option<&str>, text: &str) -> SignInContext {
        SignInContext::of(ip, SignInLocation::from_text(text).as_ref())
    }

    fn place(country: &str, city: Option<&str>) -> Location {
        Location {
            country_or_region: country.to_string(),
            city: city.map(str::to_string),
        }
    }

    #[test]
    fn networks_are_the_ipv4_slash_24_and_the_ipv6_slash_48() {
        assert_eq!(network_of("203.0.113.7").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(
            network_of(" 203.0.113.255 ").as_deref(),
            Some("203.0.113.0/24")
        );
        assert_eq!(
            network_of("2001:db8:aa:bb::1").as_deref(),
            Some("2001:db8:aa::/48")
        );
        assert_eq!(
            network_of("::ffff:198.51.100.9").as_deref(),
            Some("198.51.100.0/24")
        );
        for bad in [
            "",
            "203.0.113",
            "123.456.7.89",
            "example.com",
            "203.0.113.7/24",
        ] {
            assert_eq!(network_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_place_needs_a_country_or_region() {
        let text = |t: &str| SignInLocation::from_text(t).and_then(|p| Location::of(&p));
        assert_eq!(text("Lisbon, PT"), Some(place("PT", Some("Lisbon"))));
        assert_eq!(
            text("Seattle, Washington, US"),
            Some(place("US", Some("Seattle")))
        );
        assert_eq!(text(" , PT ,"), Some(place("PT", None)));
        assert_eq!(text("Lisbon"), None);
        assert_eq!(text(""), None);
    }

    #[test]
    fn the_default_types_judge_by_network_or_location_and_credentials_by_neither() {
        let types = ContextTypes::default();
        assert_eq!(
            types.judges_by("unfamiliarFeatures"),
            Some(ContextKind::Network)
        );
        assert_eq!(
            types.judges_by("impossibleTravel"),
            Some(ContextKind::Location)
        );
        for never in [
            "leakedCredentials",
            "passwordSpray",
            "anomalousToken",
            "adminConfirmedUserCompromised",
        ] {
            assert_eq!(types.judges_by(never), None, "{never}");
        }
    }

    #[test]
    fn learning_a_sign_in_makes_its_network_and_place_familiar_once() {
        let actor = analyst();
        let mut contexts = BTreeMap::new();
        let sign_in = context(Some("203.0.113.7"), "Lisbon, PT");
        let learned = learn(&mut contexts, &sign_in, &lesson(&actor, at(1), 90));
        assert_eq!(learned.len(), 2);
        assert_eq!(contexts.len(), 2);
        let network = &contexts[&learned[0].id];
        assert_eq!(network.network.as_deref(), Some("203.0.113.0/24"));
        assert_eq!(network.kind(), ContextKind::Network);
        assert_eq!(network.expiration_date_time, at(1) + Duration::days(90));
        let location = &contexts[&learned[1].id];
        assert_eq!(location.kind(), ContextKind::Location);
        assert_eq!(location.city.as_deref(), Some("Lisbon"));

        // The same sign-in context again, later: the same two contexts, living longer.
        let again = context(Some("203.0.113.99"), "lisbon, pt");
        let relearned = learn(&mut contexts, &again, &lesson(&actor, at(5), 90));
        assert_eq!(contexts.len(), 2);
        assert_eq!(relearned, learned);
        assert_eq!(
            contexts[&learned[0].id].expiration_date_time,
            at(5) + Duration::days(90)
        );
        assert_eq!(contexts[&learned[0].id].created_date_time, at(1));

        // A sign-in with neither an address nor a place teaches nothing.
        assert!(learn(
            &mut contexts,
            &SignInContext::default(),
            &lesson(&actor, at(5), 90)
        )
        .is_empty());
    }

    #[test]
    fn learning_again_never_shortens_a_context() {
        let actor = analyst();
        let mut contexts = BTreeMap::new();
        let sign_in = SignInContext::of(Some("203.0.113.7"), None);
        let learned = learn(&mut contexts, &sign_in, &lesson(&actor, at(1), 90));
        learn(&mut contexts, &sign_in, &lesson(&actor, at(2), 1));
        assert_eq!(
            contexts[&learned[0].id].expiration_date_time,
            at(1) + Duration::days(90)
        );
    }

    #[test]
    fn a_context_matches_only_its_kind_unexpired_and_counts_its_hits() {
        let actor = analyst();
        let mut contexts = BTreeMap::new();
        let home = context(Some("203.0.113.7"), "Lisbon, PT");
        learn(&mut contexts, &home, &lesson(&actor, at(1), 10));

        let same_network_elsewhere = context(Some("203.0.113.50"), "Porto, PT");
        let hit = recognise(
            &mut contexts,
            ContextKind::Network,
            &same_network_elsewhere,
            at(2),
        );
        assert_eq!(
            hit.and_then(|c| c.network).as_deref(),
            Some("203.0.113.0/24")
        );
        assert_eq!(
            recognise(
                &mut contexts,
                ContextKind::Location,
                &same_network_elsewhere,
                at(2)
            ),
            None
        );

        let same_city_new_network = context(Some("198.51.100.1"), "LISBON, PT");
        assert_eq!(
            recognise(
                &mut contexts,
                ContextKind::Network,
                &same_city_new_network,
                at(2)
            ),
            None
        );
        let hit = recognise(
            &mut contexts,
            ContextKind::Location,
            &same_city_new_network,
            at(3),
        );
        assert_eq!(hit.and_then(|c| c.city).as_deref(), Some("Lisbon"));

        let network = contexts.values().find(|c| c.network.is_some());
        assert_eq!(
            network.map(|c| (c.hits, c.last_hit_date_time)),
            Some((1, Some(at(2))))
        );
        let location = contexts.values().find(|c| c.network.is_none());
        assert_eq!(
            location.map(|c| (c.hits, c.last_hit_date_time)),
            Some((1, Some(at(3))))
        );

        // Expired on day 11: it matches no more, and keeps its count.
        assert_eq!(
            recognise(&mut contexts, ContextKind::Network, &home, at(11)),
            None
        );
        assert_eq!(contexts.values().map(|c| c.hits).sum::<u64>(), 2);
    }

    #[test]
    fn a_place_without_a_city_matches_its_whole_country_and_one_with_a_city_only_that_city() {
        let actor = analyst();
        let mut contexts = BTreeMap::new();
        learn(
            &mut contexts,
            &context(None, ", PT"),
            &lesson(&actor, at(1), 90),
        );
        let porto = context(None, "Porto, PT");
        assert!(recognise(&mut contexts, ContextKind::Location, &porto, at(2)).is_some());

        let mut contexts = BTreeMap::new();
        learn(
            &mut contexts,
            &context(None, "Lisbon, PT"),
            &lesson(&actor, at(1), 90),
        );
        assert!(recognise(&mut contexts, ContextKind::Location, &porto, at(2)).is_none());
        let country_only = context(None, ", PT");
        assert!(recognise(&mut contexts, ContextKind::Location, &country_only, at(2)).is_none());
        let no_place = SignInContext::of(Some("203.0.113.7"), None);
        assert!(recognise(&mut contexts, ContextKind::Location, &no_place, at(2)).is_none());
    }

    #[test]
    fn a_compromised_sign_in_forgets_every_context_it_matches_and_only_those() {
        let actor = analyst();
        let mut contexts = BTreeMap::new();
        learn(
            &mut contexts,
            &context(Some("203.0.113.7"), "Lisbon, PT"),
            &lesson(&actor, at(1), 90),
        );
        learn(
            &mut contexts,
            &context(Some("198.51.100.7"), "Madrid, ES"),
            &lesson(&actor, at(1), 90),
        );
        let attacker = context(Some("203.0.113.200"), "Madrid, ES");
        let forgotten = forget_matching(&mut contexts, &attacker);
        let mut what: Vec<String> = forgotten
            .iter()
            .map(|c| c.network.clone().or(c.city.clone()).unwrap_or_default())
            .collect();
        what.sort();
        assert_eq!(what, ["203.0.113.0/24", "Madrid"]);
        let kept: Vec<String> = contexts
            .values()
            .map(|c| c.network.clone().or(c.city.clone()).unwrap_or_default())
            .collect();
        assert_eq!(kept.len(), 2);
        assert!(kept.contains(&"198.51.100.0/24".to_string()));
        assert!(kept.contains(&"Lisbon".to_string()));
    }

    #[test]
    fn learning_drops_expired_contexts_and_keeps_at_most_the_bound() {
        let actor = analyst();
        let mut contexts = BTreeMap::new();
        learn(
            &mut contexts,
            &SignInContext::of(Some("192.0.2.1"), None),
            &lesson(&actor, at(1), 1),
        );
        learn(
            &mut contexts,
            &SignInContext::of(Some("192.0.3.1"), None),
            &lesson(&actor, at(3), 90),
        );
        assert_eq!(contexts.len(), 1, "the first expired on day 2");

        let mut contexts = BTreeMap::new();
        for i in 0..MAX_CONTEXTS_PER_USER + 5 {
            let ip = format!("10.{}.{}.1", i / 256, i % 256);
            let now = at(1) + Duration::minutes(i as i64);
            learn(
                &mut contexts,
                &SignInContext::of(Some(&ip), None),
                &lesson(&actor, now, 90),
            );
        }
        assert_eq!(contexts.len(), MAX_CONTEXTS_PER_USER);
        let oldest = contexts.values().map(|c| c.created_date_time).min();
        assert_eq!(oldest, Some(at(1) + Duration::minutes(5)));
    }

    #[test]
    fn ids_are_per_user_and_per_context() {
        let lisbon = place("PT", Some("Lisbon"));
        let a = context_id("alice", Some("203.0.113.0/24"), None);
        assert_eq!(a, context_id("alice", Some("203.0.113.0/24"), None));
        assert_ne!(a, context_id("bob", Some("203.0.113.0/24"), None));
        assert_ne!(a, context_id("alice", Some("203.0.114.0/24"), None));
        assert_eq!(
            context_id("alice", None, Some(&lisbon)),
            context_id("alice", None, Some(&place("pt", Some("LISBON"))))
        );
        assert_ne!(
            context_id("alice", None, Some(&lisbon)),
            context_id("alice", None, Some(&place("PT", None)))
        );
        assert!(a.starts_with("fc-") && a.len() == 27);
    }

    proptest! {
        #[test]
        fn every_address_of_a_network_is_in_it(a in any::<u8>(), b in any::<u8>(), c in any::<u8>(), d in any::<u8>(), e in any::<u8>()) {
            prop_assert_eq!(network_of(&format!("{a}.{b}.{c}.{d}")), network_of(&format!("{a}.{b}.{c}.{e}")));
            let other = c.wrapping_add(1);
            prop_assert_ne!(network_of(&format!("{a}.{b}.{c}.{d}")), network_of(&format!("{a}.{b}.{other}.{d}")));
        }

        #[test]
        fn a_learned_sign_in_is_recognised_until_its_context_expires(
            ip in "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
            city in "[A-Za-z]{1,12}", country in "[A-Z]{2}", days in 1u32..400, after in 0i64..500,
        ) {
            let actor = analyst();
            let mut contexts = BTreeMap::new();
            let sign_in = context(Some(&ip), &format!("{city}, {country}"));
            learn(&mut contexts, &sign_in, &lesson(&actor, at(1), days));
            let later = at(1) + Duration::days(after);
            let active = after < i64::from(days);
            prop_assert_eq!(recognise(&mut contexts, ContextKind::Location, &sign_in, later).is_some(), active);
            prop_assert_eq!(
                recognise(&mut contexts, ContextKind::Network, &sign_in, later).is_some(),
                active && sign_in.network.is_some()
            );
            let learned = if sign_in.network.is_some() { 2 } else { 1 };
            prop_assert_eq!(forget_matching(&mut contexts, &sign_in).len(), learned);
            prop_assert!(contexts.is_empty());
        }
    }
}
