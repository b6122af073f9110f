//! One module per `stele` command.

pub mod agency;
pub mod audit;
pub mod chain;
pub mod challenge;
pub mod demo;
pub mod issue;
pub mod key;
pub mod present;
pub mod resolve;
pub mod status;
pub mod trust;
pub mod verify;
pub mod wallet;

use stele_core::time::Timestamp;

use crate::Failure;

/// Parses an RFC 3339 argument.
pub fn parse_time(value: &str, flag: &str) -> Result<Timestamp, Failure> {
    Timestamp::parse_rfc3339(value).map_err(|_| {
        Failure::usage(format!(
            "{flag} must be an RFC 3339 date-time such as 2027-01-31T00:00:00Z"
        ))
    })
}
