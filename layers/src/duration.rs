//! Serde helpers for durations in config: a number of seconds (`30`, `0.5`, as the seed configs
//! write them) or a humantime string (`"30s"`, `"500ms"`, `"1m 30s"`). Durations serialize as
//! humantime strings. Use with `#[serde(with = "crate::duration")]`, or the `option`/`map`
//! submodules for `Option<Duration>` and `BTreeMap<String, Duration>`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// Deserializes a `Duration` from seconds or a humantime string.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(DurationVisitor)
}

/// Serializes a `Duration` as a humantime string such as `"1m 30s"`.
pub fn serialize<S: Serializer>(value: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&humantime::format_duration(*value))
}

/// The same for `Option<Duration>`; `null` is `None`.
pub mod option {
    use super::*;

    /// Deserializes an optional duration.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<Wire>::deserialize(d)?.map(|w| w.0))
    }

    /// Serializes an optional duration; `None` as `null`.
    pub fn serialize<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        value.map(Wire).serialize(s)
    }
}

/// The same for maps of name to duration, such as per-tool timeouts.
pub mod map {
    use super::*;

    /// Deserializes a map whose values are durations.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Duration>, D::Error> {
        let wire = BTreeMap::<String, Wire>::deserialize(d)?;
        Ok(wire.into_iter().map(|(k, v)| (k, v.0)).collect())
    }

    /// Serializes a map whose values are durations.
    pub fn serialize<S: Serializer>(
        value: &BTreeMap<String, Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(value.iter().map(|(k, v)| (k, Wire(*v))))
    }
}

/// The wire form, so `Option` and map helpers reuse one visitor.
struct Wire(Duration);

impl<'de> Deserialize<'de> for Wire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize(d).map(Wire)
    }
}

impl Serialize for Wire {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, s)
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number of seconds or a duration such as \"30s\" or \"500ms\"")
    }

    fn visit_u64<E: de::Error>(self, secs: u64) -> Result<Duration, E> {
        Ok(Duration::from_secs(secs))
    }

    fn visit_i64<E: de::Error>(self, secs: i64) -> Result<Duration, E> {
        u64::try_from(secs)
            .map(Duration::from_secs)
            .map_err(|_| E::custom(format!("duration must not be negative, got {secs}")))
    }

    fn visit_f64<E: de::Error>(self, secs: f64) -> Result<Duration, E> {
        // `try_from_secs_f64` rejects negative, NaN and overflowing values instead of panicking.
        Duration::try_from_secs_f64(secs)
            .map_err(|_| E::custom(format!("invalid duration {secs}: expected seconds >= 0")))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
        let text = text.trim();
        // Environment overrides arrive as strings, so "30" and "0.5" mean seconds too.
        if let Ok(secs) = text.parse::<f64>() {
            return self.visit_f64(secs);
        }
        humantime::parse_duration(text).map_err(|e| {
            E::custom(format!(
                "invalid duration `{text}`: {e}; expected seconds or e.g. \"30s\", \"500ms\""
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Holder {
        #[serde(with = "super")]
        d: Duration,
        #[serde(with = "super::option", default)]
        o: Option<Duration>,
        #[serde(with = "super::map", default)]
        m: BTreeMap<String, Duration>,
    }

    fn parse(json: &str) -> Result<Holder, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_are_seconds() {
        assert_eq!(parse(r#"{"d": 30}"#).unwrap().d, Duration::from_secs(30));
        assert_eq!(parse(r#"{"d": 30.0}"#).unwrap().d, Duration::from_secs(30));
        assert_eq!(
            parse(r#"{"d": 0.25}"#).unwrap().d,
            Duration::from_millis(250)
        );
        assert_eq!(
            parse(r#"{"d": "1.5"}"#).unwrap().d,
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn humantime_strings_are_accepted() {
        assert_eq!(parse(r#"{"d": "30s"}"#).unwrap().d, Duration::from_secs(30));
        assert_eq!(
            parse(r#"{"d": "500ms"}"#).unwrap().d,
            Duration::from_millis(500)
        );
        assert_eq!(
            parse(r#"{"d": "1m 30s"}"#).unwrap().d,
            Duration::from_secs(90)
        );
    }

    #[test]
    fn negative_and_garbage_are_rejected_with_a_hint() {
        assert!(parse(r#"{"d": -1}"#).is_err());
        assert!(parse(r#"{"d": -0.5}"#).is_err());
        let err = parse(r#"{"d": "soon"}"#).unwrap_err().to_string();
        assert!(err.contains("invalid duration `soon`"), "{err}");
    }

    #[test]
    fn option_and_map_helpers_round_trip() {
        let h = parse(r#"{"d": 1, "o": null, "m": {"slow": "2m", "fast": 0.5}}"#).unwrap();
        assert_eq!(h.o, None);
        assert_eq!(h.m["slow"], Duration::from_secs(120));
        assert_eq!(h.m["fast"], Duration::from_millis(500));

        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(
            json,
            r#"{"d":"1s","o":null,"m":{"fast":"500ms","slow":"2m"}}"#
        );
        assert_eq!(parse(&json).unwrap(), h);
    }
}
