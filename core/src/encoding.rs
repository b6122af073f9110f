//! Byte encodings shared by JOSE, JWK and did:key: strict base64url and
//! multibase base58btc.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes bytes as unpadded base64url (RFC 7515 §2).
pub fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url, refusing padding, other alphabets and
/// non-canonical trailing bits, so that one value has exactly one encoding.
pub fn b64url_decode(s: &str) -> Result<Vec<u8>, EncodingError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| EncodingError::Base64Url)
}

/// Encodes bytes as a multibase base58btc string (`z` prefix).
pub fn multibase_b58(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(1 + bytes.len() * 138 / 100 + 1);
    s.push('z');
    s.push_str(&bs58::encode(bytes).into_string());
    s
}

/// Decodes a multibase base58btc string; other multibase prefixes are refused.
pub fn multibase_b58_decode(s: &str) -> Result<Vec<u8>, EncodingError> {
    let rest = s.strip_prefix('z').ok_or(EncodingError::MultibasePrefix)?;
    bs58::decode(rest)
        .into_vec()
        .map_err(|_| EncodingError::Base58)
}

/// Why an encoded value could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodingError {
    /// Not canonical unpadded base64url.
    #[error("invalid base64url")]
    Base64Url,
    /// A multibase value that is not base58btc (`z`).
    #[error("unsupported multibase prefix (only base58btc 'z' is accepted)")]
    MultibasePrefix,
    /// Not valid base58btc.
    #[error("invalid base58btc")]
    Base58,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn base64url_is_strict() {
        assert_eq!(b64url_decode("AQI").unwrap(), vec![1, 2]);
        assert!(b64url_decode("AQI=").is_err(), "padding");
        assert!(b64url_decode("AQJ").is_err(), "non-zero trailing bits");
        assert!(b64url_decode("A+I").is_err(), "standard alphabet");
    }

    #[test]
    fn multibase_rejects_other_bases() {
        assert!(matches!(
            multibase_b58_decode("f0102"),
            Err(EncodingError::MultibasePrefix)
        ));
        assert!(matches!(
            multibase_b58_decode("z0OIl"),
            Err(EncodingError::Base58)
        ));
    }

    proptest! {
        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert_eq!(b64url_decode(&b64url(&bytes)).unwrap(), bytes.clone());
            prop_assert_eq!(multibase_b58_decode(&multibase_b58(&bytes)).unwrap(), bytes);
        }
    }
}
