//! The synthetic tenant the replay runs: people with homes, offices behind shared corporate
//! egress, commercial VPNs and recurring business trips, the detections an identity provider
//! raises on their sign-ins day by day, and the attacks among them. Everything follows from one
//! seed, so both modes of a run, and every run with that seed, see the same world.

use serde_json::{json, Value};

const CITIES: [(&str, &str); 10] = [
    ("Lisbon", "PT"),
    ("Porto", "PT"),
    ("Madrid", "ES"),
    ("Paris", "FR"),
    ("Berlin", "DE"),
    ("London", "GB"),
    ("Amsterdam", "NL"),
    ("Milan", "IT"),
    ("Warsaw", "PL"),
    ("Dublin", "IE"),
];
const VPN_EXITS: [(&str, &str); 8] = [
    ("Amsterdam", "NL"),
    ("Frankfurt", "DE"),
    ("Zurich", "CH"),
    ("Stockholm", "SE"),
    ("London", "GB"),
    ("Paris", "FR"),
    ("Vienna", "AT"),
    ("Oslo", "NO"),
];
const ATTACKER_CITIES: [(&str, &str); 5] = [
    ("Lagos", "NG"),
    ("Sao Paulo", "BR"),
    ("Hanoi", "VN"),
    ("Almaty", "KZ"),
    ("Shenzhen", "CN"),
];

/// What a detection really was: the oracle analyst knows, the service does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    /// A false positive; `context` is what it judged (`user|network` or `user|city`), so that
    /// a second one from the same context is a repeat.
    Benign {
        context: String,
    },
    Attack(AttackKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AttackKind {
    /// From a network and a place the user never used.
    FreshNetwork,
    /// From the user's home city, on a network the user never used.
    FamiliarCityNewNetwork,
    /// Leaked credentials or a password spray.
    Credential,
    /// A stolen token replayed from the user's own home network.
    Token,
    /// From the user's office network, which the user really uses: the known cost of
    /// familiarity.
    FamiliarNetwork,
}

impl AttackKind {
    pub const ALL: [AttackKind; 5] = [
        AttackKind::FreshNetwork,
        AttackKind::FamiliarCityNewNetwork,
        AttackKind::Credential,
        AttackKind::Token,
        AttackKind::FamiliarNetwork,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AttackKind::FreshNetwork => "freshNetwork",
            AttackKind::FamiliarCityNewNetwork => "familiarCityNewNetwork",
            AttackKind::Credential => "credential",
            AttackKind::Token => "token",
            AttackKind::FamiliarNetwork => "familiarNetwork",
        }
    }

    /// Attacks the targets say must always raise risk.
    pub fn must_raise(self) -> bool {
        self != AttackKind::FamiliarNetwork
    }
}

/// One detection of a day, as posted, with what it really was.
#[derive(Debug, Clone)]
pub struct Event {
    pub detection: Value,
    pub truth: Truth,
}

impl Event {
    pub fn id(&self) -> &str {
        self.detection["id"].as_str().unwrap_or_default()
    }

    pub fn user(&self) -> &str {
        self.detection["userId"].as_str().unwrap_or_default()
    }

    pub fn sign_in(&self) -> Option<&str> {
        self.detection["signIn"]["id"].as_str()
    }
}

#[derive(Debug, Clone)]
struct Place {
    /// The first three octets of an IPv4 /24.
    prefix: String,
    city: (&'static str, &'static str),
}

#[derive(Debug, Clone)]
struct Trip {
    first_day: u32,
    last_day: u32,
    hotel: Place,
}

#[derive(Debug, Clone)]
struct Person {
    id: String,
    home: Place,
    office: Place,
    vpn_exits: Vec<Place>,
    trips: Vec<Trip>,
}

/// The world the replay runs, generated from a seed.
pub struct Tenant {
    people: Vec<Person>,
    rng: fastrand::Rng,
    /// Detections and sign-ins generated so far, for their ids; attacker networks, so each is new.
    generated: u64,
    attacker_networks: u32,
}

impl Tenant {
    pub fn new(seed: u64, users: usize, days: u32) -> Tenant {
        let mut rng = fastrand::Rng::with_seed(seed);
        let offices: Vec<Place> = CITIES
            .iter()
            .enumerate()
            .map(|(i, city)| Place {
                prefix: format!("198.51.{i}"),
                city: *city,
            })
            .collect();
        let vpn: Vec<Place> = VPN_EXITS
            .iter()
            .enumerate()
            .map(|(i, city)| Place {
                prefix: format!("185.{}.10", 100 + i),
                city: *city,
            })
            .collect();
        let mut hotels = 0u32;
        let people = (0..users)
            .map(|i| {
                let home_city = CITIES[rng.usize(..CITIES.len())];
                // A fifth use a commercial VPN, through the one or two exits nearest them.
                let vpn_exits = if rng.f64() < 0.2 {
                    let first = rng.usize(..vpn.len());
                    let mut exits = vec![vpn[first].clone()];
                    if rng.bool() {
                        exits.push(vpn[(first + 1) % vpn.len()].clone());
                    }
                    exits
                } else {
                    Vec::new()
                };
                // A tenth travel, mostly to the same two client cities, two or three times.
                let mut trips = Vec::new();
                if rng.f64() < 0.1 {
                    let destinations = [
                        CITIES[rng.usize(..CITIES.len())],
                        CITIES[rng.usize(..CITIES.len())],
                    ];
                    let mut day = rng.u32(0..6);
                    while day + 3 < days {
                        let length = rng.u32(2..5);
                        let city = if rng.f64() < 0.8 {
                            destinations[rng.usize(..2)]
                        } else {
                            CITIES[rng.usize(..CITIES.len())]
                        };
                        hotels += 1;
                        trips.push(Trip {
                            first_day: day,
                            last_day: day + length - 1,
                            hotel: Place {
                                prefix: format!("203.{}.{}", hotels / 256, hotels % 256),
                                city,
                            },
                        });
                        day += length + rng.u32(6..14);
                    }
                }
                Person {
                    id: format!("user-{i:03}"),
                    home: Place {
                        prefix: format!("100.{}.{}", 64 + i / 256, i % 256),
                        city: home_city,
                    },
                    office: offices[rng.usize(..offices.len())].clone(),
                    vpn_exits,
                    trips,
                }
            })
            .collect();
        Tenant {
            people,
            rng,
            generated: 0,
            attacker_networks: 0,
        }
    }

    /// The detections of `day`, attacks among them, in the order the identity provider sends them.
    pub fn day(&mut self, day: u32) -> Vec<Event> {
        let mut events = Vec::new();
        let weekday = day % 7 < 5;
        for p in self.people.clone() {
            if self.rng.f64() < 0.8 && self.rng.f64() < 0.02 {
                let event = self.benign(&p, day, &p.home, "unfamiliarFeatures");
                events.push(event);
            }
            if weekday && self.rng.f64() < 0.8 && self.rng.f64() < 0.02 {
                let event = self.benign(&p, day, &p.office, "unfamiliarFeatures");
                events.push(event);
            }
            if !p.vpn_exits.is_empty() && self.rng.f64() < 0.5 && self.rng.f64() < 0.7 {
                let exit = p.vpn_exits[self.rng.usize(..p.vpn_exits.len())].clone();
                events.push(self.benign(&p, day, &exit, "anonymizedIPAddress"));
            }
            if let Some(trip) = p
                .trips
                .iter()
                .find(|t| (t.first_day..=t.last_day).contains(&day))
            {
                let hotel = trip.hotel.clone();
                if day == trip.first_day {
                    let sign_in = self.next_sign_in();
                    let first =
                        self.detection(&p, day, &hotel, "unfamiliarFeatures", Some(&sign_in));
                    events.push(Event {
                        truth: benign(&p, "unfamiliarFeatures", &hotel),
                        detection: first,
                    });
                    let travel = if hotel.city.1 == p.home.city.1 {
                        "unlikelyTravel"
                    } else {
                        "newCountry"
                    };
                    let second = self.detection(&p, day, &hotel, travel, Some(&sign_in));
                    events.push(Event {
                        truth: benign(&p, travel, &hotel),
                        detection: second,
                    });
                } else if self.rng.f64() < 0.5 {
                    events.push(self.benign(&p, day, &hotel, "unfamiliarFeatures"));
                }
            }
        }
        for _ in 0..self.rng.usize(4..9) {
            let victim = self.people[self.rng.usize(..self.people.len())].clone();
            let attack = self.attack(&victim, day);
            let at = self.rng.usize(..=events.len());
            for (offset, event) in attack.into_iter().enumerate() {
                events.insert(at + offset, event);
            }
        }
        events
    }

    fn benign(&mut self, p: &Person, day: u32, place: &Place, kind: &str) -> Event {
        let sign_in = self.next_sign_in();
        Event {
            detection: self.detection(p, day, place, kind, Some(&sign_in)),
            truth: benign(p, kind, place),
        }
    }

    fn attack(&mut self, p: &Person, day: u32) -> Vec<Event> {
        let roll = self.rng.f64();
        let kind = match roll {
            r if r < 0.3 => AttackKind::FreshNetwork,
            r if r < 0.5 => AttackKind::FamiliarCityNewNetwork,
            r if r < 0.7 => AttackKind::Credential,
            r if r < 0.85 => AttackKind::Token,
            _ => AttackKind::FamiliarNetwork,
        };
        let sign_in = self.next_sign_in();
        let attacked = |tenant: &mut Tenant, place: &Place, types: &[&str]| -> Vec<Event> {
            types
                .iter()
                .map(|t| Event {
                    detection: tenant.detection(p, day, place, t, Some(&sign_in)),
                    truth: Truth::Attack(kind),
                })
                .collect()
        };
        match kind {
            AttackKind::FreshNetwork => {
                let place = Place {
                    prefix: self.attacker_network(),
                    city: ATTACKER_CITIES[self.rng.usize(..ATTACKER_CITIES.len())],
                };
                if self.rng.bool() {
                    attacked(self, &place, &["unfamiliarFeatures", "newCountry"])
                } else {
                    attacked(self, &place, &["unfamiliarFeatures"])
                }
            }
            AttackKind::FamiliarCityNewNetwork => {
                let place = Place {
                    prefix: self.attacker_network(),
                    city: p.home.city,
                };
                attacked(self, &place, &["unfamiliarFeatures"])
            }
            AttackKind::Credential if self.rng.bool() => {
                let mut leaked = self.detection(p, day, &p.home, "leakedCredentials", None);
                leaked["detectionTimingType"] = json!("offline");
                vec![Event {
                    detection: leaked,
                    truth: Truth::Attack(kind),
                }]
            }
            AttackKind::Credential => {
                let place = Place {
                    prefix: self.attacker_network(),
                    city: ATTACKER_CITIES[self.rng.usize(..ATTACKER_CITIES.len())],
                };
                attacked(self, &place, &["passwordSpray"])
            }
            AttackKind::Token => attacked(self, &p.home.clone(), &["anomalousToken"]),
            AttackKind::FamiliarNetwork => {
                attacked(self, &p.office.clone(), &["unfamiliarFeatures"])
            }
        }
    }

    fn attacker_network(&mut self) -> String {
        self.attacker_networks += 1;
        let n = self.attacker_networks;
        format!("45.{}.{}", n / 256, n % 256)
    }

    fn next_sign_in(&mut self) -> String {
        self.generated += 1;
        format!("s-{}", self.generated)
    }

    fn detection(
        &mut self,
        p: &Person,
        day: u32,
        place: &Place,
        kind: &str,
        sign_in: Option<&str>,
    ) -> Value {
        self.generated += 1;
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 1)
            .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(day))))
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .map(|t| t.and_utc().to_rfc3339())
            .unwrap_or_default();
        let level = if kind == "anonymizedIPAddress" {
            "low"
        } else {
            "medium"
        };
        let mut d = json!({
            "id": format!("d-{}", self.generated),
            "userId": p.id,
            "userPrincipalName": format!("{}@contoso.com", p.id),
            "riskEventType": kind,
            "riskLevel": level,
            "detectionTimingType": "realtime",
            "source": "IdentityProtection",
            "detectedDateTime": at,
        });
        if let Some(sign_in) = sign_in {
            let host = self.rng.u8(1..255);
            d["signIn"] = json!({
                "id": sign_in,
                "createdDateTime": at,
                "ipAddress": format!("{}.{host}", place.prefix),
                "location": format!("{}, {}", place.city.0, place.city.1),
                "riskLevelDuringSignIn": level,
            });
        }
        d
    }
}

/// A false positive of `kind` from `place`, keyed by what that kind judges.
fn benign(p: &Person, kind: &str, place: &Place) -> Truth {
    let context = if ["newCountry", "impossibleTravel", "unlikelyTravel"].contains(&kind) {
        format!("{}|{}", p.id, place.city.0)
    } else {
        format!("{}|{}.0/24", p.id, place.prefix)
    };
    Truth::Benign { context }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_seed_makes_one_world_and_another_seed_another() {
        let ids = |seed| {
            let mut tenant = Tenant::new(seed, 50, 5);
            (0..5)
                .flat_map(|d| tenant.day(d))
                .map(|e| e.detection.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(15), ids(15));
        assert_ne!(ids(15), ids(16));
    }

    #[test]
    fn every_day_holds_attacks_of_each_kind_over_a_month() {
        let mut tenant = Tenant::new(15, 200, 30);
        let events: Vec<Event> = (0..30).flat_map(|d| tenant.day(d)).collect();
        for kind in AttackKind::ALL {
            assert!(
                events.iter().any(|e| e.truth == Truth::Attack(kind)),
                "{kind:?}"
            );
        }
        // Token theft comes from the user's own home network, which teaching may know.
        let token = events
            .iter()
            .find(|e| e.truth == Truth::Attack(AttackKind::Token))
            .map(|e| {
                e.detection["signIn"]["ipAddress"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            });
        assert!(token.is_some_and(|ip| ip.starts_with("100.")));
    }
}
