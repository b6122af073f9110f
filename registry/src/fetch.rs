//! The guarded fetch layer (PRODUCT.md §6 "No surprise network access";
//! ADR 0032): every GET Stele makes to a third party — a did:web document, an
//! issuer's status list credential — goes through a [`Fetch`] under a
//! [`FetchPolicy`].
//!
//! This module holds what needs no network: the policy, the strict reading of
//! `https` URLs ([`FetchUrl`]), the classification of addresses
//! ([`forbidden_address`]), the [`Fetch`] seam and its typed [`FetchError`].
//! `GuardedFetcher` (cargo feature `http`) is the implementation over
//! reqwest: DNS is resolved once by a resolver that checks every address and
//! the connection goes only to those checked addresses, redirects are
//! followed by hand and re-checked, and the body is read through a cap.
//!
//! The policy is deny-by-default: the allow-list is empty, so nothing may be
//! fetched until a host is named.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

#[cfg(feature = "http")]
mod guarded;
#[cfg(feature = "http")]
pub use guarded::GuardedFetcher;

/// Most redirects a fetch follows.
pub const MAX_REDIRECTS: usize = 3;
/// Default size cap of one fetched body.
pub const DEFAULT_MAX_BYTES: usize = 1024 * 1024;
/// Default time limit to establish a connection (DNS, TCP, TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time limit of a whole fetch, redirects and body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What may be fetched, from where, and within which limits.
///
/// The default allows nothing: `allowed_hosts` is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Host names (lowercase, exact match, no wildcard) and IP literals that
    /// may be fetched from. Empty = nothing may be fetched. An IP-literal URL
    /// host must be listed in its canonical form (`192.0.2.1`, `::1`).
    pub allowed_hosts: Vec<String>,
    /// Allows private, loopback, link-local, unique-local, CGNAT, multicast
    /// and unspecified addresses. Only for tests and closed networks.
    pub allow_private: bool,
    /// Single addresses exempted from the address check while `allow_private`
    /// is off (a test's 127.0.0.1 server, while every other private address
    /// stays refused).
    pub exempt_addresses: Vec<IpAddr>,
    /// Time limit to establish a connection.
    pub connect_timeout: Duration,
    /// Time limit of the whole fetch, redirects and body included.
    pub timeout: Duration,
    /// Size cap of a body; a larger one is refused without being read past the cap.
    pub max_bytes: usize,
    /// Redirects followed (each re-checked), at most [`MAX_REDIRECTS`].
    pub max_redirects: usize,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            allowed_hosts: Vec::new(),
            allow_private: false,
            exempt_addresses: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_bytes: DEFAULT_MAX_BYTES,
            max_redirects: MAX_REDIRECTS,
        }
    }
}

impl FetchPolicy {
    /// The default limits with these hosts allowed (names are lowercased).
    pub fn allowing<I, S>(hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        FetchPolicy {
            allowed_hosts: hosts
                .into_iter()
                .map(|h| h.as_ref().trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            ..FetchPolicy::default()
        }
    }

    /// `true` when `host` (as [`FetchUrl::host`] shows it) is on the allow-list.
    pub fn host_allowed(&self, host: &Host) -> bool {
        let shown = host.to_string();
        self.allowed_hosts.iter().any(|h| {
            let h = h.trim_start_matches('[').trim_end_matches(']');
            match host {
                Host::Name(_) => h == shown,
                // Compare addresses, not spellings: `::1` and `0:0::1` are one host.
                Host::Ip(ip) => h.parse::<IpAddr>().is_ok_and(|a| a == *ip),
            }
        })
    }

    /// Why connecting to `ip` is refused under this policy, or `None`.
    pub fn address_refusal(&self, ip: IpAddr) -> Option<&'static str> {
        if self.allow_private || self.exempt_addresses.contains(&ip) {
            return None;
        }
        forbidden_address(ip)
    }

    /// Checks `url` against the policy before any connection: `https` only,
    /// no user info, a host on the allow-list, and for an IP-literal host an
    /// address that may be connected to.
    pub fn check_url(&self, url: &str) -> Result<FetchUrl, FetchError> {
        let url = FetchUrl::parse(url)?;
        if !self.host_allowed(&url.host) {
            return Err(FetchError::NotAllowed(url.host.to_string()));
        }
        if let Host::Ip(ip) = url.host {
            if let Some(reason) = self.address_refusal(ip) {
                return Err(FetchError::ForbiddenAddress {
                    host: url.host.to_string(),
                    reason,
                });
            }
        }
        Ok(url)
    }
}

/// A fetched body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The URL the body came from, after redirects.
    pub url: String,
    /// The media type of the body (`Content-Type` without parameters, lowercase).
    pub content_type: Option<String>,
    /// The body, at most the policy's `max_bytes`.
    pub body: Vec<u8>,
}

/// GETs a resource from a third party under a policy: the seam did:web
/// resolution and status list retrieval use.
///
/// Synchronous like every effect trait (ADR 0011): async hosts call it on a
/// blocking thread.
pub trait Fetch: Send + Sync {
    /// GETs `url`. When `accept` is not empty, the answer's media type must be
    /// one of them (else [`FetchError::ContentType`]).
    fn get(&self, url: &str, accept: &[&str]) -> Result<Fetched, FetchError>;
}

impl<F: Fetch + ?Sized> Fetch for std::sync::Arc<F> {
    fn get(&self, url: &str, accept: &[&str]) -> Result<Fetched, FetchError> {
        (**self).get(url, accept)
    }
}

/// The [`Fetch`] of a host that fetches nothing: every URL is refused as the
/// default [`FetchPolicy`] refuses it ([`FetchError::NotAllowed`] for a
/// well-formed `https` URL). With it, a did:web issuer is a typed refusal
/// ("resolution forbidden") rather than an unknown DID method.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFetch;

impl Fetch for NoFetch {
    fn get(&self, url: &str, _accept: &[&str]) -> Result<Fetched, FetchError> {
        match FetchPolicy::default().check_url(url) {
            Err(e) => Err(e),
            // Unreachable with the empty allow-list; refused all the same.
            Ok(u) => Err(FetchError::NotAllowed(u.host.to_string())),
        }
    }
}

/// Why a fetch was refused or failed.
///
/// [`FetchError::is_outage`] separates "could not check" (the server is down,
/// slow or failing) from a refusal by policy or an answer that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The host is not on the allow-list (the default allows no host); likely
    /// an issuer the operator has not decided to reach.
    #[error("fetching from {0} is not allowed")]
    NotAllowed(String),
    /// The host is, or resolves to, a private, loopback, link-local,
    /// unique-local, CGNAT, multicast or unspecified address; likely an
    /// attempt to reach the verifier's own network.
    #[error("{host} is a forbidden address ({reason})")]
    ForbiddenAddress {
        /// The host as named in the URL.
        host: String,
        /// Which kind of address it is.
        reason: &'static str,
    },
    /// The URL is not `https`.
    #[error("only https URLs may be fetched")]
    HttpsRequired,
    /// The URL is malformed, carries user info, or names a host that is not
    /// a plain DNS name or IP address.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// More redirects than the policy allows, or a redirect without a usable `Location`.
    #[error("too many or unusable redirects")]
    Redirect,
    /// The answer is larger than the policy's cap; it was not read past the cap.
    #[error("answer exceeds the size limit of {limit} bytes")]
    TooLarge {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// The answer's media type is not one the caller accepts.
    #[error("unexpected content type {0}")]
    ContentType(String),
    /// No complete answer within the time limit.
    #[error("timed out")]
    Timeout,
    /// The server could not be reached (DNS, connection, TLS, broken stream).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The server answered with a non-success HTTP status.
    #[error("HTTP status {0}")]
    Status(u16),
}

impl FetchError {
    /// `true` for outages ("could not check"): timeouts, unreachable servers
    /// and the statuses that mean "try later" (5xx, 408, 429). Refusals by
    /// policy, oversize or mistyped answers and other statuses are `false`.
    pub fn is_outage(&self) -> bool {
        match self {
            FetchError::Timeout | FetchError::Unavailable(_) => true,
            FetchError::Status(s) => *s >= 500 || *s == 408 || *s == 429,
            _ => false,
        }
    }

    /// `true` when the policy refused the fetch (host, address, scheme, URL, redirects).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            FetchError::NotAllowed(_)
                | FetchError::ForbiddenAddress { .. }
                | FetchError::HttpsRequired
                | FetchError::InvalidUrl(_)
                | FetchError::Redirect
        )
    }
}

/// The host of a [`FetchUrl`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name: lowercase ASCII letters, digits, `-` and `.`, not numeric.
    Name(String),
    /// An IP literal (IPv4 in any form a browser accepts, or bracketed IPv6).
    Ip(IpAddr),
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ip(IpAddr::V4(a)) => write!(f, "{a}"),
            Host::Ip(IpAddr::V6(a)) => write!(f, "[{a}]"),
        }
    }
}

/// An `https` URL read strictly: no user info, a host that is a DNS name or an
/// IP literal in canonical form, an optional port, and a path with query.
/// The fragment is dropped (never sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchUrl {
    /// The host.
    pub host: Host,
    /// The port, if not 443.
    pub port: Option<u16>,
    /// The path and query, starting with `/`.
    pub path: String,
}

impl std::fmt::Display for FetchUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "https://{}", self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        f.write_str(&self.path)
    }
}

/// Longest URL accepted.
const MAX_URL_LEN: usize = 4096;

impl FetchUrl {
    /// Reads an absolute URL. Non-`https` schemes are
    /// [`FetchError::HttpsRequired`]; anything unusual is
    /// [`FetchError::InvalidUrl`].
    pub fn parse(url: &str) -> Result<FetchUrl, FetchError> {
        let invalid = |why: &str| FetchError::InvalidUrl(why.to_owned());
        if url.len() > MAX_URL_LEN {
            return Err(invalid("too long"));
        }
        if !url.bytes().all(|b| b.is_ascii_graphic()) || url.contains('\\') {
            return Err(invalid(
                "characters outside printable ASCII, or a backslash",
            ));
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(invalid("not an absolute URL"));
        };
        if !scheme.eq_ignore_ascii_case("https") {
            return Err(FetchError::HttpsRequired);
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err(invalid("user info is not allowed"));
        }
        let (host, port) = split_port(authority)?;
        let host = parse_host(host)?;
        let tail = tail.split('#').next().unwrap_or_default();
        let path = if tail.is_empty() {
            "/".to_owned()
        } else if tail.starts_with('?') {
            format!("/{tail}")
        } else {
            tail.to_owned()
        };
        Ok(FetchUrl {
            host,
            port: port.filter(|p| *p != 443),
            path,
        })
    }

    /// The target of a redirect from this URL: an absolute URL, a
    /// scheme-relative one (`//host/path`) or an absolute path (`/path`).
    pub fn join(&self, location: &str) -> Result<FetchUrl, FetchError> {
        if location.starts_with("//") {
            FetchUrl::parse(&format!("https:{location}"))
        } else if location.starts_with('/') {
            let joined = format!(
                "https://{}{}{location}",
                self.host,
                self.port.map(|p| format!(":{p}")).unwrap_or_default()
            );
            FetchUrl::parse(&joined)
        } else {
            FetchUrl::parse(location)
        }
    }
}

fn split_port(authority: &str) -> Result<(&str, Option<u16>), FetchError> {
    let invalid = |why: &str| FetchError::InvalidUrl(why.to_owned());
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let close = rest
            .find(']')
            .ok_or_else(|| invalid("unclosed IPv6 literal"))?;
        let after = &rest[close + 1..];
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(|| invalid("bad port"))?),
        };
        (&authority[..close + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("bad port"));
            }
            match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(invalid("bad port")),
                Ok(n) => Some(n),
            }
        }
    };
    Ok((host, port))
}

/// Reads a URL host the way a WHATWG URL parser (which reqwest's `url` crate
/// is) would, so the host checked is the host connected to: bracketed IPv6,
/// IPv4 in every numeric form (`127.1`, `0x7f.1`, `2130706433`, `0177.0.0.1`),
/// else a DNS name. Percent escapes, non-ASCII (IDNA) and empty labels are
/// refused rather than normalised.
pub fn parse_host(host: &str) -> Result<Host, FetchError> {
    let invalid = |why: &str| FetchError::InvalidUrl(why.to_owned());
    if host.is_empty() {
        return Err(invalid("empty host"));
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| invalid("bad IPv6 literal"))?;
        // Zone ids (`%25eth0`) are refused: the parse fails on `%`.
        let ip: Ipv6Addr = inner.parse().map_err(|_| invalid("bad IPv6 literal"))?;
        return Ok(Host::Ip(IpAddr::V6(ip)));
    }
    let host = host.to_ascii_lowercase();
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(invalid("host is not a plain DNS name or IP address"));
    }
    if let Some(v4) = whatwg_ipv4(&host) {
        return v4
            .map(|a| Host::Ip(IpAddr::V4(a)))
            .ok_or_else(|| invalid("malformed IPv4 address"));
    }
    if host.len() > 253
        || host
            .split('.')
            .any(|l| l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-'))
    {
        return Err(invalid("malformed host name"));
    }
    Ok(Host::Name(host))
}

/// `None` when `host` is not an IPv4 host for a WHATWG parser (its last
/// label is not numeric); `Some(None)` when it is but fails to parse (the
/// parser then fails the URL); `Some(Some(addr))` otherwise.
fn whatwg_ipv4(host: &str) -> Option<Option<Ipv4Addr>> {
    let trimmed = host.strip_suffix('.').unwrap_or(host);
    let last = trimmed.rsplit('.').next().unwrap_or_default();
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || last
                .strip_prefix("0x")
                .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())));
    if !numeric {
        return None;
    }
    let parts: Vec<&str> = trimmed.split('.').collect();
    if parts.len() > 4 {
        return Some(None);
    }
    let mut numbers = Vec::with_capacity(parts.len());
    for p in &parts {
        numbers.push(match whatwg_number(p) {
            Some(n) => n,
            None => return Some(None),
        });
    }
    let (last, init) = numbers.split_last()?;
    if init.iter().any(|n| *n > 255) {
        return Some(None);
    }
    let room = 8 * (4 - init.len() as u32);
    if u64::from(*last) >= 1u64 << room {
        return Some(None);
    }
    let mut value: u32 = *last;
    for (i, n) in init.iter().enumerate() {
        value |= n << (8 * (3 - i as u32));
    }
    Some(Some(Ipv4Addr::from(value)))
}

/// One part of a WHATWG IPv4 address: decimal, `0x` hex or leading-`0` octal.
fn whatwg_number(p: &str) -> Option<u32> {
    if p.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(h) = p.strip_prefix("0x") {
        (h, 16)
    } else if p.len() > 1 && p.starts_with('0') {
        (&p[1..], 8)
    } else {
        (p, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    u32::from_str_radix(digits, radix).ok()
}

/// Why an address must not be connected to (PRODUCT.md §6), or `None` for a
/// global unicast address. IPv4-mapped, IPv4-compatible, NAT64 and 6to4 IPv6
/// addresses are judged by the IPv4 address they carry.
pub fn forbidden_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(a) => forbidden_v4(a),
        IpAddr::V6(a) => forbidden_v6(a),
    }
}

fn forbidden_v4(a: Ipv4Addr) -> Option<&'static str> {
    let o = a.octets();
    match o {
        [0, ..] => Some("unspecified"),
        [127, ..] => Some("loopback"),
        [10, ..] => Some("private"),
        [172, b, ..] if (16..32).contains(&b) => Some("private"),
        [192, 168, ..] => Some("private"),
        [169, 254, ..] => Some("link-local"),
        [100, b, ..] if (64..128).contains(&b) => Some("shared (CGNAT)"),
        [192, 0, 0, _] => Some("IETF protocol assignment"),
        [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _] => Some("documentation"),
        [198, 18 | 19, ..] => Some("benchmarking"),
        [224..=239, ..] => Some("multicast"),
        [240..=255, ..] => Some("reserved or broadcast"),
        _ => None,
    }
}

fn forbidden_v6(a: Ipv6Addr) -> Option<&'static str> {
    let s = a.segments();
    if a.is_unspecified() {
        return Some("unspecified");
    }
    if a.is_loopback() {
        return Some("loopback");
    }
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated).
    if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        if s[5] == 0 {
            return Some("IPv4-compatible (deprecated)");
        }
        return forbidden_v4(v4);
    }
    // 64:ff9b::/96 NAT64 carries an IPv4 address in its last 32 bits.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return forbidden_v4(v4);
    }
    // 2002::/16 6to4 carries one in bits 16..48.
    if s[0] == 0x2002 {
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return forbidden_v4(v4);
    }
    match s[0] {
        x if x & 0xff00 == 0xff00 => Some("multicast"),
        x if x & 0xfe00 == 0xfc00 => Some("unique-local"),
        x if x & 0xffc0 == 0xfe80 => Some("link-local"),
        x if x & 0xffc0 == 0xfec0 => Some("site-local"),
        0x2001 if s[1] == 0x0db8 => Some("documentation"),
        0x2001 if s[1] < 0x0200 => Some("IETF protocol assignment (Teredo, ORCHID, benchmarking)"),
        0x0064 if s[1] == 0xff9b => Some("local-use NAT64"),
        0x0100 if s[1..4] == [0, 0, 0] => Some("discard-only"),
        // Global unicast is 2000::/3; everything else is unassigned or reserved.
        x if x & 0xe000 != 0x2000 => Some("reserved"),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
