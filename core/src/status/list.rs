//! The bitstring: one bit per credential, index 0 the most significant bit
//! of the first byte; encoded as GZIP, then multibase base64url (`u`).

use std::fmt;
use std::io::{Read, Write};

use flate2::Compression;
use flate2::bufread::GzDecoder;
use flate2::write::GzEncoder;

use super::{StatusEntry, StatusListError};
use crate::encoding::{b64url, b64url_decode};

/// The fewest entries a list may have: 131 072 (16 KiB), the
/// specification's minimum, so that a set bit cannot be tied to few people.
pub const MIN_ENTRIES: usize = 131_072;

/// Caps applied while decoding an `encodedList` from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted `encodedList` text, in bytes (multibase prefix included).
    pub max_encoded_bytes: usize,
    /// Largest accepted decompressed bitstring, in bytes. Decompression
    /// stops and fails as soon as it would pass this.
    pub max_decompressed_bytes: usize,
}

impl DecodeLimits {
    /// 16 MiB decompressed (134 million entries), and room for an
    /// incompressible list of that size encoded: base64 adds a third, GZIP
    /// stored blocks a few bytes per 64 KiB.
    pub const DEFAULT: DecodeLimits = DecodeLimits {
        max_encoded_bytes: 22 * 1024 * 1024,
        max_decompressed_bytes: 16 * 1024 * 1024,
    };
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A status list: at least [`MIN_ENTRIES`] bits, in whole bytes. Index 0 is
/// the left-most (most significant) bit of the first byte.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl StatusList {
    /// A list of `len` entries, all clear. `len` must be at least
    /// [`MIN_ENTRIES`] and a multiple of 8.
    pub fn new(len: usize) -> Result<Self, StatusListError> {
        if len < MIN_ENTRIES || len % 8 != 0 {
            return Err(StatusListError::Length {
                entries: len as u64,
            });
        }
        Ok(StatusList {
            bytes: vec![0; len / 8],
        })
    }

    /// A list of [`MIN_ENTRIES`] entries, all clear.
    pub fn with_min_len() -> Self {
        StatusList {
            bytes: vec![0; MIN_ENTRIES / 8],
        }
    }

    /// A list over raw bitstring bytes (at least 16 KiB).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, StatusListError> {
        if bytes.len() < MIN_ENTRIES / 8 {
            return Err(StatusListError::Length {
                entries: bytes.len() as u64 * 8,
            });
        }
        Ok(StatusList { bytes })
    }

    /// The raw bitstring.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The number of entries (bits).
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Always `false`: a list has at least [`MIN_ENTRIES`] entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bit at `index`.
    pub fn get(&self, index: usize) -> Result<bool, StatusListError> {
        let byte = self
            .bytes
            .get(index / 8)
            .ok_or_else(|| self.out_of_range(index))?;
        Ok(byte & mask(index) != 0)
    }

    /// Sets or clears the bit at `index`.
    pub fn set(&mut self, index: usize, value: bool) -> Result<(), StatusListError> {
        let err = self.out_of_range(index);
        let byte = self.bytes.get_mut(index / 8).ok_or(err)?;
        if value {
            *byte |= mask(index);
        } else {
            *byte &= !mask(index);
        }
        Ok(())
    }

    /// The bit `entry` points at (O(1)). The caller has matched the entry's
    /// list URL and purpose to this list; see
    /// [`super::VerifiedStatusList::check`], which does.
    pub fn status_of(&self, entry: &StatusEntry) -> Result<bool, StatusListError> {
        let index = usize::try_from(entry.index).map_err(|_| StatusListError::IndexOutOfRange {
            index: entry.index,
            len: self.len(),
        })?;
        self.get(index)
    }

    /// The `encodedList` value: GZIP, then multibase base64url without
    /// padding (`u` prefix).
    pub fn encode(&self) -> String {
        let mut gz = GzEncoder::new(
            Vec::with_capacity(self.bytes.len() / 8 + 64),
            Compression::best(),
        );
        // Writing into a Vec cannot fail; the encoder's own errors only come
        // from its writer.
        let compressed = gz
            .write_all(&self.bytes)
            .and_then(|()| gz.finish())
            .expect("GZIP into a Vec<u8> is infallible");
        let mut out = String::with_capacity(1 + compressed.len().div_ceil(3) * 4);
        out.push('u');
        out.push_str(&b64url(&compressed));
        out
    }

    /// Decodes an `encodedList` under [`DecodeLimits::DEFAULT`].
    pub fn decode(encoded: &str) -> Result<Self, StatusListError> {
        Self::decode_with_limits(encoded, DecodeLimits::DEFAULT)
    }

    /// Decodes an `encodedList`: multibase `u`, canonical unpadded
    /// base64url, one GZIP member with a valid CRC and nothing after it,
    /// at most `limits.max_decompressed_bytes` decompressed (never
    /// allocated past), and at least [`MIN_ENTRIES`] entries.
    pub fn decode_with_limits(
        encoded: &str,
        limits: DecodeLimits,
    ) -> Result<Self, StatusListError> {
        if encoded.len() > limits.max_encoded_bytes {
            return Err(StatusListError::TooLarge {
                limit: limits.max_encoded_bytes,
            });
        }
        let b64 = encoded.strip_prefix('u').ok_or(StatusListError::Malformed(
            "not multibase base64url (prefix 'u')",
        ))?;
        let compressed =
            b64url_decode(b64).map_err(|_| StatusListError::Malformed("invalid base64url"))?;
        let bytes = gunzip_bounded(&compressed, limits.max_decompressed_bytes)?;
        Self::from_bytes(bytes)
    }

    fn out_of_range(&self, index: usize) -> StatusListError {
        StatusListError::IndexOutOfRange {
            index: index as u64,
            len: self.len(),
        }
    }
}

impl fmt::Debug for StatusList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // 16 KiB of bits help no one in a log.
        f.debug_struct("StatusList")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// Bit `index % 8` of its byte, counted from the most significant bit.
fn mask(index: usize) -> u8 {
    0x80 >> (index % 8)
}

/// Inflates one GZIP member. The output buffer grows by exact reservations
/// and never past `cap` bytes: one byte more than `cap` is refused as
/// [`StatusListError::TooLarge`] without being stored.
pub(crate) fn gunzip_bounded(compressed: &[u8], cap: usize) -> Result<Vec<u8>, StatusListError> {
    let mut decoder = GzDecoder::new(compressed);
    let mut out: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match decoder.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(StatusListError::Malformed("invalid GZIP stream")),
        };
        let Some(len) = out.len().checked_add(n).filter(|&l| l <= cap) else {
            return Err(StatusListError::TooLarge { limit: cap });
        };
        if len > out.capacity() {
            // Doubling, but never past the cap.
            let target = len.max(out.capacity().saturating_mul(2)).min(cap);
            out.reserve_exact(target - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
    }
    // One member, and nothing after it: trailing bytes would be a second
    // reading of the same list.
    if !decoder.into_inner().is_empty() {
        return Err(StatusListError::Malformed("bytes after the GZIP stream"));
    }
    Ok(out)
}
