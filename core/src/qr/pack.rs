//! Packing an SD-JWT presentation (or a plain JWS) into binary segments.
//!
//! The compact form `h.p.s~d1~…~dn~kh.kp.ks` is, generally, groups
//! separated by `~`, each group parts separated by `.`, and every part
//! base64url. Packing decodes each part to its raw bytes (a quarter smaller,
//! and the JSON inside compresses far better as JSON than as base64url):
//!
//! ```text
//! packed     = 0x01 varint(groups) group*      ; every part canonical base64url
//!            | 0x00 utf8-text                  ; anything else, kept verbatim
//! group      = varint(parts) part*
//! part       = varint(len) bytes               ; the base64url-decoded part
//! varint     = unsigned LEB128, minimal, at most 10 bytes
//! ```
//!
//! An SD-JWT with key binding is `1 + n + 1` groups (JWS of three parts, one
//! part per disclosure, KB-JWT of three parts); without key binding the last
//! group is one empty part (the trailing `~`). Unpacking re-encodes every
//! part canonically, so the round trip is exact: a part that is not
//! canonical base64url sends the whole text down the raw path instead.

use super::QrError;
use crate::encoding::{b64url, b64url_decode};

const TAG_RAW: u8 = 0x00;
const TAG_SEGMENTS: u8 = 0x01;

/// Packs a compact presentation into binary segments (see the module docs).
pub fn pack_presentation(compact: &str) -> Vec<u8> {
    pack_segments(compact).unwrap_or_else(|| {
        let mut out = Vec::with_capacity(1 + compact.len());
        out.push(TAG_RAW);
        out.extend_from_slice(compact.as_bytes());
        out
    })
}

fn pack_segments(compact: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(compact.len() * 3 / 4 + 16);
    out.push(TAG_SEGMENTS);
    let groups: Vec<&str> = compact.split('~').collect();
    put_varint(&mut out, groups.len() as u64);
    for group in groups {
        let parts: Vec<&str> = group.split('.').collect();
        put_varint(&mut out, parts.len() as u64);
        for part in parts {
            let bytes = b64url_decode(part).ok()?;
            // Canonical: re-encoding gives the same text back.
            if b64url(&bytes) != part {
                return None;
            }
            put_varint(&mut out, bytes.len() as u64);
            out.extend_from_slice(&bytes);
        }
    }
    Some(out)
}

/// Rebuilds the exact compact string [`pack_presentation`] was given.
pub fn unpack_presentation(bytes: &[u8]) -> Result<String, QrError> {
    let (&tag, rest) = bytes.split_first().ok_or(QrError::Packing("empty input"))?;
    match tag {
        TAG_RAW => {
            String::from_utf8(rest.to_vec()).map_err(|_| QrError::Packing("raw text is not UTF-8"))
        }
        TAG_SEGMENTS => unpack_segments(rest),
        _ => Err(QrError::Packing("unknown packing tag")),
    }
}

fn unpack_segments(mut input: &[u8]) -> Result<String, QrError> {
    let mut out = String::with_capacity(input.len() * 4 / 3 + 16);
    let groups = take_count(&mut input)?;
    for g in 0..groups {
        if g > 0 {
            out.push('~');
        }
        let parts = take_count(&mut input)?;
        for p in 0..parts {
            if p > 0 {
                out.push('.');
            }
            let len = take_count(&mut input)?;
            let (part, rest) = input
                .split_at_checked(len)
                .ok_or(QrError::Packing("segment longer than the input"))?;
            out.push_str(&b64url(part));
            input = rest;
        }
    }
    if !input.is_empty() {
        return Err(QrError::Packing("bytes after the last segment"));
    }
    Ok(out)
}

/// A count or length: a varint no larger than the remaining input (every
/// counted item takes at least one byte), so loops and allocations are
/// bounded by the input size. Zero groups or parts never come from packing.
fn take_count(input: &mut &[u8]) -> Result<usize, QrError> {
    let n = take_varint(input)?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n <= input.len())
        .ok_or(QrError::Packing("count larger than the input"))
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7F) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn take_varint(input: &mut &[u8]) -> Result<u64, QrError> {
    let mut n = 0u64;
    for i in 0..10 {
        let (&b, rest) = input
            .split_first()
            .ok_or(QrError::Packing("truncated varint"))?;
        *input = rest;
        let low = u64::from(b & 0x7F);
        if i == 9 && low > 1 {
            return Err(QrError::Packing("varint overflows 64 bits"));
        }
        n |= low << (7 * i);
        if b & 0x80 == 0 {
            if i > 0 && b == 0 {
                return Err(QrError::Packing("non-minimal varint"));
            }
            return Ok(n);
        }
    }
    Err(QrError::Packing("varint longer than 10 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn varints_are_minimal() {
        for n in [0u64, 1, 127, 128, 300, 1 << 32, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, n);
            let mut slice = out.as_slice();
            assert_eq!(take_varint(&mut slice).unwrap(), n);
            assert!(slice.is_empty());
        }
        assert!(
            take_varint(&mut &[0x80, 0x00][..]).is_err(),
            "overlong zero"
        );
        assert!(take_varint(&mut &[0xFF; 10][..]).is_err(), "too long");
        assert!(take_varint(&mut &[0x80][..]).is_err(), "truncated");
    }

    #[test]
    fn plain_jws_and_raw_text() {
        for text in [
            "eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln",
            "a.b.c~~",
            "",
            "not base64url!~x",
            "AQJ.AQI", // AQJ is not canonical: raw path
            "héllo~",
        ] {
            let packed = pack_presentation(text);
            assert_eq!(unpack_presentation(&packed).unwrap(), text);
        }
        assert_eq!(pack_presentation("AQJ.AQI")[0], TAG_RAW);
        assert_eq!(pack_presentation("AQI.AQI~")[0], TAG_SEGMENTS);
    }

    #[test]
    fn malformed_packings_are_refused() {
        for bad in [
            &[][..],
            &[7],
            &[TAG_SEGMENTS],
            &[TAG_SEGMENTS, 1, 1, 5, 1, 2],
            &[TAG_SEGMENTS, 1, 1, 0, 9],
            &[TAG_SEGMENTS, 0xFF, 0xFF, 0xFF, 0x7F],
            &[TAG_RAW, 0xFF],
        ] {
            assert!(unpack_presentation(bad).is_err(), "{bad:?}");
        }
    }

    fn structure() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
        let part = proptest::collection::vec(any::<u8>(), 0..70);
        let group = proptest::collection::vec(part, 1..4);
        proptest::collection::vec(group, 1..8)
    }

    proptest! {
        #[test]
        fn random_segment_structures_round_trip(groups in structure()) {
            let compact = groups
                .iter()
                .map(|g| g.iter().map(b64url).collect::<Vec<_>>().join("."))
                .collect::<Vec<_>>()
                .join("~");
            let packed = pack_presentation(&compact);
            prop_assert_eq!(packed[0], TAG_SEGMENTS);
            prop_assert_eq!(unpack_presentation(&packed).unwrap(), compact);
        }

        #[test]
        fn any_text_round_trips(text in "[A-Za-z0-9_.~=+/-]{0,80}|\\PC{0,40}") {
            prop_assert_eq!(unpack_presentation(&pack_presentation(&text)).unwrap(), text);
        }

        #[test]
        fn unpack_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = unpack_presentation(&bytes);
        }
    }
}
