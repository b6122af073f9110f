//! `stele present`.

use clap::Args;
use stele_core::di::presentation::{PresentationInput, present as di_present};
use stele_core::did::key::{did_key_from_public, did_key_method_id};
use stele_core::json::{self, JsonLimits};
use stele_core::key::SecretKey;
use stele_core::sdjwt::holder::{HeldSdJwt, KeyBindingInput};
use stele_core::sdjwt::verifier::cnf_key;
use stele_core::time::{Clock, SystemClock, Timestamp};

use crate::{Failure, exit, files};

/// Arguments of `stele present`.
#[derive(Args)]
pub struct PresentArgs {
    /// The holder's private key (JWK): the one the credential is bound to.
    #[arg(long)]
    key: String,
    /// The credential (a file, or - for stdin): an SD-JWT VC, or a JSON
    /// credential with a Data Integrity proof (presented whole, signed with an
    /// Ed25519 --key for the challenge).
    #[arg(long)]
    credential: String,
    /// Claims to disclose, comma-separated (address.locality names a part of a claim).
    #[arg(long, value_delimiter = ',', default_value = "")]
    disclose: Vec<String>,
    /// The verifier's identifier (from its challenge).
    #[arg(long, allow_hyphen_values = true)]
    audience: String,
    /// The verifier's nonce (from its challenge).
    #[arg(long, allow_hyphen_values = true)]
    nonce: String,
}

/// Makes a presentation of `credential` disclosing `disclose`, bound to
/// `audience` and `nonce` with `key`.
pub fn present(
    key: &SecretKey,
    credential: &str,
    disclose: &[&str],
    audience: &str,
    nonce: &str,
    now: Timestamp,
) -> Result<String, Failure> {
    if credential.trim_start().starts_with('{') {
        return present_data_integrity(key, credential, disclose, audience, nonce, now);
    }
    let held = HeldSdJwt::parse(credential.trim())
        .map_err(|e| Failure::usage(format!("--credential is not an SD-JWT credential: {e}")))?;
    let bound_to = held
        .payload()
        .get("cnf")
        .and_then(|c| cnf_key(c).ok())
        .ok_or_else(|| Failure::failed("the credential is not bound to a holder key, so it cannot be presented with key binding"))?;
    if bound_to != key.public_key() {
        return Err(Failure::failed(
            "the credential is bound to another key than --key",
        ));
    }
    held.present(
        disclose,
        Some((
            key,
            KeyBindingInput {
                audience,
                nonce,
                issued_at: now,
            },
        )),
    )
    .map_err(|e| Failure::failed(e.to_string()))
}

/// A Data Integrity presentation: the whole credential, with the holder's
/// `authentication` proof (eddsa-jcs-2022) for `audience` and `nonce`.
fn present_data_integrity(
    key: &SecretKey,
    credential: &str,
    disclose: &[&str],
    audience: &str,
    nonce: &str,
    now: Timestamp,
) -> Result<String, Failure> {
    if !disclose.is_empty() {
        return Err(Failure::usage(
            "a Data Integrity credential is presented whole: --disclose does not apply",
        ));
    }
    let document = json::parse_object(credential.trim().as_bytes(), JsonLimits::DEFAULT)
        .map_err(|e| Failure::usage(format!("--credential: {e}")))?;
    if !document.contains_key("proof") {
        return Err(Failure::usage(
            "--credential is JSON without a proof: neither an SD-JWT nor a Data Integrity credential",
        ));
    }
    let holder = did_key_from_public(&key.public_key());
    let subject = document
        .get("credentialSubject")
        .and_then(|s| s.get("id"))
        .and_then(|id| id.as_str());
    if subject != Some(holder.as_str()) {
        return Err(Failure::failed(
            "the credential was issued to another holder than --key",
        ));
    }
    let method = did_key_method_id(&holder);
    let vp = di_present(
        document,
        &PresentationInput {
            holder: holder.as_str(),
            verification_method: &method,
            challenge: nonce,
            domain: audience,
            created: now,
        },
        key,
    )
    .map_err(|e| Failure::failed(e.to_string()))?;
    Ok(serde_json::Value::Object(vp).to_string())
}

/// Runs `stele present`.
pub fn run(a: PresentArgs) -> Result<u8, Failure> {
    let key = files::read_key(&a.key)?;
    let credential = files::read_text(&a.credential, "credential")?;
    let disclose: Vec<&str> = a
        .disclose
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    let p = present(
        &key,
        &credential,
        &disclose,
        &a.audience,
        &a.nonce,
        SystemClock.now(),
    )?;
    outln!("{p}");
    Ok(exit::OK)
}
