//! did:web resolution, hardened (PRODUCT.md §3 and §6; ADR 0032):
//! [`WebResolver`] maps a did:web to its `https` URL ([`did_web_url`]),
//! fetches the document through the guarded [`Fetch`] layer, reads it with
//! core's strict JSON parser under a size cap, and accepts it only if its
//! `id` is the DID.
//!
//! What the fetch layer refuses (a host not on the allow-list, a private
//! address, a redirect to one) is [`DidError::ResolutionForbidden`]: a
//! rejection, not an outage. A server that is down, slow or failing is
//! [`DidError::Unavailable`] ("could not check").

use std::sync::Arc;

use stele_core::did::{
    CONTENT_TYPE_DID_JSON, CONTENT_TYPE_DID_LD_JSON, Did, DidDocument, DidError, DidResolver,
    DocumentMetadata, Resolution, ResolutionOptions,
};
use stele_core::json::JsonLimits;

use crate::fetch::{Fetch, FetchError, FetchUrl, Host, parse_host};

/// Media types a did:web document may be served as.
pub const DID_WEB_MEDIA_TYPES: [&str; 4] = [
    CONTENT_TYPE_DID_JSON,
    CONTENT_TYPE_DID_LD_JSON,
    "application/json",
    "application/ld+json",
];

/// Default size cap of a did:web document.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// The `https` URL of a did:web DID's document (did:web method specification
/// §3.2 "Read"): the method-specific id split at `:`; the first part is the
/// host, with an optional port percent-encoded as `%3A`; the other parts are
/// path segments, and the document is `did.json` under them, or
/// `/.well-known/did.json` when there are none.
///
/// Refused with [`DidError::InvalidDid`]: another method, any other percent
/// escape (user info `%40`, `%2F` in a segment, ...), empty, `.` or `..`
/// segments, a malformed host or port, and IP-literal hosts unless
/// `allow_ip_host` (the specification names a domain).
pub fn did_web_url(did: &Did, allow_ip_host: bool) -> Result<String, DidError> {
    let invalid = |why: &str| DidError::InvalidDid(format!("did:web: {why}"));
    if did.method() != "web" {
        return Err(invalid("not a did:web DID"));
    }
    let mut parts = did.method_specific_id().split(':');
    let authority = parts.next().unwrap_or_default();
    let (host, port) = match authority.find('%') {
        None => (authority, None),
        Some(i) => {
            let (h, rest) = authority.split_at(i);
            let digits = rest
                .strip_prefix("%3A")
                .or_else(|| rest.strip_prefix("%3a"))
                .ok_or_else(|| invalid("only a port (%3A) may be percent-encoded in the host"))?;
            (h, Some(digits))
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("malformed port"));
            }
            match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(invalid("malformed port")),
                Ok(n) => Some(n),
            }
        }
    };
    let host = parse_host(host).map_err(|_| invalid("malformed host"))?;
    if matches!(host, Host::Ip(_)) && !allow_ip_host {
        return Err(invalid("the host is an IP address, not a domain name"));
    }
    let mut path = String::new();
    let mut segments = 0;
    for segment in parts {
        if segment.is_empty() || segment == "." || segment == ".." || segment.contains('%') {
            return Err(invalid("malformed path segment"));
        }
        path.push('/');
        path.push_str(segment);
        segments += 1;
    }
    if segments == 0 {
        path.push_str("/.well-known");
    }
    path.push_str("/did.json");
    Ok(FetchUrl {
        host,
        port: port.filter(|p| *p != 443),
        path,
    }
    .to_string())
}

/// Resolves did:web DIDs through a guarded [`Fetch`].
///
/// did:web has no history: `version_time` is ignored (the current document
/// is returned) and a `version_id` is [`DidError::NotFound`].
pub struct WebResolver {
    fetch: Arc<dyn Fetch>,
    max_document_bytes: usize,
    allow_ip_host: bool,
}

impl std::fmt::Debug for WebResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebResolver")
            .field("max_document_bytes", &self.max_document_bytes)
            .field("allow_ip_host", &self.allow_ip_host)
            .finish_non_exhaustive()
    }
}

impl WebResolver {
    /// Resolves through `fetch`, documents capped at [`DEFAULT_MAX_DOCUMENT_BYTES`],
    /// IP-literal hosts refused.
    pub fn new(fetch: Arc<dyn Fetch>) -> Self {
        WebResolver {
            fetch,
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            allow_ip_host: false,
        }
    }

    /// Caps documents at `n` bytes (the fetch policy's own cap applies too).
    #[must_use]
    pub fn with_max_document_bytes(mut self, n: usize) -> Self {
        self.max_document_bytes = n;
        self
    }

    /// Accepts IP-literal hosts (`did:web:192.0.2.1`); the fetch policy must
    /// still allow the address. For tests and closed networks.
    #[must_use]
    pub fn allowing_ip_hosts(mut self, allow: bool) -> Self {
        self.allow_ip_host = allow;
        self
    }
}

/// The DID error a failed fetch of a DID document is.
pub fn did_error_of(e: FetchError) -> DidError {
    match e {
        FetchError::TooLarge { .. } => DidError::TooLarge,
        FetchError::Status(404 | 410) => {
            DidError::NotFound("the server has no such document".into())
        }
        e if e.is_outage() => DidError::Unavailable(e.to_string()),
        e if e.is_refusal() => DidError::ResolutionForbidden(e.to_string()),
        FetchError::ContentType(_) => DidError::InvalidDocument(e.to_string()),
        e => DidError::NotFound(e.to_string()),
    }
}

impl DidResolver for WebResolver {
    fn resolve(&self, did: &Did, options: &ResolutionOptions) -> Result<Resolution, DidError> {
        if options.version_id.is_some() {
            return Err(DidError::NotFound(
                "did:web documents have no versions".into(),
            ));
        }
        let url = did_web_url(did, self.allow_ip_host)?;
        let fetched = self
            .fetch
            .get(&url, &DID_WEB_MEDIA_TYPES)
            .map_err(did_error_of)?;
        if fetched.body.len() > self.max_document_bytes {
            return Err(DidError::TooLarge);
        }
        let limits = JsonLimits {
            max_bytes: self.max_document_bytes,
            ..JsonLimits::DEFAULT
        };
        let document = DidDocument::from_json(&fetched.body, limits)?;
        if document.id != did.as_str() {
            return Err(DidError::InvalidDocument(
                "the document's id is not the DID".into(),
            ));
        }
        let content_type = if document.context.is_null() {
            CONTENT_TYPE_DID_JSON
        } else {
            CONTENT_TYPE_DID_LD_JSON
        };
        Ok(Resolution {
            document,
            metadata: DocumentMetadata::default(),
            content_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(did: &str) -> Result<String, DidError> {
        did_web_url(&Did::parse(did).expect("DID syntax"), false)
    }

    #[test]
    fn maps_dids_to_urls() {
        let cases: &[(&str, &str)] = &[
            (
                "did:web:example.com",
                "https://example.com/.well-known/did.json",
            ),
            (
                "did:web:Example.COM",
                "https://example.com/.well-known/did.json",
            ),
            (
                "did:web:example.com%3A3000",
                "https://example.com:3000/.well-known/did.json",
            ),
            (
                "did:web:example.com%3a3000",
                "https://example.com:3000/.well-known/did.json",
            ),
            (
                "did:web:example.com%3A443",
                "https://example.com/.well-known/did.json",
            ),
            (
                "did:web:w3c-ccg.github.io:user:alice",
                "https://w3c-ccg.github.io/user/alice/did.json",
            ),
            (
                "did:web:example.com%3A8443:a:b",
                "https://example.com:8443/a/b/did.json",
            ),
        ];
        for (did, expected) in cases {
            assert_eq!(url(did).as_deref(), Ok(*expected), "{did}");
        }
    }

    #[test]
    fn refuses_tricky_dids() {
        for did in [
            "did:web:user%40example.com",    // user info
            "did:web:example.com%2Fevil",    // a slash in the host
            "did:web:example.com%3A",        // empty port
            "did:web:example.com%3A0",       // port 0
            "did:web:example.com%3A70000",   // port out of range
            "did:web:example.com%3A80%3A81", // two ports
            "did:web:example.com:a%2F..:b",  // an escape in a segment
            "did:web:example.com:..",        // dot-dot segment
            "did:web:example.com::a",        // empty segment
            "did:web:127.0.0.1",             // IP literal
            "did:web:127.1",                 // IP literal, short form
            "did:web:0x7f.1",                // IP literal, hex
            "did:web:2130706433",            // IP literal, one number
            "did:web:999.1.1.1",             // malformed IPv4
            "did:web:exa_mple.com",          // not a DNS name
            "did:web:-example.com",          // bad label
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        ] {
            let got = url(did);
            assert!(
                matches!(got, Err(DidError::InvalidDid(_))),
                "{did}: {got:?}"
            );
        }
        let ip = Did::parse("did:web:192.0.2.1%3A8443").expect("syntax");
        assert_eq!(
            did_web_url(&ip, true).as_deref(),
            Ok("https://192.0.2.1:8443/.well-known/did.json")
        );
    }

    #[test]
    fn fetch_errors_map_to_did_errors() {
        let forbidden = FetchError::ForbiddenAddress {
            host: "x".into(),
            reason: "loopback",
        };
        let cases = [
            (FetchError::NotAllowed("x".into()), "resolution_forbidden"),
            (forbidden, "resolution_forbidden"),
            (FetchError::HttpsRequired, "resolution_forbidden"),
            (FetchError::Redirect, "resolution_forbidden"),
            (FetchError::TooLarge { limit: 1 }, "too_large"),
            (FetchError::Timeout, "unavailable"),
            (FetchError::Unavailable("x".into()), "unavailable"),
            (FetchError::Status(503), "unavailable"),
            (FetchError::Status(429), "unavailable"),
            (FetchError::Status(404), "not_found"),
            (FetchError::Status(403), "not_found"),
            (
                FetchError::ContentType("text/html".into()),
                "invalid_document",
            ),
        ];
        for (e, expected) in cases {
            let got = match did_error_of(e.clone()) {
                DidError::ResolutionForbidden(_) => "resolution_forbidden",
                DidError::TooLarge => "too_large",
                DidError::Unavailable(_) => "unavailable",
                DidError::NotFound(_) => "not_found",
                DidError::InvalidDocument(_) => "invalid_document",
                other => panic!("{e:?} → {other:?}"),
            };
            assert_eq!(got, expected, "{e:?}");
        }
    }
}
