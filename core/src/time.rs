//! Time as verification sees it: an injected [`Clock`] and second-precision
//! [`Timestamp`]s with RFC 3339 text.

use std::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time, in whole seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The timestamp `secs` seconds after the epoch.
    pub const fn from_unix(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// Seconds since the epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 / XML Schema `dateTime` text with an offset (`2026-01-01T00:00:00Z`).
    pub fn parse_rfc3339(s: &str) -> Result<Self, TimeError> {
        OffsetDateTime::parse(s, &Rfc3339)
            .map(|t| Timestamp(t.unix_timestamp()))
            .map_err(|_| TimeError::Rfc3339(s.chars().take(40).collect()))
    }

    /// RFC 3339 text in UTC (`2026-01-01T00:00:00Z`).
    pub fn to_rfc3339(self) -> String {
        OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| self.0.to_string())
    }

    /// This time plus `secs` seconds (saturating).
    #[must_use]
    pub fn plus(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Why a time value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not an RFC 3339 date-time with an offset.
    #[error("not an RFC 3339 date-time: {0:?}")]
    Rfc3339(String),
}

/// The source of "now". Verification takes it as a parameter so tests and
/// audits can ask "was this valid at time t".
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(OffsetDateTime::now_utc().unix_timestamp())
    }
}

/// A clock that always says the same time (tests, `--now`).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = Timestamp::parse_rfc3339("2026-11-21T10:00:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-21T09:00:00Z");
        assert!(Timestamp::parse_rfc3339("2026-11-21").is_err());
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }
}
