//! A direct JSON-LD → RDF path for the common shape of credentials: node
//! objects, `@id`, `@type`, strings, booleans, `@set` and `@graph`
//! containers, type- and property-scoped contexts, embedded `@context`
//! entries (a credential inside a presentation) (feature `rdfc`).
//!
//! It follows the JSON-LD 1.1 Expansion and Deserialize JSON-LD to RDF
//! algorithms as `json-ld` 0.21 implements them (the crate `ssi` expands
//! with), and asks that crate for every IRI expansion
//! (`expand_iri_simple`) and every context processing, so terms mean the
//! same thing on both paths. What it adds is memory: a scoped context is
//! processed once per (active context, term) and kept in a [`Scope`] tree,
//! instead of once per node object, and no expanded document is built.
//!
//! Anything outside that shape — a value object, a number, `@list`,
//! `@graph`, `@reverse`, `@nest`, `@included`, an index or language map, a
//! language-tagged default, an IRI that is not
//! absolute, a term that expands to nothing, a repeated statement — makes
//! it answer [`Unsupported`], and the caller takes `json-ld`'s own path,
//! which gives the answer (or the error) for those. The output is tested
//! byte for byte against that path (`tests_rdfc.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use serde_json::{Map, Value};
use ssi_json_ld::ContainerKind;
use ssi_json_ld::context::TermDefinitionRef;
use ssi_json_ld::context_processing::algorithm::{Action, MalformedIri, expand_iri_simple};
use ssi_json_ld::rdf_types::{
    Id as RdfId, LexicalQuad, Literal, LiteralType, Quad, Term as RdfTerm,
};
use ssi_json_ld::syntax::{Keyword, Nullable, TryFromJson};
use ssi_json_ld::{
    BlankIdBuf, ContextLoader, Environment, Id, IriBuf, Process, Term, Type, ValidId,
};

use super::jsonld::{ActiveContext, run_ready};

/// This document needs `json-ld`'s full expansion.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Unsupported;

/// A processed active context, with the contexts derived from it by scoped
/// contexts, processed on first use and kept.
pub(super) struct Scope {
    pub(super) context: ActiveContext,
    /// The context a new node object reverts to (set when this context
    /// came from a type-scoped context, which does not propagate).
    previous: Option<Arc<Scope>>,
    derived: RwLock<Vec<(Derivation, Arc<Scope>)>>,
}

#[derive(PartialEq, Eq)]
enum Derivation {
    /// The scoped contexts of these type terms (sorted, as expansion applies
    /// them), taken from this context and applied on it.
    Types(Vec<String>),
    /// The scoped context of this property's term definition, applied on
    /// this context (`reverted` false) or on the one a node object reverts
    /// to (`reverted` true); expansion overrides protected terms for a
    /// node object's context, not for a scalar's.
    Property {
        term: String,
        reverted: bool,
        override_protected: bool,
    },
    /// A node object's own `@context` entry (an allow-listed value),
    /// applied on this context.
    Local(Value),
}

/// At most this many derived contexts are kept in all (type and property
/// combinations are few in practice); beyond, they are processed each time.
const MAX_DERIVED: usize = 256;
static DERIVED: AtomicUsize = AtomicUsize::new(0);

impl Scope {
    pub(super) fn new(context: ActiveContext) -> Self {
        Scope {
            context,
            previous: None,
            derived: RwLock::new(Vec::new()),
        }
    }

    /// The context a node object starts from under this one.
    fn reverted(self: &Arc<Self>) -> &Arc<Self> {
        self.previous.as_ref().unwrap_or(self)
    }

    fn derive(
        self: &Arc<Self>,
        key: Derivation,
        loader: &ContextLoader,
    ) -> Result<Arc<Scope>, Unsupported> {
        if let Some((_, found)) = self
            .derived
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(k, _)| *k == key)
        {
            return Ok(Arc::clone(found));
        }
        let options = ssi_json_ld::context_processing::Options::default();
        let (mut base, propagate_options) = match &key {
            Derivation::Types(_) => (Arc::clone(self), options.without_propagation()),
            Derivation::Local(context) => {
                let json = ssi_json_ld::syntax::to_value(context).map_err(|_| Unsupported)?;
                let local = ssi_json_ld::syntax::context::Context::try_from_json(json)
                    .map_err(|_| Unsupported)?;
                let processed =
                    run_ready(local.process_with(&mut (), &self.context, loader, None, options))
                        .map_err(|_| Unsupported)?
                        .map_err(|_| Unsupported)?
                        .into_processed();
                let previous = processed
                    .previous_context()
                    .map(|_| Arc::clone(self.reverted()));
                return Ok(self.keep(
                    key,
                    Arc::new(Scope {
                        context: processed,
                        previous,
                        derived: RwLock::new(Vec::new()),
                    }),
                ));
            }
            Derivation::Property {
                reverted,
                override_protected,
                ..
            } => (
                Arc::clone(if *reverted { self.reverted() } else { self }),
                if *override_protected {
                    options.with_override()
                } else {
                    options
                },
            ),
        };
        let terms: Vec<&str> = match &key {
            Derivation::Types(terms) => terms.iter().map(String::as_str).collect(),
            Derivation::Property { term, .. } => vec![term.as_str()],
            Derivation::Local(_) => Vec::new(),
        };
        for term in terms {
            let definition = self.context.get(term).ok_or(Unsupported)?;
            let local = definition.context().ok_or(Unsupported)?;
            let processed = run_ready(local.process_with(
                &mut (),
                &base.context,
                loader,
                definition.base_url().cloned(),
                propagate_options,
            ))
            .map_err(|_| Unsupported)?
            .map_err(|_| Unsupported)?
            .into_processed();
            // Mirrors the Context Processing Algorithm: a non-propagated
            // context remembers the first context it was applied on.
            let previous = if processed.previous_context().is_some() {
                Some(Arc::clone(base.reverted()))
            } else {
                None
            };
            base = Arc::new(Scope {
                context: processed,
                previous,
                derived: RwLock::new(Vec::new()),
            });
        }
        Ok(self.keep(key, base))
    }

    /// Keeps a derived context (unless the cap is reached), or returns the
    /// one another thread kept first.
    fn keep(&self, key: Derivation, scope: Arc<Scope>) -> Arc<Scope> {
        let mut derived = self.derived.write().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, found)) = derived.iter().find(|(k, _)| *k == key) {
            return Arc::clone(found);
        }
        if DERIVED.fetch_add(1, Ordering::Relaxed) < MAX_DERIVED {
            derived.push((key, Arc::clone(&scope)));
        }
        scope
    }
}

fn rdf_type() -> &'static IriBuf {
    static IRI: OnceLock<IriBuf> = OnceLock::new();
    IRI.get_or_init(|| {
        IriBuf::new("http://www.w3.org/1999/02/22-rdf-syntax-ns#type".to_owned())
            .unwrap_or_else(|_| unreachable!("a valid IRI"))
    })
}

fn xsd(name: &'static str) -> IriBuf {
    IriBuf::new(format!("http://www.w3.org/2001/XMLSchema#{name}"))
        .unwrap_or_else(|_| unreachable!("a valid IRI"))
}

fn xsd_string() -> &'static IriBuf {
    static IRI: OnceLock<IriBuf> = OnceLock::new();
    IRI.get_or_init(|| xsd("string"))
}

fn xsd_boolean() -> &'static IriBuf {
    static IRI: OnceLock<IriBuf> = OnceLock::new();
    IRI.get_or_init(|| xsd("boolean"))
}

/// The statements of a JSON-LD document whose top-level `@context` has
/// been processed into `scope` (the document's own `@context` entry is
/// skipped), with blank nodes labelled `_:b0`, `_:b1`, … in no meaningful
/// order (canonicalisation relabels them).
pub(super) fn quads(
    document: &Map<String, Value>,
    scope: &Arc<Scope>,
    loader: &ContextLoader,
) -> Result<Vec<LexicalQuad>, Unsupported> {
    let mut writer = Writer {
        loader,
        quads: Vec::with_capacity(32),
        blank: 0,
        labels: HashMap::new(),
    };
    writer.node(document, scope, None, true)?;
    // A dataset is a set; json-ld keeps repeated values, which the
    // canonicalisation would then count twice. Leave those to json-ld.
    // (Compared as text: `IriBuf`'s own order normalises, and costs.)
    let mut sorted: Vec<_> = writer.quads.iter().map(quad_key).collect();
    sorted.sort_unstable();
    if sorted.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(Unsupported);
    }
    Ok(writer.quads)
}

/// A quad as text, for equality.
type QuadKey<'q> = (&'q str, &'q str, bool, &'q str, &'q str, Option<&'q str>);

fn quad_key(quad: &LexicalQuad) -> QuadKey<'_> {
    fn id(id: &Subject) -> &str {
        match id {
            RdfId::Iri(iri) => iri.as_str(),
            RdfId::Blank(blank) => blank.as_str(),
        }
    }
    let (literal, value, datatype) = match &quad.2 {
        RdfTerm::Id(object) => (false, id(object), ""),
        RdfTerm::Literal(literal) => (
            true,
            literal.value.as_str(),
            match &literal.type_ {
                LiteralType::Any(datatype) => datatype.as_str(),
                // Not produced here; kept distinct from any IRI.
                LiteralType::LangString(tag) => tag.as_str(),
            },
        ),
    };
    (
        id(&quad.0),
        quad.1.as_str(),
        literal,
        value,
        datatype,
        quad.3.as_ref().map(id),
    )
}

struct Writer<'l> {
    loader: &'l ContextLoader,
    quads: Vec<LexicalQuad>,
    blank: usize,
    /// Blank node labels of the document, to fresh labels.
    labels: HashMap<String, usize>,
}

type Subject = RdfId<IriBuf, BlankIdBuf>;

impl Writer<'_> {
    fn label(&mut self, n: usize) -> Result<Subject, Unsupported> {
        BlankIdBuf::new(format!("_:b{n}"))
            .map(RdfId::Blank)
            .map_err(|_| Unsupported)
    }

    fn fresh(&mut self) -> Result<Subject, Unsupported> {
        let n = self.blank;
        self.blank += 1;
        self.label(n)
    }

    /// A node identifier from IRI expansion: an absolute IRI or a blank
    /// node (relabelled); anything else (a keyword, null, an invalid IRI)
    /// is unsupported.
    fn node_id(&mut self, term: Option<Term<IriBuf, BlankIdBuf>>) -> Result<Subject, Unsupported> {
        match term {
            Some(Term::Id(Id::Valid(ValidId::Iri(iri)))) => Ok(RdfId::Iri(iri)),
            Some(Term::Id(Id::Valid(ValidId::Blank(blank)))) => {
                if let Some(&n) = self.labels.get(blank.as_str()) {
                    return self.label(n);
                }
                let n = self.blank;
                self.blank += 1;
                self.labels.insert(blank.as_str().to_owned(), n);
                self.label(n)
            }
            _ => Err(Unsupported),
        }
    }

    /// A node object under the active context `active` (the parent's, before
    /// reverting), as the value of `property` (whose definition lives in
    /// `active`); `graph` is the graph its statements go in. Returns its
    /// identifier.
    fn node(
        &mut self,
        object: &Map<String, Value>,
        active: &Arc<Scope>,
        property: Option<&str>,
        top: bool,
    ) -> Result<Subject, Unsupported> {
        self.node_in(object, active, property, top, None)
    }

    fn node_in(
        &mut self,
        object: &Map<String, Value>,
        active: &Arc<Scope>,
        property: Option<&str>,
        top: bool,
        graph: Option<&Subject>,
    ) -> Result<Subject, Unsupported> {
        // Preliminary key expansion, in the parent's context: a value
        // object is unsupported; a lone `@id` keeps the context.
        let mut lone_id = false;
        for key in object.keys() {
            match expand(&active.context, key, false, true)? {
                Some(Term::Keyword(Keyword::Value)) => return Err(Unsupported),
                Some(Term::Keyword(Keyword::Id)) if object.len() == 1 => lone_id = true,
                _ => {}
            }
        }
        let reverted = !lone_id;
        let mut scope = if reverted {
            Arc::clone(active.reverted())
        } else {
            Arc::clone(active)
        };
        if let Some(property) = property {
            let scoped = active
                .context
                .get(property)
                .is_some_and(|definition| definition.context().is_some());
            if scoped {
                scope = active.derive(
                    Derivation::Property {
                        term: property.to_owned(),
                        reverted,
                        override_protected: true,
                    },
                    self.loader,
                )?;
            }
        }

        // A node object's own `@context` (the document's was processed
        // into the root scope).
        if !top {
            if let Some(local) = object.get("@context") {
                scope = scope.derive(Derivation::Local(local.clone()), self.loader)?;
            }
        }

        // Keys, in the context so far; `@type` values pick the type-scoped
        // contexts.
        let mut id_value = None;
        let mut types: Option<&Value> = None;
        for (key, value) in object {
            match expand(&scope.context, key, false, true)? {
                Some(Term::Keyword(Keyword::Context)) => {}
                Some(Term::Keyword(Keyword::Id)) => {
                    if id_value.is_some() {
                        return Err(Unsupported); // colliding keywords
                    }
                    id_value = Some(value);
                }
                Some(Term::Keyword(Keyword::Type)) => {
                    if types.is_some() {
                        return Err(Unsupported); // colliding keywords
                    }
                    types = Some(value);
                }
                Some(Term::Keyword(_)) => return Err(Unsupported),
                _ => {}
            }
        }
        let type_terms: Vec<&str> = match types {
            None => Vec::new(),
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().ok_or(Unsupported))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(Unsupported),
        };
        let type_scope = Arc::clone(&scope);
        let mut scoped_types: Vec<&str> = type_terms
            .iter()
            .copied()
            .filter(|t| {
                type_scope
                    .context
                    .get(*t)
                    .is_some_and(|definition| definition.context().is_some())
            })
            .collect();
        if !scoped_types.is_empty() {
            scoped_types.sort_unstable();
            let key = Derivation::Types(scoped_types.iter().map(|t| (*t).to_owned()).collect());
            scope = type_scope.derive(key, self.loader)?;
        }

        let subject = match id_value {
            Some(Value::String(id)) => {
                let term = expand(&scope.context, id, true, false)?;
                self.node_id(term)?
            }
            Some(_) => return Err(Unsupported),
            None => self.fresh()?,
        };
        for t in type_terms {
            let Some(Term::Id(Id::Valid(ValidId::Iri(iri)))) =
                expand(&type_scope.context, t, true, true)?
            else {
                return Err(Unsupported);
            };
            self.push(
                subject.clone(),
                rdf_type().clone(),
                RdfTerm::Id(RdfId::Iri(iri)),
                graph,
            );
        }

        for (key, value) in object {
            let predicate = match expand(&scope.context, key, false, true)? {
                Some(Term::Keyword(_)) => continue, // @context, @id, @type: done
                Some(Term::Id(Id::Valid(ValidId::Iri(iri)))) if iri.as_str().contains(':') => iri,
                _ => return Err(Unsupported),
            };
            let definition = scope.context.get(key.as_str());
            self.property(&subject, &predicate, key, definition, value, &scope, graph)?;
        }
        Ok(subject)
    }

    #[allow(clippy::too_many_arguments)]
    fn property(
        &mut self,
        subject: &Subject,
        predicate: &IriBuf,
        key: &str,
        definition: Option<TermDefinitionRef<'_, IriBuf, BlankIdBuf>>,
        value: &Value,
        scope: &Arc<Scope>,
        graph: Option<&Subject>,
    ) -> Result<(), Unsupported> {
        let mut in_graph = false;
        let mut scoped = false;
        if let Some(definition) = &definition {
            if definition.reverse_property() || definition.nest().is_some() {
                return Err(Unsupported);
            }
            for kind in definition.container().iter() {
                match kind {
                    ContainerKind::Set => {}
                    ContainerKind::Graph => in_graph = true,
                    _ => return Err(Unsupported),
                }
            }
            scoped = definition.context().is_some();
        }
        let items = match value {
            Value::Array(items) => items.as_slice(),
            single => std::slice::from_ref(single),
        };
        for item in items {
            let object = match item {
                Value::Null => continue,
                Value::Object(node) => {
                    let child_graph = if in_graph { Some(self.fresh()?) } else { None };
                    let child = self.node_in(
                        node,
                        scope,
                        Some(key),
                        false,
                        child_graph.as_ref().or(graph),
                    )?;
                    match child_graph {
                        Some(g) => RdfTerm::Id(g),
                        None => RdfTerm::Id(child),
                    }
                }
                _ if in_graph => return Err(Unsupported),
                Value::Number(_) | Value::Array(_) => return Err(Unsupported),
                scalar => {
                    // A scalar is expanded in the property-scoped context
                    // (applied without reverting and without overriding
                    // protected terms), with the property's definition there.
                    let scalar_scope = if scoped {
                        scope.derive(
                            Derivation::Property {
                                term: key.to_owned(),
                                reverted: false,
                                override_protected: false,
                            },
                            self.loader,
                        )?
                    } else {
                        Arc::clone(scope)
                    };
                    self.scalar(scalar, key, &scalar_scope)?
                }
            };
            self.push(subject.clone(), predicate.clone(), object, graph);
        }
        Ok(())
    }

    /// Value Expansion of a string or a boolean, then its RDF term.
    fn scalar(
        &mut self,
        value: &Value,
        key: &str,
        scope: &Arc<Scope>,
    ) -> Result<RdfTerm<Subject, Literal>, Unsupported> {
        let definition = scope.context.get(key);
        let typ = definition.as_ref().and_then(|d| d.typ());
        Ok(match value {
            Value::String(text) => match typ {
                Some(Type::Id) => {
                    RdfTerm::Id(self.node_id(expand(&scope.context, text, true, false)?)?)
                }
                Some(Type::Vocab) => {
                    RdfTerm::Id(self.node_id(expand(&scope.context, text, true, true)?)?)
                }
                Some(Type::Iri(datatype)) => RdfTerm::Literal(Literal::new(
                    text.clone(),
                    LiteralType::Any(datatype.clone()),
                )),
                None => {
                    let tagged = definition
                        .as_ref()
                        .is_some_and(|d| d.language().is_some() || d.direction().is_some())
                        || scope.context.default_language().is_some()
                        || scope.context.default_base_direction().is_some();
                    if tagged {
                        return Err(Unsupported);
                    }
                    RdfTerm::Literal(Literal::new(
                        text.clone(),
                        LiteralType::Any(xsd_string().clone()),
                    ))
                }
                Some(_) => return Err(Unsupported),
            },
            Value::Bool(b) => match typ {
                None => boolean(*b),
                Some(Type::Iri(datatype)) if datatype == xsd_boolean() => boolean(*b),
                Some(_) => return Err(Unsupported),
            },
            _ => return Err(Unsupported),
        })
    }

    fn push(
        &mut self,
        subject: Subject,
        predicate: IriBuf,
        object: RdfTerm<Subject, Literal>,
        graph: Option<&Subject>,
    ) {
        self.quads
            .push(Quad(subject, predicate, object, graph.cloned()));
    }
}

fn boolean(b: bool) -> RdfTerm<Subject, Literal> {
    RdfTerm::Literal(Literal::new(
        if b { "true" } else { "false" }.to_owned(),
        LiteralType::Any(xsd_boolean().clone()),
    ))
}

/// Whether the document's top level is a node object (no entry that
/// expands to `@value`, `@list`, `@set` or `@graph`): expansion without its
/// `@context` entry then gives the same result as with it (a value or list
/// object with `@context` is an error; without it, it is not).
pub(super) fn is_node_object(document: &Map<String, Value>, scope: &Scope) -> bool {
    document.keys().all(|key| {
        !matches!(
            expand(&scope.context, key, false, true),
            Ok(Some(Term::Keyword(
                Keyword::Value | Keyword::List | Keyword::Set | Keyword::Graph
            )))
        )
    })
}

/// IRI expansion by `json-ld` itself (no base IRI: Stele's contexts set
/// none and documents have no URL).
fn expand(
    context: &ActiveContext,
    value: &str,
    document_relative: bool,
    vocab: bool,
) -> Result<Option<Term<IriBuf, BlankIdBuf>>, Unsupported> {
    let mut env = Environment {
        vocabulary: &mut (),
        loader: &(),
        warnings: &mut (),
    };
    expand_iri_simple::<MalformedIri, _, _, _>(
        &mut env,
        context,
        Nullable::Some(value.into()),
        document_relative,
        vocab.then_some(Action::Keep),
    )
    .map_err(|_| Unsupported)
}
