//! Credential subject schemas: a small, strict JSON Schema (draft 2020-12)
//! subset validator, and the registry of the credential types Stele knows.
//!
//! The phone build has no regex engine and no general JSON Schema crate, so
//! Stele checks claims with the subset below and nothing more. Loading a
//! schema **refuses** every keyword outside the subset (and every unknown
//! `format`), so a schema can never be silently half-checked.
//!
//! Supported:
//! - assertions: `type` (a name or a list of names), `properties`, `required`,
//!   `additionalProperties` (boolean or schema), `enum`, `const`, `minLength`,
//!   `maxLength` (in Unicode scalar values), `minimum`, `maximum`, `items`,
//!   `minItems`, `maxItems`, `format` (see [`Format`]), `$ref` to
//!   `#/$defs/<name>` only, and top-level `$defs`; boolean schemas;
//! - annotations, not checked: `$schema` (must name draft 2020-12), `$id`
//!   (root only), `$comment`, `title`, `description`, `examples`, `default`,
//!   and every keyword starting with `x-stele-`.
//!
//! Validation reports every violation (up to [`MAX_VIOLATIONS`]), each with a
//! JSON pointer into the instance and a message that never repeats a value
//! from the instance, so violations can be shown and logged without leaking
//! personal data.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use serde_json::{Map, Number, Value};

use crate::json::{JsonError, JsonLimits};

/// The only `$schema` dialect accepted.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// Deepest nesting of subschemas accepted when loading a schema.
pub const MAX_SCHEMA_DEPTH: usize = 64;

/// Deepest instance nesting that validation descends into.
pub const MAX_INSTANCE_DEPTH: usize = 64;

/// Longest chain of `$ref`s that do not descend into the instance
/// (`a` → `b` → `c` …). Longer chains, and cycles, are refused at load.
pub const MAX_REF_CHAIN: usize = 8;

/// Validation stops collecting after this many violations.
pub const MAX_VIOLATIONS: usize = 64;

/// Limits for parsing schema text (schemas are project files, but may also
/// come from configuration).
const SCHEMA_JSON_LIMITS: JsonLimits = JsonLimits {
    max_bytes: 1024 * 1024,
    max_depth: 2 * MAX_SCHEMA_DEPTH,
};

/// Why a schema could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The schema text is not strict JSON (syntax error, duplicate member, too large or too deep).
    #[error("schema is not valid JSON: {0}")]
    Json(#[from] JsonError),
    /// A keyword outside the supported subset (e.g. `pattern`, `if`, `allOf`); the
    /// value is the schema pointer of the keyword, which ends with its name.
    #[error("unsupported schema keyword at {0}")]
    UnsupportedKeyword(String),
    /// A `format` this validator does not implement; the schema would only be half-checked.
    #[error("unsupported format {0:?}")]
    UnsupportedFormat(String),
    /// `$schema` names a dialect other than draft 2020-12.
    #[error("unsupported schema dialect {0:?}; only draft 2020-12 is supported")]
    UnsupportedDialect(String),
    /// A supported keyword has a value of the wrong shape (e.g. a negative `minLength`).
    #[error("malformed schema: {0}")]
    Malformed(String),
    /// A `$ref` that is not `#/$defs/<name>`, or names a definition that does not exist.
    #[error("unresolvable $ref {0:?}; only local #/$defs/<name> references are supported")]
    UnresolvedRef(String),
    /// `$ref`s that lead back to themselves (or a chain longer than [`MAX_REF_CHAIN`])
    /// without descending into the instance; validating would never terminate.
    #[error("$ref cycle or overlong $ref chain through {0:?}")]
    RefCycle(String),
    /// Subschemas nest deeper than [`MAX_SCHEMA_DEPTH`].
    #[error("schema nests deeper than {MAX_SCHEMA_DEPTH} levels")]
    TooDeep,
    /// A credential type schema lacks an annotation Stele needs (`x-stele-vct`,
    /// or a `title` / `x-stele-disclosable` on a top-level claim).
    #[error("credential type schema lacks {0}")]
    MissingAnnotation(String),
}

/// One place where an instance does not satisfy its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer (RFC 6901) to the offending location in the instance; for a
    /// missing required member, the pointer to where that member should be.
    pub pointer: String,
    /// What is wrong, in English, without any value taken from the instance.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            f.write_str("(root)")?;
        } else {
            // Member names come from the instance: never let them inject control
            // characters into a log line.
            for c in self.pointer.chars() {
                if c.is_control() {
                    write!(f, "{}", c.escape_unicode())?;
                } else {
                    write!(f, "{c}")?;
                }
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// All violations found in an instance (not just the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolations(pub Vec<Violation>);

impl SchemaViolations {
    /// The violations, in instance order.
    pub fn iter(&self) -> impl Iterator<Item = &Violation> {
        self.0.iter()
    }

    /// Whether a violation is reported at `pointer`.
    pub fn has_pointer(&self, pointer: &str) -> bool {
        self.0.iter().any(|v| v.pointer == pointer)
    }
}

impl fmt::Display for SchemaViolations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SchemaViolations {}

/// The `format` values this validator checks. Every one is an assertion here
/// (unlike plain draft 2020-12, where `format` is only an annotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// `date`: an RFC 3339 full-date `YYYY-MM-DD` that exists in the calendar.
    Date,
    /// `date-time`: an RFC 3339 date-time with an offset.
    DateTime,
    /// `uri`: `scheme ":" rest`, printable ASCII without spaces, valid `%XX` escapes.
    Uri,
    /// `iso3166-alpha3`: three uppercase ASCII letters (the shape of an ISO
    /// 3166-1 alpha-3 or ICAO 9303 code; the code list itself is not checked).
    Iso3166Alpha3,
    /// `did`: `did:<method>:<method-specific-id>` per DID Core syntax.
    Did,
    /// `base64url`: non-empty, only the base64url alphabet, no padding.
    Base64Url,
}

impl Format {
    fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "date" => Format::Date,
            "date-time" => Format::DateTime,
            "uri" => Format::Uri,
            "iso3166-alpha3" => Format::Iso3166Alpha3,
            "did" => Format::Did,
            "base64url" => Format::Base64Url,
            _ => return None,
        })
    }

    fn check(self, s: &str) -> Result<(), &'static str> {
        let ok = match self {
            Format::Date => is_full_date(s),
            Format::DateTime => is_date_time(s),
            Format::Uri => is_uri(s),
            Format::Iso3166Alpha3 => s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()),
            Format::Did => is_did(s),
            Format::Base64Url => {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            }
        };
        if ok {
            return Ok(());
        }
        Err(match self {
            Format::Date => "not a date (YYYY-MM-DD)",
            Format::DateTime => "not an RFC 3339 date-time",
            Format::Uri => "not a URI",
            Format::Iso3166Alpha3 => "not a three-letter country code (ISO 3166-1 alpha-3)",
            Format::Did => "not a DID",
            Format::Base64Url => "not base64url without padding",
        })
    }
}

/// The JSON types of the `type` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum JsonType {
    Null,
    Boolean,
    Object,
    Array,
    Number,
    Integer,
    String,
}

impl JsonType {
    fn from_name(name: &str) -> Option<JsonType> {
        Some(match name {
            "null" => JsonType::Null,
            "boolean" => JsonType::Boolean,
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "string" => JsonType::String,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::String => "string",
        }
    }

    fn matches(self, v: &Value) -> bool {
        match (self, v) {
            (JsonType::Null, Value::Null)
            | (JsonType::Boolean, Value::Bool(_))
            | (JsonType::Object, Value::Object(_))
            | (JsonType::Array, Value::Array(_))
            | (JsonType::Number, Value::Number(_))
            | (JsonType::String, Value::String(_)) => true,
            (JsonType::Integer, Value::Number(n)) => is_integral(n),
            _ => false,
        }
    }

    /// The type of an instance value, for messages (types are not personal data).
    fn of(v: &Value) -> JsonType {
        match v {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Object(_) => JsonType::Object,
            Value::Array(_) => JsonType::Array,
            Value::Number(n) if is_integral(n) => JsonType::Integer,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
        }
    }
}

/// Annotations Stele reads from a (sub)schema.
#[derive(Debug, Clone, Default, PartialEq)]
struct Annotations {
    title: Option<String>,
    disclosable: Option<bool>,
    /// `x-stele-title`: locale → display name.
    titles: BTreeMap<String, String>,
}

/// One compiled (sub)schema.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// `true` accepts everything, `false` nothing.
    Bool(bool),
    Object(Box<Keywords>),
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Keywords {
    types: Option<Vec<JsonType>>,
    properties: BTreeMap<String, Node>,
    required: Vec<String>,
    additional: Option<Node>,
    enumeration: Option<Vec<Value>>,
    constant: Option<Value>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    minimum: Option<Number>,
    maximum: Option<Number>,
    items: Option<Node>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    format: Option<Format>,
    /// Index into [`Schema::defs`].
    reference: Option<usize>,
    annotations: Annotations,
}

/// A loaded JSON Schema (the supported subset). Loading refuses any keyword
/// outside the subset, so a schema can never silently be half-checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    root: Node,
    defs: Vec<Node>,
    def_names: Vec<String>,
    id: Option<String>,
    vct: Option<String>,
}

impl Schema {
    /// Loads a schema from JSON text (strictly parsed: duplicate members are refused).
    pub fn from_json(text: &str) -> Result<Schema, SchemaError> {
        let value = crate::json::parse(text.as_bytes(), SCHEMA_JSON_LIMITS)?;
        Schema::from_value(&value)
    }

    fn from_value(value: &Value) -> Result<Schema, SchemaError> {
        // Definitions first, so that `$ref`s resolve to indices while compiling.
        let mut def_names = Vec::new();
        let mut raw_defs = Vec::new();
        if let Value::Object(root) = value {
            match root.get("$defs") {
                None => {}
                Some(Value::Object(defs)) => {
                    for (name, def) in defs {
                        def_names.push(name.clone());
                        raw_defs.push(def);
                    }
                }
                Some(_) => return Err(SchemaError::Malformed("$defs must be an object".into())),
            }
        }
        let compiler = Compiler {
            def_names: &def_names,
        };
        let mut defs = Vec::with_capacity(raw_defs.len());
        for (name, def) in def_names.iter().zip(raw_defs) {
            let at = format!("/$defs/{}", escape_pointer(name));
            defs.push(compiler.compile(def, &at, 1)?);
        }
        let root = compiler.compile(value, "", 0)?;
        let (id, vct) = match value {
            Value::Object(m) => (
                m.get("$id").and_then(Value::as_str).map(str::to_owned),
                m.get("x-stele-vct")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            ),
            _ => (None, None),
        };
        let schema = Schema {
            root,
            defs,
            def_names,
            id,
            vct,
        };
        schema.check_ref_chains()?;
        Ok(schema)
    }

    /// Refuses `$ref` chains that do not descend into the instance and loop
    /// (or are longer than [`MAX_REF_CHAIN`]): in this subset the only keyword
    /// that applies another schema at the same instance location is `$ref`.
    fn check_ref_chains(&self) -> Result<(), SchemaError> {
        for start in std::iter::once(&self.root).chain(self.defs.iter()) {
            let mut node = start;
            let mut seen = BTreeSet::new();
            while let Node::Object(k) = node {
                let Some(r) = k.reference else { break };
                let name = self.def_names.get(r).cloned().unwrap_or_default();
                if !seen.insert(r) || seen.len() > MAX_REF_CHAIN {
                    return Err(SchemaError::RefCycle(name));
                }
                match self.defs.get(r) {
                    Some(next) => node = next,
                    None => return Err(SchemaError::UnresolvedRef(name)),
                }
            }
        }
        Ok(())
    }

    /// The schema's `$id`, if it has one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The root's `x-stele-vct` annotation, if any.
    pub fn vct(&self) -> Option<&str> {
        self.vct.as_deref()
    }

    /// The root's `title`, if any.
    pub fn title(&self) -> Option<&str> {
        match &self.root {
            Node::Object(k) => k.annotations.title.as_deref(),
            Node::Bool(_) => None,
        }
    }

    /// Checks `instance` against the schema, reporting every violation found.
    pub fn validate(&self, instance: &Value) -> Result<(), SchemaViolations> {
        let mut out = Collector::default();
        self.check(&self.root, instance, "", 0, &mut out);
        if out.violations.is_empty() {
            Ok(())
        } else {
            Err(SchemaViolations(out.violations))
        }
    }

    fn check(&self, node: &Node, v: &Value, at: &str, depth: usize, out: &mut Collector) {
        if out.full() {
            return;
        }
        let k = match node {
            Node::Bool(true) => return,
            Node::Bool(false) => return out.push(at, "not allowed here".into()),
            Node::Object(k) => k,
        };
        if let Some(r) = k.reference {
            // Ref chains are bounded at load (check_ref_chains), so this
            // recursion does not descend the instance and terminates.
            if let Some(def) = self.defs.get(r) {
                self.check(def, v, at, depth, out);
            }
        }
        if let Some(types) = &k.types {
            if !types.iter().any(|t| t.matches(v)) {
                let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
                return out.push(
                    at,
                    format!(
                        "expected {}, found {}",
                        names.join(" or "),
                        JsonType::of(v).name()
                    ),
                );
            }
        }
        if let Some(c) = &k.constant {
            if !json_eq(c, v) {
                out.push(at, "not the required constant value".into());
            }
        }
        if let Some(e) = &k.enumeration {
            if !e.iter().any(|x| json_eq(x, v)) {
                out.push(at, enum_message(e));
            }
        }
        match v {
            Value::String(s) => self.check_string(k, s, at, out),
            Value::Number(n) => check_number(k, n, at, out),
            Value::Array(items) => self.check_array(k, items, at, depth, out),
            Value::Object(members) => self.check_object(k, members, at, depth, out),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn check_string(&self, k: &Keywords, s: &str, at: &str, out: &mut Collector) {
        let len = s.chars().count() as u64;
        if let Some(min) = k.min_length {
            if len < min {
                out.push(at, format!("shorter than {min} characters"));
            }
        }
        if let Some(max) = k.max_length {
            if len > max {
                out.push(at, format!("longer than {max} characters"));
            }
        }
        if let Some(f) = k.format {
            if let Err(msg) = f.check(s) {
                out.push(at, msg.into());
            }
        }
    }

    fn check_array(
        &self,
        k: &Keywords,
        items: &[Value],
        at: &str,
        depth: usize,
        out: &mut Collector,
    ) {
        let n = items.len() as u64;
        if let Some(min) = k.min_items {
            if n < min {
                out.push(at, format!("fewer than {min} items"));
            }
        }
        if let Some(max) = k.max_items {
            if n > max {
                out.push(at, format!("more than {max} items"));
            }
        }
        if let Some(item_schema) = &k.items {
            if depth >= MAX_INSTANCE_DEPTH {
                return out.push(at, too_deep());
            }
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &format!("{at}/{i}"), depth + 1, out);
            }
        }
    }

    fn check_object(
        &self,
        k: &Keywords,
        members: &Map<String, Value>,
        at: &str,
        depth: usize,
        out: &mut Collector,
    ) {
        for name in &k.required {
            if !members.contains_key(name) {
                out.push(
                    &format!("{at}/{}", escape_pointer(name)),
                    "required member is missing".into(),
                );
            }
        }
        if k.properties.is_empty() && k.additional.is_none() {
            return;
        }
        if depth >= MAX_INSTANCE_DEPTH {
            return out.push(at, too_deep());
        }
        for (name, value) in members {
            let child = format!("{at}/{}", escape_pointer(name));
            if let Some(prop) = k.properties.get(name) {
                self.check(prop, value, &child, depth + 1, out);
            } else if let Some(extra) = &k.additional {
                if *extra == Node::Bool(false) {
                    out.push(&child, "member not allowed".into());
                } else {
                    self.check(extra, value, &child, depth + 1, out);
                }
            }
        }
    }

    /// Top-level `properties` with their annotations, in name order.
    fn top_properties(&self) -> Option<&BTreeMap<String, Node>> {
        match &self.root {
            Node::Object(k) => Some(&k.properties),
            Node::Bool(_) => None,
        }
    }

    fn top_required(&self) -> &[String] {
        match &self.root {
            Node::Object(k) => &k.required,
            Node::Bool(_) => &[],
        }
    }
}

fn too_deep() -> String {
    format!("nested deeper than {MAX_INSTANCE_DEPTH} levels")
}

fn enum_message(allowed: &[Value]) -> String {
    // The allowed values come from the schema, not the instance; list short ones.
    let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
    if names.len() == allowed.len() && names.len() <= 12 {
        format!("not one of the allowed values ({})", names.join(", "))
    } else {
        "not one of the allowed values".into()
    }
}

fn check_number(k: &Keywords, n: &Number, at: &str, out: &mut Collector) {
    if let Some(min) = &k.minimum {
        if cmp_numbers(n, min) == Some(std::cmp::Ordering::Less) {
            out.push(at, format!("less than the minimum {min}"));
        }
    }
    if let Some(max) = &k.maximum {
        if cmp_numbers(n, max) == Some(std::cmp::Ordering::Greater) {
            out.push(at, format!("greater than the maximum {max}"));
        }
    }
}

#[derive(Default)]
struct Collector {
    violations: Vec<Violation>,
}

impl Collector {
    fn full(&self) -> bool {
        self.violations.len() >= MAX_VIOLATIONS
    }

    fn push(&mut self, at: &str, message: String) {
        if self.violations.len() < MAX_VIOLATIONS - 1 {
            self.violations.push(Violation {
                pointer: at.to_owned(),
                message,
            });
        } else if self.violations.len() == MAX_VIOLATIONS - 1 {
            self.violations.push(Violation {
                pointer: String::new(),
                message: format!(
                    "more than {} violations; the rest are omitted",
                    MAX_VIOLATIONS - 1
                ),
            });
        }
    }
}

struct Compiler<'a> {
    def_names: &'a [String],
}

impl Compiler<'_> {
    fn compile(&self, v: &Value, at: &str, depth: usize) -> Result<Node, SchemaError> {
        if depth > MAX_SCHEMA_DEPTH {
            return Err(SchemaError::TooDeep);
        }
        let obj = match v {
            Value::Bool(b) => return Ok(Node::Bool(*b)),
            Value::Object(m) => m,
            _ => {
                return Err(SchemaError::Malformed(format!(
                    "{}: a schema must be an object or a boolean",
                    show(at)
                )));
            }
        };
        let mut k = Keywords::default();
        for (key, val) in obj {
            let here = format!("{at}/{}", escape_pointer(key));
            let malformed = |what: &str| SchemaError::Malformed(format!("{here}: {what}"));
            match key.as_str() {
                "type" => {
                    k.types = Some(parse_types(val).ok_or_else(|| {
                        malformed(
                            "`type` must be a type name or a non-empty list of distinct type names",
                        )
                    })?)
                }
                "properties" => {
                    let Value::Object(props) = val else {
                        return Err(malformed("`properties` must be an object"));
                    };
                    for (name, sub) in props {
                        let sub_at = format!("{here}/{}", escape_pointer(name));
                        k.properties
                            .insert(name.clone(), self.compile(sub, &sub_at, depth + 1)?);
                    }
                }
                "required" => {
                    let names = string_list(val).ok_or_else(|| {
                        malformed("`required` must be a list of distinct strings")
                    })?;
                    k.required = names;
                }
                "additionalProperties" => {
                    k.additional = Some(self.compile(val, &here, depth + 1)?);
                }
                "enum" => match val {
                    Value::Array(a) if !a.is_empty() => k.enumeration = Some(a.clone()),
                    _ => return Err(malformed("`enum` must be a non-empty array")),
                },
                "const" => k.constant = Some(val.clone()),
                "minLength" => {
                    k.min_length = Some(
                        non_negative(val)
                            .ok_or_else(|| malformed("must be a non-negative integer"))?,
                    )
                }
                "maxLength" => {
                    k.max_length = Some(
                        non_negative(val)
                            .ok_or_else(|| malformed("must be a non-negative integer"))?,
                    )
                }
                "minItems" => {
                    k.min_items = Some(
                        non_negative(val)
                            .ok_or_else(|| malformed("must be a non-negative integer"))?,
                    )
                }
                "maxItems" => {
                    k.max_items = Some(
                        non_negative(val)
                            .ok_or_else(|| malformed("must be a non-negative integer"))?,
                    )
                }
                "minimum" => {
                    k.minimum = Some(
                        val.as_number()
                            .cloned()
                            .ok_or_else(|| malformed("must be a number"))?,
                    )
                }
                "maximum" => {
                    k.maximum = Some(
                        val.as_number()
                            .cloned()
                            .ok_or_else(|| malformed("must be a number"))?,
                    )
                }
                "items" => {
                    if val.is_array() {
                        return Err(malformed(
                            "array-form `items` is draft 2019-09 (`prefixItems` is not supported)",
                        ));
                    }
                    k.items = Some(self.compile(val, &here, depth + 1)?);
                }
                "format" => {
                    let name = val
                        .as_str()
                        .ok_or_else(|| malformed("`format` must be a string"))?;
                    k.format = Some(
                        Format::from_name(name)
                            .ok_or_else(|| SchemaError::UnsupportedFormat(name.to_owned()))?,
                    );
                }
                "$ref" => {
                    let target = val
                        .as_str()
                        .ok_or_else(|| malformed("`$ref` must be a string"))?;
                    k.reference = Some(self.resolve(target)?);
                }
                "$defs" => {
                    // Compiled by `Schema::from_value`; only the root may hold them,
                    // since `#/$defs/<name>` always means the root's.
                    if !at.is_empty() {
                        return Err(malformed("`$defs` is only supported at the root"));
                    }
                }
                "$schema" => {
                    if !at.is_empty() {
                        return Err(malformed("`$schema` is only supported at the root"));
                    }
                    let dialect = val
                        .as_str()
                        .ok_or_else(|| malformed("`$schema` must be a string"))?;
                    if dialect != DRAFT_2020_12 {
                        return Err(SchemaError::UnsupportedDialect(dialect.to_owned()));
                    }
                }
                "$id" => {
                    // A nested `$id` would change what `#/$defs/...` refers to.
                    if !at.is_empty() {
                        return Err(malformed("`$id` is only supported at the root"));
                    }
                    if !val.is_string() {
                        return Err(malformed("`$id` must be a string"));
                    }
                }
                "title" => {
                    k.annotations.title = Some(
                        val.as_str()
                            .ok_or_else(|| malformed("`title` must be a string"))?
                            .to_owned(),
                    )
                }
                "description" | "$comment" => {
                    if !val.is_string() {
                        return Err(malformed("must be a string"));
                    }
                }
                "examples" => {
                    if !val.is_array() {
                        return Err(malformed("`examples` must be an array"));
                    }
                }
                "default" => {}
                "x-stele-disclosable" => {
                    k.annotations.disclosable = Some(
                        val.as_bool()
                            .ok_or_else(|| malformed("must be a boolean"))?,
                    )
                }
                "x-stele-title" => {
                    let Value::Object(m) = val else {
                        return Err(malformed("must be an object of locale to string"));
                    };
                    for (locale, t) in m {
                        let t = t
                            .as_str()
                            .ok_or_else(|| malformed("must be an object of locale to string"))?;
                        k.annotations.titles.insert(locale.clone(), t.to_owned());
                    }
                }
                "x-stele-vct" => {
                    if !at.is_empty() || !val.is_string() {
                        return Err(malformed("`x-stele-vct` must be a string at the root"));
                    }
                }
                other if other.starts_with("x-stele-") => {}
                _ => return Err(SchemaError::UnsupportedKeyword(here)),
            }
        }
        self.check_consistency(&k, at)?;
        Ok(Node::Object(Box::new(k)))
    }

    /// Refuses combinations that make a schema contradict itself in ways that
    /// are clearly mistakes.
    fn check_consistency(&self, k: &Keywords, at: &str) -> Result<(), SchemaError> {
        let closed = k.additional == Some(Node::Bool(false));
        if closed {
            if let Some(missing) = k.required.iter().find(|r| !k.properties.contains_key(*r)) {
                return Err(SchemaError::Malformed(format!(
                    "{}: required member {missing:?} is not among the properties, and additionalProperties is false",
                    show(at)
                )));
            }
        }
        if let (Some(min), Some(max)) = (k.min_length, k.max_length) {
            if min > max {
                return Err(SchemaError::Malformed(format!(
                    "{}: minLength > maxLength",
                    show(at)
                )));
            }
        }
        if let (Some(min), Some(max)) = (k.min_items, k.max_items) {
            if min > max {
                return Err(SchemaError::Malformed(format!(
                    "{}: minItems > maxItems",
                    show(at)
                )));
            }
        }
        Ok(())
    }

    fn resolve(&self, target: &str) -> Result<usize, SchemaError> {
        let name = target
            .strip_prefix("#/$defs/")
            .ok_or_else(|| SchemaError::UnresolvedRef(target.to_owned()))?;
        let name =
            unescape_pointer(name).ok_or_else(|| SchemaError::UnresolvedRef(target.to_owned()))?;
        self.def_names
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| SchemaError::UnresolvedRef(target.to_owned()))
    }
}

fn show(at: &str) -> &str {
    if at.is_empty() { "(root)" } else { at }
}

fn parse_types(v: &Value) -> Option<Vec<JsonType>> {
    let names: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) if !a.is_empty() => a.iter().map(Value::as_str).collect::<Option<_>>()?,
        _ => return None,
    };
    let mut types: Vec<JsonType> = names
        .into_iter()
        .map(JsonType::from_name)
        .collect::<Option<_>>()?;
    let n = types.len();
    types.sort();
    types.dedup();
    (types.len() == n).then_some(types)
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    let a = v.as_array()?;
    let names: Vec<String> = a
        .iter()
        .map(|x| x.as_str().map(str::to_owned))
        .collect::<Option<_>>()?;
    let distinct: BTreeSet<&String> = names.iter().collect();
    (distinct.len() == names.len()).then_some(names)
}

fn non_negative(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            let f = n.as_f64()?;
            (f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64).then_some(f as u64)
        }),
        _ => None,
    }
}

fn is_integral(n: &Number) -> bool {
    n.is_i64()
        || n.is_u64()
        || n.as_f64()
            .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
}

/// Exact comparison where both are integers, else as `f64`.
fn cmp_numbers(a: &Number, b: &Number) -> Option<std::cmp::Ordering> {
    fn int(n: &Number) -> Option<i128> {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    }
    match (int(a), int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// JSON Schema equality: numbers compare by value (`1` equals `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            cmp_numbers(x, y) == Some(std::cmp::Ordering::Equal)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| json_eq(p, q)))
        }
        _ => a == b,
    }
}

/// Escapes a member name as one JSON pointer segment (RFC 6901).
fn escape_pointer(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn unescape_pointer(segment: &str) -> Option<String> {
    let mut out = String::with_capacity(segment.len());
    let mut chars = segment.chars();
    while let Some(c) = chars.next() {
        match c {
            '~' => match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            },
            '/' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// RFC 3339 `full-date`, checked against the proleptic Gregorian calendar.
fn is_full_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    (1..=days_in_month(y, m)).contains(&d)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 0,
    }
}

/// RFC 3339 `date-time`: a valid full-date, `T`, a time and an offset.
fn is_date_time(s: &str) -> bool {
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    // The `time` parser also takes a space for the `T`, which RFC 3339's grammar does not.
    s.get(..10).is_some_and(is_full_date)
        && matches!(s.as_bytes().get(10), Some(b'T' | b't'))
        && OffsetDateTime::parse(s, &Rfc3339).is_ok()
}

/// `scheme ":" rest` (RFC 3986 shape): the scheme is a letter followed by
/// letters, digits, `+`, `-`, `.`; the rest is printable ASCII without
/// spaces or the characters RFC 3986 never allows, with valid `%XX` escapes.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.bytes();
    if !sc.next().is_some_and(|b| b.is_ascii_alphabetic())
        || !sc.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        || rest.is_empty()
    {
        return false;
    }
    has_valid_chars(rest, |b| {
        b.is_ascii_graphic()
            && !matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
    })
}

/// Every byte satisfies `allowed`, and every `%` starts a `%XX` escape.
fn has_valid_chars(s: &str, allowed: impl Fn(u8) -> bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !hex(i + 1) || !hex(i + 2) {
                return false;
            }
            i += 3;
        } else if allowed(b[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// DID Core syntax: `did:` method-name `:` method-specific-id, where the
/// method name is lowercase letters and digits and the id is `idchar`s and
/// `%XX` escapes, separated by `:`, not ending with `:`.
fn is_did(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("did:") else {
        return false;
    };
    let Some((method, id)) = rest.split_once(':') else {
        return false;
    };
    !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && !id.is_empty()
        && !id.ends_with(':')
        && has_valid_chars(id, |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':')
        })
}

/// One claim of a credential type, as annotated in its schema.
#[derive(Debug, Clone, PartialEq)]
struct ClaimInfo {
    name: String,
    title: String,
    disclosable: bool,
    titles: BTreeMap<String, String>,
}

/// A credential type Stele knows: its schema and per-claim metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialType {
    /// The type name as it appears in a credential's `type` (e.g. `"ResidencePermitCredential"`).
    pub name: &'static str,
    /// The SD-JWT VC type (`vct`) URI, from the schema's `x-stele-vct`.
    pub vct: String,
    /// The schema of the `credentialSubject` claims.
    pub schema: Schema,
    claims: Vec<ClaimInfo>,
}

impl CredentialType {
    /// Builds a credential type from its schema text. The root must carry
    /// `x-stele-vct`, and every top-level property a `title` and a
    /// boolean `x-stele-disclosable`.
    pub fn from_schema_json(name: &'static str, text: &str) -> Result<CredentialType, SchemaError> {
        let schema = Schema::from_json(text)?;
        let vct = schema
            .vct()
            .ok_or_else(|| SchemaError::MissingAnnotation("x-stele-vct".into()))?
            .to_owned();
        let props = schema
            .top_properties()
            .ok_or_else(|| SchemaError::MissingAnnotation("top-level properties".into()))?;
        let mut claims = Vec::with_capacity(props.len());
        for (claim, node) in props {
            let Node::Object(k) = node else {
                return Err(SchemaError::MissingAnnotation(format!(
                    "annotations on claim {claim:?}"
                )));
            };
            let a = &k.annotations;
            let title = a.title.clone().ok_or_else(|| {
                SchemaError::MissingAnnotation(format!("title on claim {claim:?}"))
            })?;
            let disclosable = a.disclosable.ok_or_else(|| {
                SchemaError::MissingAnnotation(format!("x-stele-disclosable on claim {claim:?}"))
            })?;
            claims.push(ClaimInfo {
                name: claim.clone(),
                title,
                disclosable,
                titles: a.titles.clone(),
            });
        }
        Ok(CredentialType {
            name,
            vct,
            schema,
            claims,
        })
    }

    /// Top-level claims marked `x-stele-disclosable: true`: selectively
    /// disclosable, revealed only when the holder agrees.
    pub fn disclosable_by_default(&self) -> Vec<&str> {
        self.claims
            .iter()
            .filter(|c| c.disclosable)
            .map(|c| c.name.as_str())
            .collect()
    }

    /// Top-level claims marked `x-stele-disclosable: false`: always disclosed.
    pub fn always_disclosed(&self) -> Vec<&str> {
        self.claims
            .iter()
            .filter(|c| !c.disclosable)
            .map(|c| c.name.as_str())
            .collect()
    }

    /// The display name of a top-level claim in `locale` (e.g. `"de"`, `"fr-CH"`):
    /// the exact locale, else its language, else the English `title`.
    pub fn display_name(&self, claim: &str, locale: &str) -> Option<&str> {
        let c = self.claims.iter().find(|c| c.name == claim)?;
        let lang = locale.split(['-', '_']).next().unwrap_or(locale);
        c.titles
            .get(locale)
            .or_else(|| c.titles.get(&lang.to_ascii_lowercase()))
            .map(String::as_str)
            .or(Some(c.title.as_str()))
    }

    /// All top-level claim names, in name order.
    pub fn claim_names(&self) -> Vec<&str> {
        self.claims.iter().map(|c| c.name.as_str()).collect()
    }

    /// The top-level claims the schema requires.
    pub fn required_claims(&self) -> Vec<&str> {
        self.schema
            .top_required()
            .iter()
            .map(String::as_str)
            .collect()
    }
}

/// Schema text of the built-in credential types, by type name.
const BUILTIN_SCHEMAS: &[(&str, &str)] = &[
    (
        "NationalIdCredential",
        include_str!("../../../schemas/NationalIdCredential.schema.json"),
    ),
    (
        "ResidencePermitCredential",
        include_str!("../../../schemas/ResidencePermitCredential.schema.json"),
    ),
];

/// The schema of the CLI's trust file (`schemas/trust.schema.json`).
pub const TRUST_FILE_SCHEMA: &str = include_str!("../../../schemas/trust.schema.json");

/// The built-in credential types, parsed once.
pub fn builtin_types() -> &'static [CredentialType] {
    static TYPES: OnceLock<Vec<CredentialType>> = OnceLock::new();
    TYPES.get_or_init(|| {
        BUILTIN_SCHEMAS
            .iter()
            .map(|(name, text)| {
                CredentialType::from_schema_json(name, text).expect(
                    "built-in schemas are embedded at compile time and loaded by the unit tests",
                )
            })
            .collect()
    })
}

/// A built-in credential type by its type name or its `vct` URI.
pub fn credential_type(name: &str) -> Option<&'static CredentialType> {
    builtin_types()
        .iter()
        .find(|t| t.name == name || t.vct == name)
}

/// The trust file schema, parsed once.
pub fn trust_file_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::from_json(TRUST_FILE_SCHEMA).expect(
            "the trust file schema is embedded at compile time and loaded by the unit tests",
        )
    })
}

#[cfg(test)]
mod tests;
