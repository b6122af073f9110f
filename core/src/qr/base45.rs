//! Base45 (RFC 9285): two bytes become three characters of the QR
//! alphanumeric set, so a QR code holds binary data in alphanumeric mode.
//!
//! Decoding is strict: a character outside the 45-character alphabet, a
//! length of 1 modulo 3, and a group whose value exceeds what its bytes can
//! hold (`> 0xFFFF` for three characters, `> 0xFF` for a final pair) are
//! errors, so every byte string has exactly one encoding.

/// The RFC 9285 alphabet, in value order.
const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Why a base45 string could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base45Error {
    /// A character outside the alphabet (lower case, `=`, a line break inside the text …).
    #[error("invalid base45 character at offset {0}")]
    InvalidChar(usize),
    /// The length is 1 modulo 3; the text was likely truncated.
    #[error("invalid base45 length")]
    InvalidLength,
    /// A group encodes a value larger than its bytes can hold; not produced by any encoder.
    #[error("base45 group out of range at offset {0}")]
    OutOfRange(usize),
}

/// Encodes `bytes` as base45.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let mut chunks = bytes.chunks_exact(2);
    for pair in &mut chunks {
        let n = u32::from(pair[0]) * 256 + u32::from(pair[1]);
        push_digits(&mut out, n, 3);
    }
    if let [last] = chunks.remainder() {
        push_digits(&mut out, u32::from(*last), 2);
    }
    out
}

fn push_digits(out: &mut String, mut n: u32, count: usize) {
    for _ in 0..count {
        // n % 45 < 45, so the index is always in the alphabet.
        out.push(char::from(ALPHABET[(n % 45) as usize]));
        n /= 45;
    }
}

fn value(c: u8, at: usize) -> Result<u32, Base45Error> {
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .map(|v| v as u32)
        .ok_or(Base45Error::InvalidChar(at))
}

/// Decodes strict base45.
pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    let input = text.as_bytes();
    if input.len() % 3 == 1 {
        // Report a bad character first when there is one: it says more.
        if let Some(at) = input.iter().position(|c| !ALPHABET.contains(c)) {
            return Err(Base45Error::InvalidChar(at));
        }
        return Err(Base45Error::InvalidLength);
    }
    let mut out = Vec::with_capacity(input.len() / 3 * 2 + 1);
    for (i, group) in input.chunks(3).enumerate() {
        let at = i * 3;
        let mut n = 0u32;
        let mut weight = 1u32;
        for (j, &c) in group.iter().enumerate() {
            n += value(c, at + j)? * weight;
            weight *= 45;
        }
        if group.len() == 3 {
            let n = u16::try_from(n).map_err(|_| Base45Error::OutOfRange(at))?;
            out.extend_from_slice(&n.to_be_bytes());
        } else {
            let n = u8::try_from(n).map_err(|_| Base45Error::OutOfRange(at))?;
            out.push(n);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// The one helper: `input` decodes to `expected` (and re-encodes to
    /// `input`), or fails to decode when `expected` is `None`.
    fn check(input: &str, expected: Option<&[u8]>) {
        match (decode(input), expected) {
            (Ok(got), Some(want)) => {
                assert_eq!(got, want, "decode of {input:?}");
                assert_eq!(encode(want), input, "encode back");
            }
            (Err(_), None) => {}
            (got, want) => panic!("{input:?}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn rfc9285_examples() {
        check("BB8", Some(b"AB"));
        check("%69 VD92EX0", Some(b"Hello!!"));
        check("UJCLQE7W581", Some(b"base-45"));
        check("QED8WEX0", Some("ietf!".as_bytes()));
        check("", Some(b""));
        // RFC 9285 §4.3: "GGW" is 65535 + 1, out of range.
        check("GGW", None);
        check("FGW", Some(&[0xFF, 0xFF]));
        check("U5", Some(&[0xFF]));
        check("V5", None);
        check("A", None);
        check("BB8A", None);
        check("bb8", None);
        check("BB8=", None);
    }

    #[test]
    fn rfc9285_errors_are_typed() {
        assert_eq!(decode("GGW"), Err(Base45Error::OutOfRange(0)));
        assert_eq!(decode("BB8A"), Err(Base45Error::InvalidLength));
        assert_eq!(decode("BB8!AB"), Err(Base45Error::InvalidChar(3)));
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
            .collect()
    }

    /// EU DCC test data: every vector that carries BASE45 (with COMPRESSED,
    /// the bytes it encodes) and `PREFIX` = `HC1:` + BASE45.
    #[test]
    fn eu_dcc_vectors() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/vectors/dgc-testdata-common"
        );
        let entries = std::fs::read_dir(dir).expect("shared/vectors beside the repository");
        let mut checked = 0;
        let mut refused = 0;
        for entry in entries {
            let path = entry.expect("entry").path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let v: Value =
                serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
            let expected = &v["EXPECTEDRESULTS"];
            let Some(b45) = v["BASE45"].as_str() else {
                continue;
            };
            let should_decode = expected["EXPECTEDB45DECODE"].as_bool();
            let unprefix = expected["EXPECTEDUNPREFIX"].as_bool();
            if unprefix == Some(true) {
                let prefixed = v["PREFIX"].as_str().expect("PREFIX");
                assert_eq!(prefixed.strip_prefix("HC1:"), Some(b45), "{path:?}");
            }
            match (should_decode, v["COMPRESSED"].as_str()) {
                (Some(false), _) => {
                    check(b45, None);
                    refused += 1;
                }
                (_, Some(compressed)) => {
                    check(b45, Some(&hex(compressed)));
                    checked += 1;
                }
                // A BASE45 without the bytes it encodes (the H* prefix
                // vectors): it must at least decode.
                (_, None) => {
                    assert!(decode(b45).is_ok(), "{path:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked >= 4 && refused >= 1, "{checked} / {refused}");
    }

    proptest! {
        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = encode(&bytes);
            prop_assert!(text.bytes().all(|c| ALPHABET.contains(&c)));
            prop_assert_eq!(decode(&text).unwrap(), bytes);
        }

        #[test]
        fn decode_never_panics(text in ".{0,64}") {
            let _ = decode(&text);
        }

        #[test]
        fn decode_is_canonical(text in "[0-9A-Z $%*+./:-]{0,60}") {
            if let Ok(bytes) = decode(&text) {
                prop_assert_eq!(encode(&bytes), text);
            }
        }
    }
}
