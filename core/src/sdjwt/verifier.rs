//! The verifier's side: every check of RFC 9901 §7.1 (the SD-JWT) and §7.3
//! (the key-binding JWT).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Disclosure, SD_ALG, SdJwtError, SdJwtLimits, SdJwtParts, sd_hash};
use crate::jose::{HeaderPolicy, UnverifiedJws, typ};
use crate::key::{Jwk, PublicKey};
use crate::time::Timestamp;

/// What the verifier requires of key binding.
#[derive(Debug, Clone, Copy)]
pub struct KeyBindingCheck<'a> {
    /// A KB-JWT must be present.
    pub required: bool,
    /// The audience the KB-JWT must name (this verifier).
    pub audience: Option<&'a str>,
    /// The nonce the KB-JWT must carry (this transaction's challenge).
    pub nonce: Option<&'a str>,
    /// Now, for the freshness of `iat`.
    pub now: Timestamp,
    /// Oldest acceptable `iat`, in seconds before `now`.
    pub max_age_secs: i64,
    /// Tolerated clock skew for an `iat` in the future, in seconds.
    pub max_skew_secs: i64,
}

/// A decoded SD-JWT whose issuer signature is not checked yet.
#[derive(Debug, Clone)]
pub struct UnverifiedSdJwt<'a> {
    parts: SdJwtParts<'a>,
    jws: UnverifiedJws<'a>,
    limits: SdJwtLimits,
}

/// The key-binding JWT's verified claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBinding {
    /// `aud`.
    pub audience: String,
    /// `nonce`.
    pub nonce: String,
    /// `iat`.
    pub issued_at: Timestamp,
}

/// An SD-JWT whose issuer signature, disclosures and (if present) key binding verified.
#[derive(Debug, Clone)]
pub struct VerifiedSdJwt {
    /// The issuer JWS header.
    pub header: crate::jose::Header,
    /// The processed claims: the always-visible ones plus the disclosed
    /// ones, with `_sd` and `_sd_alg` removed.
    pub claims: Map<String, Value>,
    /// Names of the top-level claims that came from disclosures.
    pub disclosed: Vec<String>,
    /// The holder's key from `cnf.jwk`, if any.
    pub holder_key: Option<PublicKey>,
    /// The verified key binding, if a KB-JWT was present.
    pub key_binding: Option<KeyBinding>,
}

impl<'a> UnverifiedSdJwt<'a> {
    /// Splits the SD-JWT and applies `policy` to the issuer JWS header.
    pub fn decode(
        input: &'a str,
        policy: &HeaderPolicy<'_>,
        limits: SdJwtLimits,
    ) -> Result<Self, SdJwtError> {
        let parts = SdJwtParts::split(input, &limits)?;
        let jws = UnverifiedJws::decode(parts.issuer_jwt, policy).map_err(SdJwtError::Jws)?;
        Ok(UnverifiedSdJwt { parts, jws, limits })
    }

    /// The issuer JWS, to find the issuer's key (`iss`, `kid`).
    pub fn issuer_jws(&self) -> &UnverifiedJws<'a> {
        &self.jws
    }

    /// Whether a key-binding JWT is attached.
    pub fn has_key_binding(&self) -> bool {
        self.parts.kb_jwt.is_some()
    }

    /// Checks the issuer signature under `issuer_key`, processes the
    /// disclosures, and checks key binding as `kb` requires.
    pub fn verify(
        self,
        issuer_key: &PublicKey,
        kb_policy: &HeaderPolicy<'_>,
        kb: &KeyBindingCheck<'_>,
    ) -> Result<VerifiedSdJwt, SdJwtError> {
        self.verify_issuer(issuer_key)?.bind(kb_policy, kb)
    }

    /// Checks the issuer signature under `issuer_key` and processes the
    /// disclosures (RFC 9901 §7.1); key binding is checked next, by
    /// [`IssuerVerifiedSdJwt::bind`].
    pub fn verify_issuer(
        self,
        issuer_key: &PublicKey,
    ) -> Result<IssuerVerifiedSdJwt<'a>, SdJwtError> {
        let jws = self.jws.verify(issuer_key).map_err(SdJwtError::Jws)?;
        let mut payload = jws.payload;
        match payload.get("_sd_alg") {
            None => {}
            Some(Value::String(a)) if a == SD_ALG => {}
            Some(other) => {
                return Err(SdJwtError::UnsupportedSdAlg(
                    other
                        .as_str()
                        .unwrap_or("(not a string)")
                        .chars()
                        .take(32)
                        .collect(),
                ));
            }
        }
        let mut disclosures = HashMap::new();
        for encoded in self.parts.disclosure_strs() {
            let d = Disclosure::parse(encoded, crate::json::JsonLimits::DEFAULT)?;
            if disclosures.insert(d.digest.clone(), d).is_some() {
                return Err(SdJwtError::Disclosure(
                    "the same disclosure appears twice".into(),
                ));
            }
        }
        let mut disclosed = Vec::new();
        let mut state = Processing {
            disclosures: &mut disclosures,
            seen: HashMap::new(),
            max_depth: self.limits.max_depth,
        };
        state.object(&mut payload, 0, Some(&mut disclosed))?;
        // Every disclosure the payload references has been taken out.
        if !disclosures.is_empty() {
            return Err(SdJwtError::Disclosure(
                "a disclosure is not referenced by the SD-JWT".into(),
            ));
        }
        payload.remove("_sd_alg");

        // A cnf key Stele cannot use (RSA, say) only matters if key binding is checked.
        let holder_key = payload.get("cnf").and_then(|cnf| cnf_key(cnf).ok());
        Ok(IssuerVerifiedSdJwt {
            verified: VerifiedSdJwt {
                header: jws.header,
                claims: payload,
                disclosed,
                holder_key,
                key_binding: None,
            },
            kb_jwt: self.parts.kb_jwt,
            hashed_part: self.parts.hashed_part,
        })
    }
}

/// An SD-JWT whose issuer signature and disclosures verified; key binding
/// not yet checked.
#[derive(Debug, Clone)]
pub struct IssuerVerifiedSdJwt<'a> {
    verified: VerifiedSdJwt,
    kb_jwt: Option<&'a str>,
    hashed_part: &'a str,
}

impl IssuerVerifiedSdJwt<'_> {
    /// The claims, before key binding is checked.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.verified.claims
    }

    /// Whether a key-binding JWT is attached.
    pub fn has_key_binding(&self) -> bool {
        self.kb_jwt.is_some()
    }

    /// Moves the claims out, for a caller that reads them once (the
    /// verification pipeline); [`Self::claims`] is empty afterwards.
    pub(crate) fn take_claims(&mut self) -> Map<String, Value> {
        std::mem::take(&mut self.verified.claims)
    }

    /// Names of the top-level claims that came from disclosures.
    pub fn disclosed(&self) -> &[String] {
        &self.verified.disclosed
    }

    /// Checks key binding (RFC 9901 §7.3) as `kb` requires.
    pub fn bind(
        self,
        kb_policy: &HeaderPolicy<'_>,
        kb: &KeyBindingCheck<'_>,
    ) -> Result<VerifiedSdJwt, SdJwtError> {
        let mut verified = self.verified;
        verified.key_binding = match self.kb_jwt {
            None if kb.required => return Err(SdJwtError::KeyBindingMissing),
            None => None,
            Some(kb_jwt) => {
                let key = verified
                    .holder_key
                    .as_ref()
                    .ok_or(SdJwtError::NoHolderKey)?;
                Some(check_kb(kb_jwt, key, self.hashed_part, kb_policy, kb)?)
            }
        };
        Ok(verified)
    }
}

/// The holder key of an SD-JWT: `cnf.jwk` (RFC 7800). Other confirmation
/// methods (`kid`, `jku`) are not supported and refused.
pub fn cnf_key(cnf: &Value) -> Result<PublicKey, SdJwtError> {
    let jwk = cnf.get("jwk").ok_or(SdJwtError::NoHolderKey)?;
    let jwk = Jwk::from_value(jwk).map_err(|_| SdJwtError::NoHolderKey)?;
    PublicKey::from_jwk(&jwk).map_err(|_| SdJwtError::NoHolderKey)
}

fn check_kb(
    kb_jwt: &str,
    holder_key: &PublicKey,
    hashed_part: &str,
    policy: &HeaderPolicy<'_>,
    kb: &KeyBindingCheck<'_>,
) -> Result<KeyBinding, SdJwtError> {
    let bad = |m: &str| SdJwtError::KeyBinding(m.to_owned());
    let policy = HeaderPolicy {
        typ: &[Some(typ::KB_JWT)],
        ..*policy
    };
    let jws = UnverifiedJws::decode(kb_jwt, &policy)
        .map_err(|e| SdJwtError::KeyBinding(e.to_string()))?
        .verify(holder_key)
        .map_err(|e| SdJwtError::KeyBinding(e.to_string()))?;
    let p = &jws.payload;
    let string = |name: &str| p.get(name).and_then(Value::as_str).map(str::to_owned);
    let iat = p
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| bad("iat missing or not an integer"))?;
    let audience = string("aud").ok_or_else(|| bad("aud missing or not a string"))?;
    let nonce = string("nonce").ok_or_else(|| bad("nonce missing or not a string"))?;
    let hash = string("sd_hash").ok_or_else(|| bad("sd_hash missing"))?;
    if hash != sd_hash(hashed_part) {
        return Err(bad("sd_hash does not match the presented SD-JWT"));
    }
    if let Some(want) = kb.audience {
        if audience != want {
            return Err(SdJwtError::WrongAudience);
        }
    }
    if let Some(want) = kb.nonce {
        if nonce != want {
            return Err(SdJwtError::WrongNonce);
        }
    }
    let now = kb.now.unix();
    if iat > now.saturating_add(kb.max_skew_secs) {
        return Err(bad("iat is in the future"));
    }
    if iat < now.saturating_sub(kb.max_age_secs) {
        return Err(bad("iat is too old"));
    }
    Ok(KeyBinding {
        audience,
        nonce,
        issued_at: Timestamp::from_unix(iat),
    })
}

struct Processing<'d> {
    /// The disclosures not referenced yet; each is removed when its digest is met.
    disclosures: &'d mut HashMap<String, Disclosure>,
    /// Every digest met in the payload or in disclosed values: each may appear once.
    seen: HashMap<String, ()>,
    max_depth: usize,
}

impl Processing<'_> {
    fn see(&mut self, digest: &str) -> Result<(), SdJwtError> {
        if self.seen.insert(digest.to_owned(), ()).is_some() {
            return Err(SdJwtError::Disclosure(
                "a digest appears more than once".into(),
            ));
        }
        Ok(())
    }

    /// The disclosure of `digest`, if one was presented. `see` refuses a
    /// digest met twice, so removing it loses nothing.
    fn take(&mut self, digest: &str) -> Option<Disclosure> {
        self.disclosures.remove(digest)
    }

    fn object(
        &mut self,
        obj: &mut Map<String, Value>,
        depth: usize,
        mut disclosed: Option<&mut Vec<String>>,
    ) -> Result<(), SdJwtError> {
        if depth > self.max_depth {
            return Err(SdJwtError::ResourceLimit("disclosures nest too deeply"));
        }
        // Plain members first (their nested _sd arrays are processed too).
        for (name, value) in obj.iter_mut() {
            if name != "_sd" {
                self.value(value, depth + 1)?;
            }
        }
        let Some(sd) = obj.remove("_sd") else {
            return Ok(());
        };
        let Value::Array(digests) = sd else {
            return Err(SdJwtError::Disclosure("_sd is not an array".into()));
        };
        for digest in digests {
            let Value::String(digest) = digest else {
                return Err(SdJwtError::Disclosure("_sd holds a non-string".into()));
            };
            self.see(&digest)?;
            let Some(d) = self.take(&digest) else {
                continue; // a decoy, or a claim the holder did not disclose
            };
            let Some(name) = d.name else {
                return Err(SdJwtError::Disclosure(
                    "an array-element disclosure is referenced from _sd".into(),
                ));
            };
            if obj.contains_key(&name) {
                return Err(SdJwtError::Disclosure(
                    "a disclosed claim name already exists".into(),
                ));
            }
            let mut value = d.value;
            self.value(&mut value, depth + 1)?;
            if let Some(list) = disclosed.as_deref_mut() {
                list.push(name.clone());
            }
            obj.insert(name, value);
        }
        Ok(())
    }

    fn value(&mut self, value: &mut Value, depth: usize) -> Result<(), SdJwtError> {
        if depth > self.max_depth {
            return Err(SdJwtError::ResourceLimit("disclosures nest too deeply"));
        }
        match value {
            Value::Object(m) => self.object(m, depth, None),
            Value::Array(items) => {
                let old = std::mem::take(items);
                for item in old {
                    match array_digest(&item) {
                        Some(digest) => {
                            let digest = digest.to_owned();
                            self.see(&digest)?;
                            if let Some(d) = self.take(&digest) {
                                if d.name.is_some() {
                                    return Err(SdJwtError::Disclosure(
                                        "an object-member disclosure is referenced from an array"
                                            .into(),
                                    ));
                                }
                                let mut v = d.value;
                                self.value(&mut v, depth + 1)?;
                                items.push(v);
                            }
                        }
                        None => {
                            let mut item = item;
                            self.value(&mut item, depth + 1)?;
                            items.push(item);
                        }
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// `{"...": "<digest>"}` — the form of a concealed array element.
fn array_digest(item: &Value) -> Option<&str> {
    match item {
        Value::Object(m) if m.len() == 1 => m.get("...").and_then(Value::as_str),
        _ => None,
    }
}
