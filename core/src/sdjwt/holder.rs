//! The holder's side: choose which disclosures to present and bind the
//! presentation to the verifier's challenge with a key-binding JWT.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Disclosure, SdJwtError, SdJwtLimits, SdJwtParts, sd_hash};
use crate::jose::{HeaderPolicy, JwsLimits, UnverifiedJws, typ};
use crate::key::Signer;
use crate::time::Timestamp;

/// The challenge a key-binding JWT answers.
#[derive(Debug, Clone, Copy)]
pub struct KeyBindingInput<'a> {
    /// The verifier's identifier (`aud`).
    pub audience: &'a str,
    /// The verifier's nonce.
    pub nonce: &'a str,
    /// When the presentation is made (`iat`).
    pub issued_at: Timestamp,
}

/// An SD-JWT as the holder keeps it: the issuer JWT and all its disclosures,
/// with the claim path each disclosure reveals.
#[derive(Debug, Clone)]
pub struct HeldSdJwt {
    issuer_jwt: String,
    payload: Map<String, Value>,
    /// (path, parent disclosure index, disclosure), in the order received.
    entries: Vec<(String, Option<usize>, Disclosure)>,
}

impl HeldSdJwt {
    /// Reads an issued SD-JWT (`jws~d1~…~dn~`). The issuer signature is not
    /// checked here: the wallet verifies a credential fully before storing it.
    pub fn parse(issued: &str) -> Result<Self, SdJwtError> {
        let limits = SdJwtLimits::default();
        let parts = SdJwtParts::split(issued, &limits)?;
        if parts.kb_jwt.is_some() {
            return Err(SdJwtError::Malformed(
                "a presentation, not an issued SD-JWT",
            ));
        }
        let policy = HeaderPolicy {
            algorithms: crate::alg::AlgorithmSet::ALL,
            typ: &[],
            understood_crit: &[],
            limits: JwsLimits::default(),
        };
        let jws = UnverifiedJws::decode(parts.issuer_jwt, &policy).map_err(SdJwtError::Jws)?;
        let payload = jws.unverified_payload().clone();
        let mut by_digest = HashMap::new();
        for encoded in parts.disclosure_strs() {
            let d = Disclosure::parse(encoded, crate::json::JsonLimits::DEFAULT)?;
            by_digest.insert(d.digest.clone(), d);
        }
        let mut entries = Vec::new();
        collect_object(&payload, "", None, &mut by_digest, &mut entries, 0)?;
        if !by_digest.is_empty() {
            return Err(SdJwtError::Disclosure(
                "a disclosure is not referenced by the SD-JWT".into(),
            ));
        }
        Ok(HeldSdJwt {
            issuer_jwt: parts.issuer_jwt.to_owned(),
            payload,
            entries,
        })
    }

    /// The claim paths that can be selectively disclosed (`address`, `address.locality`, `nationalities[]`).
    pub fn disclosable_paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self.entries.iter().map(|(p, _, _)| p.as_str()).collect();
        paths.dedup();
        paths
    }

    /// The issuer-signed payload (with digests, not disclosed values).
    pub fn payload(&self) -> &Map<String, Value> {
        &self.payload
    }

    /// Builds a presentation that discloses `paths` (and whatever encloses
    /// them; disclosing an object discloses everything inside it). With
    /// `key_binding`, appends a KB-JWT signed by `holder`.
    pub fn present(
        &self,
        paths: &[&str],
        key_binding: Option<(&dyn Signer, KeyBindingInput<'_>)>,
    ) -> Result<String, SdJwtError> {
        let mut include = vec![false; self.entries.len()];
        for want in paths {
            let want = want.trim();
            let mut found = self.payload_has_plain(want);
            for (i, (path, _, _)) in self.entries.iter().enumerate() {
                let element_of = path.strip_suffix("[]").is_some_and(|p| p == want);
                if path == want || element_of || is_within(path, want) {
                    found = true;
                    self.include_with_parents(i, &mut include);
                }
            }
            if !found {
                return Err(SdJwtError::UnknownClaim(want.chars().take(64).collect()));
            }
        }
        let mut out = String::with_capacity(self.issuer_jwt.len() + 512);
        out.push_str(&self.issuer_jwt);
        out.push('~');
        for (i, (_, _, d)) in self.entries.iter().enumerate() {
            if include[i] {
                out.push_str(&d.encoded);
                out.push('~');
            }
        }
        if let Some((signer, kb)) = key_binding {
            let mut payload = Map::new();
            payload.insert("iat".into(), Value::from(kb.issued_at.unix()));
            payload.insert("aud".into(), Value::String(kb.audience.into()));
            payload.insert("nonce".into(), Value::String(kb.nonce.into()));
            payload.insert("sd_hash".into(), Value::String(sd_hash(&out)));
            let jwt =
                crate::jose::sign_compact(signer, Some(typ::KB_JWT), None, Map::new(), &payload)
                    .map_err(SdJwtError::Sign)?;
            out.push_str(&jwt);
        }
        Ok(out)
    }

    fn include_with_parents(&self, mut i: usize, include: &mut [bool]) {
        loop {
            include[i] = true;
            match self.entries[i].1 {
                Some(parent) if !include[parent] => i = parent,
                _ => return,
            }
        }
    }

    fn payload_has_plain(&self, path: &str) -> bool {
        let mut cur = Some(&self.payload);
        let mut last = None;
        for seg in path.split('.') {
            last = cur.and_then(|m| m.get(seg));
            cur = last.and_then(Value::as_object);
        }
        last.is_some()
    }
}

/// Whether `path` lies inside `ancestor` (`address.locality` within `address`).
fn is_within(path: &str, ancestor: &str) -> bool {
    path.strip_prefix(ancestor)
        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("[]"))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

const MAX_DEPTH: usize = 32;

fn collect_object(
    obj: &Map<String, Value>,
    prefix: &str,
    parent: Option<usize>,
    pool: &mut HashMap<String, Disclosure>,
    out: &mut Vec<(String, Option<usize>, Disclosure)>,
    depth: usize,
) -> Result<(), SdJwtError> {
    if depth > MAX_DEPTH {
        return Err(SdJwtError::ResourceLimit("claims nest too deeply"));
    }
    for (name, value) in obj {
        if name == "_sd" {
            for digest in value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if let Some(d) = pool.remove(digest) {
                    let Some(claim) = d.name.clone() else {
                        return Err(SdJwtError::Disclosure(
                            "array disclosure referenced from _sd".into(),
                        ));
                    };
                    let path = join(prefix, &claim);
                    let value = d.value.clone();
                    out.push((path.clone(), parent, d));
                    let me = out.len() - 1;
                    collect_value(&value, &path, Some(me), pool, out, depth + 1)?;
                }
            }
        } else {
            collect_value(value, &join(prefix, name), parent, pool, out, depth + 1)?;
        }
    }
    Ok(())
}

fn collect_value(
    value: &Value,
    path: &str,
    parent: Option<usize>,
    pool: &mut HashMap<String, Disclosure>,
    out: &mut Vec<(String, Option<usize>, Disclosure)>,
    depth: usize,
) -> Result<(), SdJwtError> {
    match value {
        Value::Object(m) => collect_object(m, path, parent, pool, out, depth),
        Value::Array(items) => {
            let elem = format!("{path}[]");
            for item in items {
                let digest = match item {
                    Value::Object(m) if m.len() == 1 => m.get("...").and_then(Value::as_str),
                    _ => None,
                };
                match digest.and_then(|d| pool.remove(d)) {
                    Some(d) => {
                        let inner = d.value.clone();
                        out.push((elem.clone(), parent, d));
                        let me = out.len() - 1;
                        collect_value(&inner, &elem, Some(me), pool, out, depth + 1)?;
                    }
                    None => collect_value(item, &elem, parent, pool, out, depth + 1)?,
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
