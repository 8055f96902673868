//! Where a sign-in came from: Graph's `signInLocation`, and the text sensors sent before
//! Graph's shape was taken.

use serde::{Deserialize, Serialize};

/// Where a sign-in came from: Graph's `signInLocation`. Sent as text, as sensors did before
/// Graph's shape was taken, `City, CountryOrRegion` or `City, State, CountryOrRegion` names its
/// parts, and text without a comma is the city (SPEC 8).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInLocation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Text>))]
    pub country_or_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_coordinates: Option<GeoCoordinates>,
}

/// Graph's `geoCoordinates`; each part may be absent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GeoCoordinates {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = -90, maximum = 90))]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = -180, maximum = 180))]
    pub longitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = -1_000_000, maximum = 1_000_000))]
    pub altitude: Option<f64>,
}

impl GeoCoordinates {
    /// The highest and lowest altitude taken, in metres.
    pub const MAX_ALTITUDE: f64 = 1_000_000.0;

    /// To a centimetre or so: finer is noise, and DynamoDB stores no number below 1E-130.
    pub fn rounded(self) -> GeoCoordinates {
        let round = |v: Option<f64>, places: i32| {
            let scale = 10f64.powi(places);
            v.map(|v| (v * scale).round() / scale + 0.0)
        };
        GeoCoordinates {
            latitude: round(self.latitude, 7),
            longitude: round(self.longitude, 7),
            altitude: round(self.altitude, 2),
        }
    }
}

// Coordinates are only carried, never compared for identity: a location is the same place when
// its names are, so `Eq` holds for what the rules use.
impl Eq for SignInLocation {}
impl Eq for GeoCoordinates {}

impl SignInLocation {
    /// The place a location text names: its last part is the country or region and its first
    /// the city when there are two parts or more, a middle part the state; text without a
    /// comma is a city. Blank text names no place.
    pub fn from_text(text: &str) -> Option<SignInLocation> {
        let parts: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let owned = |p: Option<&&str>| p.map(|p| p.to_string());
        match parts.as_slice() {
            [] => None,
            [city] if !text.contains(',') => Some(SignInLocation {
                city: Some(city.to_string()),
                ..SignInLocation::default()
            }),
            [.., country] => Some(SignInLocation {
                city: owned(parts.first().filter(|_| parts.len() > 1)),
                state: owned(parts.get(1).filter(|_| parts.len() > 2)),
                country_or_region: Some(country.to_string()),
                geo_coordinates: None,
            }),
        }
    }

    /// The names it holds, in the order Graph lists them.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        [&self.city, &self.state, &self.country_or_region]
            .into_iter()
            .filter_map(|p| p.as_deref())
    }

    /// Whether it names nothing at all.
    pub fn is_empty(&self) -> bool {
        self.names().next().is_none() && self.geo_coordinates.is_none()
    }
}

/// A location as sent: Graph's object, or text (SPEC 8). Stored sign-ins written before the
/// object was taken hold text too.
pub mod location_text_or_object {
    use std::fmt;

    use serde::de::{self, MapAccess, Visitor};
    use serde::{Deserialize, Deserializer};

    use super::SignInLocation;

    struct TextOrObject;

    impl<'de> Visitor<'de> for TextOrObject {
        type Value = Option<SignInLocation>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a signInLocation object, or text such as \"Lisbon, PT\"")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(TextOrObject)
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Ok(SignInLocation::from_text(text))
        }

        fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
            SignInLocation::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<SignInLocation>, D::Error> {
        deserializer.deserialize_option(TextOrObject)
    }
}

#[cfg(test)]
mod locations {
    use super::{location_text_or_object, GeoCoordinates, SignInLocation};

    fn place(city: Option<&str>, state: Option<&str>, country: Option<&str>) -> SignInLocation {
        SignInLocation {
            city: city.map(String::from),
            state: state.map(String::from),
            country_or_region: country.map(String::from),
            geo_coordinates: None,
        }
    }

    #[test]
    fn text_names_city_state_and_country_or_region() {
        let text = SignInLocation::from_text;
        assert_eq!(
            text("Lisbon, PT"),
            Some(place(Some("Lisbon"), None, Some("PT")))
        );
        assert_eq!(
            text("Seattle, Washington, US"),
            Some(place(Some("Seattle"), Some("Washington"), Some("US")))
        );
        assert_eq!(text("Lisbon"), Some(place(Some("Lisbon"), None, None)));
        assert_eq!(text(" , PT ,"), Some(place(None, None, Some("PT"))));
        assert_eq!(text(" , "), None);
        assert_eq!(text(""), None);
    }

    #[derive(serde::Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "location_text_or_object::deserialize")]
        location: Option<SignInLocation>,
    }

    fn read(json: &str) -> Result<Option<SignInLocation>, String> {
        serde_json::from_str::<Holder>(json)
            .map(|h| h.location)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_location_is_text_an_object_or_null() {
        assert_eq!(
            read(r#"{"location": "Lisbon, PT"}"#),
            Ok(Some(place(Some("Lisbon"), None, Some("PT"))))
        );
        assert_eq!(
            read(
                r#"{"location": {"city": "Seattle", "countryOrRegion": "US", "geoCoordinates": null}}"#
            ),
            Ok(Some(place(Some("Seattle"), None, Some("US"))))
        );
        assert_eq!(read(r#"{"location": null}"#), Ok(None));
        assert_eq!(read("{}"), Ok(None));
        let refused = [r#"{"location": 5}"#, r#"{"location": {"town": "x"}}"#];
        for json in refused {
            assert!(read(json).is_err(), "{json}");
        }
        let said = read(r#"{"location": 5}"#).err().unwrap_or_default();
        assert!(said.contains("signInLocation object, or text"), "{said}");
    }

    #[test]
    fn coordinates_round_to_a_centimetre_and_never_to_minus_zero() {
        let geo = GeoCoordinates {
            latitude: Some(47.606_209_149),
            longitude: Some(-7.96e-298),
            altitude: Some(-0.001),
        }
        .rounded();
        assert_eq!(geo.latitude, Some(47.606_209_1));
        for part in [geo.longitude, geo.altitude] {
            assert_eq!(part, Some(0.0));
            assert!(part.is_some_and(|v| v.is_sign_positive()), "{part:?}");
        }
    }

    #[test]
    fn a_location_of_no_names_and_no_coordinates_is_empty() {
        assert!(SignInLocation::default().is_empty());
        assert!(!place(Some("Lisbon"), None, None).is_empty());
        let only_coordinates = SignInLocation {
            geo_coordinates: Some(GeoCoordinates::default()),
            ..SignInLocation::default()
        };
        assert!(!only_coordinates.is_empty());
    }
}
