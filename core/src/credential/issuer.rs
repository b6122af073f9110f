//! The issuer's side of credentials: validate claims against the type's
//! schema, then secure them as SD-JWT VC, VC-JOSE or a Data Integrity
//! `eddsa-jcs-2022` proof.

use rand_core::CryptoRngCore;
use serde_json::{Map, Value};

use super::model::VCDM2_CONTEXT;
use super::schema::{CredentialType, SchemaViolations, credential_type};
use crate::di::Cryptosuite;
use crate::di::context::STELE_V1_CONTEXT;
use crate::di::proof::{ProofOptions, add_proof_with};
use crate::did::key::{did_key_from_public, did_key_method_id, public_key_from_did_key};
use crate::did::{Did, DidError};
use crate::jose::{JoseError, typ};
use crate::key::Signer;
use crate::sdjwt::SdJwtError;
use crate::sdjwt::issuer::{SdOptions, issue as issue_sd_jwt};
use crate::time::Timestamp;

/// How an issued credential is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialFormat {
    /// SD-JWT VC (`dc+sd-jwt`): the counter format, with selective disclosure.
    SdJwt,
    /// VC-JOSE (`vc+jwt`): full disclosure.
    Jwt,
    /// A JSON credential with a Data Integrity proof, cryptosuite
    /// `eddsa-jcs-2022` (Ed25519 issuers only): full disclosure.
    DataIntegrityJcs,
    /// A JSON-LD credential with a Data Integrity proof, cryptosuite
    /// `eddsa-rdfc-2022` (Ed25519 issuers only; needs the `rdfc` feature,
    /// refused as unsupported without it): full disclosure.
    DataIntegrityRdfc,
}

impl CredentialFormat {
    /// Reads `sd-jwt`, `jwt`, `di-jcs` or `di-rdfc`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sd-jwt" | "dc+sd-jwt" => Some(CredentialFormat::SdJwt),
            "jwt" | "vc+jwt" => Some(CredentialFormat::Jwt),
            "di-jcs" | "eddsa-jcs-2022" | "di-eddsa-jcs-2022" => {
                Some(CredentialFormat::DataIntegrityJcs)
            }
            "di-rdfc" | "eddsa-rdfc-2022" | "di-eddsa-rdfc-2022" => {
                Some(CredentialFormat::DataIntegrityRdfc)
            }
            _ => None,
        }
    }
}

/// What to issue.
#[derive(Debug, Clone)]
pub struct IssueRequest<'a> {
    /// The credential type (`ResidencePermitCredential`) or its `vct`.
    pub credential_type: &'a str,
    /// The subject's claims.
    pub claims: Map<String, Value>,
    /// The holder's DID; its key becomes the SD-JWT's `cnf` (a did:key), or
    /// the VC's `credentialSubject.id`.
    pub holder: Option<Did>,
    /// Start of validity; defaults to the time of issuance.
    pub valid_from: Option<Timestamp>,
    /// End of validity.
    pub valid_until: Option<Timestamp>,
    /// The securing format.
    pub format: CredentialFormat,
    /// A status entry (`credentialStatus` / `status`), if the issuer runs status lists.
    pub status: Option<Value>,
}

/// Why a credential could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The type is not one Stele knows.
    #[error("unknown credential type {0:?}")]
    UnknownType(String),
    /// The claims do not conform to the type's schema.
    #[error("claims do not match the {0} schema: {1}")]
    Schema(&'static str, SchemaViolations),
    /// The holder DID is invalid, or not a did:key (SD-JWT needs the holder's key).
    #[error("holder: {0}")]
    Holder(DidError),
    /// `valid_until` is before `valid_from`.
    #[error("the validity period ends before it begins")]
    Validity,
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(String),
}

impl From<JoseError> for IssueError {
    fn from(e: JoseError) -> Self {
        IssueError::Sign(e.to_string())
    }
}

impl From<SdJwtError> for IssueError {
    fn from(e: SdJwtError) -> Self {
        IssueError::Sign(e.to_string())
    }
}

/// An issuer: a signer and the DID and verification method it signs for.
pub struct Issuer<'a> {
    signer: &'a dyn Signer,
    did: Did,
    kid: String,
}

impl<'a> Issuer<'a> {
    /// An issuer whose signer's key is the verification method `kid` of `did`.
    pub fn new(signer: &'a dyn Signer, did: Did, kid: String) -> Self {
        Issuer { signer, did, kid }
    }

    /// An issuer identified by the did:key of its own signing key.
    pub fn with_did_key(signer: &'a dyn Signer) -> Self {
        let did = did_key_from_public(&signer.public_key());
        let kid = did_key_method_id(&did);
        Issuer { signer, did, kid }
    }

    /// The issuer's DID.
    pub fn did(&self) -> &Did {
        &self.did
    }

    /// Validates `request` against its type's schema and issues it at `now`.
    pub fn issue(
        &self,
        request: &IssueRequest<'_>,
        now: Timestamp,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<String, IssueError> {
        let ctype = credential_type(request.credential_type).ok_or_else(|| {
            IssueError::UnknownType(request.credential_type.chars().take(64).collect())
        })?;
        let mut claims = request.claims.clone();
        if let (
            Some(holder),
            CredentialFormat::Jwt
            | CredentialFormat::DataIntegrityJcs
            | CredentialFormat::DataIntegrityRdfc,
        ) = (&request.holder, request.format)
        {
            claims.insert("id".into(), Value::String(holder.as_str().to_owned()));
        }
        ctype
            .schema
            .validate(&Value::Object(claims.clone()))
            .map_err(|v| IssueError::Schema(ctype.name, v))?;
        let valid_from = request.valid_from.unwrap_or(now);
        if request.valid_until.is_some_and(|u| u < valid_from) {
            return Err(IssueError::Validity);
        }
        match request.format {
            CredentialFormat::Jwt => self.issue_jwt(ctype, claims, valid_from, request),
            CredentialFormat::DataIntegrityJcs => self.issue_di(
                Cryptosuite::EddsaJcs2022,
                ctype,
                claims,
                valid_from,
                now,
                request,
            ),
            CredentialFormat::DataIntegrityRdfc => self.issue_di(
                Cryptosuite::EddsaRdfc2022,
                ctype,
                claims,
                valid_from,
                now,
                request,
            ),
            CredentialFormat::SdJwt => {
                self.issue_sd_jwt(ctype, claims, valid_from, now, request, rng)
            }
        }
    }

    fn issue_jwt(
        &self,
        ctype: &CredentialType,
        claims: Map<String, Value>,
        valid_from: Timestamp,
        request: &IssueRequest<'_>,
    ) -> Result<String, IssueError> {
        let vc = self.credential_document(
            ctype,
            claims,
            valid_from,
            request,
            vec![Value::String(VCDM2_CONTEXT.into())],
        );
        Ok(super::jwt::issue(self.signer, &self.kid, &vc)?)
    }

    /// The JSON credential with a Data Integrity proof of `suite` made at
    /// `now`; its `@context` adds Stele's context, which defines the claims.
    fn issue_di(
        &self,
        suite: Cryptosuite,
        ctype: &CredentialType,
        claims: Map<String, Value>,
        valid_from: Timestamp,
        now: Timestamp,
        request: &IssueRequest<'_>,
    ) -> Result<String, IssueError> {
        let context = vec![
            Value::String(VCDM2_CONTEXT.into()),
            Value::String(STELE_V1_CONTEXT.into()),
        ];
        let mut vc = self.credential_document(ctype, claims, valid_from, request, context);
        let method = if self.kid.starts_with('#') {
            format!("{}{}", self.did.as_str(), self.kid)
        } else {
            self.kid.clone()
        };
        let options = ProofOptions::assertion(method, now);
        add_proof_with(&mut vc, suite, &options, self.signer)
            .map_err(|e| IssueError::Sign(e.to_string()))?;
        serde_json::to_string(&vc).map_err(|e| IssueError::Sign(e.to_string()))
    }

    fn credential_document(
        &self,
        ctype: &CredentialType,
        claims: Map<String, Value>,
        valid_from: Timestamp,
        request: &IssueRequest<'_>,
        context: Vec<Value>,
    ) -> Map<String, Value> {
        let mut vc = Map::new();
        vc.insert("@context".into(), Value::Array(context));
        vc.insert(
            "type".into(),
            Value::Array(vec![
                "VerifiableCredential".into(),
                Value::String(ctype.name.into()),
            ]),
        );
        vc.insert("issuer".into(), Value::String(self.did.as_str().into()));
        vc.insert("validFrom".into(), Value::String(valid_from.to_rfc3339()));
        if let Some(until) = request.valid_until {
            vc.insert("validUntil".into(), Value::String(until.to_rfc3339()));
        }
        vc.insert("credentialSubject".into(), Value::Object(claims));
        if let Some(status) = &request.status {
            vc.insert("credentialStatus".into(), status.clone());
        }
        vc
    }

    fn issue_sd_jwt(
        &self,
        ctype: &CredentialType,
        claims: Map<String, Value>,
        valid_from: Timestamp,
        now: Timestamp,
        request: &IssueRequest<'_>,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<String, IssueError> {
        let mut payload = Map::new();
        payload.insert("iss".into(), Value::String(self.did.as_str().into()));
        payload.insert("iat".into(), Value::from(now.unix()));
        if valid_from != now {
            payload.insert("nbf".into(), Value::from(valid_from.unix()));
        }
        if let Some(until) = request.valid_until {
            payload.insert("exp".into(), Value::from(until.unix()));
        }
        payload.insert("vct".into(), Value::String(ctype.vct.clone()));
        if let Some(holder) = &request.holder {
            let key = public_key_from_did_key(holder).map_err(IssueError::Holder)?;
            let mut cnf = Map::new();
            cnf.insert("jwk".into(), key.to_jwk().to_value());
            payload.insert("cnf".into(), Value::Object(cnf));
        }
        if let Some(status) = &request.status {
            payload.insert("status".into(), status.clone());
        }
        // Disclosable by default, as the schema says; members of a
        // disclosable object are disclosable one by one too.
        let mut paths = Vec::new();
        for name in ctype.disclosable_by_default() {
            match claims.get(name) {
                Some(Value::Object(inner)) => {
                    paths.push(name.to_owned());
                    paths.extend(inner.keys().map(|k| format!("{name}.{k}")));
                }
                Some(_) => paths.push(name.to_owned()),
                None => {}
            }
        }
        payload.extend(claims);
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        let decoys = 1 + (rng.next_u32() % 4) as usize;
        let issued = issue_sd_jwt(
            self.signer,
            Some(&self.kid),
            typ::DC_SD_JWT,
            &payload,
            &SdOptions {
                disclosable: &paths,
                decoys,
            },
            rng,
        )?;
        Ok(issued.compact)
    }
}
