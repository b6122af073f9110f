//! A counter's policy: which credential types it accepts and which claims it needs.

/// What a verifier requires beyond a valid credential.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Accepted credential types; empty accepts any.
    pub accepted_types: Vec<String>,
    /// Claims that must be disclosed (top-level names or dotted paths).
    pub required_claims: Vec<String>,
    /// Whether the disclosed claims must conform to the type's JSON Schema.
    pub require_schema: bool,
}
