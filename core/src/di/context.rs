//! The JSON-LD `@context` allow-list.
//!
//! Stele never fetches a context. A document may name only the contexts Stele
//! bundles; any other context — a remote URL, or an inline context object that
//! could redefine terms — is refused before any other processing, wherever in
//! the document it appears (ADR 0031).

use serde_json::{Map, Value};

use super::DiError;
use crate::credential::model::{VCDM1_CONTEXT, VCDM2_CONTEXT};

/// The Data Integrity v2 context (used with VCDM 1.1 documents).
pub const DATA_INTEGRITY_V2_CONTEXT: &str = "https://w3id.org/security/data-integrity/v2";
/// The VCDM 2.0 examples context.
pub const EXAMPLES_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/examples/v2";
/// Stele's context for its credential types (`schemas/context/stele-v1.jsonld`).
pub const STELE_V1_CONTEXT: &str = "https://stele.example/schemas/context/stele-v1.jsonld";

/// Stele's own context document, as published under `schemas/context/`.
pub const STELE_V1_CONTEXT_DOCUMENT: &str =
    include_str!("../../../schemas/context/stele-v1.jsonld");

/// Every context a document may name.
pub const ALLOWED_CONTEXTS: [&str; 5] = [
    VCDM2_CONTEXT,
    VCDM1_CONTEXT,
    DATA_INTEGRITY_V2_CONTEXT,
    EXAMPLES_V2_CONTEXT,
    STELE_V1_CONTEXT,
];

/// Whether `url` is an allowed context.
pub fn is_allowed(url: &str) -> bool {
    ALLOWED_CONTEXTS.contains(&url)
}

/// Checks every `@context` in `document`, at any depth (proofs included).
pub fn check_contexts(document: &Map<String, Value>) -> Result<(), DiError> {
    check_object(document)
}

fn check_object(object: &Map<String, Value>) -> Result<(), DiError> {
    for (name, value) in object {
        if name == "@context" {
            check_context_value(value)?;
        } else {
            check_value(value)?;
        }
    }
    Ok(())
}

fn check_value(value: &Value) -> Result<(), DiError> {
    match value {
        Value::Object(o) => check_object(o),
        Value::Array(items) => items.iter().try_for_each(check_value),
        _ => Ok(()),
    }
}

fn check_context_value(value: &Value) -> Result<(), DiError> {
    let one = |v: &Value| match v {
        Value::String(url) if is_allowed(url) => Ok(()),
        // The URL is not personal data; it is shortened in case it is hostile.
        Value::String(url) => Err(DiError::ContextNotAllowed(format!(
            "{:?} is not a bundled context",
            url.chars().take(100).collect::<String>()
        ))),
        Value::Object(_) => Err(DiError::ContextNotAllowed(
            "inline context definitions are not accepted".to_owned(),
        )),
        _ => Err(DiError::ContextNotAllowed(
            "@context entries must be URLs".to_owned(),
        )),
    };
    match value {
        Value::Array(items) => items.iter().try_for_each(one),
        v => one(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    /// Every claim name in the two credential schemas (at any depth,
    /// `$defs` included) is a term of Stele's context, as are the type names.
    /// (That no term is dropped by JSON-LD expansion needs a JSON-LD
    /// processor; it comes with eddsa-rdfc-2022.)
    #[test]
    fn stele_context_defines_every_claim() {
        fn claim_names(schema: &Value, out: &mut Vec<String>) {
            match schema {
                Value::Object(o) => {
                    if let Some(Value::Object(props)) = o.get("properties") {
                        out.extend(props.keys().cloned());
                    }
                    o.values().for_each(|v| claim_names(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| claim_names(v, out)),
                _ => {}
            }
        }
        let context: Value = serde_json::from_str(STELE_V1_CONTEXT_DOCUMENT).unwrap();
        let terms = context["@context"].as_object().unwrap();
        assert_eq!(terms["@protected"], json!(true));
        for (name, schema) in [
            (
                "NationalIdCredential",
                include_str!("../../../schemas/NationalIdCredential.schema.json"),
            ),
            (
                "ResidencePermitCredential",
                include_str!("../../../schemas/ResidencePermitCredential.schema.json"),
            ),
        ] {
            assert!(terms.contains_key(name), "type {name}");
            let mut names = Vec::new();
            claim_names(&serde_json::from_str(schema).unwrap(), &mut names);
            assert!(names.len() > 10, "{name}: {names:?}");
            for claim in names.iter().filter(|n| *n != "id") {
                let term = terms
                    .get(claim)
                    .unwrap_or_else(|| panic!("{name}: claim {claim} has no term"));
                let iri = term["@id"].as_str().unwrap();
                assert_eq!(iri, format!("stele:{claim}"), "{claim}");
            }
        }
        // `id` and `type` stay the VC context's (protected) keywords.
        assert!(!terms.contains_key("id") && !terms.contains_key("type"));
    }

    #[test]
    fn bundled_contexts_pass() {
        let doc = obj(json!({
            "@context": [VCDM2_CONTEXT, EXAMPLES_V2_CONTEXT, STELE_V1_CONTEXT],
            "proof": {"@context": VCDM2_CONTEXT},
            "credentialSubject": {"x": [{"@context": DATA_INTEGRITY_V2_CONTEXT}]}
        }));
        assert_eq!(check_contexts(&doc), Ok(()));
        assert_eq!(
            check_contexts(&obj(json!({"@context": VCDM1_CONTEXT}))),
            Ok(())
        );
    }

    #[test]
    fn remote_inline_and_nested_contexts_are_refused() {
        for doc in [
            json!({"@context": [VCDM2_CONTEXT, "https://evil.example/ctx"]}),
            json!({"@context": [VCDM2_CONTEXT, {"name": "https://schema.org/name"}]}),
            json!({"@context": {"@vocab": "https://evil.example/#"}}),
            json!({"@context": [VCDM2_CONTEXT, 5]}),
            json!({"@context": [VCDM2_CONTEXT], "credentialSubject": {"@context": "https://evil.example/"}}),
            json!({"@context": [VCDM2_CONTEXT], "proof": [{"@context": ["https://w3id.org/security/v1"]}]}),
            // Case and trailing slashes matter: a URL is allowed only as written.
            json!({"@context": ["https://www.w3.org/ns/credentials/v2/"]}),
        ] {
            assert!(
                matches!(
                    check_contexts(&obj(doc.clone())),
                    Err(DiError::ContextNotAllowed(_))
                ),
                "{doc}"
            );
        }
    }
}
