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
///
/// The cost grows with the square of the length (as for every base58
/// decoder): callers cap the length of untrusted input first.
pub fn multibase_b58_decode(s: &str) -> Result<Vec<u8>, EncodingError> {
    let rest = s.strip_prefix('z').ok_or(EncodingError::MultibasePrefix)?;
    b58_decode(rest)
}

/// The Bitcoin base58 alphabet's digit values, by ASCII byte (`0xff`: not a digit).
const B58_DIGITS: [u8; 128] = {
    let alphabet = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut table = [0xffu8; 128];
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Base58btc decoding with 32-bit limbs, five digits at a time (58^5 <
/// 2^32): about twenty times fewer steps than a byte-at-a-time decoder, which
/// matters on the verification path (a 64-byte signature is 88 digits).
/// Leading `1`s are leading zero bytes.
fn b58_decode(s: &str) -> Result<Vec<u8>, EncodingError> {
    let bytes = s.as_bytes();
    let zeros = bytes.iter().take_while(|b| **b == b'1').count();
    // Little-endian limbs of the value.
    let mut limbs: Vec<u32> = Vec::with_capacity(bytes.len() / 5 + 1);
    for chunk in bytes[zeros..].chunks(5) {
        let (mut mul, mut add) = (1u64, 0u64);
        for b in chunk {
            let digit = B58_DIGITS
                .get(usize::from(*b))
                .copied()
                .filter(|d| *d != 0xff)
                .ok_or(EncodingError::Base58)?;
            mul *= 58;
            add = add * 58 + u64::from(digit);
        }
        let mut carry = add;
        for limb in &mut limbs {
            let t = u64::from(*limb) * mul + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            limbs.push(carry as u32);
        }
    }
    let mut out = vec![0u8; zeros];
    let mut significant = false;
    for limb in limbs.iter().rev() {
        for b in limb.to_be_bytes() {
            significant |= b != 0;
            if significant {
                out.push(b);
            }
        }
    }
    Ok(out)
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

    #[test]
    fn base58_edge_cases() {
        for (text, bytes) in [
            ("", &[][..]),
            ("1", &[0][..]),
            ("111", &[0, 0, 0][..]),
            ("2", &[1][..]),
            ("z", &[57][..]),
            ("21", &[58][..]),
            ("5Q", &[0xff][..]),
            ("LUv", &[0xff, 0xff][..]),
            ("1LUv", &[0, 0xff, 0xff][..]),
            ("7YXq9G", &[0xff, 0xff, 0xff, 0xff][..]),
        ] {
            assert_eq!(b58_decode(text).unwrap(), bytes, "{text:?}");
            assert_eq!(bs58::decode(text).into_vec().unwrap(), bytes, "{text:?}");
        }
        for bad in ["0", "O", "I", "l", "+", "é", "2222\u{0}"] {
            assert!(b58_decode(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        /// The limb decoder agrees with the `bs58` crate on every input,
        /// valid or not.
        #[test]
        fn base58_decoder_agrees_with_bs58(text in "[1-9A-Za-z]{0,120}") {
            prop_assert_eq!(b58_decode(&text).ok(), bs58::decode(&text).into_vec().ok());
        }

        #[test]
        fn base58_decodes_encoded_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..100), zeros in 0usize..4) {
            let mut bytes = bytes;
            bytes.splice(0..0, std::iter::repeat_n(0u8, zeros));
            prop_assert_eq!(b58_decode(&bs58::encode(&bytes).into_string()).unwrap(), bytes);
        }

        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert_eq!(b64url_decode(&b64url(&bytes)).unwrap(), bytes.clone());
            prop_assert_eq!(multibase_b58_decode(&multibase_b58(&bytes)).unwrap(), bytes);
        }
    }
}
