//! The `DataIntegrityProof` model (VC Data Integrity 1.0 §2.1), proof
//! options for creating one, and proof sets and chains (§2.1.2, §4.3–4.5).
//!
//! A secured document is read into an [`UnverifiedSecuredDocument`]: the
//! document without its `proof`, and every proof, parsed. Only
//! [`UnverifiedSecuredDocument::verify`], given the key of every proof,
//! yields a [`VerifiedDocument`].

use serde_json::{Map, Value};

use super::{Cryptosuite, DATA_INTEGRITY_PROOF, DiError, eddsa_jcs};
use crate::did::Relationship;
use crate::encoding::multibase_b58_decode;
use crate::key::{PublicKey, Signer};
use crate::time::Timestamp;

/// Most proofs Stele reads on one document.
pub const MAX_PROOFS: usize = 8;

/// Longest `proofValue` Stele decodes, in characters: base58 decoding costs
/// the square of the length, so a hostile megabyte must not reach it. (An
/// Ed25519 signature is 89 characters.)
pub const MAX_PROOF_VALUE_CHARS: usize = 4096;

/// One Data Integrity proof, as it appeared in a document.
///
/// The typed accessors are views of the proof object, read once; its members
/// are hashed exactly as received (unknown members included), never
/// re-serialised from the views.
#[derive(Debug, Clone, PartialEq)]
pub struct DataIntegrityProof {
    /// The proof's `id`, if any (proof chains refer to it).
    id: Option<String>,
    /// `cryptosuite`.
    cryptosuite: String,
    /// `created`, if any.
    created: Option<Timestamp>,
    /// `expires`, if any.
    expires: Option<Timestamp>,
    /// `verificationMethod`: the DID URL of the key.
    verification_method: String,
    /// `proofPurpose` as written (`assertionMethod`, `authentication`, …).
    proof_purpose: String,
    /// `challenge`, if any.
    challenge: Option<String>,
    /// `domain` (a string or a list of strings), if any.
    domain: Vec<String>,
    /// `previousProof` ids (a string or a list of strings), if any.
    previous_proof: Vec<String>,
    /// The decoded `proofValue`.
    proof_value: Vec<u8>,
    /// The proof object as received, `proofValue` included (a later proof in
    /// a chain signs over it).
    members: Map<String, Value>,
}

impl DataIntegrityProof {
    /// Reads one proof object. Refuses any type but `DataIntegrityProof`, a
    /// missing `cryptosuite`, `verificationMethod`, `proofPurpose` or
    /// `proofValue`, dates that are not XML Schema `dateTime`s, and
    /// `proofValue`s that are not multibase base58btc.
    pub fn from_value(raw: Value) -> Result<Self, DiError> {
        let Value::Object(members) = raw else {
            return Err(DiError::MalformedProof("a proof must be an object".into()));
        };
        let object = &members;
        let text = |name: &'static str| -> Result<Option<String>, DiError> {
            match object.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(DiError::MalformedProof(format!("{name} must be a string"))),
            }
        };
        let required = |name: &'static str| -> Result<String, DiError> {
            text(name)?.ok_or_else(|| DiError::MalformedProof(format!("{name} is missing")))
        };
        let date = |name: &'static str| -> Result<Option<Timestamp>, DiError> {
            text(name)?
                .map(|s| {
                    Timestamp::parse_rfc3339(&s)
                        .map_err(|_| DiError::MalformedProof(format!("{name} is not a dateTime")))
                })
                .transpose()
        };
        let strings = |name: &'static str| -> Result<Vec<String>, DiError> {
            match object.get(name) {
                None => Ok(Vec::new()),
                Some(Value::String(s)) => Ok(vec![s.clone()]),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| DiError::MalformedProof(format!("{name} must be strings"))),
                Some(_) => Err(DiError::MalformedProof(format!(
                    "{name} must be a string or a list of strings"
                ))),
            }
        };
        let type_ = required("type")?;
        if type_ != DATA_INTEGRITY_PROOF {
            return Err(DiError::UnsupportedCryptosuite(
                type_.chars().take(64).collect(),
            ));
        }
        let cryptosuite = required("cryptosuite")?;
        let proof_value = required("proofValue")?;
        if proof_value.len() > MAX_PROOF_VALUE_CHARS {
            return Err(DiError::MalformedProof("proofValue is too long".into()));
        }
        let proof_value = multibase_b58_decode(&proof_value)
            .map_err(|_| DiError::MalformedProof("proofValue is not multibase base58btc".into()))?;
        let proof = DataIntegrityProof {
            id: text("id")?,
            created: date("created")?,
            expires: date("expires")?,
            verification_method: required("verificationMethod")?,
            proof_purpose: required("proofPurpose")?,
            challenge: text("challenge")?,
            domain: strings("domain")?,
            previous_proof: strings("previousProof")?,
            cryptosuite,
            proof_value,
            members: Map::new(),
        };
        Ok(DataIntegrityProof { members, ..proof })
    }

    /// The proof's `id`, if any (proof chains refer to it).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// `cryptosuite`.
    pub fn cryptosuite(&self) -> &str {
        &self.cryptosuite
    }

    /// `created`, if any.
    pub fn created(&self) -> Option<Timestamp> {
        self.created
    }

    /// `expires`, if any.
    pub fn expires(&self) -> Option<Timestamp> {
        self.expires
    }

    /// `verificationMethod`: the DID URL of the key.
    pub fn verification_method(&self) -> &str {
        &self.verification_method
    }

    /// `proofPurpose` as written.
    pub fn proof_purpose(&self) -> &str {
        &self.proof_purpose
    }

    /// `challenge`, if any.
    pub fn challenge(&self) -> Option<&str> {
        self.challenge.as_deref()
    }

    /// `domain` (one or more), empty if absent.
    pub fn domain(&self) -> &[String] {
        &self.domain
    }

    /// `previousProof` ids, empty if absent.
    pub fn previous_proof(&self) -> &[String] {
        &self.previous_proof
    }

    /// The proof object as received. Its members but `proofValue` are the
    /// proof options that were signed.
    pub fn members(&self) -> &Map<String, Value> {
        &self.members
    }

    /// The decoded `proofValue` (for eddsa-jcs-2022, the 64-byte signature).
    pub fn proof_value(&self) -> &[u8] {
        &self.proof_value
    }

    /// The verification relationship `proofPurpose` names, if it names one.
    pub fn relationship(&self) -> Option<Relationship> {
        Relationship::ALL
            .into_iter()
            .find(|r| r.property() == self.proof_purpose)
    }
}

/// The options of a new proof (the issuer's or the holder's side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// The proof's `id` (needed when a later proof chains to this one).
    pub id: Option<String>,
    /// The verification method (DID URL) of the signing key.
    pub verification_method: String,
    /// The purpose: `AssertionMethod` for credentials, `Authentication` for presentations.
    pub proof_purpose: Relationship,
    /// `created`.
    pub created: Option<Timestamp>,
    /// `expires`.
    pub expires: Option<Timestamp>,
    /// `challenge` (a presentation's nonce).
    pub challenge: Option<String>,
    /// `domain` (a presentation's audience).
    pub domain: Option<String>,
    /// `previousProof`: ids of proofs this one chains to.
    pub previous_proof: Vec<String>,
}

impl ProofOptions {
    /// Options for an assertion (issuing a credential) by `verification_method` at `created`.
    pub fn assertion(verification_method: impl Into<String>, created: Timestamp) -> Self {
        ProofOptions {
            id: None,
            verification_method: verification_method.into(),
            proof_purpose: Relationship::AssertionMethod,
            created: Some(created),
            expires: None,
            challenge: None,
            domain: None,
            previous_proof: Vec::new(),
        }
    }

    /// The proof object these options describe, without `proofValue` (and without `@context`).
    pub fn to_object(&self, cryptosuite: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), DATA_INTEGRITY_PROOF.into());
        if let Some(id) = &self.id {
            m.insert("id".into(), id.clone().into());
        }
        m.insert("cryptosuite".into(), cryptosuite.into());
        if let Some(t) = self.created {
            m.insert("created".into(), t.to_rfc3339().into());
        }
        if let Some(t) = self.expires {
            m.insert("expires".into(), t.to_rfc3339().into());
        }
        m.insert(
            "verificationMethod".into(),
            self.verification_method.clone().into(),
        );
        m.insert("proofPurpose".into(), self.proof_purpose.property().into());
        if let Some(c) = &self.challenge {
            m.insert("challenge".into(), c.clone().into());
        }
        if let Some(d) = &self.domain {
            m.insert("domain".into(), d.clone().into());
        }
        match self.previous_proof.as_slice() {
            [] => {}
            [one] => {
                m.insert("previousProof".into(), one.clone().into());
            }
            many => {
                m.insert("previousProof".into(), many.to_vec().into());
            }
        }
        m
    }
}

/// Adds an `eddsa-jcs-2022` proof to `document` (VC Data Integrity §4.3): the
/// first proof becomes `proof`; a later one turns `proof` into a proof set,
/// and, when `options.previous_proof` names earlier proofs, signs over them
/// too (a proof chain).
pub fn add_proof(
    document: &mut Map<String, Value>,
    options: &ProofOptions,
    signer: &dyn Signer,
) -> Result<(), DiError> {
    add_proof_with(document, Cryptosuite::EddsaJcs2022, options, signer)
}

/// [`add_proof`] with the given cryptosuite; a cryptosuite this build does
/// not have (`eddsa-rdfc-2022` without the `rdfc` feature) is refused.
pub fn add_proof_with(
    document: &mut Map<String, Value>,
    suite: Cryptosuite,
    options: &ProofOptions,
    signer: &dyn Signer,
) -> Result<(), DiError> {
    if !suite.is_available() {
        return Err(DiError::UnsupportedCryptosuite(suite.name().to_owned()));
    }
    let existing: Vec<Value> = match document.remove("proof") {
        None => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(p) => vec![p],
    };
    let made = chained_proof(document, &existing, suite, options, signer);
    document.remove("proof");
    let mut all = existing;
    // On failure the document keeps the proofs it had.
    let made = made.map(|proof| all.push(Value::Object(proof)));
    match all.len() {
        0 => {}
        1 => {
            if let Some(only) = all.pop() {
                document.insert("proof".into(), only);
            }
        }
        _ => {
            document.insert("proof".into(), Value::Array(all));
        }
    }
    made
}

/// A new proof over `document` (which has no `proof` member) carrying, when
/// `options.previous_proof` names some, the proofs of `existing` it chains to.
fn chained_proof(
    document: &mut Map<String, Value>,
    existing: &[Value],
    suite: Cryptosuite,
    options: &ProofOptions,
    signer: &dyn Signer,
) -> Result<Map<String, Value>, DiError> {
    let mut matching = Vec::with_capacity(options.previous_proof.len());
    for id in &options.previous_proof {
        let found = existing
            .iter()
            .find(|p| p.get("id").and_then(Value::as_str) == Some(id.as_str()))
            .ok_or(DiError::PreviousProofMissing)?;
        matching.push(found.clone());
    }
    if !matching.is_empty() {
        document.insert("proof".into(), Value::Array(matching));
    }
    match suite {
        Cryptosuite::EddsaJcs2022 => eddsa_jcs::SUITE.create_proof(document, options, signer),
        #[cfg(feature = "rdfc")]
        Cryptosuite::EddsaRdfc2022 => {
            super::eddsa_rdfc::SUITE.create_proof(document, options, signer)
        }
        #[cfg(not(feature = "rdfc"))]
        Cryptosuite::EddsaRdfc2022 => Err(DiError::UnsupportedCryptosuite(suite.name().to_owned())),
    }
}

/// What the verifier expects of every proof.
#[derive(Debug, Clone, Copy)]
pub struct ProofCheck<'a> {
    /// The verification time.
    pub now: Timestamp,
    /// Tolerated clock difference for `created` and `expires`, in seconds.
    pub clock_skew_secs: i64,
    /// The required purpose: `AssertionMethod` for credentials, `Authentication` for presentations.
    pub purpose: Relationship,
    /// The nonce the proof's `challenge` must equal, when the verifier sent one.
    pub challenge: Option<&'a str>,
    /// The audience the proof's `domain` must contain, when the verifier has one.
    pub domain: Option<&'a str>,
}

/// A Data Integrity secured document whose proofs have not been verified.
#[derive(Debug, Clone)]
pub struct UnverifiedSecuredDocument {
    /// The document without `proof`.
    document: Map<String, Value>,
    proofs: Vec<DataIntegrityProof>,
    /// The cryptosuite of every proof.
    suite: Cryptosuite,
}

/// A document every proof of which verified.
#[derive(Debug, Clone)]
pub struct VerifiedDocument {
    /// The document, without `proof`.
    pub document: Map<String, Value>,
    /// Its proofs, all verified.
    pub proofs: Vec<DataIntegrityProof>,
}

impl UnverifiedSecuredDocument {
    /// Takes the `proof` (one object, or a proof set) out of `document` and
    /// reads every proof. Refuses documents without a proof, with more than
    /// [`MAX_PROOFS`], proofs of a cryptosuite Stele does not know, and
    /// proofs of mixed cryptosuites (`eddsa-rdfc-2022` is accepted here even
    /// without the `rdfc` feature, so that the pipeline can name the format;
    /// [`UnverifiedSecuredDocument::verify`] refuses it then).
    pub fn from_document(mut document: Map<String, Value>) -> Result<Self, DiError> {
        let raw = match document.remove("proof") {
            None => return Err(DiError::NoProof),
            Some(Value::Array(a)) if a.is_empty() => return Err(DiError::NoProof),
            Some(Value::Array(a)) => a,
            Some(p) => vec![p],
        };
        if raw.len() > MAX_PROOFS {
            return Err(DiError::TooManyProofs(MAX_PROOFS));
        }
        let proofs = raw
            .into_iter()
            .map(DataIntegrityProof::from_value)
            .collect::<Result<Vec<_>, _>>()?;
        let mut suite = None;
        for proof in &proofs {
            let this = Cryptosuite::from_name(&proof.cryptosuite).ok_or_else(|| {
                DiError::UnsupportedCryptosuite(proof.cryptosuite.chars().take(64).collect())
            })?;
            if suite.is_some_and(|s| s != this) {
                return Err(DiError::UnsupportedCryptosuite(
                    "proofs of several cryptosuites on one document".into(),
                ));
            }
            suite = Some(this);
        }
        let suite = suite.ok_or(DiError::NoProof)?;
        Ok(UnverifiedSecuredDocument {
            document,
            proofs,
            suite,
        })
    }

    /// The document without its proofs, read before any signature is checked:
    /// use it only to find the keys.
    pub fn unverified_document(&self) -> &Map<String, Value> {
        &self.document
    }

    /// The proofs, in document order.
    pub fn proofs(&self) -> &[DataIntegrityProof] {
        &self.proofs
    }

    /// The cryptosuite of the proofs (all proofs of a document share one).
    pub fn cryptosuite(&self) -> Cryptosuite {
        self.suite
    }

    /// Verifies every proof (VC Data Integrity §4.5): `keys[i]` is the key of
    /// the verification method of `proofs()[i]`, already resolved under the
    /// relationship of `check.purpose`. A proof with `previousProof` is
    /// verified over the document with the proofs it names.
    pub fn verify(
        self,
        keys: &[PublicKey],
        check: &ProofCheck<'_>,
    ) -> Result<VerifiedDocument, DiError> {
        if !self.suite.is_available() {
            return Err(DiError::UnsupportedCryptosuite(
                self.suite.name().to_owned(),
            ));
        }
        if keys.len() != self.proofs.len() {
            return Err(DiError::MalformedProof(
                "a key is missing for a proof".into(),
            ));
        }
        for (proof, key) in self.proofs.iter().zip(keys) {
            check_proof_options(proof, check)?;
            let chained = if proof.previous_proof.is_empty() {
                None
            } else {
                let mut matching = Vec::with_capacity(proof.previous_proof.len());
                for id in &proof.previous_proof {
                    let found = self
                        .proofs
                        .iter()
                        .find(|p| p.id.as_deref() == Some(id.as_str()))
                        .ok_or(DiError::PreviousProofMissing)?;
                    matching.push(Value::Object(found.members.clone()));
                }
                Some(Value::Array(matching))
            };
            match self.suite {
                Cryptosuite::EddsaJcs2022 => {
                    eddsa_jcs::SUITE.verify_proof(&self.document, chained.as_ref(), proof, key)?
                }
                #[cfg(feature = "rdfc")]
                Cryptosuite::EddsaRdfc2022 => super::eddsa_rdfc::SUITE.verify_proof(
                    &self.document,
                    chained.as_ref(),
                    proof,
                    key,
                )?,
                #[cfg(not(feature = "rdfc"))]
                Cryptosuite::EddsaRdfc2022 => {
                    return Err(DiError::UnsupportedCryptosuite(
                        self.suite.name().to_owned(),
                    ));
                }
            }
        }
        Ok(VerifiedDocument {
            document: self.document,
            proofs: self.proofs,
        })
    }
}

/// The checks of VC Data Integrity §4.4 that do not need the key: purpose,
/// challenge, domain, and the `created`/`expires` window.
fn check_proof_options(proof: &DataIntegrityProof, check: &ProofCheck<'_>) -> Result<(), DiError> {
    if proof.proof_purpose != check.purpose.property() {
        return Err(DiError::WrongPurpose {
            expected: check.purpose.property(),
            found: proof.proof_purpose.chars().take(64).collect(),
        });
    }
    if let Some(nonce) = check.challenge {
        if proof.challenge.as_deref() != Some(nonce) {
            return Err(DiError::WrongChallenge);
        }
    }
    if let Some(audience) = check.domain {
        if !proof.domain.iter().any(|d| d == audience) {
            return Err(DiError::WrongDomain);
        }
    }
    let now = check.now.unix();
    if proof
        .created
        .is_some_and(|c| c.unix() > now.saturating_add(check.clock_skew_secs))
    {
        return Err(DiError::CreatedInFuture);
    }
    if proof
        .expires
        .is_some_and(|e| e.unix() < now.saturating_sub(check.clock_skew_secs))
    {
        return Err(DiError::ProofExpired);
    }
    Ok(())
}
