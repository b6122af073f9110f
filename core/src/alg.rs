//! Signature algorithms and the allow-list that verification consults.
//!
//! The allow-list is an [`AlgorithmSet`] built only from [`Algorithm`]
//! values, and `Algorithm` has no variant for `none` or any HMAC scheme, so
//! no configuration can ever admit them: the names are refused at parse time
//! with [`AlgError::Forbidden`].

use std::fmt;

/// A JOSE signature algorithm that Stele signs and verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// Ed25519 (RFC 8037 `EdDSA`; RFC 9864's `Ed25519` is read as the same).
    EdDSA,
    /// ECDSA on P-256 with SHA-256; the curve phones' secure hardware offers.
    ES256,
    /// ECDSA on secp256k1 with SHA-256, low-S only; used by chain controller keys.
    ES256K,
}

impl Algorithm {
    /// Every algorithm Stele implements.
    pub const ALL: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::ES256K];

    /// The JOSE `alg` name Stele writes.
    pub fn jose_name(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
            Algorithm::ES256K => "ES256K",
        }
    }

    /// Reads a JOSE `alg` name.
    pub fn from_jose_name(name: &str) -> Result<Self, AlgError> {
        match name {
            "EdDSA" | "Ed25519" => Ok(Algorithm::EdDSA),
            "ES256" => Ok(Algorithm::ES256),
            "ES256K" => Ok(Algorithm::ES256K),
            n if is_forbidden(n) => Err(AlgError::Forbidden(n.to_owned())),
            n => Err(AlgError::Unsupported(n.to_owned())),
        }
    }

    fn bit(self) -> u8 {
        match self {
            Algorithm::EdDSA => 1,
            Algorithm::ES256 => 2,
            Algorithm::ES256K => 4,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.jose_name())
    }
}

/// `none` and every symmetric (HMAC) algorithm: never acceptable for a credential.
fn is_forbidden(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper == "NONE" || upper.starts_with("HS")
}

/// Why an algorithm name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlgError {
    /// `none` or an HMAC algorithm: refused whatever the configuration says.
    #[error("algorithm {0:?} is never allowed")]
    Forbidden(String),
    /// An algorithm Stele does not implement (RSA, P-384, ...).
    #[error("algorithm {0:?} is not supported")]
    Unsupported(String),
    /// Implemented, but left out of this verifier's allow-list.
    #[error("algorithm {0} is not in the allow-list")]
    NotAllowed(Algorithm),
}

/// The set of algorithms a verification accepts.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlgorithmSet(u8);

impl AlgorithmSet {
    /// Every implemented algorithm.
    pub const ALL: AlgorithmSet = AlgorithmSet(7);
    /// No algorithm at all (useful as a starting point).
    pub const EMPTY: AlgorithmSet = AlgorithmSet(0);

    /// A set holding exactly `algs`.
    pub fn of(algs: &[Algorithm]) -> Self {
        AlgorithmSet(algs.iter().fold(0, |acc, a| acc | a.bit()))
    }

    /// Builds a set from configuration names; `none`, `HS*` and unknown names are errors.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Self, AlgError> {
        let mut set = Self::EMPTY;
        for n in names {
            set = set.with(Algorithm::from_jose_name(n.as_ref())?);
        }
        Ok(set)
    }

    /// This set plus `alg`.
    #[must_use]
    pub fn with(self, alg: Algorithm) -> Self {
        AlgorithmSet(self.0 | alg.bit())
    }

    /// Whether `alg` is allowed.
    pub fn contains(self, alg: Algorithm) -> bool {
        self.0 & alg.bit() != 0
    }

    /// Checks `alg` against the set.
    pub fn check(self, alg: Algorithm) -> Result<(), AlgError> {
        if self.contains(alg) {
            Ok(())
        } else {
            Err(AlgError::NotAllowed(alg))
        }
    }

    /// The algorithms in the set, in a fixed order.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }
}

impl Default for AlgorithmSet {
    fn default() -> Self {
        Self::ALL
    }
}

impl fmt::Debug for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_and_hmac_can_never_be_configured() {
        for n in ["none", "NONE", "None", "HS256", "HS384", "HS512", "hs256"] {
            assert!(matches!(
                AlgorithmSet::from_names(&[n]),
                Err(AlgError::Forbidden(_))
            ));
        }
        assert!(matches!(
            AlgorithmSet::from_names(&["RS256"]),
            Err(AlgError::Unsupported(_))
        ));
    }

    #[test]
    fn set_membership() {
        let s = AlgorithmSet::from_names(&["EdDSA", "ES256"]).unwrap();
        assert!(s.contains(Algorithm::EdDSA));
        assert!(!s.contains(Algorithm::ES256K));
        assert_eq!(
            s.check(Algorithm::ES256K),
            Err(AlgError::NotAllowed(Algorithm::ES256K))
        );
        assert_eq!(s.iter().count(), 2);
        assert_eq!(Algorithm::from_jose_name("Ed25519"), Ok(Algorithm::EdDSA));
    }
}
