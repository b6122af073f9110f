//! JSON-LD expansion and RDF Dataset Canonicalization (RDFC-1.0, formerly
//! URDNA2015) to canonical N-Quads, through `ssi` (feature `rdfc`, ADR 0006).
//!
//! Only the bundled contexts (`core/contexts/`, Stele's
//! `schemas/context/stele-v1.jsonld`) are ever loaded, from memory; the
//! allow-list ([`super::context::check_contexts`]) refuses any other context
//! before this module is reached, and the loader has nothing else to give.
//! Expansion refuses undefined terms and invalid values, so no claim can be
//! silently dropped from what is signed.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::task::{Context as TaskContext, Poll, Waker};

use serde_json::{Map, Value};
use ssi_json_ld::rdf_types::{Id, LexicalQuad, Literal, LiteralType, Term};
use ssi_json_ld::syntax::TryFromJson;
use ssi_json_ld::{
    BlankIdBuf, CompactJsonLd, Context, ContextLoader, Expand, Expandable, IriBuf, Process,
};
use ssi_rdf::{AnyLdEnvironment, LdEnvironment};

use super::DiError;
use super::context::{DATA_INTEGRITY_V2_CONTEXT, EXAMPLES_V2_CONTEXT, STELE_V1_CONTEXT};
use super::to_rdf::{self, Scope};
use crate::credential::model::{VCDM1_CONTEXT, VCDM2_CONTEXT};

/// The bundled context documents, by URL (see `core/contexts/README.md`).
pub const BUNDLED_CONTEXTS: [(&str, &str); 5] = [
    (
        VCDM2_CONTEXT,
        include_str!("../../contexts/credentials-v2.jsonld"),
    ),
    (
        VCDM1_CONTEXT,
        include_str!("../../contexts/credentials-v1.jsonld"),
    ),
    (
        DATA_INTEGRITY_V2_CONTEXT,
        include_str!("../../contexts/data-integrity-v2.jsonld"),
    ),
    (
        EXAMPLES_V2_CONTEXT,
        include_str!("../../contexts/credentials-examples-v2.jsonld"),
    ),
    (STELE_V1_CONTEXT, super::context::STELE_V1_CONTEXT_DOCUMENT),
];

/// The loader over the bundled contexts, built once.
fn loader() -> Result<&'static ContextLoader, DiError> {
    static LOADER: OnceLock<Option<ContextLoader>> = OnceLock::new();
    LOADER
        .get_or_init(|| {
            let map: HashMap<String, String> = BUNDLED_CONTEXTS
                .iter()
                .map(|(url, doc)| ((*url).to_owned(), (*doc).to_owned()))
                .collect();
            ContextLoader::empty().with_context_map_from(map).ok()
        })
        .as_ref()
        .ok_or_else(|| DiError::Canonicalization("a bundled context does not parse".into()))
}

/// Runs a future that never waits: expansion with an in-memory loader
/// completes on its first poll. Core has no async runtime (ADR 0011); a
/// future that would wait is refused rather than spun on.
pub(super) fn run_ready<F: Future>(future: F) -> Result<F::Output, DiError> {
    let mut future = pin!(future);
    let mut cx = TaskContext::from_waker(Waker::noop());
    for _ in 0..4 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Ok(out);
        }
    }
    Err(DiError::Canonicalization(
        "JSON-LD processing waited on I/O".into(),
    ))
}

/// The canonical N-Quads (RDFC-1.0) of a JSON-LD document: expanded with the
/// bundled contexts only, turned into an RDF dataset, canonicalised, one
/// statement per line, each ending in a newline.
///
/// The document's top-level `@context` is processed once per distinct value
/// and kept (at most eight, shared between threads); expansion then starts from that active
/// context, which is what the JSON-LD 1.1 Expansion Algorithm (§13.9 step
/// 9) computes for the top-level node object before reading its other
/// entries — the output is the same, byte for byte (tested against ssi's
/// own expansion). Documents of the common shape skip the expanded
/// document altogether and go straight to RDF (`to_rdf.rs`, scoped
/// contexts processed once); the others are expanded by `json-ld`.
///
/// The caller must have checked the document's contexts against the
/// allow-list; a context the loader does not hold fails here too.
pub fn canonical_nquads(document: &Map<String, Value>) -> Result<String, DiError> {
    let loader = loader()?;
    let Some(context) = document.get("@context") else {
        return canonical_nquads_uncached(document);
    };
    let scope = active_contexts().get_or_process(context, loader)?;
    if let Ok(quads) = to_rdf::quads(document, &scope, loader) {
        return Ok(nquads(
            &ssi_rdf::urdna2015::normalize(quads.iter().map(|quad| quad.as_lexical_quad_ref()))
                .collect::<Vec<_>>(),
        ));
    }
    if !to_rdf::is_node_object(document, &scope) {
        return canonical_nquads_uncached(document);
    }
    canonical_nquads_expanded(document, &scope.context, loader)
}

/// The canonical N-Quads through the direct path ([`to_rdf`]) only: `None`
/// when the document needs `json-ld`'s expansion (tests check which path
/// a document takes).
#[cfg(test)]
pub(super) fn canonical_nquads_direct(document: &Map<String, Value>) -> Option<String> {
    let loader = loader().ok()?;
    let scope = active_contexts()
        .get_or_process(document.get("@context")?, loader)
        .ok()?;
    let quads = to_rdf::quads(document, &scope, loader).ok()?;
    Some(nquads(
        &ssi_rdf::urdna2015::normalize(quads.iter().map(|quad| quad.as_lexical_quad_ref()))
            .collect::<Vec<_>>(),
    ))
}

/// The canonical N-Quads through `json-ld`'s expansion, starting from the
/// processed top-level context.
pub(super) fn canonical_nquads_expanded(
    document: &Map<String, Value>,
    active: &ActiveContext,
    loader: &ContextLoader,
) -> Result<String, DiError> {
    let mut value = ssi_json_ld::syntax::to_value(document)
        .map_err(|e| DiError::Canonicalization(format!("not JSON-LD: {e}")))?;
    if let Some(object) = value.as_object_mut() {
        object.remove("@context");
    }
    let expanded = run_ready(value.expand_full(
        &mut (),
        ActiveContext::clone(active),
        None,
        loader,
        expansion_options(),
        (),
    ))?
    .map_err(|e| DiError::Canonicalization(short(&format!("expansion error: {e}"))))?;
    let mut env = LdEnvironment::default();
    let quads = env
        .canonical_quads_of(&expanded)
        .map_err(|e| DiError::Canonicalization(short(&e.to_string())))?;
    Ok(nquads(&quads))
}

/// The N-Quads text of canonical quads: one statement per line, sorted,
/// duplicates removed — the text ssi's `canonical_form_of` gives (its
/// `rdf_types` display rules, escapes included), written into one string
/// without a formatter per character.
fn nquads(quads: &[LexicalQuad]) -> String {
    let mut lines: Vec<String> = quads
        .iter()
        .map(|quad| {
            let mut line = String::with_capacity(128);
            write_id(&mut line, &quad.0);
            line.push(' ');
            write_iri(&mut line, quad.1.as_str());
            line.push(' ');
            match &quad.2 {
                Term::Id(id) => write_id(&mut line, id),
                Term::Literal(literal) => write_literal(&mut line, literal),
            }
            if let Some(graph) = &quad.3 {
                line.push(' ');
                write_id(&mut line, graph);
            }
            line.push_str(" .\n");
            line
        })
        .collect();
    lines.sort_unstable();
    lines.dedup();
    lines.concat()
}

/// A subject, object or graph name: a blank node label, or an IRI written
/// as is between angle brackets (`rdf_types`' display of `Id`).
fn write_id(out: &mut String, id: &Id) {
    match id {
        Id::Blank(blank) => out.push_str(blank.as_str()),
        Id::Iri(iri) => {
            out.push('<');
            out.push_str(iri.as_str());
            out.push('>');
        }
    }
}

/// A predicate or datatype IRI, with `rdf_types`' escapes of the characters
/// N-Quads does not allow in an IRI.
fn write_iri(out: &mut String, iri: &str) {
    out.push('<');
    for c in iri.chars() {
        match c {
            '\x00'..='\x20' | '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\' => {
                out.push_str(&format!("\\u{:#04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('>');
}

/// A literal: the quoted, escaped lexical form, then the datatype (omitted
/// for `xsd:string`) or the language tag.
fn write_literal(out: &mut String, literal: &Literal) {
    out.push('"');
    for c in literal.value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    match &literal.type_ {
        LiteralType::Any(datatype) if datatype.as_str() == XSD_STRING => {}
        LiteralType::Any(datatype) => {
            out.push_str("^^");
            write_iri(out, datatype.as_str());
        }
        LiteralType::LangString(tag) => {
            out.push('@');
            out.push_str(tag.as_str());
        }
    }
}

const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";

/// The expansion options ssi uses for Data Integrity (`CompactJsonLd`):
/// invalid values and undefined terms are refused, not dropped.
fn expansion_options() -> ssi_json_ld::expansion::Options {
    ssi_json_ld::expansion::Options {
        policy: ssi_json_ld::expansion::Policy {
            invalid: ssi_json_ld::expansion::Action::Reject,
            allow_undefined: false,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The canonical N-Quads through ssi's own expansion, with nothing cached
/// (documents without a top-level `@context`, and the tests' reference).
pub(super) fn canonical_nquads_uncached(document: &Map<String, Value>) -> Result<String, DiError> {
    let loader = loader()?;
    let value = ssi_json_ld::syntax::to_value(document)
        .map_err(|e| DiError::Canonicalization(format!("not JSON-LD: {e}")))?;
    let compact = CompactJsonLd(value);
    let expanded = run_ready(compact.expand(loader))?
        .map_err(|e| DiError::Canonicalization(short(&e.to_string())))?;
    let mut env = LdEnvironment::default();
    let lines = env
        .canonical_form_of(&expanded)
        .map_err(|e| DiError::Canonicalization(short(&e.to_string())))?;
    Ok(lines.concat())
}

/// A processed (active) JSON-LD context, as expansion uses it.
pub(super) type ActiveContext = Context<IriBuf, BlankIdBuf>;

/// The active contexts built from top-level `@context` values, keyed by the
/// exact value (a URL or an array of URLs from the allow-list, in order).
/// Processing a context depends only on the context documents, which are
/// bundled and fixed, so a processed context never goes stale. At most
/// [`ActiveContexts::CAPACITY`] entries; the oldest makes room.
struct ActiveContexts {
    entries: RwLock<Vec<(Value, Arc<Scope>)>>,
}

impl ActiveContexts {
    /// Credentials name one to three contexts; a handful of distinct arrays
    /// covers every document Stele issues or accepts.
    const CAPACITY: usize = 8;

    fn get_or_process(
        &self,
        context: &Value,
        loader: &ContextLoader,
    ) -> Result<Arc<Scope>, DiError> {
        if let Some(found) = self.find(context) {
            return Ok(found);
        }
        let processed = Arc::new(Scope::new(process_context(context, loader)?));
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, found)) = entries.iter().find(|(key, _)| key == context) {
            return Ok(Arc::clone(found));
        }
        if entries.len() >= Self::CAPACITY {
            entries.remove(0);
        }
        entries.push((context.clone(), Arc::clone(&processed)));
        Ok(processed)
    }

    fn find(&self, context: &Value) -> Option<Arc<Scope>> {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(key, _)| key == context)
            .map(|(_, found)| Arc::clone(found))
    }
}

fn active_contexts() -> &'static ActiveContexts {
    static CONTEXTS: OnceLock<ActiveContexts> = OnceLock::new();
    CONTEXTS.get_or_init(|| ActiveContexts {
        entries: RwLock::new(Vec::with_capacity(ActiveContexts::CAPACITY)),
    })
}

/// The Context Processing Algorithm on the initial (empty) active context,
/// with no base URL and the default options: what expansion does with a
/// top-level `@context` entry.
fn process_context(context: &Value, loader: &ContextLoader) -> Result<ActiveContext, DiError> {
    let json = ssi_json_ld::syntax::to_value(context)
        .map_err(|e| DiError::Canonicalization(format!("not JSON-LD: {e}")))?;
    let local = ssi_json_ld::syntax::context::Context::try_from_json(json)
        .map_err(|e| DiError::Canonicalization(short(&format!("invalid context: {e}"))))?;
    let processed = run_ready(local.process_with(
        &mut (),
        &ActiveContext::default(),
        loader,
        None,
        ssi_json_ld::context_processing::Options::default(),
    ))?
    .map_err(|e| DiError::Canonicalization(short(&format!("context processing: {e}"))))?;
    Ok(processed.into_processed())
}

/// An error message of bounded length (it may quote the input).
fn short(message: &str) -> String {
    message.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// Stele's N-Quads writer and ssi's (`rdf_types` display) give the same
    /// text, escapes, datatypes, language tags and graph names included.
    #[test]
    fn nquads_text_equals_ssi() {
        use ssi::json_ld::rdf_types::{BlankIdBuf, Quad};
        use ssi::json_ld::{IriBuf, syntax::LangTagBuf};
        use ssi::rdf::IntoNQuads;
        let iri = |s: &str| IriBuf::new(s.to_owned()).unwrap();
        let literal =
            |value: &str, type_: LiteralType| Term::Literal(Literal::new(value.to_owned(), type_));
        let subject = Id::Blank(BlankIdBuf::new("_:c14n0".to_owned()).unwrap());
        let objects = [
            literal(
                "plain \"quoted\" back\\slash\nline\rcr\ttab é ü 🙂 \u{7f}",
                LiteralType::Any(iri(XSD_STRING)),
            ),
            literal(
                "2026-01-01T00:00:00Z",
                LiteralType::Any(iri("http://www.w3.org/2001/XMLSchema#dateTime")),
            ),
            literal(
                "x",
                LiteralType::Any(iri("https://example.org/a%20b?q=1#f")),
            ),
            literal(
                "Berlin",
                LiteralType::LangString(LangTagBuf::new("de-DE".to_owned()).unwrap()),
            ),
            Term::Id(Id::Iri(iri("did:key:z6Mk#z6Mk"))),
            Term::Id(Id::Blank(BlankIdBuf::new("_:c14n1".to_owned()).unwrap())),
        ];
        let mut quads = Vec::new();
        for (i, object) in objects.into_iter().enumerate() {
            let graph =
                (i % 2 == 0).then(|| Id::Blank(BlankIdBuf::new("_:c14n2".to_owned()).unwrap()));
            let quad: LexicalQuad = Quad(
                subject.clone(),
                iri("https://w3id.org/security#p"),
                object,
                graph,
            );
            quads.push(quad.clone());
            quads.push(quad);
        }
        assert_eq!(nquads(&quads), quads.clone().into_nquads_lines().concat());
    }

    #[test]
    fn bundled_context_hashes() {
        let expected = [
            "8a9f494a89ecc51db093e90e84713e07e84d6d9204364a9b3c7868b21751236f",
            "00d7dd6d3ad8b920e3e550dd3a3d9090bffcac84cdbf943da6924b3e0a5c8bb8",
            "0f77743daf5b4e8fc067fc5ba5b21044283053aa717fc6b0219843bed3b00363",
            "e6600df812cdc1872f20b42ab0c1cecac39755b7ed381e7f6a88dac7baab54d6",
        ];
        for ((url, doc), want) in BUNDLED_CONTEXTS.iter().zip(expected) {
            let got: String = Sha256::digest(doc.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(got, want, "{url}");
        }
        assert!(loader().is_ok());
        // Every allowed context is bundled, and only those.
        let mut bundled: Vec<&str> = BUNDLED_CONTEXTS.iter().map(|(u, _)| *u).collect();
        let mut allowed = super::super::context::ALLOWED_CONTEXTS.to_vec();
        bundled.sort_unstable();
        allowed.sort_unstable();
        assert_eq!(bundled, allowed);
    }
}
