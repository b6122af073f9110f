//! The `eddsa-jcs-2022` cryptosuite (W3C Data Integrity EdDSA Cryptosuites
//! v1.0, §3.3): JCS transformation, proof configuration, hashing, and an
//! Ed25519 signature over `SHA-256(canonical proof config) ‖
//! SHA-256(canonical document)`, verified with `verify_strict` (the steps
//! both EdDSA suites share are one routine, [`Suite`]).

use serde_json::{Map, Value};

use super::DiError;
use super::eddsa::Replace;
pub use super::eddsa::{HashData, Suite};
use super::jcs::canonicalize_object_with;

/// The cryptosuite's name.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";

/// The cryptosuite: [`Suite::transform`], [`Suite::proof_configuration`],
/// [`Suite::hash_data`] (every intermediate value the W3C vectors list),
/// [`Suite::create_proof`], [`Suite::verify_proof`].
pub const SUITE: Suite = Suite {
    name: CRYPTOSUITE,
    canonical,
    proof_carries_context: true,
};

/// JCS of `object` with members replaced, without copying it.
fn canonical(object: &Map<String, Value>, replace: &Replace<'_>) -> Result<String, DiError> {
    Ok(canonicalize_object_with(object, replace)?)
}
