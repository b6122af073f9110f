//! The service's configuration: a TOML file (documented by
//! `schemas/verifier-config.schema.json`), then environment overrides, then
//! command-line flags. Every field has a default, so an empty file (or none)
//! is a working configuration: 127.0.0.1:8080, an embedded chain in the data
//! directory, one generated counter key.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! data_dir = "stele-verifier-data"
//! chain = "rpc:http://127.0.0.1:8545"      # default: embedded:<data_dir>/chain
//! verifier_id = "https://verifier.buergeramt.example"
//!
//! [[counters]]
//! id = "counter-7"
//! api_key_sha256 = "9f86d0…"              # SHA-256 (hex) of the counter's API key
//! [counters.policy]
//! accepted_types = ["ResidencePermitCredential"]
//! required_claims = ["given_name", "family_name"]
//! require_holder_binding = true
//! max_credential_age_secs = 315360000
//! status_max_age_secs = 60
//!
//! [[trusted_issuers]]                      # did:key issuers; did:ethr come from the chain
//! did = "did:key:z6Mk…"
//! types = ["ResidencePermitCredential"]
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Environment variables that override the file (flags override both).
pub const ENV_CONFIG: &str = "STELE_VERIFIER_CONFIG";
/// Overrides `listen`.
pub const ENV_LISTEN: &str = "STELE_VERIFIER_LISTEN";
/// Overrides `data_dir`.
pub const ENV_DATA_DIR: &str = "STELE_VERIFIER_DATA_DIR";
/// Overrides `chain`.
pub const ENV_CHAIN: &str = "STELE_VERIFIER_CHAIN";
/// Overrides `deployment`.
pub const ENV_DEPLOYMENT: &str = "STELE_VERIFIER_DEPLOYMENT";
/// Overrides `verifier_id`.
pub const ENV_VERIFIER_ID: &str = "STELE_VERIFIER_ID";
/// Overrides `tls.cert_file`.
pub const ENV_TLS_CERT: &str = "STELE_VERIFIER_TLS_CERT";
/// Overrides `tls.key_file`.
pub const ENV_TLS_KEY: &str = "STELE_VERIFIER_TLS_KEY";

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped keys.
    #[error("{0}")]
    Parse(String),
    /// A value is out of range or inconsistent with another.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on (`127.0.0.1:8080`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// Where the service keeps its state: audit log, generated keys, the embedded chain.
    pub data_dir: PathBuf,
    /// `embedded:DIR` or `rpc:URL`; default `embedded:<data_dir>/chain`.
    pub chain: Option<String>,
    /// The contract addresses; default `deployment.json` in the embedded
    /// chain's directory, or in the data directory for `rpc:`.
    pub deployment: Option<PathBuf>,
    /// This verifier's identifier: the audience of presentations is
    /// `<verifier_id>/<counter id>` unless the counter sets its own.
    pub verifier_id: String,
    /// The URL the clerk's page is printed under (default `http://<listen>/`).
    pub public_url: Option<String>,
    /// Log one line per request to stderr (method, route template, status,
    /// latency, reason codes; never a credential, key or claim).
    pub log_requests: bool,
    /// Request limits.
    pub limits: LimitsConfig,
    /// Cache sizes and ages.
    pub cache: CacheConfig,
    /// Per-API-key rate limit.
    pub rate_limit: RateLimitConfig,
    /// Which routes need no API key.
    pub access: AccessConfig,
    /// The audit log.
    pub audit: AuditConfig,
    /// Counters and their policies. Empty: one counter is generated.
    pub counters: Vec<CounterConfig>,
    /// did:key (or other) issuers trusted without chain accreditation.
    pub trusted_issuers: Vec<TrustedIssuerConfig>,
    /// An issuer, for `POST /credentials/issue` and `GET /status/...` (agency deployments).
    pub issuer: Option<IssuerConfig>,
    /// Fetching from third parties (did:web documents, status lists over
    /// HTTPS; ADR 0032). Without this section the service fetches nothing.
    pub fetch: Option<FetchConfig>,
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    pub tls: Option<TlsConfig>,
}

/// HTTPS: a PEM certificate chain (leaf first) and its PEM private key
/// (PKCS#8, PKCS#1 or SEC1). Both are read at start; a file that does not
/// parse stops the start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain (PEM).
    pub cert_file: PathBuf,
    /// The private key (PEM), readable only by the service.
    pub key_file: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("stele-verifier-data"),
            chain: None,
            deployment: None,
            verifier_id: "stele-verifier".into(),
            public_url: None,
            log_requests: true,
            limits: LimitsConfig::default(),
            cache: CacheConfig::default(),
            rate_limit: RateLimitConfig::default(),
            access: AccessConfig::default(),
            audit: AuditConfig::default(),
            counters: Vec::new(),
            trusted_issuers: Vec::new(),
            issuer: None,
            fetch: None,
            tls: None,
        }
    }
}

/// Request limits (PRODUCT.md §6).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Deepest JSON nesting accepted in a request body.
    pub max_json_depth: usize,
    /// Time a request may take before it is answered 503, in milliseconds.
    pub request_timeout_ms: u64,
    /// How long a challenge stays valid, in seconds.
    pub challenge_ttl_secs: i64,
    /// Most open challenges kept (oldest dropped first).
    pub max_open_challenges: usize,
    /// Most requests handled at once; more wait.
    pub max_concurrent_requests: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body_bytes: 256 * 1024,
            max_json_depth: 32,
            request_timeout_ms: 10_000,
            challenge_ttl_secs: 120,
            max_open_challenges: 100_000,
            max_concurrent_requests: 1024,
        }
    }
}

/// Caches in front of the chain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// How long a resolved DID document is reused, in seconds. While the
    /// chain is down, issuers resolved within this age still verify.
    pub did_ttl_secs: i64,
    /// Most DID documents kept.
    pub did_capacity: usize,
    /// Default status freshness: how long a synced status list is reused, in
    /// seconds (0: synced again in every new second). While the chain is
    /// down, an older list is never used: "could not check".
    pub status_max_age_secs: i64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            did_ttl_secs: 300,
            did_capacity: 10_000,
            status_max_age_secs: 300,
        }
    }
}

/// The guarded fetch layer (PRODUCT.md §6 "No surprise network access").
/// With this section did:web issuers are resolved and status lists that are
/// not on the chain are fetched over HTTPS, from the listed hosts only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchConfig {
    /// Host names (exact, lowercase) that may be fetched from; empty = none.
    pub allowed_hosts: Vec<String>,
    /// Allow private, loopback, link-local and other non-public addresses
    /// (closed networks and tests only).
    pub allow_private: bool,
    /// Time limit of one fetch, redirects and body included, in milliseconds.
    pub timeout_ms: u64,
    /// Size cap of one fetched document, in bytes.
    pub max_bytes: usize,
    /// A PEM (or DER) file of root certificates to trust instead of the
    /// system's (a private PKI); default: the system's.
    pub roots_file: Option<PathBuf>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            allowed_hosts: Vec::new(),
            allow_private: false,
            timeout_ms: 5_000,
            max_bytes: 1024 * 1024,
            roots_file: None,
        }
    }
}

/// A token bucket per API key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Sustained requests per second per key (0 disables the limit).
    pub per_second: f64,
    /// Requests a key may send at once after being idle.
    pub burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            per_second: 100.0,
            burst: 200,
        }
    }
}

/// Which routes a caller may use without an API key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// `POST /credentials/verify` and `/presentations/verify` without a key
    /// (with the default policy). Off: a counter key is required.
    pub public_vc_api: bool,
    /// `GET /1.0/identifiers/{did}` without a key.
    pub public_did_resolution: bool,
    /// `GET /metrics` without a key.
    pub public_metrics: bool,
    /// The policy of VC-API requests made without a key.
    pub public_policy: PolicyConfig,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            public_vc_api: false,
            public_did_resolution: true,
            public_metrics: true,
            public_policy: PolicyConfig::default(),
        }
    }
}

/// The audit log and its anchoring on the chain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Anchor the head hash after this many new records (0: never by count).
    pub anchor_every_records: u64,
    /// Anchor the head hash after this many seconds with new records (0: never by time).
    pub anchor_every_secs: u64,
    /// The secp256k1 key (JWK) that sends anchors; default
    /// `<data_dir>/audit-anchor.jwk`, generated if missing.
    pub anchor_key: Option<PathBuf>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            anchor_every_records: 1000,
            anchor_every_secs: 600,
            anchor_key: None,
        }
    }
}

/// One counter: identified by its API key, with its policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterConfig {
    /// The counter's name (in audit records and metrics; not secret).
    pub id: String,
    /// SHA-256 of the counter's API key, lowercase hex.
    pub api_key_sha256: String,
    /// The audience presentations must name; default `<verifier_id>/<id>`.
    #[serde(default)]
    pub audience: Option<String>,
    /// What the counter requires.
    #[serde(default)]
    pub policy: PolicyConfig,
}

/// A counter's policy.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// A name for audit records (default: the counter id).
    pub id: Option<String>,
    /// Accepted credential types; empty accepts any.
    pub accepted_types: Vec<String>,
    /// Claims that must be disclosed (dotted paths name parts).
    pub required_claims: Vec<String>,
    /// Whether a presentation without a challenge is refused (no quick check).
    pub require_holder_binding: bool,
    /// Whether the disclosed claims must conform to the type's JSON Schema.
    pub require_schema: bool,
    /// Refuse credentials issued (valid from) longer ago than this, in seconds.
    pub max_credential_age_secs: Option<i64>,
    /// How old a synced status list may be for this counter, in seconds
    /// (default: `cache.status_max_age_secs`).
    pub status_max_age_secs: Option<i64>,
    /// Whether the issuer must be accredited on the chain (or listed in
    /// `trusted_issuers`) for the credential's type. Default: yes for a
    /// counter; no for `access.public_policy` (the VC-API's public checks,
    /// where any well-formed issuer verifies unless the request's
    /// `options.checks` names `trust`).
    pub require_trusted_issuer: Option<bool>,
}

/// An issuer trusted by configuration (the trust file's entries).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuerConfig {
    /// The issuer's DID.
    pub did: String,
    /// The types it may issue; absent: any.
    #[serde(default)]
    pub types: Option<Vec<String>>,
}

/// The issuer this service issues for (agency deployments).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// An agency file (`stele agency create`): issues as its did:ethr and
    /// publishes its status lists under `/status/...`.
    #[serde(default)]
    pub agency_file: Option<PathBuf>,
    /// A private JWK: issues as its did:key (development).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// SHA-256 (hex) of the API key `POST /credentials/issue` requires.
    pub api_key_sha256: String,
}

/// Command-line and environment overrides, applied over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--chain`.
    pub chain: Option<String>,
    /// `--deployment`.
    pub deployment: Option<PathBuf>,
    /// `--verifier-id`.
    pub verifier_id: Option<String>,
    /// `--tls-cert` (with `--tls-key`, or over a `[tls]` section).
    pub tls_cert: Option<PathBuf>,
    /// `--tls-key`.
    pub tls_key: Option<PathBuf>,
}

impl Overrides {
    /// The overrides the environment gives (`STELE_VERIFIER_*`), read through `env`.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Overrides {
        Overrides {
            listen: env(ENV_LISTEN),
            data_dir: env(ENV_DATA_DIR).map(PathBuf::from),
            chain: env(ENV_CHAIN),
            deployment: env(ENV_DEPLOYMENT).map(PathBuf::from),
            verifier_id: env(ENV_VERIFIER_ID),
            tls_cert: env(ENV_TLS_CERT).map(PathBuf::from),
            tls_key: env(ENV_TLS_KEY).map(PathBuf::from),
        }
    }

    /// These overrides, with `other`'s values where it has them.
    #[must_use]
    pub fn then(self, other: Overrides) -> Overrides {
        Overrides {
            listen: other.listen.or(self.listen),
            data_dir: other.data_dir.or(self.data_dir),
            chain: other.chain.or(self.chain),
            deployment: other.deployment.or(self.deployment),
            verifier_id: other.verifier_id.or(self.verifier_id),
            tls_cert: other.tls_cert.or(self.tls_cert),
            tls_key: other.tls_key.or(self.tls_key),
        }
    }
}

/// Which chain the service reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainSetting {
    /// An embedded chain kept in this directory (created and deployed if new).
    Embedded(PathBuf),
    /// A JSON-RPC node.
    Rpc(String),
}

impl Config {
    /// Parses a configuration file's text.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse(m) => ConfigError::Parse(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Applies `o` over this configuration.
    pub fn apply(&mut self, o: Overrides) -> Result<(), ConfigError> {
        if let Some(l) = o.listen {
            self.listen = l.parse().map_err(|_| {
                ConfigError::Invalid(format!("listen address {l:?} is not ADDR:PORT"))
            })?;
        }
        if let Some(d) = o.data_dir {
            self.data_dir = d;
        }
        if let Some(c) = o.chain {
            self.chain = Some(c);
        }
        if let Some(d) = o.deployment {
            self.deployment = Some(d);
        }
        if let Some(v) = o.verifier_id {
            self.verifier_id = v;
        }
        match (o.tls_cert, o.tls_key, self.tls.take()) {
            (None, None, tls) => self.tls = tls,
            (Some(cert_file), Some(key_file), _) => {
                self.tls = Some(TlsConfig {
                    cert_file,
                    key_file,
                })
            }
            (cert, key, Some(tls)) => {
                self.tls = Some(TlsConfig {
                    cert_file: cert.unwrap_or(tls.cert_file),
                    key_file: key.unwrap_or(tls.key_file),
                })
            }
            (_, _, None) => {
                return Err(ConfigError::Invalid(
                    "HTTPS needs both a certificate and a key (--tls-cert and --tls-key)".into(),
                ));
            }
        }
        self.validate()
    }

    /// Checks ranges and consistency.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if let Some(c) = &self.chain {
            self.chain_setting_of(c)?;
        }
        if self.verifier_id.is_empty() || self.verifier_id.len() > 200 {
            return bad("verifier_id must be 1-200 characters".into());
        }
        if self.limits.challenge_ttl_secs < 1 || self.limits.challenge_ttl_secs > 86_400 {
            return bad("limits.challenge_ttl_secs must be 1-86400".into());
        }
        if self.limits.max_body_bytes < 1024 {
            return bad("limits.max_body_bytes must be at least 1024".into());
        }
        if self.limits.max_json_depth < 4 || self.limits.max_json_depth > 128 {
            return bad("limits.max_json_depth must be 4-128".into());
        }
        if self.limits.max_concurrent_requests == 0 {
            return bad("limits.max_concurrent_requests must be at least 1".into());
        }
        if !(self.rate_limit.per_second >= 0.0 && self.rate_limit.per_second.is_finite()) {
            return bad("rate_limit.per_second must be a non-negative number".into());
        }
        let mut ids = std::collections::HashSet::new();
        let mut hashes = std::collections::HashSet::new();
        for c in &self.counters {
            if c.id.is_empty() || c.id.len() > 64 || !c.id.bytes().all(is_name_byte) {
                return bad(format!(
                    "counter id {:?} must be 1-64 letters, digits, '-', '_' or '.'",
                    c.id
                ));
            }
            if !ids.insert(c.id.as_str()) {
                return bad(format!("counter id {:?} appears twice", c.id));
            }
            if !is_sha256_hex(&c.api_key_sha256) {
                return bad(format!(
                    "counter {:?}: api_key_sha256 must be 64 lowercase hex digits",
                    c.id
                ));
            }
            let audience_len = c
                .audience
                .as_ref()
                .map_or(self.verifier_id.len() + 1 + c.id.len(), String::len);
            if audience_len == 0 || audience_len > stele_core::qr::MAX_VERIFIER_CHARS {
                return bad(format!(
                    "counter {:?}: its audience must be 1-{} characters (a challenge carries it)",
                    c.id,
                    stele_core::qr::MAX_VERIFIER_CHARS
                ));
            }
            if !hashes.insert(c.api_key_sha256.as_str()) {
                return bad(format!(
                    "counter {:?} shares its API key with another",
                    c.id
                ));
            }
        }
        if let Some(f) = &self.fetch {
            for h in &f.allowed_hosts {
                if stele_registry::fetch::parse_host(h).is_err() || h.to_ascii_lowercase() != *h {
                    return bad(format!(
                        "fetch.allowed_hosts: {h:?} is not a lowercase host name or IP address"
                    ));
                }
            }
            if f.timeout_ms == 0 || f.timeout_ms > 60_000 {
                return bad("fetch.timeout_ms must be 1-60000".into());
            }
            if f.max_bytes < 1024 || f.max_bytes > 64 * 1024 * 1024 {
                return bad("fetch.max_bytes must be 1024-67108864".into());
            }
        }
        if let Some(i) = &self.issuer {
            if i.agency_file.is_some() == i.key_file.is_some() {
                return bad("issuer: give exactly one of agency_file and key_file".into());
            }
            if !is_sha256_hex(&i.api_key_sha256) {
                return bad("issuer.api_key_sha256 must be 64 lowercase hex digits".into());
            }
        }
        Ok(())
    }

    fn chain_setting_of(&self, c: &str) -> Result<ChainSetting, ConfigError> {
        if let Some(dir) = c.strip_prefix("embedded:") {
            Ok(ChainSetting::Embedded(PathBuf::from(dir)))
        } else if let Some(url) = c.strip_prefix("rpc:") {
            Ok(ChainSetting::Rpc(url.to_owned()))
        } else {
            Err(ConfigError::Invalid(format!(
                "chain must be embedded:DIR or rpc:URL, not {c:?}"
            )))
        }
    }

    /// The chain to read: `chain`, or an embedded chain in `<data_dir>/chain`.
    pub fn chain_setting(&self) -> Result<ChainSetting, ConfigError> {
        match &self.chain {
            Some(c) => self.chain_setting_of(c),
            None => Ok(ChainSetting::Embedded(self.data_dir.join("chain"))),
        }
    }

    /// Where the deployment (contract addresses) is read from or written to.
    pub fn deployment_path(&self) -> Result<PathBuf, ConfigError> {
        if let Some(p) = &self.deployment {
            return Ok(p.clone());
        }
        Ok(match self.chain_setting()? {
            ChainSetting::Embedded(dir) => dir.join("deployment.json"),
            ChainSetting::Rpc(_) => self.data_dir.join("deployment.json"),
        })
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

/// Whether `s` is a SHA-256 digest in lowercase hex.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn empty_file_is_the_default() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(
            c.chain_setting().unwrap(),
            ChainSetting::Embedded(PathBuf::from("stele-verifier-data/chain"))
        );
        assert_eq!(
            c.deployment_path().unwrap(),
            PathBuf::from("stele-verifier-data/chain/deployment.json")
        );
        assert_eq!(c.limits.challenge_ttl_secs, 120);
    }

    #[test]
    fn full_file() {
        let c = Config::from_toml(&format!(
            r#"
listen = "127.0.0.1:0"
chain = "rpc:http://127.0.0.1:8545"
verifier_id = "https://verifier.example"
[limits]
challenge_ttl_secs = 30
[[counters]]
id = "counter-7"
api_key_sha256 = "{HASH}"
[counters.policy]
accepted_types = ["ResidencePermitCredential"]
required_claims = ["given_name"]
require_holder_binding = true
max_credential_age_secs = 100
[[trusted_issuers]]
did = "did:key:z6Mk"
types = ["NationalIdCredential"]
"#
        ))
        .unwrap();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(
            c.chain_setting().unwrap(),
            ChainSetting::Rpc("http://127.0.0.1:8545".into())
        );
        assert_eq!(
            c.deployment_path().unwrap(),
            PathBuf::from("stele-verifier-data/deployment.json")
        );
        assert_eq!(c.counters[0].policy.accepted_types.len(), 1);
        assert!(c.counters[0].policy.require_holder_binding);
        assert_eq!(c.trusted_issuers[0].did, "did:key:z6Mk");
    }

    #[test]
    fn refused() {
        for bad in [
            "unknown = 1",
            "listen = \"nope\"",
            "chain = \"ftp:x\"",
            "[limits]\nchallenge_ttl_secs = 0",
            "[[counters]]\nid = \"a\"\napi_key_sha256 = \"ABC\"",
            &format!("[[counters]]\nid = \"a b\"\napi_key_sha256 = \"{HASH}\""),
            &format!(
                "[[counters]]\nid = \"a\"\napi_key_sha256 = \"{HASH}\"\n[[counters]]\nid = \"b\"\napi_key_sha256 = \"{HASH}\""
            ),
            &format!("[issuer]\napi_key_sha256 = \"{HASH}\""),
            &format!(
                "verifier_id = \"{}\"\n[[counters]]\nid = \"{}\"\napi_key_sha256 = \"{HASH}\"",
                "v".repeat(200),
                "c".repeat(60)
            ),
        ] {
            assert!(Config::from_toml(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overrides_env_then_flags() {
        let env = |k: &str| match k {
            ENV_LISTEN => Some("127.0.0.1:9000".to_owned()),
            ENV_CHAIN => Some("rpc:http://node".to_owned()),
            _ => None,
        };
        let flags = Overrides {
            listen: Some("127.0.0.1:0".into()),
            ..Overrides::default()
        };
        let mut c = Config::default();
        c.apply(Overrides::from_env(env).then(flags)).unwrap();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.chain.as_deref(), Some("rpc:http://node"));
        let mut c = Config::default();
        assert!(
            c.apply(Overrides {
                listen: Some("x".into()),
                ..Overrides::default()
            })
            .is_err()
        );
        // HTTPS from the environment and flags: both files, or one over [tls].
        let tls = |cert: Option<&str>, key: Option<&str>| Overrides {
            tls_cert: cert.map(PathBuf::from),
            tls_key: key.map(PathBuf::from),
            ..Overrides::default()
        };
        let env = |k: &str| match k {
            ENV_TLS_CERT => Some("env-cert.pem".to_owned()),
            ENV_TLS_KEY => Some("env-key.pem".to_owned()),
            _ => None,
        };
        let mut c = Config::default();
        c.apply(Overrides::from_env(env).then(tls(Some("flag-cert.pem"), None)))
            .unwrap();
        let t = c.tls.unwrap();
        assert_eq!(
            (t.cert_file.to_str(), t.key_file.to_str()),
            (Some("flag-cert.pem"), Some("env-key.pem"))
        );
        let mut c =
            Config::from_toml("[tls]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"").unwrap();
        c.apply(tls(None, Some("other-key.pem"))).unwrap();
        let t = c.tls.unwrap();
        assert_eq!(
            (t.cert_file.to_str(), t.key_file.to_str()),
            (Some("c.pem"), Some("other-key.pem"))
        );
        assert!(Config::default().apply(tls(Some("c.pem"), None)).is_err());
        assert!(Config::default().apply(tls(None, Some("k.pem"))).is_err());
        let mut c = Config::default();
        c.apply(Overrides::default()).unwrap();
        assert!(c.tls.is_none());
    }

    /// No `[fetch]` section: nothing is fetched; a section is checked.
    #[test]
    fn fetch_section() {
        assert!(Config::from_toml("").unwrap().fetch.is_none());
        let f = Config::from_toml("[fetch]\nallowed_hosts = [\"issuer.example\"]")
            .unwrap()
            .fetch
            .unwrap();
        assert_eq!(f.allowed_hosts, ["issuer.example"]);
        assert!(!f.allow_private);
        for bad in [
            "[fetch]\nallowed_hosts = [\"Issuer.example\"]",
            "[fetch]\nallowed_hosts = [\"user@issuer.example\"]",
            "[fetch]\nallowed_hosts = [\"*.example\"]",
            "[fetch]\ntimeout_ms = 0",
            "[fetch]\nmax_bytes = 10",
            "[fetch]\nallow_redirects = true",
        ] {
            assert!(Config::from_toml(bad).is_err(), "{bad}");
        }
    }

    /// Every key of the schema parses, and a file with every key of the
    /// schema parses: the schema and the structs name the same things.
    #[test]
    fn schema_matches_the_structs() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/verifier-config.schema.json"))
                .unwrap();
        // Every key of a policy (a counter's and the public one).
        const POLICY: &str = r#"id = "p"
accepted_types = ["T"]
required_claims = ["c"]
require_holder_binding = true
require_schema = true
max_credential_age_secs = 1
status_max_age_secs = 1
"#;
        let every = format!(
            r#"
listen = "127.0.0.1:0"
data_dir = "d"
chain = "rpc:http://x"
deployment = "d.json"
verifier_id = "v"
public_url = "http://x/"
log_requests = false
[limits]
max_body_bytes = 4096
max_json_depth = 8
request_timeout_ms = 1
challenge_ttl_secs = 1
max_open_challenges = 1
max_concurrent_requests = 1
[cache]
did_ttl_secs = 1
did_capacity = 1
status_max_age_secs = 1
[rate_limit]
per_second = 1.5
burst = 1
[access]
public_vc_api = true
public_did_resolution = false
public_metrics = false
[access.public_policy]
{POLICY}require_trusted_issuer = true
[audit]
anchor_every_records = 1
anchor_every_secs = 1
anchor_key = "k.jwk"
[issuer]
key_file = "k"
api_key_sha256 = "{HASH}"
[[counters]]
id = "a"
api_key_sha256 = "{HASH}"
audience = "x"
[counters.policy]
{POLICY}require_trusted_issuer = false
[[trusted_issuers]]
did = "did:key:z"
types = ["T"]
[fetch]
allowed_hosts = ["issuer.example"]
allow_private = false
timeout_ms = 1000
max_bytes = 65536
roots_file = "roots.pem"
[tls]
cert_file = "cert.pem"
key_file = "key.pem"
"#
        );
        Config::from_toml(&every).unwrap();
        let doc: toml::Table = toml::from_str(&every).unwrap();
        fn keys_of(schema: &serde_json::Value) -> Vec<String> {
            let mut k: Vec<String> = schema["properties"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            k.sort();
            k
        }
        fn keys_toml(t: &toml::Table) -> Vec<String> {
            let mut k: Vec<String> = t.keys().cloned().collect();
            k.sort();
            k
        }
        assert_eq!(keys_of(&schema), keys_toml(&doc));
        for (name, sub) in schema["properties"].as_object().unwrap() {
            let toml_value = &doc[name.as_str()];
            let (sub_schema, table) = match toml_value {
                toml::Value::Table(t) => (sub, t.clone()),
                toml::Value::Array(a) if a.first().is_some_and(toml::Value::is_table) => {
                    (&sub["items"], a[0].as_table().unwrap().clone())
                }
                _ => continue,
            };
            let mut have = keys_toml(&table);
            if name == "issuer" {
                // The alternative to key_file (exactly one of them is allowed).
                Config::from_toml(&every.replace("key_file = \"k\"", "agency_file = \"a\""))
                    .unwrap();
                have.push("agency_file".into());
                have.sort();
            }
            assert_eq!(keys_of(sub_schema), have, "[{name}]");
            for key in ["policy", "public_policy"] {
                if let Some(toml::Value::Table(policy)) = table.get(key) {
                    assert_eq!(
                        keys_of(&sub_schema["properties"][key]),
                        keys_toml(policy),
                        "[{name}.{key}]"
                    );
                }
            }
        }
    }
}
