//! Durations in config: a number of seconds (`30`, `0.5`, as in the seed configs) or a
//! humantime string (`"30s"`, `"500ms"`).

use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::time::Duration;

/// Deserialises a duration from seconds or a humantime string.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(DurationVisitor)
}

/// Deserialises an optional duration.
pub mod option {
    use super::*;

    /// Deserialises `Option<Duration>`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        d.deserialize_any(DurationVisitor).map(Some)
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration: seconds as a number, or a string like \"30s\" or \"500ms\"")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        Ok(Duration::from_secs(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        u64::try_from(v)
            .map(Duration::from_secs)
            .map_err(|_| E::custom(format!("a duration cannot be negative, got {v}")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
        Duration::try_from_secs_f64(v)
            .map_err(|_| E::custom(format!("`{v}` is not a valid number of seconds")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        if let Ok(secs) = v.trim().parse::<f64>() {
            return self.visit_f64(secs);
        }
        humantime::parse_duration(v).map_err(|e| {
            E::custom(format!(
                "`{v}` is not a duration ({e}); write e.g. \"30s\" or \"500ms\""
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use std::time::Duration;

    #[derive(Deserialize)]
    struct T {
        #[serde(with = "super")]
        d: Duration,
    }

    #[test]
    fn accepts_seconds_and_humantime() {
        let parse = |s: &str| serde_json::from_str::<T>(s).map(|t| t.d);
        assert_eq!(parse(r#"{"d":30}"#).unwrap(), Duration::from_secs(30));
        assert_eq!(parse(r#"{"d":0.5}"#).unwrap(), Duration::from_millis(500));
        assert_eq!(
            parse(r#"{"d":"250ms"}"#).unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(parse(r#"{"d":"2"}"#).unwrap(), Duration::from_secs(2));
        assert!(parse(r#"{"d":-1}"#).is_err());
        assert!(parse(r#"{"d":"soon"}"#).is_err());
    }
}
