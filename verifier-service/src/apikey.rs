//! API keys: generated at random, shown once, stored only as their SHA-256.
//!
//! A key is `stele_` + a kind letter + `_` + 32 random bytes in base64url.
//! A presented key is hashed and looked up by its hash, so the comparison
//! never touches the secret itself and its time does not depend on how many
//! leading characters of a guess are right.

use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use stele_core::encoding::b64url;
use zeroize::Zeroizing;

/// A newly generated key, secret: print it once, store its hash.
pub struct ApiKey(Zeroizing<String>);

impl ApiKey {
    /// A new counter key (`stele_c_…`).
    pub fn generate_counter(rng: &mut impl CryptoRngCore) -> ApiKey {
        ApiKey::generate("c", rng)
    }

    /// A new issuer key (`stele_i_…`).
    pub fn generate_issuer(rng: &mut impl CryptoRngCore) -> ApiKey {
        ApiKey::generate("i", rng)
    }

    fn generate(kind: &str, rng: &mut impl CryptoRngCore) -> ApiKey {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut());
        ApiKey(Zeroizing::new(format!(
            "stele_{kind}_{}",
            b64url(bytes.as_ref())
        )))
    }

    /// The key itself (to print once or write to a 0600 file).
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Its SHA-256, lowercase hex: what the configuration stores.
    pub fn sha256_hex(&self) -> String {
        hash_hex(&self.0)
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(…)")
    }
}

/// SHA-256 of `key`, lowercase hex.
pub fn hash_hex(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// The bearer token of an `Authorization` header value, if it is one.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_hashes() {
        let k = ApiKey::generate_counter(&mut rand_core::OsRng);
        assert!(k.expose_secret().starts_with("stele_c_"));
        assert_eq!(k.expose_secret().len(), 8 + 43);
        assert_eq!(k.sha256_hex(), hash_hex(k.expose_secret()));
        assert!(crate::config::is_sha256_hex(&k.sha256_hex()));
        assert_eq!(format!("{k:?}"), "ApiKey(…)");
        assert_eq!(
            hash_hex("test"),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
    }
}
