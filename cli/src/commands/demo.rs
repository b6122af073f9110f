//! `stele demo`: the whole flow on this machine, explained step by step.
//!
//! An immigration office issues a residence permit into a citizen's wallet;
//! a counter asks for it with a fresh challenge; the citizen discloses only
//! what the counter needs; the clerk's verifier says green. Then a tampered,
//! an expired and a replayed presentation are shown to be refused.

use std::path::PathBuf;

use clap::Args;
use serde_json::Value;
use stele_core::credential::issuer::CredentialFormat;
use stele_core::did::key::did_key_from_public;
use stele_core::encoding::b64url;
use stele_core::key::{KeyType, SecretKey};
use stele_core::time::{Clock, SystemClock};
use stele_core::verify::{Policy, ReasonCode, TrustList, Verdict};

use super::issue::{Issuance, issue};
use super::present::present;
use super::verify::{Check, verify};
use crate::{Failure, exit, files, output};

/// The sample residence permit claims (also used by the tests).
const SAMPLE_CLAIMS: &str =
    include_str!("../../../schemas/examples/ResidencePermitCredential.json");

/// Arguments of `stele demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Directory for the demo's key files and credentials (default: a new temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn step(n: u32, title: &str) {
    outln!("\n── {n}. {title}");
}

fn nonce() -> String {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    b64url(bytes)
}

fn show(v: &Verdict) {
    for line in output::verdict_text(v).lines() {
        outln!("   {line}");
    }
}

fn expect_reason(v: &Verdict, code: ReasonCode, what: &str) -> Result<(), Failure> {
    if v.verified || !v.has_reason(code) {
        return Err(Failure::failed(format!(
            "demo: the {what} was not rejected with {}",
            code.as_str()
        )));
    }
    Ok(())
}

fn save(dir: &std::path::Path, name: &str, text: &str) -> Result<PathBuf, Failure> {
    let path = dir.join(name);
    std::fs::write(&path, format!("{text}\n"))
        .map_err(|e| Failure::failed(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// Runs the demo; exit 0 when every step behaved as it should.
pub fn run(a: DemoArgs) -> Result<u8, Failure> {
    let dir = match a.dir {
        Some(d) => d,
        None => {
            std::env::temp_dir().join(format!("stele-demo-{}", nonce().replace(['-', '_'], "x")))
        }
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::failed(format!("cannot create {}: {e}", dir.display())))?;
    let now = SystemClock.now();
    let claims = match serde_json::from_str::<Value>(SAMPLE_CLAIMS) {
        Ok(Value::Object(m)) => m,
        _ => return Err(Failure::failed("demo: sample claims are not a JSON object")),
    };

    outln!("Stele demo — a residence permit from the immigration office to a service counter.");
    outln!("Files are kept in {}", dir.display());

    step(1, "Keys");
    let agency = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let citizen = SecretKey::generate(KeyType::P256, &mut rand_core::OsRng);
    files::write_key(&dir.join("agency.jwk"), &agency, true)?;
    files::write_key(&dir.join("citizen.jwk"), &citizen, true)?;
    let agency_did = did_key_from_public(&agency.public_key());
    let citizen_did = did_key_from_public(&citizen.public_key());
    outln!("   The immigration office signs with an Ed25519 key: {agency_did}");
    outln!(
        "   The citizen's wallet holds a P-256 key (phones keep it in secure hardware): {citizen_did}"
    );
    outln!("   Private keys are written with mode 0600: agency.jwk, citizen.jwk");

    step(
        2,
        "The immigration office issues a residence permit (SD-JWT VC)",
    );
    let credential = issue(Issuance {
        key: &agency,
        credential_type: "ResidencePermitCredential",
        claims: claims.clone(),
        holder: Some(citizen_did.clone()),
        format: CredentialFormat::SdJwt,
        valid_from: None,
        valid_until: Some(now.plus(2 * 365 * 86_400)),
        now,
    })?;
    save(&dir, "permit.sd-jwt", &credential)?;
    outln!("   Claims are checked against the ResidencePermitCredential schema, then signed.");
    outln!("   Names, birth date, address, portrait… are selectively disclosable; permit type,");
    outln!("   validity and issuing authority are always shown. Bound to the citizen's key.");
    outln!("   {} bytes → permit.sd-jwt", credential.len());

    step(3, "The counter shows a challenge");
    let audience = "counter-7.buergeramt.example";
    let challenge = nonce();
    outln!("   verifier: {audience}");
    outln!("   nonce:    {challenge} (single use, short-lived)");

    step(4, "The citizen discloses only what the counter needs");
    let disclose = ["given_name", "family_name"];
    let presentation = present(&citizen, &credential, &disclose, audience, &challenge, now)?;
    save(&dir, "presentation.txt", &presentation)?;
    outln!(
        "   Disclosed: {} (+ the always-shown permit facts).",
        disclose.join(", ")
    );
    outln!("   Not disclosed: birth date, nationality, address, portrait, document number.");
    outln!("   A key-binding signature ties it to this counter and nonce → presentation.txt");

    step(5, "The clerk's verifier checks it");
    let trust = TrustList::empty().with(agency_did.as_str(), Some(&["ResidencePermitCredential"]));
    save(
        &dir,
        "trust.json",
        &format!(
            r#"{{"issuers": [{{"did": "{agency_did}", "types": ["ResidencePermitCredential"]}}]}}"#
        ),
    )?;
    // The counter needs a residence permit, with the holder's names.
    let policy = Policy {
        accepted_types: vec!["ResidencePermitCredential".into()],
        required_claims: vec![
            "given_name".into(),
            "family_name".into(),
            "permit_type".into(),
            "valid_until".into(),
        ],
        require_schema: true,
    };
    let counter = |input: &str, nonce: &str, at| {
        verify(
            input,
            &Check {
                trust: &trust,
                now: at,
                audience: Some(audience),
                nonce: Some(nonce),
                require_holder_binding: true,
                policy: &policy,
                chain: None,
            },
        )
    };
    let green = counter(&presentation, &challenge, now)?;
    show(&green);
    if !green.verified {
        return Err(Failure::failed(
            "demo: the genuine presentation was rejected",
        ));
    }

    step(6, "A tampered copy is refused");
    let tampered = tamper(&presentation);
    let red = counter(&tampered, &challenge, now)?;
    show(&red);
    expect_reason(&red, ReasonCode::BadSignature, "tampered presentation")?;
    outln!("   (the permit type was changed from \"temporary\" to \"permanent\")");

    step(7, "An expired permit is refused");
    let expired = issue(Issuance {
        key: &agency,
        credential_type: "ResidencePermitCredential",
        claims,
        holder: Some(citizen_did),
        format: CredentialFormat::SdJwt,
        valid_from: Some(now.plus(-3 * 365 * 86_400)),
        valid_until: Some(now.plus(-86_400)),
        now: now.plus(-3 * 365 * 86_400),
    })?;
    let fresh = nonce();
    let old = present(&citizen, &expired, &disclose, audience, &fresh, now)?;
    let red = counter(&old, &fresh, now)?;
    show(&red);
    expect_reason(&red, ReasonCode::Expired, "expired permit")?;

    step(
        8,
        "A screenshot shown again at the next challenge is refused",
    );
    let next = nonce();
    let red = counter(&presentation, &next, now)?;
    show(&red);
    expect_reason(&red, ReasonCode::WrongNonce, "replayed presentation")?;

    outln!("\nAll steps behaved as expected. Try it yourself:");
    outln!(
        "   stele verify --trust {0}/trust.json --audience {audience} --nonce {challenge} {0}/presentation.txt",
        dir.display()
    );
    Ok(exit::OK)
}

/// Changes `temporary` to `permanent` inside the issuer-signed payload.
fn tamper(presentation: &str) -> String {
    let Some((jwt, rest)) = presentation.split_once('~') else {
        return presentation.to_owned();
    };
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    if let Some(payload) = parts
        .get(1)
        .and_then(|p| stele_core::encoding::b64url_decode(p).ok())
    {
        let text = String::from_utf8_lossy(&payload).replace("temporary", "permanent");
        parts[1] = b64url(text.as_bytes());
    }
    format!("{}~{rest}", parts.join("."))
}
