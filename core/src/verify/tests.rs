//! End-to-end tests of the pipeline inside core: issue → present → verify,
//! and each rejection with its reason code.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::*;
use crate::alg::Algorithm;
use crate::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use crate::did::key::{DidKeyResolver, did_key_from_public};
use crate::did::{Did, DidDocument, DidError, DocumentMetadata, Resolution, ResolutionOptions};
use crate::json::JsonLimits;
use crate::key::{KeyType, SecretKey};
use crate::sdjwt::holder::{HeldSdJwt, KeyBindingInput};
use crate::time::Timestamp;

const ISSUED: i64 = 1_790_000_000; // 2026-09-21
const NOW: i64 = ISSUED + 86_400;
const UNTIL: i64 = ISSUED + 365 * 86_400;

fn permit_claims() -> Map<String, Value> {
    match json!({
        "given_name": "Amira", "family_name": "Haddad", "birth_date": "1990-04-12",
        "nationality": "SYR", "document_number": "RP-2026-000123",
        "permit_type": "temporary", "valid_from": "2026-09-21", "valid_until": "2027-09-20",
        "issuing_authority": "Landesamt für Einwanderung Berlin", "issuing_country": "DEU",
        "address": {"street_address": "Hauptstr. 1", "locality": "Berlin", "postal_code": "10115", "country": "DEU"},
        "access_to_labour_market": true
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A residence-permit request with the sample claims and no options set.
fn permit_request(format: CredentialFormat) -> IssueRequest<'static> {
    IssueRequest {
        credential_type: "ResidencePermitCredential",
        claims: permit_claims(),
        holder: None,
        valid_from: None,
        valid_until: None,
        format,
        status: None,
    }
}

struct World {
    issuer: SecretKey,
    holder: SecretKey,
    issuer_did: Did,
    holder_did: Did,
}

impl World {
    fn new() -> Self {
        let issuer = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
        let holder = SecretKey::generate(KeyType::P256, &mut rand_core::OsRng);
        let issuer_did = did_key_from_public(&issuer.public_key());
        let holder_did = did_key_from_public(&holder.public_key());
        World {
            issuer,
            holder,
            issuer_did,
            holder_did,
        }
    }

    /// A permit (SD-JWT) with a status list entry.
    fn issue_with_status(&self) -> String {
        Issuer::with_did_key(&self.issuer)
            .issue(
                &IssueRequest {
                    status: Some(
                        json!({"status_list": {"idx": 7, "uri": "https://example.com/status/1"}}),
                    ),
                    ..permit_request(CredentialFormat::SdJwt)
                },
                Timestamp::from_unix(ISSUED),
                &mut rand_core::OsRng,
            )
            .expect("issue")
    }

    fn issue(&self, format: CredentialFormat) -> String {
        self.issue_claims(format, permit_claims(), Some(Timestamp::from_unix(UNTIL)))
    }

    fn issue_claims(
        &self,
        format: CredentialFormat,
        claims: Map<String, Value>,
        until: Option<Timestamp>,
    ) -> String {
        Issuer::with_did_key(&self.issuer)
            .issue(
                &IssueRequest {
                    claims,
                    holder: Some(self.holder_did.clone()),
                    valid_until: until,
                    ..permit_request(format)
                },
                Timestamp::from_unix(ISSUED),
                &mut rand_core::OsRng,
            )
            .expect("issue")
    }

    fn present(&self, sd_jwt: &str, disclose: &[&str], aud: &str, nonce: &str) -> String {
        HeldSdJwt::parse(sd_jwt)
            .expect("held")
            .present(
                disclose,
                Some((
                    &self.holder,
                    KeyBindingInput {
                        audience: aud,
                        nonce,
                        issued_at: Timestamp::from_unix(NOW),
                    },
                )),
            )
            .expect("present")
    }

    fn trust(&self) -> TrustList {
        TrustList::empty().with(
            self.issuer_did.as_str(),
            Some(&["ResidencePermitCredential"]),
        )
    }
}

fn verifier() -> Verifier {
    Verifier::new(Arc::new(DidKeyResolver::default()))
}

/// The one helper: verify and compare the verdict with the expected reasons
/// (empty = verified).
fn check(v: &Verifier, input: &str, opts: &VerifyOptions<'_>, expected: &[ReasonCode]) -> Verdict {
    let verdict = v.verify(input, opts).expect("could check");
    let got: Vec<ReasonCode> = verdict.reasons.iter().map(|r| r.code).collect();
    assert_eq!(got, expected, "{:#?}", verdict.reasons);
    assert_eq!(verdict.verified, expected.is_empty());
    if !verdict.verified {
        assert!(
            verdict.claims.is_empty(),
            "a rejected input yields no claims"
        );
    }
    verdict
}

fn bound<'a>(trust: &'a TrustList, aud: &'a str, nonce: &'a str) -> VerifyOptions<'a> {
    VerifyOptions {
        holder_binding: HolderBinding {
            required: true,
            audience: Some(aud),
            nonce: Some(nonce),
            max_age_secs: 300,
        },
        ..VerifyOptions::new(Timestamp::from_unix(NOW), trust)
    }
}

#[test]
fn counter_flow_verifies_and_discloses_only_what_was_chosen() {
    let w = World::new();
    let sd = w.issue(CredentialFormat::SdJwt);
    let p = w.present(&sd, &["given_name", "family_name"], "counter-1", "n-1");
    let trust = w.trust();
    let verdict = check(&verifier(), &p, &bound(&trust, "counter-1", "n-1"), &[]);
    assert_eq!(verdict.format, Some(Format::DcSdJwt));
    assert_eq!(verdict.holder_binding, HolderBindingStatus::Verified);
    assert_eq!(verdict.types, vec!["ResidencePermitCredential".to_owned()]);
    assert_eq!(verdict.claims["given_name"], "Amira");
    assert_eq!(
        verdict.claims["permit_type"], "temporary",
        "always disclosed"
    );
    for hidden in ["birth_date", "nationality", "address", "document_number"] {
        assert!(
            !verdict.claims.contains_key(hidden),
            "{hidden} was not chosen"
        );
    }
    assert!(
        verdict
            .checks
            .iter()
            .all(|c| c.outcome != Outcome::Failed && c.outcome != Outcome::Skipped)
    );
    let json = verdict.to_json();
    assert_eq!(json["checks"][0]["name"], "parse");
    assert_eq!(json["format"], "dc-sd-jwt");
}

#[test]
fn vc_jwt_quick_check() {
    let w = World::new();
    let jwt = w.issue(CredentialFormat::Jwt);
    let trust = w.trust();
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let verdict = check(&verifier(), &jwt, &opts, &[]);
    assert_eq!(verdict.format, Some(Format::VcJwt));
    assert_eq!(verdict.holder_binding, HolderBindingStatus::NotChecked);
    assert_eq!(verdict.claims["birth_date"], "1990-04-12");
    assert_eq!(verdict.claims["id"], w.holder_did.as_str());
    // Holder binding required: a bare VC-JOSE credential cannot satisfy it.
    check(
        &verifier(),
        &jwt,
        &bound(&trust, "a", "n"),
        &[ReasonCode::HolderBinding],
    );
}

#[test]
fn tampered_credentials_are_rejected_as_forged() {
    let w = World::new();
    let trust = w.trust();
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    for format in [CredentialFormat::Jwt, CredentialFormat::SdJwt] {
        let token = w.issue(format);
        let jws_end = token.find('~').unwrap_or(token.len());
        let (head, tail) = token.split_at(jws_end);
        let mut parts: Vec<String> = head.split('.').map(str::to_owned).collect();
        // Change the payload: re-encode with another name.
        let payload = crate::encoding::b64url_decode(&parts[1]).expect("b64");
        let text = String::from_utf8(payload)
            .expect("utf8")
            .replace("temporary", "permanent");
        parts[1] = crate::encoding::b64url(text);
        let forged = format!("{}{tail}", parts.join("."));
        let v = check(&verifier(), &forged, &opts, &[ReasonCode::BadSignature]);
        assert!(v.checks.iter().any(|c| c.outcome == Outcome::Skipped));
    }
}

#[test]
fn expired_and_not_yet_valid() {
    let w = World::new();
    let trust = w.trust();
    let token = w.issue(CredentialFormat::SdJwt);
    let late = VerifyOptions::new(Timestamp::from_unix(UNTIL + 3600), &trust);
    check(&verifier(), &token, &late, &[ReasonCode::Expired]);
    let early = VerifyOptions::new(Timestamp::from_unix(ISSUED - 3600), &trust);
    check(&verifier(), &token, &early, &[ReasonCode::NotYetValid]);
    let jwt = w.issue(CredentialFormat::Jwt);
    check(&verifier(), &jwt, &late, &[ReasonCode::Expired]);
}

#[test]
fn wrong_nonce_audience_and_replay() {
    let w = World::new();
    let trust = w.trust();
    let sd = w.issue(CredentialFormat::SdJwt);
    let p = w.present(&sd, &["given_name"], "counter-1", "n-1");
    check(
        &verifier(),
        &p,
        &bound(&trust, "counter-1", "n-2"),
        &[ReasonCode::WrongNonce],
    );
    check(
        &verifier(),
        &p,
        &bound(&trust, "counter-2", "n-1"),
        &[ReasonCode::WrongAudience],
    );

    let store = Arc::new(MemoryNonceStore::new());
    let now = Timestamp::from_unix(NOW);
    store.issue("n-1", now.plus(120), now);
    let v = verifier().with_nonce_store(store);
    check(&v, &p, &bound(&trust, "counter-1", "n-1"), &[]);
    check(
        &v,
        &p,
        &bound(&trust, "counter-1", "n-1"),
        &[ReasonCode::Replay],
    );
    // A nonce the counter never issued.
    let q = w.present(&sd, &["given_name"], "counter-1", "made-up");
    check(
        &v,
        &q,
        &bound(&trust, "counter-1", "made-up"),
        &[ReasonCode::WrongNonce],
    );
    // Presentation without key binding when it is required.
    let bare = HeldSdJwt::parse(&sd)
        .expect("held")
        .present(&["given_name"], None)
        .expect("p");
    check(
        &verifier(),
        &bare,
        &bound(&trust, "counter-1", "n-1"),
        &[ReasonCode::HolderBinding],
    );
}

#[test]
fn untrusted_issuers() {
    let w = World::new();
    let token = w.issue(CredentialFormat::SdJwt);
    let now = Timestamp::from_unix(NOW);
    let empty = TrustList::empty();
    check(
        &verifier(),
        &token,
        &VerifyOptions::new(now, &empty),
        &[ReasonCode::UntrustedIssuer],
    );
    let other_type =
        TrustList::empty().with(w.issuer_did.as_str(), Some(&["NationalIdCredential"]));
    check(
        &verifier(),
        &token,
        &VerifyOptions::new(now, &other_type),
        &[ReasonCode::UntrustedIssuer],
    );
    let any_type = TrustList::empty().with(w.issuer_did.as_str(), None);
    check(
        &verifier(),
        &token,
        &VerifyOptions::new(now, &any_type),
        &[],
    );
    // Several failures are all reported once the signature is authentic.
    let late = Timestamp::from_unix(UNTIL + 3600);
    check(
        &verifier(),
        &token,
        &VerifyOptions::new(late, &empty),
        &[ReasonCode::Expired, ReasonCode::UntrustedIssuer],
    );
}

#[test]
fn algorithm_allow_list() {
    let w = World::new();
    let trust = w.trust();
    let token = w.issue(CredentialFormat::Jwt);
    let opts = VerifyOptions {
        algorithms: AlgorithmSet::of(&[Algorithm::ES256]),
        ..VerifyOptions::new(Timestamp::from_unix(NOW), &trust)
    };
    check(
        &verifier(),
        &token,
        &opts,
        &[ReasonCode::UnsupportedAlgorithm],
    );
}

#[test]
fn policy_and_schema() {
    let w = World::new();
    let trust = w.trust();
    let sd = w.issue(CredentialFormat::SdJwt);
    let p = w.present(&sd, &["given_name", "family_name"], "c", "n");
    let needs_birth_date = Policy {
        accepted_types: vec!["ResidencePermitCredential".into()],
        required_claims: vec!["birth_date".into()],
        require_schema: true,
    };
    let opts = VerifyOptions {
        policy: &needs_birth_date,
        ..bound(&trust, "c", "n")
    };
    check(&verifier(), &p, &opts, &[ReasonCode::ClaimMismatch]);
    let ids_only = Policy {
        accepted_types: vec!["NationalIdCredential".into()],
        ..Policy::default()
    };
    let opts = VerifyOptions {
        policy: &ids_only,
        ..bound(&trust, "c", "n")
    };
    check(&verifier(), &p, &opts, &[ReasonCode::ClaimMismatch]);
    // Schema conformance with withheld disclosable claims is fine.
    let fine = Policy {
        required_claims: vec!["given_name".into()],
        require_schema: true,
        ..Policy::default()
    };
    let opts = VerifyOptions {
        policy: &fine,
        ..bound(&trust, "c", "n")
    };
    check(&verifier(), &p, &opts, &[]);
}

#[test]
fn issuer_refuses_claims_that_break_the_schema() {
    let w = World::new();
    let mut claims = permit_claims();
    claims.insert("birth_date".into(), json!("1990-02-30"));
    let r = Issuer::with_did_key(&w.issuer).issue(
        &IssueRequest {
            claims,
            ..permit_request(CredentialFormat::SdJwt)
        },
        Timestamp::from_unix(ISSUED),
        &mut rand_core::OsRng,
    );
    let Err(crate::credential::issuer::IssueError::Schema(_, violations)) = r else {
        panic!("expected a schema error, got {r:?}");
    };
    assert!(violations.has_pointer("/birth_date"));
    assert!(
        !violations.to_string().contains("1990-02-30"),
        "no claim values in errors"
    );
}

// ---- seams: resolution, trust and status outages are "could not check" ----

struct Down;
impl crate::did::DidResolver for Down {
    fn resolve(&self, _: &Did, _: &ResolutionOptions) -> Result<Resolution, DidError> {
        Err(DidError::Unavailable("node down".into()))
    }
}

/// A did:example resolver serving one document (to exercise the general path).
struct Example(DidDocument);
impl crate::did::DidResolver for Example {
    fn resolve(&self, did: &Did, _: &ResolutionOptions) -> Result<Resolution, DidError> {
        if did.as_str() == self.0.id {
            Ok(Resolution {
                document: self.0.clone(),
                metadata: DocumentMetadata::default(),
                content_type: crate::did::CONTENT_TYPE_DID_JSON,
            })
        } else {
            Err(DidError::NotFound(did.to_string()))
        }
    }
}

fn example_issuer(key: &SecretKey) -> (Did, DidDocument) {
    let did = Did::parse("did:example:immigration").expect("did");
    let doc = json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did.as_str(),
        "verificationMethod": [
            {"id": "did:example:immigration#key-1", "type": "JsonWebKey", "controller": did.as_str(),
             "publicKeyJwk": key.public_key().to_jwk().to_value()},
            {"id": "did:example:immigration#auth", "type": "JsonWebKey", "controller": did.as_str(),
             "publicKeyJwk": key.public_key().to_jwk().to_value()}
        ],
        "assertionMethod": ["#key-1"],
        "authentication": ["#auth"]
    });
    let doc = DidDocument::from_json(doc.to_string().as_bytes(), JsonLimits::DEFAULT).expect("doc");
    (did, doc)
}

#[test]
fn resolved_issuers_and_outages() {
    let key = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let (did, doc) = example_issuer(&key);
    let issue_with = |kid: &str| {
        Issuer::new(&key, did.clone(), kid.to_owned())
            .issue(
                &IssueRequest {
                    ..permit_request(CredentialFormat::Jwt)
                },
                Timestamp::from_unix(ISSUED),
                &mut rand_core::OsRng,
            )
            .expect("issue")
    };
    let trust = TrustList::empty().with(did.as_str(), None);
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let v = Verifier::new(Arc::new(Example(doc)));
    check(&v, &issue_with("did:example:immigration#key-1"), &opts, &[]);
    // A key that is only for authentication must not sign credentials.
    check(
        &v,
        &issue_with("did:example:immigration#auth"),
        &opts,
        &[ReasonCode::DidInvalid],
    );
    // A kid of another DID.
    check(
        &v,
        &issue_with("did:example:other#key-1"),
        &opts,
        &[ReasonCode::InvalidKey],
    );
    // An outage is "could not check", never a verdict.
    let down = Verifier::new(Arc::new(Down));
    assert!(matches!(
        down.verify(&issue_with("did:example:immigration#key-1"), &opts),
        Err(VerifyError::Resolution(_))
    ));
}

struct FixedStatus(Result<StatusOutcome, StatusError>);
impl StatusChecker for FixedStatus {
    fn check(&self, _: &str, _: &Value, _: Timestamp) -> Result<StatusOutcome, StatusError> {
        self.0.clone()
    }
}

struct TrustDown;
impl TrustSource for TrustDown {
    fn is_accredited(&self, _: &str, _: &str, _: Timestamp) -> Result<bool, TrustError> {
        Err(TrustError::Unavailable("chain node down".into()))
    }
}

#[test]
fn checks_left_out_do_not_run_and_cannot_fail() {
    let w = World::new();
    let token = w.issue(CredentialFormat::SdJwt);
    let late = Timestamp::from_unix(UNTIL + 3600);
    let empty = TrustList::empty();
    let only_proof = CheckSelection {
        validity: false,
        trust: false,
        status: false,
    };
    // An expired credential of an untrusted issuer, revoked, with the
    // trust source and the status checker down: only the proof counts.
    let down = TrustDown;
    let revoked = verifier().with_status(Arc::new(FixedStatus(Ok(StatusOutcome::Revoked))));
    let with_status = w.issue_with_status();
    for (v, input, trust) in [
        (&verifier(), &token, &empty as &dyn TrustSource),
        (&revoked, &with_status, &down as &dyn TrustSource),
    ] {
        let opts = VerifyOptions {
            checks: only_proof,
            ..VerifyOptions::new(late, trust)
        };
        let verdict = check(v, input, &opts, &[]);
        for name in [CheckName::Validity, CheckName::Trust, CheckName::Status] {
            let c = verdict
                .checks
                .iter()
                .find(|c| c.name == name)
                .expect("check");
            assert_eq!(c.outcome, Outcome::NotApplicable, "{name:?}");
        }
    }
    // Each selected check still fails on its own.
    let selected = |validity, trust, status| CheckSelection {
        validity,
        trust,
        status,
    };
    let cases: [(CheckSelection, &str, ReasonCode); 3] = [
        (selected(true, false, false), &token, ReasonCode::Expired),
        (
            selected(false, true, false),
            &with_status,
            ReasonCode::UntrustedIssuer,
        ),
        (
            selected(false, false, true),
            &with_status,
            ReasonCode::Revoked,
        ),
    ];
    for (checks, input, expected) in cases {
        let opts = VerifyOptions {
            checks,
            ..VerifyOptions::new(late, &empty)
        };
        check(&revoked, input, &opts, &[expected]);
    }
}

#[test]
fn status_and_trust_seams() {
    let w = World::new();
    let trust = w.trust();
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let with_status = w.issue_with_status();
    let checker = |r| verifier().with_status(Arc::new(FixedStatus(r)));
    check(&checker(Ok(StatusOutcome::Valid)), &with_status, &opts, &[]);
    check(
        &checker(Ok(StatusOutcome::Revoked)),
        &with_status,
        &opts,
        &[ReasonCode::Revoked],
    );
    check(
        &checker(Ok(StatusOutcome::Suspended)),
        &with_status,
        &opts,
        &[ReasonCode::Suspended],
    );
    check(
        &checker(Err(StatusError::Range("idx".into()))),
        &with_status,
        &opts,
        &[ReasonCode::StatusRangeError],
    );
    assert!(matches!(
        checker(Err(StatusError::Unavailable("down".into()))).verify(&with_status, &opts),
        Err(VerifyError::Status(_))
    ));
    let down = TrustDown;
    assert!(matches!(
        verifier().verify(
            &with_status,
            &VerifyOptions::new(Timestamp::from_unix(NOW), &down)
        ),
        Err(VerifyError::Trust(_))
    ));
}

#[test]
fn garbage_is_malformed_not_a_panic() {
    let trust = TrustList::empty();
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    for input in [
        "",
        "hello",
        "a.b.c",
        "~",
        "a~b~c",
        "{\"@context\":[]}",
        &"x".repeat(600_000),
    ] {
        let v = verifier().verify(input, &opts).expect("could check");
        assert!(!v.verified);
        assert!(matches!(
            v.reasons[0].code,
            ReasonCode::Malformed | ReasonCode::ResourceLimit
        ));
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Flipping any one character of a valid presentation never yields a
        /// verified verdict (and never panics).
        #[test]
        fn no_single_character_change_verifies(pos in any::<prop::sample::Index>(), c in "[A-Za-z0-9_~.-]") {
            static CASE: std::sync::OnceLock<(World, String)> = std::sync::OnceLock::new();
            let (w, p) = CASE.get_or_init(|| {
                let w = World::new();
                let sd = w.issue(CredentialFormat::SdJwt);
                let p = w.present(&sd, &["given_name"], "c", "n");
                (w, p)
            });
            let i = pos.index(p.len());
            let mut bytes = p.clone().into_bytes();
            let new = c.as_bytes()[0];
            prop_assume!(bytes[i] != new);
            bytes[i] = new;
            let mutated = String::from_utf8(bytes).expect("ascii");
            let trust = w.trust();
            if let Ok(v) = verifier().verify(&mutated, &bound(&trust, "c", "n")) {
                prop_assert!(!v.verified, "a changed presentation verified");
            }
        }
    }
}

/// A DID whose key was rotated at `ROTATED`: documents before that time list
/// the old key, later ones the new key (as a did:ethr resolver answers
/// `versionTime` queries).
struct Rotating {
    old: DidDocument,
    new: DidDocument,
}
const ROTATED: i64 = ISSUED + 3600;
impl crate::did::DidResolver for Rotating {
    fn resolve(&self, _: &Did, o: &ResolutionOptions) -> Result<Resolution, DidError> {
        let at = o.version_time.map_or(i64::MAX, Timestamp::unix);
        Ok(Resolution {
            document: if at < ROTATED {
                self.old.clone()
            } else {
                self.new.clone()
            },
            metadata: DocumentMetadata::default(),
            content_type: crate::did::CONTENT_TYPE_DID_JSON,
        })
    }
}

#[test]
fn key_rotation_keeps_earlier_credentials_valid() {
    let old_key = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let new_key = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let (did, old) = example_issuer(&old_key);
    let (_, new) = example_issuer(&new_key);
    let v = Verifier::new(Arc::new(Rotating { old, new }));
    let trust = TrustList::empty().with(did.as_str(), None);
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let issue_at = |key: &SecretKey, at: i64| {
        Issuer::new(key, did.clone(), "did:example:immigration#key-1".into())
            .issue(
                &IssueRequest {
                    ..permit_request(CredentialFormat::SdJwt)
                },
                Timestamp::from_unix(at),
                &mut rand_core::OsRng,
            )
            .expect("issue")
    };
    // Signed by the old key before the rotation: still valid after it.
    check(&v, &issue_at(&old_key, ISSUED), &opts, &[]);
    // Signed by the new key after the rotation.
    check(&v, &issue_at(&new_key, ROTATED + 10), &opts, &[]);
    // The old key used after the rotation: its signature does not verify
    // under the key valid at that time.
    check(
        &v,
        &issue_at(&old_key, ROTATED + 10),
        &opts,
        &[ReasonCode::BadSignature],
    );
}

#[test]
fn scanned_qr_payloads_verify_like_the_text() {
    let w = World::new();
    let trust = w.trust();
    let sd = w.issue(CredentialFormat::SdJwt);
    let p = w.present(&sd, &["given_name"], "counter-1", "n-1");
    let payload = crate::qr::encode(
        crate::qr::PayloadKind::Presentation,
        &crate::qr::pack_presentation(&p),
    );
    // A USB scanner types the payload and a newline.
    let v = check(
        &verifier(),
        &format!("{payload}\n"),
        &bound(&trust, "counter-1", "n-1"),
        &[],
    );
    assert_eq!(v.claims["given_name"], "Amira");
    // A damaged payload is malformed, not a panic and not a forgery.
    let damaged = format!("{}A", &payload[..payload.len() - 5]);
    check(
        &verifier(),
        &damaged,
        &bound(&trust, "counter-1", "n-1"),
        &[ReasonCode::Malformed],
    );
}

// ---- Data Integrity eddsa-jcs-2022 ------------------------------------------

fn di_document(text: &str) -> Map<String, Value> {
    crate::json::parse_object(text.as_bytes(), JsonLimits::DEFAULT).expect("json")
}

/// eddsa-rdfc-2022 through the whole pipeline (issuer, did:key, schema,
/// claims), and refused as unsupported without the `rdfc` feature.
#[test]
fn data_integrity_rdfc_credentials() {
    let w = World::new();
    let trust = w.trust();
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let v = verifier();
    if !cfg!(feature = "rdfc") {
        let r = Issuer::with_did_key(&w.issuer).issue(
            &permit_request(CredentialFormat::DataIntegrityRdfc),
            Timestamp::from_unix(NOW),
            &mut rand_core::OsRng,
        );
        assert!(r.is_err());
        return;
    }
    let credential = w.issue(CredentialFormat::DataIntegrityRdfc);
    let verdict = check(&v, &credential, &opts, &[]);
    assert_eq!(verdict.format, Some(Format::DiEddsaRdfc2022));
    assert_eq!(verdict.to_json()["format"], "di-eddsa-rdfc-2022");
    assert_eq!(verdict.issuer.as_deref(), Some(w.issuer_did.as_str()));
    assert_eq!(verdict.claims["family_name"], "Haddad");
    // A claim changed after signing, or one no context defines, is refused.
    let mut d = di_document(&credential);
    d["credentialSubject"]["family_name"] = json!("Other");
    check(
        &v,
        &Value::Object(d).to_string(),
        &opts,
        &[ReasonCode::BadSignature],
    );
    let mut d = di_document(&credential);
    d["credentialSubject"]["undefined_claim"] = json!("x");
    check(
        &v,
        &Value::Object(d).to_string(),
        &opts,
        &[ReasonCode::Malformed],
    );
}

#[test]
fn data_integrity_jcs_credentials() {
    let w = World::new();
    let trust = w.trust();
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let v = verifier();
    let credential = w.issue(CredentialFormat::DataIntegrityJcs);
    let verdict = check(&v, &credential, &opts, &[]);
    assert_eq!(verdict.format, Some(Format::DiEddsaJcs2022));
    assert_eq!(verdict.issuer.as_deref(), Some(w.issuer_did.as_str()));
    assert_eq!(verdict.claims["family_name"], "Haddad");
    assert_eq!(verdict.claims["id"], w.holder_did.as_str());
    assert_eq!(verdict.holder_binding, HolderBindingStatus::NotChecked);
    assert_eq!(verdict.to_json()["format"], "di-eddsa-jcs-2022");
    // The schema step runs on the credential's subject, as for VC-JOSE.
    let schema = Policy {
        accepted_types: vec!["ResidencePermitCredential".into()],
        required_claims: vec!["given_name".into()],
        require_schema: true,
    };
    check(
        &v,
        &credential,
        &VerifyOptions {
            policy: &schema,
            ..opts
        },
        &[],
    );

    let doc = di_document(&credential);
    let run = |d: &Map<String, Value>, expected: &[ReasonCode]| {
        check(&v, &Value::Object(d.clone()).to_string(), &opts, expected)
    };
    // Tampered claim, validity, or proof options: forged.
    for path in [
        &["credentialSubject", "given_name"][..],
        &["validUntil"],
        &["proof", "created"],
    ] {
        let mut d = doc.clone();
        let mut target = &mut d[path[0]];
        for p in &path[1..] {
            target = &mut target[*p];
        }
        *target = json!("2026-09-22T00:00:00Z");
        run(&d, &[ReasonCode::BadSignature]);
    }
    // Validity and trust run after the proof, as for the other formats.
    check(
        &v,
        &credential,
        &VerifyOptions::new(Timestamp::from_unix(UNTIL + 3600), &trust),
        &[ReasonCode::Expired],
    );
    let nobody = TrustList::empty();
    check(
        &v,
        &credential,
        &VerifyOptions::new(Timestamp::from_unix(NOW), &nobody),
        &[ReasonCode::UntrustedIssuer],
    );
    // A proof created after `now` (beyond the skew) is refused.
    check(
        &v,
        &credential,
        &VerifyOptions::new(Timestamp::from_unix(ISSUED - 3600), &trust),
        &[ReasonCode::ProofError],
    );
    // Holder binding required: this format has none.
    check(
        &v,
        &credential,
        &bound(&trust, "counter-1", "n-1"),
        &[ReasonCode::HolderBinding],
    );
    // A proof with another purpose.
    let mut d = doc.clone();
    d["proof"]["proofPurpose"] = json!("authentication");
    run(&d, &[ReasonCode::ProofError]);
    // A proof by someone else's key, for an issuer that did not sign.
    let other = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let mut d = doc.clone();
    d.remove("proof");
    let options = crate::di::ProofOptions::assertion(
        crate::did::key::did_key_method_id(&did_key_from_public(&other.public_key())),
        Timestamp::from_unix(ISSUED),
    );
    crate::di::proof::add_proof(&mut d, &options, &other).expect("proof");
    run(&d, &[ReasonCode::InvalidKey]);
    // … unless the issuer's own proof is there too: a proof set, all verified.
    let mut set = doc.clone();
    crate::di::proof::add_proof(&mut set, &options, &other).expect("proof");
    assert_eq!(set["proof"].as_array().map(Vec::len), Some(2));
    run(&set, &[]);
    let mut broken = set.clone();
    broken["proof"][1]["created"] = json!("2026-09-20T00:00:00Z");
    run(&broken, &[ReasonCode::BadSignature]);
    // The verification method must be the did:key's own.
    let mut d = doc.clone();
    d["proof"]["verificationMethod"] = json!(format!("{}#other", w.issuer_did));
    run(&d, &[ReasonCode::DidInvalid]);
}

#[test]
fn data_integrity_parse_step_refusals() {
    let w = World::new();
    let trust = w.trust();
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let v = verifier();
    let doc = di_document(&w.issue(CredentialFormat::DataIntegrityJcs));
    let run = |d: Value, expected: &[ReasonCode]| {
        let verdict = check(&v, &d.to_string(), &opts, expected);
        assert_eq!(verdict.checks[0].name, CheckName::Parse);
        assert_eq!(verdict.checks[0].outcome, Outcome::Failed);
        assert_eq!(verdict.format, None);
    };
    // Contexts: remote or inline, anywhere, before anything else is looked at
    // (even a document without a proof).
    let mut d = doc.clone();
    d["@context"] = json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://evil.example/v1"
    ]);
    run(Value::Object(d), &[ReasonCode::ContextNotAllowed]);
    let mut d = doc.clone();
    d["credentialSubject"]["@context"] = json!({"given_name": "https://evil.example/name"});
    d.remove("proof");
    run(Value::Object(d), &[ReasonCode::ContextNotAllowed]);
    // No proof, another cryptosuite, a malformed proof, too many proofs.
    let mut d = doc.clone();
    d.remove("proof");
    run(Value::Object(d), &[ReasonCode::Malformed]);
    let mut d = doc.clone();
    d["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
    // The format is recognised; with the `rdfc` feature the proof is checked
    // (and fails: it was made with eddsa-jcs-2022), without it the
    // cryptosuite is not supported.
    let expected = if cfg!(feature = "rdfc") {
        ReasonCode::BadSignature
    } else {
        ReasonCode::UnsupportedAlgorithm
    };
    let verdict = check(&v, &Value::Object(d).to_string(), &opts, &[expected]);
    assert_eq!(verdict.format, Some(Format::DiEddsaRdfc2022));
    let mut d = doc.clone();
    d["proof"]["cryptosuite"] = json!("eddsa-2099");
    run(Value::Object(d), &[ReasonCode::UnsupportedAlgorithm]);
    let mut d = doc.clone();
    d["proof"]["proofValue"] = json!("not multibase");
    run(Value::Object(d), &[ReasonCode::ProofError]);
    let mut d = doc.clone();
    d["proof"] = Value::Array(vec![doc["proof"].clone(); 9]);
    run(Value::Object(d), &[ReasonCode::ResourceLimit]);
    // JSON that the strict parser refuses.
    let text = Value::Object(doc.clone()).to_string();
    let dup = text.replacen("{", r#"{"issuer":"did:key:x","#, 1);
    let verdict = check(&v, &dup, &opts, &[ReasonCode::Malformed]);
    assert_eq!(verdict.format, None);
    check(&v, "{", &opts, &[ReasonCode::Malformed]);
    check(&v, &"[".repeat(100), &opts, &[ReasonCode::Malformed]);
    check(
        &v,
        &format!("{}{}", "{\"a\":".repeat(40), "1"),
        &opts,
        &[ReasonCode::ResourceLimit],
    );
}

/// A did:example issuer whose document lists an assertion key and an
/// authentication key: DI proofs resolve through the same `DidResolver`.
#[test]
fn data_integrity_through_a_resolver() {
    let key = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let (did, doc) = example_issuer(&key);
    let issue_with = |kid: &str| {
        Issuer::new(&key, did.clone(), kid.to_owned())
            .issue(
                &permit_request(CredentialFormat::DataIntegrityJcs),
                Timestamp::from_unix(ISSUED),
                &mut rand_core::OsRng,
            )
            .expect("issue")
    };
    let trust = TrustList::empty().with(did.as_str(), None);
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let v = Verifier::new(Arc::new(Example(doc)));
    check(&v, &issue_with("#key-1"), &opts, &[]);
    check(&v, &issue_with("did:example:immigration#key-1"), &opts, &[]);
    // An authentication key must not make assertion proofs.
    check(
        &v,
        &issue_with("did:example:immigration#auth"),
        &opts,
        &[ReasonCode::DidInvalid],
    );
    let down = Verifier::new(Arc::new(Down));
    assert!(matches!(
        down.verify(&issue_with("#key-1"), &opts),
        Err(VerifyError::Resolution(_))
    ));
}

/// A Data Integrity presentation: the credential of an Ed25519 did:key
/// holder, presented with an authentication proof for a counter's challenge.
#[test]
fn data_integrity_presentations() {
    use crate::di::presentation::{PresentationInput, present};
    let w = World::new();
    let holder = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    let holder_did = did_key_from_public(&holder.public_key());
    let holder_vm = crate::did::key::did_key_method_id(&holder_did);
    let credential = Issuer::with_did_key(&w.issuer)
        .issue(
            &IssueRequest {
                holder: Some(holder_did.clone()),
                valid_until: Some(Timestamp::from_unix(UNTIL)),
                ..permit_request(CredentialFormat::DataIntegrityJcs)
            },
            Timestamp::from_unix(ISSUED),
            &mut rand_core::OsRng,
        )
        .expect("issue");
    let credential = di_document(&credential);
    let make = |signer: &SecretKey, nonce: &str, aud: &str, created: i64| {
        let vp = present(
            credential.clone(),
            &PresentationInput {
                holder: holder_did.as_str(),
                verification_method: &holder_vm,
                challenge: nonce,
                domain: aud,
                created: Timestamp::from_unix(created),
            },
            signer,
        )
        .expect("present");
        Value::Object(vp).to_string()
    };
    let trust = w.trust();
    let v = verifier();
    let opts = bound(&trust, "counter-1", "n-1");
    let vp = make(&holder, "n-1", "counter-1", NOW - 10);
    let verdict = check(&v, &vp, &opts, &[]);
    assert_eq!(verdict.holder_binding, HolderBindingStatus::Verified);
    assert_eq!(verdict.format, Some(Format::DiEddsaJcs2022));
    assert_eq!(verdict.claims["given_name"], "Amira");
    // A quick check of the same presentation: the holder proof still verifies.
    let quick = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let verdict = check(&v, &vp, &quick, &[]);
    assert_eq!(verdict.holder_binding, HolderBindingStatus::KeyBindingOnly);

    // Another counter's nonce or audience, a stale presentation, a forger.
    check(
        &v,
        &make(&holder, "n-2", "counter-1", NOW - 10),
        &opts,
        &[ReasonCode::WrongNonce],
    );
    check(
        &v,
        &make(&holder, "n-1", "counter-2", NOW - 10),
        &opts,
        &[ReasonCode::WrongAudience],
    );
    check(
        &v,
        &make(&holder, "n-1", "counter-1", NOW - 3600),
        &opts,
        &[ReasonCode::KeyBindingError],
    );
    let thief = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
    check(
        &v,
        &make(&thief, "n-1", "counter-1", NOW - 10),
        &opts,
        &[ReasonCode::KeyBindingError],
    );
    // The presentation changed after signing (its holder swapped).
    let mut d = di_document(&vp);
    d["holder"] = json!(w.issuer_did.as_str());
    check(
        &v,
        &Value::Object(d).to_string(),
        &opts,
        &[ReasonCode::HolderBinding],
    );
    // An unsigned presentation proves nothing about the holder.
    let mut d = di_document(&vp);
    d.remove("proof");
    check(
        &v,
        &Value::Object(d.clone()).to_string(),
        &opts,
        &[ReasonCode::HolderBinding],
    );
    let verdict = check(&v, &Value::Object(d).to_string(), &quick, &[]);
    assert_eq!(verdict.holder_binding, HolderBindingStatus::NotChecked);
    // A tampered credential inside: the issuer's proof fails first.
    let forged = vp.replacen("Amira", "Amina", 1);
    check(&v, &forged, &opts, &[ReasonCode::BadSignature]);
    // A presentation outside the data model.
    let mut d = di_document(&vp);
    d["@context"] = json!(["https://www.w3.org/ns/credentials/examples/v2"]);
    check(
        &v,
        &Value::Object(d).to_string(),
        &opts,
        &[ReasonCode::Malformed],
    );
    // Two credentials, or none, are not one presentation.
    let mut d = di_document(&vp);
    d["verifiableCredential"] = json!([credential.clone(), credential.clone()]);
    check(
        &v,
        &Value::Object(d).to_string(),
        &opts,
        &[ReasonCode::ProofError],
    );

    // Single use with a nonce store.
    let store = Arc::new(MemoryNonceStore::new());
    store.issue(
        "n-1",
        Timestamp::from_unix(NOW + 600),
        Timestamp::from_unix(NOW),
    );
    let v = verifier().with_nonce_store(store);
    check(&v, &vp, &opts, &[]);
    check(&v, &vp, &opts, &[ReasonCode::Replay]);
}

/// The W3C eddsa-jcs-2022 vector is authentic (see `di::tests`) but names an
/// `https:` issuer, which is not a DID: the pipeline stops at resolve_issuer.
#[test]
fn w3c_vector_issuer_is_not_a_did() {
    let text = std::fs::read_to_string(format!(
        "{}/../../shared/vectors/vc-di-eddsa/TestVectors/eddsa-jcs-2022/signedJCS.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("vector");
    let trust = TrustList::empty();
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let verdict = check(&verifier(), &text, &opts, &[ReasonCode::DidInvalid]);
    assert_eq!(verdict.format, Some(Format::DiEddsaJcs2022));
    assert_eq!(verdict.checks[1].name, CheckName::ResolveIssuer);
    assert_eq!(verdict.checks[1].outcome, Outcome::Failed);
}

/// `credentialStatus` of a Data Integrity credential goes to the status step.
#[test]
fn data_integrity_status() {
    let w = World::new();
    let entry = json!({
        "id": "https://issuer.example/status/1#7", "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation", "statusListIndex": "7",
        "statusListCredential": "https://issuer.example/status/1"
    });
    let credential = Issuer::with_did_key(&w.issuer)
        .issue(
            &IssueRequest {
                status: Some(entry),
                ..permit_request(CredentialFormat::DataIntegrityJcs)
            },
            Timestamp::from_unix(ISSUED),
            &mut rand_core::OsRng,
        )
        .expect("issue");
    let trust = w.trust();
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let revoked = verifier().with_status(Arc::new(FixedStatus(Ok(StatusOutcome::Revoked))));
    check(&revoked, &credential, &opts, &[ReasonCode::Revoked]);
    let valid = verifier().with_status(Arc::new(FixedStatus(Ok(StatusOutcome::Valid))));
    let verdict = check(&valid, &credential, &opts, &[]);
    assert!(
        verdict
            .checks
            .iter()
            .any(|c| c.name == CheckName::Status && c.outcome == Outcome::Passed)
    );
}
