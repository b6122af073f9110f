//! The guarded fetch layer, did:web and status lists over HTTPS against a real
//! local HTTPS server (tests/support/https.rs) on 127.0.0.1, its test CA
//! trusted explicitly and loopback allowed only where a test says so.

#[path = "support/https.rs"]
mod https;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use https::{Body, Reply, TestServer};
use serde_json::{Map, Value, json};
use stele_core::credential::issuer::{CredentialFormat, IssueRequest, Issuer};
use stele_core::did::{
    CachingResolver, Did, DidError, DidResolver, MethodResolver, ResolutionOptions,
};
use stele_core::key::{KeyType, SecretKey};
use stele_core::status::{
    StatusEntry, StatusList, StatusListCredentialParams, StatusPurpose, credential_status,
    issue_status_list_credential,
};
use stele_core::time::{FixedClock, Timestamp};
use stele_core::verify::{
    ReasonCode, StatusChecker, StatusError, StatusOutcome, TrustList, Verifier, VerifyError,
    VerifyOptions,
};
use stele_registry::fetch::{Fetch, FetchError, FetchPolicy, GuardedFetcher};
use stele_registry::{FallbackStatus, HttpStatus, WebResolver};

const ISSUED: i64 = 1_790_000_000;
const NOW: i64 = ISSUED + 86_400;

fn loopback() -> Vec<IpAddr> {
    vec!["127.0.0.1".parse().expect("v4"), "::1".parse().expect("v6")]
}

/// A policy allowing `localhost` with loopback exempted (the test server).
fn local_policy() -> FetchPolicy {
    FetchPolicy {
        exempt_addresses: loopback(),
        timeout: Duration::from_secs(5),
        ..FetchPolicy::allowing(["localhost"])
    }
}

fn fetcher(server: &TestServer, policy: FetchPolicy) -> GuardedFetcher {
    GuardedFetcher::with_roots(policy, &[server.root_der()]).expect("fetcher")
}

#[test]
fn the_default_policy_fetches_nothing() {
    let server = TestServer::start();
    server.route("/x", Reply::ok("application/json", "{}"));
    let f = fetcher(&server, FetchPolicy::default());
    let got = f.get(&server.url("/x"), &[]);
    assert_eq!(got, Err(FetchError::NotAllowed("localhost".into())));
    assert_eq!(server.requests(), 0, "no request was made");
}

#[test]
fn loopback_is_refused_unless_allowed() {
    let server = TestServer::start();
    server.route("/x", Reply::ok("application/json", "{}"));
    // Allowed host, but it resolves to loopback: refused by the checking resolver.
    let f = fetcher(&server, FetchPolicy::allowing(["localhost"]));
    let got = f.get(&server.url("/x"), &[]);
    assert!(
        matches!(
            &got,
            Err(FetchError::ForbiddenAddress {
                reason: "loopback",
                ..
            })
        ),
        "{got:?}"
    );
    // The same address as an IP literal, in a short form.
    let f = fetcher(&server, FetchPolicy::allowing(["127.0.0.1"]));
    let got = f.get(&format!("https://127.1:{}/x", server.port()), &[]);
    assert!(
        matches!(&got, Err(FetchError::ForbiddenAddress { .. })),
        "{got:?}"
    );
    assert_eq!(server.requests(), 0);
    // Exempted: fetched.
    let f = fetcher(&server, local_policy());
    let got = f
        .get(&server.url("/x"), &["application/json"])
        .expect("fetched");
    assert_eq!(got.body, b"{}");
    assert_eq!(got.content_type.as_deref(), Some("application/json"));
    // allow_private opens every private address.
    let open = FetchPolicy {
        allow_private: true,
        ..FetchPolicy::allowing(["localhost"])
    };
    assert!(fetcher(&server, open).get(&server.url("/x"), &[]).is_ok());
}

#[test]
fn plain_http_is_refused() {
    let server = TestServer::start();
    let f = fetcher(&server, local_policy());
    let got = f.get(&format!("http://localhost:{}/x", server.port()), &[]);
    assert_eq!(got, Err(FetchError::HttpsRequired));
    assert_eq!(server.requests(), 0);
}

#[test]
fn redirects_are_rechecked() {
    let server = TestServer::start();
    server.route("/doc", Reply::ok("application/json", "{\"ok\":1}"));
    server.route("/to-doc", Reply::redirect("/doc"));
    server.route("/to-private", Reply::redirect("https://10.1.2.3/did.json"));
    server.route(
        "/to-metadata",
        Reply::redirect("https://169.254.169.254/latest/"),
    );
    server.route(
        "/to-other",
        Reply::redirect("https://evil.example/did.json"),
    );
    server.route(
        "/to-http",
        Reply::redirect(&format!("http://localhost:{}/doc", server.port())),
    );
    server.route("/loop", Reply::redirect("/loop"));
    let policy = FetchPolicy {
        allowed_hosts: vec![
            "localhost".into(),
            "10.1.2.3".into(),
            "169.254.169.254".into(),
        ],
        ..local_policy()
    };
    let f = fetcher(&server, policy);
    let got = f.get(&server.url("/to-doc"), &[]).expect("followed");
    assert_eq!(got.body, b"{\"ok\":1}");
    assert_eq!(got.url, server.url("/doc"));
    for (path, host, reason) in [
        ("/to-private", "10.1.2.3", "private"),
        ("/to-metadata", "169.254.169.254", "link-local"),
    ] {
        let got = f.get(&server.url(path), &[]);
        let expected = FetchError::ForbiddenAddress {
            host: host.into(),
            reason,
        };
        assert_eq!(got, Err(expected), "{path}");
    }
    assert_eq!(
        f.get(&server.url("/to-other"), &[]),
        Err(FetchError::NotAllowed("evil.example".into()))
    );
    assert_eq!(
        f.get(&server.url("/to-http"), &[]),
        Err(FetchError::HttpsRequired)
    );
    let before = server.requests();
    assert_eq!(f.get(&server.url("/loop"), &[]), Err(FetchError::Redirect));
    assert_eq!(
        server.requests() - before,
        4,
        "the first request and 3 redirects"
    );
}

#[test]
fn oversize_answers_are_refused_without_reading_them() {
    let server = TestServer::start();
    let total = 64 * 1024 * 1024;
    server.route(
        "/stream",
        Reply {
            body: Body::Stream { total },
            ..Reply::ok("application/json", "")
        },
    );
    server.route(
        "/claimed",
        Reply {
            body: Body::Claimed { claimed: total },
            ..Reply::ok("application/json", "")
        },
    );
    let policy = FetchPolicy {
        max_bytes: 64 * 1024,
        ..local_policy()
    };
    let f = fetcher(&server, policy);
    assert_eq!(
        f.get(&server.url("/claimed"), &[]),
        Err(FetchError::TooLarge { limit: 64 * 1024 })
    );
    assert_eq!(
        f.get(&server.url("/stream"), &[]),
        Err(FetchError::TooLarge { limit: 64 * 1024 })
    );
    // The client stopped reading at the cap: the server could not send it all.
    std::thread::sleep(Duration::from_millis(200));
    let sent = server.streamed();
    assert!(sent < total / 4, "the server sent {sent} of {total} bytes");
}

#[test]
fn slow_servers_time_out_as_unavailable() {
    let server = TestServer::start();
    server.route(
        "/.well-known/did.json",
        Reply::ok("application/did+json", "{}").delayed(Duration::from_secs(3)),
    );
    let policy = FetchPolicy {
        timeout: Duration::from_millis(500),
        ..local_policy()
    };
    let f = Arc::new(fetcher(&server, policy));
    let started = Instant::now();
    assert_eq!(
        f.get(&server.url("/.well-known/did.json"), &[]),
        Err(FetchError::Timeout)
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    let did = Did::parse(&format!("did:web:localhost%3A{}", server.port())).expect("did");
    let got = WebResolver::new(f).resolve(&did, &ResolutionOptions::default());
    assert!(matches!(got, Err(DidError::Unavailable(_))), "{got:?}");
}

#[test]
fn the_content_type_is_checked() {
    let server = TestServer::start();
    server.route("/page", Reply::ok("text/html; charset=utf-8", "<html>"));
    let f = fetcher(&server, local_policy());
    assert_eq!(
        f.get(&server.url("/page"), &["application/json"]),
        Err(FetchError::ContentType("text/html".into()))
    );
}

/// An agency with a did:web on the test server and an Ed25519 key in its document.
struct WebIssuer {
    key: SecretKey,
    did: Did,
    kid: String,
}

impl WebIssuer {
    fn new(server: &TestServer, path: &[&str]) -> WebIssuer {
        let key = SecretKey::generate(KeyType::Ed25519, &mut rand_core::OsRng);
        let mut did = format!("did:web:localhost%3A{}", server.port());
        for p in path {
            did.push(':');
            did.push_str(p);
        }
        let did = Did::parse(&did).expect("did");
        let kid = format!("{}#key-1", did.as_str());
        WebIssuer { key, did, kid }
    }

    fn document(&self) -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did.as_str(),
            "verificationMethod": [{
                "id": self.kid, "type": "JsonWebKey", "controller": self.did.as_str(),
                "publicKeyJwk": self.key.public_key().to_jwk().to_value()
            }],
            "assertionMethod": [self.kid]
        })
    }

    fn issue(&self, status: Option<Value>) -> String {
        Issuer::new(&self.key, self.did.clone(), self.kid.clone())
            .issue(
                &IssueRequest {
                    credential_type: "ResidencePermitCredential",
                    claims: permit_claims(),
                    holder: None,
                    valid_from: None,
                    valid_until: Some(Timestamp::from_unix(ISSUED + 365 * 86_400)),
                    format: CredentialFormat::Jwt,
                    status,
                },
                Timestamp::from_unix(ISSUED),
                &mut rand_core::OsRng,
            )
            .expect("issue")
    }

    fn status_list(&self, url: &str, list: &StatusList) -> String {
        issue_status_list_credential(
            &self.key,
            &StatusListCredentialParams {
                issuer_did: self.did.as_str(),
                kid: &self.kid,
                list_url: url,
                purpose: StatusPurpose::Revocation,
                valid_from: Timestamp::from_unix(ISSUED),
                valid_until: Timestamp::from_unix(NOW + 86_400),
            },
            list,
        )
        .expect("status list credential")
    }
}

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

fn web_resolver(server: &TestServer, policy: FetchPolicy) -> Arc<dyn DidResolver> {
    let fetch: Arc<dyn Fetch> = Arc::new(fetcher(server, policy));
    Arc::new(CachingResolver::new(
        MethodResolver::default().with("web", WebResolver::new(fetch)),
        Arc::new(FixedClock(Timestamp::from_unix(NOW))),
        300,
        64,
    ))
}

#[test]
fn a_did_web_issuer_resolves_and_its_credential_verifies() {
    let server = TestServer::start();
    let agency = WebIssuer::new(&server, &[]);
    server.route(
        "/.well-known/did.json",
        Reply::ok("application/did+json", agency.document().to_string()),
    );
    let resolver = web_resolver(&server, local_policy());
    let resolution = resolver
        .resolve(&agency.did, &ResolutionOptions::default())
        .expect("resolved");
    assert_eq!(resolution.document.id, agency.did.as_str());

    let trust = TrustList::empty().with(agency.did.as_str(), None);
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let verdict = Verifier::new(resolver)
        .verify(&agency.issue(None), &opts)
        .expect("could check");
    assert!(verdict.verified, "{:#?}", verdict.reasons);

    // A document under a path; another DID's document is refused.
    let user = WebIssuer::new(&server, &["agencies", "immigration"]);
    server.route(
        "/agencies/immigration/did.json",
        Reply::ok("application/json", agency.document().to_string()),
    );
    let resolver = web_resolver(&server, local_policy());
    let got = resolver.resolve(&user.did, &ResolutionOptions::default());
    assert!(matches!(got, Err(DidError::InvalidDocument(_))), "{got:?}");
    server.route(
        "/agencies/immigration/did.json",
        Reply::ok("application/json", user.document().to_string()),
    );
    assert!(
        resolver
            .resolve(&user.did, &ResolutionOptions::default())
            .is_ok()
    );
    // Missing, oversize.
    let missing = WebIssuer::new(&server, &["nobody"]);
    let got = resolver.resolve(&missing.did, &ResolutionOptions::default());
    assert!(matches!(got, Err(DidError::NotFound(_))), "{got:?}");
    let small = Arc::new(fetcher(
        &server,
        FetchPolicy {
            max_bytes: 64,
            ..local_policy()
        },
    ));
    let got = WebResolver::new(small).resolve(&agency.did, &ResolutionOptions::default());
    assert_eq!(got.map(|_| ()), Err(DidError::TooLarge));
}

#[test]
fn a_forbidden_issuer_is_a_rejection_and_an_outage_is_could_not_check() {
    let server = TestServer::start();
    let agency = WebIssuer::new(&server, &[]);
    server.route(
        "/.well-known/did.json",
        Reply::ok("application/did+json", agency.document().to_string()),
    );
    let credential = agency.issue(None);
    let trust = TrustList::empty().with(agency.did.as_str(), None);
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);

    // Not on the allow-list: a verdict (rejected), not an error.
    let verdict = Verifier::new(web_resolver(&server, FetchPolicy::default()))
        .verify(&credential, &opts)
        .expect("a refusal is a verdict");
    assert!(!verdict.verified);
    assert!(
        verdict.has_reason(ReasonCode::ResolutionForbidden),
        "{:#?}",
        verdict.reasons
    );
    // Loopback not exempted: also a rejection.
    let verdict = Verifier::new(web_resolver(&server, FetchPolicy::allowing(["localhost"])))
        .verify(&credential, &opts)
        .expect("a refusal is a verdict");
    assert!(
        verdict.has_reason(ReasonCode::ResolutionForbidden),
        "{:#?}",
        verdict.reasons
    );
    // The server fails: could not check.
    server.route("/.well-known/did.json", Reply::status(503));
    let got = Verifier::new(web_resolver(&server, local_policy())).verify(&credential, &opts);
    assert!(
        matches!(got, Err(VerifyError::Resolution(DidError::Unavailable(_)))),
        "{got:?}"
    );
}

/// A primary checker that never has the list (as the chain for a did:web issuer).
struct NotOnChain;

impl StatusChecker for NotOnChain {
    fn check(&self, _: &str, _: &Value, _: Timestamp) -> Result<StatusOutcome, StatusError> {
        Err(StatusError::Retrieval("not on the chain".into()))
    }
}

#[test]
fn status_lists_are_fetched_verified_and_cached() {
    let server = TestServer::start();
    let agency = WebIssuer::new(&server, &[]);
    server.route(
        "/.well-known/did.json",
        Reply::ok("application/did+json", agency.document().to_string()),
    );
    let list_url = server.url("/status/1");
    let mut list = StatusList::with_min_len();
    server.route(
        "/status/1",
        Reply::ok("application/vc+jwt", agency.status_list(&list_url, &list)),
    );
    let entry = StatusEntry::new(StatusPurpose::Revocation, 42, &list_url).expect("entry");
    let credential = agency.issue(Some(credential_status(&[entry])));

    let resolver = web_resolver(&server, local_policy());
    let fetch: Arc<dyn Fetch> = Arc::new(fetcher(&server, local_policy()));
    let http = Arc::new(HttpStatus::new(fetch.clone(), resolver.clone(), 60));
    let status: Arc<dyn StatusChecker> =
        Arc::new(FallbackStatus::new(Arc::new(NotOnChain), http.clone()));
    let verifier = Verifier::new(resolver.clone()).with_status(status.clone());
    let trust = TrustList::empty().with(agency.did.as_str(), None);
    let opts = VerifyOptions::new(Timestamp::from_unix(NOW), &trust);
    let verdict = verifier.verify(&credential, &opts).expect("could check");
    assert!(verdict.verified, "{:#?}", verdict.reasons);

    // Revoked and republished: the cached list stands until its maximum age.
    list.set(42, true).expect("in range");
    server.route(
        "/status/1",
        Reply::ok("application/vc+jwt", agency.status_list(&list_url, &list)),
    );
    let requests = server.requests();
    assert!(
        verifier
            .verify(&credential, &opts)
            .expect("could check")
            .verified
    );
    assert_eq!(server.requests(), requests, "served from the cache");
    let later = VerifyOptions::new(Timestamp::from_unix(NOW + 61), &trust);
    let verdict = verifier.verify(&credential, &later).expect("could check");
    assert!(
        verdict.has_reason(ReasonCode::Revoked),
        "{:#?}",
        verdict.reasons
    );

    // The list server fails after the cache expired: could not check, never valid.
    server.route("/status/1", Reply::status(503));
    let fresh = HttpStatus::new(fetch.clone(), resolver.clone(), 60);
    let got = verifier_with(resolver.clone(), fresh).verify(&credential, &opts);
    assert!(
        matches!(got, Err(VerifyError::Status(StatusError::Unavailable(_)))),
        "{got:?}"
    );

    // A list signed by someone else is a verification error.
    let impostor = WebIssuer {
        did: agency.did.clone(),
        kid: agency.kid.clone(),
        ..WebIssuer::new(&server, &[])
    };
    server.route(
        "/status/1",
        Reply::ok("application/vc+jwt", impostor.status_list(&list_url, &list)),
    );
    let fresh = HttpStatus::new(fetch.clone(), resolver.clone(), 60);
    let verdict = verifier_with(resolver.clone(), fresh)
        .verify(&credential, &opts)
        .expect("could check");
    assert!(
        verdict.has_reason(ReasonCode::StatusVerificationError),
        "{:#?}",
        verdict.reasons
    );

    // The list's host not allowed: a retrieval error, a rejection.
    let refused: Arc<dyn Fetch> = Arc::new(fetcher(&server, FetchPolicy::default()));
    let closed = HttpStatus::new(refused, resolver.clone(), 60);
    let verdict = verifier_with(resolver, closed)
        .verify(&credential, &opts)
        .expect("could check");
    assert!(
        verdict.has_reason(ReasonCode::StatusRetrievalError),
        "{:#?}",
        verdict.reasons
    );
}

fn verifier_with(resolver: Arc<dyn DidResolver>, status: HttpStatus) -> Verifier {
    Verifier::new(resolver).with_status(Arc::new(status))
}
