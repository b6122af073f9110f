//! The issuer's side: turn chosen claims into disclosures and sign.
//!
//! Claim paths name what becomes selectively disclosable: `given_name` (a
//! top-level claim), `address.locality` (a member of an object, which may
//! itself be disclosable: recursive disclosure), `nationalities[]` (every
//! element of an array). Digests in each `_sd` array are sorted, so their
//! order reveals nothing about the claims' order; decoy digests may be added.

use rand_core::CryptoRngCore;
use serde_json::{Map, Value};

use super::{Disclosure, SD_ALG, SdJwtError};
use crate::encoding::b64url;
use crate::key::Signer;

/// What to make selectively disclosable, and how.
#[derive(Debug, Clone, Default)]
pub struct SdOptions<'a> {
    /// Claim paths to make selectively disclosable (see the module docs).
    pub disclosable: &'a [&'a str],
    /// Decoy digests added to the top-level `_sd` array.
    pub decoys: usize,
}

/// An issued SD-JWT: the compact form and the disclosures in it.
#[derive(Debug, Clone)]
pub struct IssuedSdJwt {
    /// `<issuer JWS>~<d1>~…~<dn>~`.
    pub compact: String,
    /// The disclosures, in the order of the compact form.
    pub disclosures: Vec<Disclosure>,
}

/// Issues an SD-JWT over `payload`, with the claims named in `options` made
/// selectively disclosable; `typ` goes in the header (`dc+sd-jwt` for SD-JWT VC).
pub fn issue(
    signer: &dyn Signer,
    kid: Option<&str>,
    typ: &str,
    payload: &Map<String, Value>,
    options: &SdOptions<'_>,
    rng: &mut dyn CryptoRngCore,
) -> Result<IssuedSdJwt, SdJwtError> {
    let mut body = payload.clone();
    let mut disclosures = Vec::new();
    let mut used = vec![false; options.disclosable.len()];
    conceal_object(
        &mut body,
        "",
        options.disclosable,
        &mut used,
        &mut disclosures,
        rng,
    )?;
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(SdJwtError::UnknownClaim(options.disclosable[i].to_owned()));
    }
    if options.decoys > 0 {
        let sd = body
            .entry("_sd")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = sd {
            for _ in 0..options.decoys {
                let mut bytes = [0u8; 32];
                rng.fill_bytes(&mut bytes);
                list.push(Value::String(b64url(bytes)));
            }
            sort_digests(list);
        }
    }
    if !disclosures.is_empty() || options.decoys > 0 {
        body.insert("_sd_alg".into(), Value::String(SD_ALG.into()));
    }
    let jws = crate::jose::sign_compact(signer, Some(typ), kid, Map::new(), &body)
        .map_err(SdJwtError::Sign)?;
    let mut compact = jws;
    compact.push('~');
    for d in &disclosures {
        compact.push_str(&d.encoded);
        compact.push('~');
    }
    Ok(IssuedSdJwt {
        compact,
        disclosures,
    })
}

fn salt(rng: &mut dyn CryptoRngCore) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    b64url(bytes)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn mark(path: &str, paths: &[&str], used: &mut [bool]) -> bool {
    let mut hit = false;
    for (i, p) in paths.iter().enumerate() {
        if *p == path {
            used[i] = true;
            hit = true;
        }
    }
    hit
}

fn conceal_object(
    obj: &mut Map<String, Value>,
    prefix: &str,
    paths: &[&str],
    used: &mut [bool],
    out: &mut Vec<Disclosure>,
    rng: &mut dyn CryptoRngCore,
) -> Result<(), SdJwtError> {
    if obj.contains_key("_sd") || obj.contains_key("_sd_alg") || obj.contains_key("...") {
        return Err(SdJwtError::Disclosure(
            "claims use a reserved name (_sd, _sd_alg, ...)".into(),
        ));
    }
    let names: Vec<String> = obj.keys().cloned().collect();
    let mut digests = Vec::new();
    for name in names {
        let path = join(prefix, &name);
        let Some(value) = obj.get_mut(&name) else {
            continue;
        };
        // Children first, so a disclosable object carries its own digests.
        conceal_value(value, &path, paths, used, out, rng)?;
        if mark(&path, paths, used) {
            if let Some(value) = obj.remove(&name) {
                let d = Disclosure::new(salt(rng), Some(&name), value);
                digests.push(Value::String(d.digest.clone()));
                out.push(d);
            }
        }
    }
    if !digests.is_empty() {
        sort_digests(&mut digests);
        obj.insert("_sd".into(), Value::Array(digests));
    }
    Ok(())
}

fn conceal_value(
    value: &mut Value,
    path: &str,
    paths: &[&str],
    used: &mut [bool],
    out: &mut Vec<Disclosure>,
    rng: &mut dyn CryptoRngCore,
) -> Result<(), SdJwtError> {
    match value {
        Value::Object(m) => conceal_object(m, path, paths, used, out, rng),
        Value::Array(items) => {
            let elem_path = format!("{path}[]");
            let conceal_all = mark(&elem_path, paths, used);
            for item in items.iter_mut() {
                conceal_value(item, &elem_path, paths, used, out, rng)?;
                if conceal_all {
                    let inner = std::mem::take(item);
                    let d = Disclosure::new(salt(rng), None, inner);
                    let mut m = Map::new();
                    m.insert("...".into(), Value::String(d.digest.clone()));
                    *item = Value::Object(m);
                    out.push(d);
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn sort_digests(list: &mut [Value]) {
    list.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
}
