//! The `eddsa-rdfc-2022` cryptosuite (W3C Data Integrity EdDSA Cryptosuites
//! v1.0, §3.2): RDF Dataset Canonicalization of the JSON-LD document and of
//! the proof configuration (through [`super::jsonld`], feature `rdfc`), then
//! the same hashing, signature and strict verification as `eddsa-jcs-2022`
//! ([`Suite`]).
//!
//! Every `@context` is checked against the allow-list before any JSON-LD
//! processing.

use serde_json::{Map, Value};

use super::DiError;
use super::context::check_contexts;
use super::eddsa::Replace;
pub use super::eddsa::{HashData, Suite};
use super::jsonld::canonical_nquads;

/// The cryptosuite's name.
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";

/// The cryptosuite: [`Suite::transform`], [`Suite::proof_configuration`],
/// [`Suite::hash_data`] (every intermediate value the W3C vectors list),
/// [`Suite::create_proof`], [`Suite::verify_proof`].
pub const SUITE: Suite = Suite {
    name: CRYPTOSUITE,
    canonical,
    proof_carries_context: false,
};

/// The canonical N-Quads of `object` with members replaced; the contexts
/// are checked against the allow-list first. The object is copied only
/// when a replacement changes it.
fn canonical(object: &Map<String, Value>, replace: &Replace<'_>) -> Result<String, DiError> {
    let unchanged = replace
        .iter()
        .all(|(name, value)| object.get(*name) == *value);
    if unchanged {
        check_contexts(object)?;
        return canonical_nquads(object);
    }
    let mut changed = object.clone();
    for (name, value) in replace {
        match value {
            Some(v) => {
                changed.insert((*name).to_owned(), (*v).clone());
            }
            None => {
                changed.remove(*name);
            }
        }
    }
    check_contexts(&changed)?;
    canonical_nquads(&changed)
}
