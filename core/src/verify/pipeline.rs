//! The steps of [`super::Verifier::verify`], each a function whose typed
//! result feeds the next.

use serde_json::{Map, Value};

use super::verdict::{
    Check, CheckName, Format, HolderBindingStatus, Outcome, Reason, ReasonCode, Verdict,
};
use super::{NonceState, StatusError, StatusOutcome, Verifier, VerifyError, VerifyOptions};
use crate::credential::jwt::{ACCEPTED_TYP, credential_from_verified_payload};
use crate::credential::model::{Credential, VCDM1_CONTEXT, VCDM2_CONTEXT};
use crate::credential::schema::{CredentialType, credential_type};
use crate::di::{Cryptosuite, DiError, ProofCheck, UnverifiedSecuredDocument, presentation};
use crate::did::key::public_key_from_did_key;
use crate::did::{Did, DidError, DidUrl, Relationship, ResolutionOptions};
use crate::jose::{HeaderPolicy, JoseError, UnverifiedJws, typ};
use crate::json::{self, JsonError, JsonLimits};
use crate::key::{PublicKey, SignatureError};
use crate::sdjwt::SdJwtError;
use crate::sdjwt::verifier::{IssuerVerifiedSdJwt, KeyBindingCheck, UnverifiedSdJwt};
use crate::time::Timestamp;

/// SD-JWT VC claims that describe the token, not the subject; never
/// selectively disclosable, never shown as subject claims.
const SD_JWT_VC_REGISTERED: [&str; 9] = [
    "iss", "iat", "nbf", "exp", "cnf", "vct", "status", "sub", "jti",
];
const NOT_DISCLOSABLE: [&str; 6] = ["iss", "nbf", "exp", "cnf", "vct", "status"];

/// Collects checks and reasons as the steps run.
struct Record {
    checks: Vec<Check>,
    reasons: Vec<Reason>,
}

impl Record {
    fn pass(&mut self, name: CheckName) {
        self.checks.push(Check {
            name,
            outcome: Outcome::Passed,
            reason: None,
        });
    }
    fn not_applicable(&mut self, name: CheckName) {
        self.checks.push(Check {
            name,
            outcome: Outcome::NotApplicable,
            reason: None,
        });
    }
    fn fail(&mut self, name: CheckName, reason: Reason) {
        self.checks.push(Check {
            name,
            outcome: Outcome::Failed,
            reason: Some(reason.code),
        });
        self.reasons.push(reason);
    }
    fn outcome(&mut self, name: CheckName, result: Result<(), Reason>) {
        match result {
            Ok(()) => self.pass(name),
            Err(r) => self.fail(name, r),
        }
    }
    /// Ends the verification early: `name` failed, every later step is skipped.
    fn stop(
        mut self,
        name: CheckName,
        reason: Reason,
        format: Option<Format>,
        issuer: Option<String>,
    ) -> Verdict {
        self.fail(name, reason);
        for later in ORDER.iter().skip_while(|n| **n != name).skip(1) {
            self.checks.push(Check {
                name: *later,
                outcome: Outcome::Skipped,
                reason: None,
            });
        }
        Verdict {
            verified: false,
            format,
            issuer,
            types: Vec::new(),
            claims: Map::new(),
            valid_from: None,
            valid_until: None,
            holder_binding: HolderBindingStatus::NotChecked,
            checks: self.checks,
            reasons: self.reasons,
        }
    }
}

const ORDER: [CheckName; 9] = [
    CheckName::Parse,
    CheckName::ResolveIssuer,
    CheckName::Proof,
    CheckName::Claims,
    CheckName::Validity,
    CheckName::Trust,
    CheckName::Status,
    CheckName::HolderBinding,
    CheckName::Policy,
];

/// A verdict for input that could not even be read.
pub(super) fn rejected_at_parse(reason: Reason) -> Verdict {
    let rec = Record {
        checks: Vec::with_capacity(ORDER.len()),
        reasons: Vec::new(),
    };
    rec.stop(CheckName::Parse, reason, None, None)
}

pub(super) fn run(
    v: &Verifier,
    input: &str,
    o: &VerifyOptions<'_>,
) -> Result<Verdict, VerifyError> {
    let mut rec = Record {
        checks: Vec::with_capacity(ORDER.len()),
        reasons: Vec::new(),
    };
    let parsed = match parse(input, o) {
        Ok(p) => p,
        Err(r) => return Ok(rec.stop(CheckName::Parse, r, None, None)),
    };
    rec.pass(CheckName::Parse);
    let format = Some(parsed.format());

    let issuer = match resolve_issuer(v, &parsed)? {
        Ok(i) => i,
        Err(r) => return Ok(rec.stop(CheckName::ResolveIssuer, r, format, None)),
    };
    rec.pass(CheckName::ResolveIssuer);
    let issuer_id = Some(issuer.did.as_str().to_owned());

    let proven = match check_proof(parsed, &issuer, o) {
        Ok(p) => p,
        Err(r) => return Ok(rec.stop(CheckName::Proof, r, format, issuer_id)),
    };
    rec.pass(CheckName::Proof);

    // From here on the credential is authentic: every remaining check runs
    // and every failure is reported.
    let view = &proven.view;
    let ctype = credential_type(&view.primary_type);
    match check_claims(view, ctype, o) {
        None => rec.not_applicable(CheckName::Claims),
        Some(r) => rec.outcome(CheckName::Claims, r),
    }
    if o.checks.validity {
        rec.outcome(CheckName::Validity, check_validity(view, o));
    } else {
        rec.not_applicable(CheckName::Validity);
    }
    if o.checks.trust {
        rec.outcome(CheckName::Trust, check_trust(view, o, &issuer.did)?);
    } else {
        rec.not_applicable(CheckName::Trust);
    }
    let status = if o.checks.status {
        check_status(v, view, o, &issuer.did)?
    } else {
        None
    };
    match status {
        None => rec.not_applicable(CheckName::Status),
        Some(r) => rec.outcome(CheckName::Status, r),
    }
    let (binding, result) = match proven.di_presentation {
        Some(vp) => check_di_holder_binding(v, vp, view, o)?,
        None => check_holder_binding(v, proven.sd, o)?,
    };
    match result {
        None => rec.not_applicable(CheckName::HolderBinding),
        Some(r) => rec.outcome(CheckName::HolderBinding, r),
    }
    match check_policy(view, o) {
        None => rec.not_applicable(CheckName::Policy),
        Some(r) => rec.outcome(CheckName::Policy, r),
    }

    let verified = rec.reasons.is_empty();
    let view = proven.view;
    Ok(Verdict {
        verified,
        format,
        issuer: issuer_id,
        types: view.types,
        claims: if verified { view.claims } else { Map::new() },
        valid_from: view.valid_from.map(Timestamp::to_rfc3339),
        valid_until: view.valid_until.map(Timestamp::to_rfc3339),
        holder_binding: binding,
        checks: rec.checks,
        reasons: rec.reasons,
    })
}

// ---- parse -------------------------------------------------------------

enum Parsed<'a> {
    Jwt(UnverifiedJws<'a>),
    SdJwt(UnverifiedSdJwt<'a>),
    /// A JSON credential with Data Integrity proofs, or a presentation of one.
    Di(Box<DiInput>),
}

/// A Data Integrity credential, and the presentation it came in, if any.
struct DiInput {
    credential: UnverifiedSecuredDocument,
    /// The holder's signed presentation (`None`: a bare credential, or an
    /// unsigned presentation, which proves nothing about the holder).
    presentation: Option<UnverifiedSecuredDocument>,
}

impl Parsed<'_> {
    fn format(&self) -> Format {
        match self {
            Parsed::Jwt(_) => Format::VcJwt,
            Parsed::SdJwt(_) => Format::DcSdJwt,
            Parsed::Di(d) => match d.credential.cryptosuite() {
                Cryptosuite::EddsaRdfc2022 => Format::DiEddsaRdfc2022,
                _ => Format::DiEddsaJcs2022,
            },
        }
    }
    fn jws(&self) -> Option<&UnverifiedJws<'_>> {
        match self {
            Parsed::Jwt(j) => Some(j),
            Parsed::SdJwt(s) => Some(s.issuer_jws()),
            Parsed::Di(_) => None,
        }
    }
}

fn parse<'a>(input: &'a str, o: &VerifyOptions<'_>) -> Result<Parsed<'a>, Reason> {
    if input.len() > o.limits.max_input_bytes {
        return Err(Reason::new(ReasonCode::ResourceLimit, "input too large"));
    }
    let input = input.trim();
    if input.starts_with('{') {
        let limits = JsonLimits {
            max_bytes: o.limits.max_input_bytes,
            max_depth: JsonLimits::DEFAULT.max_depth,
        };
        let document = json::parse_object(input.as_bytes(), limits).map_err(json_reason)?;
        // The context allow-list comes before anything else reads the document.
        crate::di::context::check_contexts(&document).map_err(di_reason)?;
        parse_di(document).map(|d| Parsed::Di(Box::new(d)))
    } else if input.contains('~') {
        let policy = HeaderPolicy {
            algorithms: o.algorithms,
            typ: &[Some(typ::DC_SD_JWT), Some(typ::VC_SD_JWT)],
            understood_crit: &[],
            limits: o.limits.jws,
        };
        UnverifiedSdJwt::decode(input, &policy, o.limits.sd_jwt)
            .map(Parsed::SdJwt)
            .map_err(sd_jwt_reason)
    } else if input.bytes().filter(|b| *b == b'.').count() == 2 {
        let policy = HeaderPolicy {
            algorithms: o.algorithms,
            typ: ACCEPTED_TYP,
            understood_crit: &[],
            limits: o.limits.jws,
        };
        UnverifiedJws::decode(input, &policy)
            .map(Parsed::Jwt)
            .map_err(jose_reason)
    } else {
        Err(Reason::new(
            ReasonCode::Malformed,
            "neither a JWT nor an SD-JWT",
        ))
    }
}

fn parse_di(document: Map<String, Value>) -> Result<DiInput, Reason> {
    if !presentation::is_presentation(&document) {
        return Ok(DiInput {
            credential: UnverifiedSecuredDocument::from_document(document).map_err(di_reason)?,
            presentation: None,
        });
    }
    // A presentation follows the same data model as its credential.
    let base = match document.get("@context") {
        Some(Value::Array(items)) => items.first().and_then(Value::as_str),
        _ => None,
    };
    if !matches!(base, Some(VCDM2_CONTEXT | VCDM1_CONTEXT)) {
        return Err(Reason::new(
            ReasonCode::Malformed,
            "a presentation's @context must start with the VCDM base context",
        ));
    }
    let credential = presentation::single_credential(&document).map_err(di_reason)?;
    let credential = UnverifiedSecuredDocument::from_document(credential).map_err(di_reason)?;
    let presentation = if document.contains_key("proof") {
        let p = UnverifiedSecuredDocument::from_document(document).map_err(di_reason)?;
        if p.proofs().len() != 1 {
            return Err(Reason::new(
                ReasonCode::ProofError,
                "a presentation carries one proof, the holder's",
            ));
        }
        Some(p)
    } else {
        None
    };
    Ok(DiInput {
        credential,
        presentation,
    })
}

fn json_reason(e: JsonError) -> Reason {
    match e {
        JsonError::TooLarge { .. } | JsonError::TooDeep { .. } => {
            Reason::new(ReasonCode::ResourceLimit, e)
        }
        _ => Reason::new(ReasonCode::Malformed, e),
    }
}

fn di_reason(e: DiError) -> Reason {
    use crate::di::jcs::JcsError;
    let code = match &e {
        DiError::ContextNotAllowed(_) => ReasonCode::ContextNotAllowed,
        DiError::NoProof
        | DiError::Canonicalization(_)
        | DiError::Jcs(JcsError::IntegerOutOfRange | JcsError::NotFinite) => ReasonCode::Malformed,
        DiError::Jcs(_) | DiError::TooManyProofs(_) => ReasonCode::ResourceLimit,
        DiError::UnsupportedCryptosuite(_) => ReasonCode::UnsupportedAlgorithm,
        DiError::KeyType | DiError::Signature(SignatureError::AlgorithmMismatch { .. }) => {
            ReasonCode::InvalidKey
        }
        DiError::Signature(_) => ReasonCode::BadSignature,
        DiError::WrongChallenge => ReasonCode::WrongNonce,
        DiError::WrongDomain => ReasonCode::WrongAudience,
        _ => ReasonCode::ProofError,
    };
    Reason::new(code, e)
}

fn jose_reason(e: JoseError) -> Reason {
    let code = match &e {
        JoseError::Algorithm(_) => ReasonCode::UnsupportedAlgorithm,
        JoseError::TooLarge(_)
        | JoseError::Json(JsonError::TooLarge { .. } | JsonError::TooDeep { .. }) => {
            ReasonCode::ResourceLimit
        }
        JoseError::Signature(SignatureError::AlgorithmMismatch { .. }) => ReasonCode::InvalidKey,
        JoseError::Signature(_) => ReasonCode::BadSignature,
        _ => ReasonCode::Malformed,
    };
    Reason::new(code, e)
}

fn sd_jwt_reason(e: SdJwtError) -> Reason {
    match e {
        SdJwtError::Jws(j) => jose_reason(j),
        SdJwtError::ResourceLimit(_) => Reason::new(ReasonCode::ResourceLimit, e),
        SdJwtError::Disclosure(_) | SdJwtError::UnsupportedSdAlg(_) => {
            Reason::new(ReasonCode::DisclosureError, e)
        }
        SdJwtError::KeyBindingMissing | SdJwtError::NoHolderKey => {
            Reason::new(ReasonCode::HolderBinding, e)
        }
        SdJwtError::WrongAudience => Reason::new(ReasonCode::WrongAudience, e),
        SdJwtError::WrongNonce => Reason::new(ReasonCode::WrongNonce, e),
        SdJwtError::KeyBinding(_) => Reason::new(ReasonCode::KeyBindingError, e),
        _ => Reason::new(ReasonCode::Malformed, e),
    }
}

// ---- resolve issuer ----------------------------------------------------

struct IssuerKey {
    did: Did,
    key: PublicKey,
    /// Data Integrity: the key of every proof, in the document's order.
    proof_keys: Vec<PublicKey>,
}

fn resolve_issuer(
    v: &Verifier,
    parsed: &Parsed<'_>,
) -> Result<Result<IssuerKey, Reason>, VerifyError> {
    let jws = match parsed {
        Parsed::Di(di) => {
            return resolve_di_issuer(v, &di.credential, Relationship::AssertionMethod);
        }
        Parsed::Jwt(j) => j,
        Parsed::SdJwt(s) => s.issuer_jws(),
    };
    let payload = jws.unverified_payload();
    let claimed = match parsed {
        Parsed::SdJwt(_) | Parsed::Di(_) => payload.get("iss").and_then(Value::as_str),
        Parsed::Jwt(_) => match payload.get("vc") {
            Some(_) => payload.get("iss").and_then(Value::as_str),
            None => match payload.get("issuer") {
                Some(Value::Object(o)) => o.get("id").and_then(Value::as_str),
                other => other.and_then(Value::as_str),
            },
        },
    };
    let Some(claimed) = claimed else {
        return Ok(Err(Reason::new(ReasonCode::Malformed, "no issuer")));
    };
    let did = match Did::parse(claimed) {
        Ok(d) => d,
        Err(e) => return Ok(Err(Reason::new(ReasonCode::DidInvalid, e))),
    };
    // The kid names the verification method; it must belong to the issuer.
    let kid = match jws.header().kid.as_deref() {
        None => None,
        Some(k) if k.starts_with('#') => Some(format!("{}{k}", did.as_str())),
        Some(k) => match DidUrl::parse(k) {
            Ok(url) if url.did == did => Some(k.to_owned()),
            Ok(_) => {
                return Ok(Err(Reason::new(
                    ReasonCode::InvalidKey,
                    "the key does not belong to the issuer",
                )));
            }
            Err(e) => return Ok(Err(Reason::new(ReasonCode::Malformed, e))),
        },
    };
    if did.method() == "key" {
        return Ok(did_key(v, &did, kid.as_deref()).map(|key| IssuerKey {
            did,
            key,
            proof_keys: Vec::new(),
        }));
    }
    // The key must have been valid when the credential was issued: rotating
    // a key does not invalidate what it signed before. The time comes from
    // the payload before the signature is checked; the proof step then
    // authenticates it with the key it selected (a key marked compromised is
    // never valid, whatever time is claimed: the resolver's business).
    let options = ResolutionOptions {
        version_time: unverified_issuance_time(parsed),
        version_id: None,
    };
    let resolution = match v.resolver.resolve(&did, &options) {
        Ok(r) => r,
        Err(e) if e.is_unavailable() => return Err(VerifyError::Resolution(e)),
        Err(e) => return Ok(Err(did_reason(e))),
    };
    if resolution.is_deactivated() {
        return Ok(Err(Reason::new(
            ReasonCode::DidInvalid,
            "the issuer's DID is deactivated",
        )));
    }
    let doc = &resolution.document;
    let method = match &kid {
        Some(k) => doc.find_method(k, Relationship::AssertionMethod),
        None => match doc.methods_for(Relationship::AssertionMethod).as_slice() {
            [only] => Some(*only),
            _ => None,
        },
    };
    let Some(method) = method else {
        return Ok(Err(Reason::new(
            ReasonCode::DidInvalid,
            "no matching assertion key in the issuer's DID document",
        )));
    };
    Ok(match method_key(v, method) {
        Ok(key) => Ok(IssuerKey {
            did,
            key,
            proof_keys: Vec::new(),
        }),
        Err(e) => Err(Reason::new(ReasonCode::InvalidKey, e)),
    })
}

/// Data Integrity: resolves the verification method of every proof under
/// `purpose` (through the same resolver and caches as the other formats);
/// at least one proof must be the issuer's.
fn resolve_di_issuer(
    v: &Verifier,
    doc: &UnverifiedSecuredDocument,
    purpose: Relationship,
) -> Result<Result<IssuerKey, Reason>, VerifyError> {
    let claimed = match doc.unverified_document().get("issuer") {
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str),
        other => other.and_then(Value::as_str),
    };
    let Some(claimed) = claimed else {
        return Ok(Err(Reason::new(ReasonCode::Malformed, "no issuer")));
    };
    let did = match Did::parse(claimed) {
        Ok(d) => d,
        Err(e) => return Ok(Err(Reason::new(ReasonCode::DidInvalid, e))),
    };
    let mut proof_keys = Vec::with_capacity(doc.proofs().len());
    let mut issuer_key = None;
    for proof in doc.proofs() {
        if proof.relationship() != Some(purpose) {
            return Ok(Err(di_reason(DiError::WrongPurpose {
                expected: purpose.property(),
                found: proof.proof_purpose().chars().take(64).collect(),
            })));
        }
        let (signer, key) =
            match resolve_method(v, proof.verification_method(), purpose, proof.created())? {
                Ok(k) => k,
                Err(r) => return Ok(Err(r)),
            };
        if signer == did && issuer_key.is_none() {
            issuer_key = Some(key.clone());
        }
        proof_keys.push(key);
    }
    let Some(key) = issuer_key else {
        return Ok(Err(Reason::new(
            ReasonCode::InvalidKey,
            "no proof is made with a key of the issuer",
        )));
    };
    Ok(Ok(IssuerKey {
        did,
        key,
        proof_keys,
    }))
}

/// The DID and key of the verification method `method_id` (a DID URL),
/// listed under `purpose` in its controller's document as it was at `at`.
fn resolve_method(
    v: &Verifier,
    method_id: &str,
    purpose: Relationship,
    at: Option<Timestamp>,
) -> Result<Result<(Did, PublicKey), Reason>, VerifyError> {
    let url = match DidUrl::parse(method_id) {
        Ok(u) => u,
        Err(e) => return Ok(Err(Reason::new(ReasonCode::ProofError, e))),
    };
    let did = url.did;
    if did.method() == "key" {
        // A did:key's one key is listed under every signing relationship.
        return Ok(did_key(v, &did, Some(method_id)).map(|key| (did, key)));
    }
    let options = ResolutionOptions {
        version_time: at,
        version_id: None,
    };
    let resolution = match v.resolver.resolve(&did, &options) {
        Ok(r) => r,
        Err(e) if e.is_unavailable() => return Err(VerifyError::Resolution(e)),
        Err(e) => return Ok(Err(did_reason(e))),
    };
    if resolution.is_deactivated() {
        return Ok(Err(Reason::new(
            ReasonCode::DidInvalid,
            "the signer's DID is deactivated",
        )));
    }
    let Some(method) = resolution.document.find_method(method_id, purpose) else {
        return Ok(Err(Reason::new(
            ReasonCode::DidInvalid,
            format!(
                "the verification method is not listed under {} in its DID document",
                purpose.property()
            ),
        )));
    };
    Ok(match method_key(v, method) {
        Ok(key) => Ok((did, key)),
        Err(e) => Err(Reason::new(ReasonCode::InvalidKey, e)),
    })
}

/// The key of a resolved verification method. Decoding (base64, point
/// decompression) costs about as much as a third of a signature check, so
/// decoded keys are kept, keyed by the method's id and checked against the
/// exact key material the document carries now.
fn method_key(
    v: &Verifier,
    method: &crate::did::VerificationMethod,
) -> Result<PublicKey, DidError> {
    let material = [
        method.public_key_multibase.as_deref(),
        method.public_key_hex.as_deref(),
        method.public_key_base58.as_deref(),
        method.public_key_base64.as_deref(),
    ];
    let jwk = method.public_key_jwk.as_ref().map(Value::to_string);
    let fingerprint = format!("{}\u{0}{:?}\u{0}{:?}", method.type_, material, jwk);
    if let Some((seen, key)) = v
        .method_key_cache
        .read()
        .ok()
        .and_then(|c| c.get(&method.id).cloned())
    {
        if seen == fingerprint {
            return Ok(key);
        }
    }
    let key = method.public_key()?;
    if let Ok(mut cache) = v.method_key_cache.write() {
        if cache.len() >= super::DID_KEY_CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(method.id.clone(), (fingerprint, key.clone()));
    }
    Ok(key)
}

/// When the credential says it was issued (`iat`, `nbf`, `validFrom`, `issuanceDate`).
fn unverified_issuance_time(parsed: &Parsed<'_>) -> Option<Timestamp> {
    let p = parsed.jws()?.unverified_payload();
    let number = |name: &str| {
        p.get(name)
            .and_then(Value::as_i64)
            .map(Timestamp::from_unix)
    };
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .and_then(|s| Timestamp::parse_rfc3339(s).ok())
    };
    match parsed {
        Parsed::SdJwt(_) | Parsed::Di(_) => number("iat").or_else(|| number("nbf")),
        Parsed::Jwt(_) => text(p.get("validFrom"))
            .or_else(|| number("nbf"))
            .or_else(|| text(p.get("vc").and_then(|vc| vc.get("issuanceDate")))),
    }
}

fn did_key(v: &Verifier, did: &Did, kid: Option<&str>) -> Result<PublicKey, Reason> {
    if let Some(k) = kid {
        // `did:key:z…#z…`, compared without building it.
        let is_own = k
            .strip_prefix(did.as_str())
            .and_then(|rest| rest.strip_prefix('#'))
            == Some(did.method_specific_id());
        if !is_own {
            return Err(Reason::new(
                ReasonCode::DidInvalid,
                "the kid is not the did:key's key",
            ));
        }
    }
    if let Some(key) = v
        .did_key_cache
        .read()
        .ok()
        .and_then(|c| c.get(did.as_str()).cloned())
    {
        return Ok(key);
    }
    let key = public_key_from_did_key(did).map_err(did_reason)?;
    if let Ok(mut cache) = v.did_key_cache.write() {
        if cache.len() >= super::DID_KEY_CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(did.as_str().to_owned(), key.clone());
    }
    Ok(key)
}

fn did_reason(e: DidError) -> Reason {
    match e {
        DidError::ResolutionForbidden(_) => Reason::new(ReasonCode::ResolutionForbidden, e),
        DidError::TooLarge => Reason::new(ReasonCode::ResourceLimit, e),
        _ => Reason::new(ReasonCode::DidInvalid, e),
    }
}

// ---- proof -------------------------------------------------------------

/// A credential read from authenticated data, in a format-independent shape.
struct CredentialView {
    types: Vec<String>,
    /// The type used for schema, trust and policy.
    primary_type: String,
    claims: Map<String, Value>,
    valid_from: Option<Timestamp>,
    valid_until: Option<Timestamp>,
    issued_at: Option<Timestamp>,
    status: Vec<Value>,
    sd_jwt: bool,
}

struct Proven<'a> {
    view: CredentialView,
    sd: Option<IssuerVerifiedSdJwt<'a>>,
    /// A Data Integrity presentation whose holder proof is still to be checked.
    di_presentation: Option<UnverifiedSecuredDocument>,
}

fn check_proof<'a>(
    parsed: Parsed<'a>,
    issuer: &IssuerKey,
    o: &VerifyOptions<'_>,
) -> Result<Proven<'a>, Reason> {
    match parsed {
        Parsed::Di(di) => {
            let DiInput {
                credential: doc,
                presentation,
            } = *di;
            let check = ProofCheck {
                now: o.now,
                clock_skew_secs: o.clock_skew_secs,
                purpose: Relationship::AssertionMethod,
                challenge: None,
                domain: None,
            };
            let created = doc.proofs().iter().filter_map(|p| p.created()).min();
            let verified = doc.verify(&issuer.proof_keys, &check).map_err(di_reason)?;
            let vc = Credential::from_document_discarding(verified.document)
                .map_err(|e| Reason::new(ReasonCode::Malformed, e))?;
            if vc.issuer != issuer.did.as_str() {
                return Err(Reason::new(
                    ReasonCode::ClaimMismatch,
                    "issuer and signer differ",
                ));
            }
            let primary_type = vc
                .specific_type()
                .unwrap_or("VerifiableCredential")
                .to_owned();
            Ok(Proven {
                view: CredentialView {
                    primary_type,
                    types: vc.types,
                    claims: vc.subject,
                    valid_from: vc.valid_from,
                    valid_until: vc.valid_until,
                    issued_at: vc.valid_from.or(created),
                    status: vc.status,
                    sd_jwt: false,
                },
                sd: None,
                di_presentation: presentation,
            })
        }
        Parsed::Jwt(jws) => {
            let verified = jws.verify(&issuer.key).map_err(jose_reason)?;
            let payload = verified.payload;
            let jwt_time = |name: &str| {
                payload
                    .get(name)
                    .and_then(Value::as_i64)
                    .map(Timestamp::from_unix)
            };
            let (nbf, exp) = (jwt_time("nbf"), jwt_time("exp"));
            let vc = credential_from_verified_payload(payload)
                .map_err(|e| Reason::new(ReasonCode::Malformed, e))?;
            if vc.issuer != issuer.did.as_str() {
                return Err(Reason::new(
                    ReasonCode::ClaimMismatch,
                    "issuer and signer differ",
                ));
            }
            let primary_type = vc
                .specific_type()
                .unwrap_or("VerifiableCredential")
                .to_owned();
            Ok(Proven {
                view: CredentialView {
                    primary_type,
                    types: vc.types,
                    claims: vc.subject,
                    // VC-JOSE: JWT nbf/exp, where present, bound the validity too.
                    valid_from: later(vc.valid_from, nbf),
                    valid_until: earlier(vc.valid_until, exp),
                    issued_at: vc.valid_from.or(nbf),
                    status: vc.status,
                    sd_jwt: false,
                },
                sd: None,
                di_presentation: None,
            })
        }
        Parsed::SdJwt(sd) => {
            let mut verified = sd.verify_issuer(&issuer.key).map_err(sd_jwt_reason)?;
            if let Some(name) = NOT_DISCLOSABLE
                .iter()
                .find(|n| verified_disclosed(&verified, n))
            {
                return Err(Reason::new(
                    ReasonCode::DisclosureError,
                    format!("{name} must not be selectively disclosable"),
                ));
            }
            let claims = verified.take_claims();
            let vct = claims
                .get("vct")
                .and_then(Value::as_str)
                .ok_or_else(|| Reason::new(ReasonCode::Malformed, "SD-JWT VC without vct"))?;
            let time = |name: &str| -> Result<Option<Timestamp>, Reason> {
                match claims.get(name) {
                    None => Ok(None),
                    Some(v) => v
                        .as_i64()
                        .map(|s| Some(Timestamp::from_unix(s)))
                        .ok_or_else(|| {
                            Reason::new(ReasonCode::Malformed, format!("{name} is not a number"))
                        }),
                }
            };
            let (iat, nbf, exp) = (time("iat")?, time("nbf")?, time("exp")?);
            let primary_type =
                credential_type(vct).map_or_else(|| vct.to_owned(), |t| t.name.to_owned());
            // The claims are moved, not cloned, into the subject.
            let mut subject = Map::new();
            let (mut status, mut sub) = (Vec::new(), None);
            for (k, val) in claims {
                match k.as_str() {
                    "status" => status.push(val),
                    "sub" => sub = Some(val),
                    name if SD_JWT_VC_REGISTERED.contains(&name) => {}
                    _ => {
                        subject.insert(k, val);
                    }
                }
            }
            if let Some(Value::String(sub)) = sub {
                subject.insert("id".into(), Value::String(sub));
            }
            Ok(Proven {
                view: CredentialView {
                    types: vec![primary_type.clone()],
                    primary_type,
                    claims: subject,
                    valid_from: later(nbf, iat.filter(|_| nbf.is_none())),
                    valid_until: exp,
                    issued_at: iat.or(nbf),
                    status,
                    sd_jwt: true,
                },
                sd: Some(verified),
                di_presentation: None,
            })
        }
    }
}

fn verified_disclosed(v: &IssuerVerifiedSdJwt<'_>, name: &str) -> bool {
    v.disclosed().iter().any(|d| d == name)
}

fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn earlier(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

// ---- claims, validity, trust, status --------------------------------------

fn check_claims(
    view: &CredentialView,
    ctype: Option<&CredentialType>,
    o: &VerifyOptions<'_>,
) -> Option<Result<(), Reason>> {
    if !o.policy.require_schema {
        return None;
    }
    let Some(ctype) = ctype else {
        return Some(Err(Reason::new(
            ReasonCode::ClaimMismatch,
            "no schema is known for this credential type",
        )));
    };
    let mut claims = view.claims.clone();
    if view.sd_jwt {
        // The holder bound to the credential is `cnf`, not a subject id.
        claims.remove("id");
    }
    match ctype.schema.validate(&Value::Object(claims)) {
        Ok(()) => Some(Ok(())),
        Err(violations) => {
            // A selectively disclosable claim the holder withheld is not a violation.
            let withheld_ok = |v: &crate::credential::schema::Violation| {
                view.sd_jwt
                    && v.message == "required member is missing"
                    && ctype
                        .disclosable_by_default()
                        .iter()
                        .any(|c| v.pointer == format!("/{c}"))
            };
            let real: Vec<String> = violations
                .iter()
                .filter(|v| !withheld_ok(v))
                .map(ToString::to_string)
                .collect();
            if real.is_empty() {
                Some(Ok(()))
            } else {
                Some(Err(Reason::new(ReasonCode::ClaimMismatch, real.join("; "))))
            }
        }
    }
}

fn check_validity(view: &CredentialView, o: &VerifyOptions<'_>) -> Result<(), Reason> {
    let now = o.now.unix();
    if let Some(from) = view.valid_from {
        if from.unix() > now.saturating_add(o.clock_skew_secs) {
            return Err(Reason::new(
                ReasonCode::NotYetValid,
                format!("valid from {from}"),
            ));
        }
    }
    if let Some(until) = view.valid_until {
        if until.unix() < now.saturating_sub(o.clock_skew_secs) {
            return Err(Reason::new(
                ReasonCode::Expired,
                format!("valid until {until}"),
            ));
        }
    }
    Ok(())
}

fn check_trust(
    view: &CredentialView,
    o: &VerifyOptions<'_>,
    issuer: &Did,
) -> Result<Result<(), Reason>, VerifyError> {
    // Accreditation is judged at issuance time: a later withdrawal does not
    // invalidate credentials issued while the issuer was accredited.
    let at = view.issued_at.unwrap_or(o.now);
    match o
        .trust
        .is_accredited(issuer.as_str(), &view.primary_type, at)
    {
        Ok(true) => Ok(Ok(())),
        Ok(false) => Ok(Err(Reason::new(
            ReasonCode::UntrustedIssuer,
            format!("issuer not trusted for {}", view.primary_type),
        ))),
        Err(e) => Err(VerifyError::Trust(e)),
    }
}

fn check_status(
    v: &Verifier,
    view: &CredentialView,
    o: &VerifyOptions<'_>,
    issuer: &Did,
) -> Result<Option<Result<(), Reason>>, VerifyError> {
    if view.status.is_empty() {
        return Ok(None);
    }
    let Some(checker) = &v.status else {
        return Ok(None);
    };
    for entry in &view.status {
        let reason = match checker.check(issuer.as_str(), entry, o.now) {
            Ok(StatusOutcome::Valid) => continue,
            Ok(StatusOutcome::Revoked) => Reason::new(ReasonCode::Revoked, "status list"),
            Ok(StatusOutcome::Suspended) => Reason::new(ReasonCode::Suspended, "status list"),
            Err(e @ StatusError::Unavailable(_)) => return Err(VerifyError::Status(e)),
            Err(e @ StatusError::Retrieval(_)) => Reason::new(ReasonCode::StatusRetrievalError, e),
            Err(e @ StatusError::Verification(_)) => {
                Reason::new(ReasonCode::StatusVerificationError, e)
            }
            Err(e @ StatusError::Range(_)) => Reason::new(ReasonCode::StatusRangeError, e),
        };
        return Ok(Some(Err(reason)));
    }
    Ok(Some(Ok(())))
}

// ---- holder binding, policy ------------------------------------------------

fn check_holder_binding(
    v: &Verifier,
    sd: Option<IssuerVerifiedSdJwt<'_>>,
    o: &VerifyOptions<'_>,
) -> Result<(HolderBindingStatus, Option<Result<(), Reason>>), VerifyError> {
    let hb = &o.holder_binding;
    let Some(sd) = sd else {
        // VC-JOSE carries no holder binding of its own.
        return Ok(if hb.required {
            (
                HolderBindingStatus::Failed,
                Some(Err(Reason::new(
                    ReasonCode::HolderBinding,
                    "this format carries no holder binding",
                ))),
            )
        } else {
            (HolderBindingStatus::NotChecked, None)
        });
    };
    if !hb.required && !sd.has_key_binding() {
        return Ok((HolderBindingStatus::NotChecked, None));
    }
    let policy = HeaderPolicy {
        algorithms: o.algorithms,
        typ: &[Some(typ::KB_JWT)],
        understood_crit: &[],
        limits: o.limits.jws,
    };
    let check = KeyBindingCheck {
        required: hb.required,
        audience: hb.audience,
        nonce: hb.nonce,
        now: o.now,
        max_age_secs: hb.max_age_secs,
        max_skew_secs: o.clock_skew_secs,
    };
    let bound = match sd.bind(&policy, &check) {
        Ok(b) => b,
        Err(e) => return Ok((HolderBindingStatus::Failed, Some(Err(sd_jwt_reason(e))))),
    };
    let Some(kb) = bound.key_binding else {
        return Ok((HolderBindingStatus::NotChecked, None));
    };
    if let Some(r) = consume_nonce(v, o)? {
        return Ok((HolderBindingStatus::Failed, Some(Err(r))));
    }
    let status = if hb.audience.is_some()
        && hb.nonce.is_some()
        && kb.nonce.as_str() == hb.nonce.unwrap_or_default()
    {
        HolderBindingStatus::Verified
    } else {
        HolderBindingStatus::KeyBindingOnly
    };
    Ok((status, Some(Ok(()))))
}

/// Single use: the verifier's nonce is consumed in its store, if it has one.
fn consume_nonce(v: &Verifier, o: &VerifyOptions<'_>) -> Result<Option<Reason>, VerifyError> {
    let (Some(nonce), Some(store)) = (o.holder_binding.nonce, &v.nonces) else {
        return Ok(None);
    };
    Ok(
        match store.consume(nonce, o.now).map_err(VerifyError::Nonce)? {
            NonceState::Fresh => None,
            NonceState::AlreadyUsed => Some(Reason::new(ReasonCode::Replay, "nonce already used")),
            NonceState::Unknown => Some(Reason::new(
                ReasonCode::WrongNonce,
                "nonce unknown or expired",
            )),
        },
    )
}

/// Data Integrity presentations: the holder's `authentication` proof, by the
/// credential's subject, fresh, with the verifier's nonce as `challenge` and
/// its identifier in `domain`.
fn check_di_holder_binding(
    v: &Verifier,
    vp: UnverifiedSecuredDocument,
    view: &CredentialView,
    o: &VerifyOptions<'_>,
) -> Result<(HolderBindingStatus, Option<Result<(), Reason>>), VerifyError> {
    let hb = &o.holder_binding;
    let failed = |r: Reason| Ok((HolderBindingStatus::Failed, Some(Err(r))));
    let Some(proof) = vp.proofs().first() else {
        return failed(Reason::new(ReasonCode::HolderBinding, "no holder proof"));
    };
    let (signer, key) = match resolve_method(
        v,
        proof.verification_method(),
        Relationship::Authentication,
        proof.created(),
    )? {
        Ok(k) => k,
        Err(r) => return failed(r),
    };
    let holder = match vp.unverified_document().get("holder") {
        Some(Value::Object(h)) => h.get("id").and_then(Value::as_str),
        other => other.and_then(Value::as_str),
    };
    if holder.is_some_and(|h| h != signer.as_str()) {
        return failed(Reason::new(
            ReasonCode::HolderBinding,
            "the presentation is signed by someone other than its holder",
        ));
    }
    if view.claims.get("id").and_then(Value::as_str) != Some(signer.as_str()) {
        return failed(Reason::new(
            ReasonCode::HolderBinding,
            "the credential was not issued to the presenter",
        ));
    }
    match proof.created() {
        Some(c) if o.now.unix().saturating_sub(c.unix()) > hb.max_age_secs => {
            return failed(Reason::new(
                ReasonCode::KeyBindingError,
                "the presentation is too old",
            ));
        }
        None => {
            return failed(Reason::new(
                ReasonCode::KeyBindingError,
                "the presentation proof has no created time",
            ));
        }
        Some(_) => {}
    }
    let check = ProofCheck {
        now: o.now,
        clock_skew_secs: o.clock_skew_secs,
        purpose: Relationship::Authentication,
        challenge: hb.nonce,
        domain: hb.audience,
    };
    if let Err(e) = vp.verify(&[key], &check) {
        let mut reason = di_reason(e);
        if reason.code == ReasonCode::BadSignature {
            reason = Reason::new(
                ReasonCode::KeyBindingError,
                "the holder's signature does not verify",
            );
        }
        return failed(reason);
    }
    if let Some(r) = consume_nonce(v, o)? {
        return failed(r);
    }
    let status = if hb.audience.is_some() && hb.nonce.is_some() {
        HolderBindingStatus::Verified
    } else {
        HolderBindingStatus::KeyBindingOnly
    };
    Ok((status, Some(Ok(()))))
}

fn check_policy(view: &CredentialView, o: &VerifyOptions<'_>) -> Option<Result<(), Reason>> {
    let p = o.policy;
    if p.accepted_types.is_empty() && p.required_claims.is_empty() {
        return None;
    }
    if !p.accepted_types.is_empty() && !view.types.iter().any(|t| p.accepted_types.contains(t)) {
        return Some(Err(Reason::new(
            ReasonCode::ClaimMismatch,
            "this counter does not accept this credential type",
        )));
    }
    let missing: Vec<&str> = p
        .required_claims
        .iter()
        .map(String::as_str)
        .filter(|c| !has_path(&view.claims, c))
        .collect();
    if !missing.is_empty() {
        return Some(Err(Reason::new(
            ReasonCode::ClaimMismatch,
            format!("required claims not disclosed: {}", missing.join(", ")),
        )));
    }
    Some(Ok(()))
}

fn has_path(claims: &Map<String, Value>, path: &str) -> bool {
    let mut cur = Some(claims);
    let mut last = None;
    for seg in path.split('.') {
        last = cur.and_then(|m| m.get(seg));
        cur = last.and_then(Value::as_object);
    }
    last.is_some()
}
