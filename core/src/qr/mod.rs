//! Compact QR payloads for the counter flow (PRODUCT.md §5).
//!
//! A payload is `<kind><version>:<base45(deflate(bytes))>`: a short
//! upper-case prefix (`SP2:` for a presentation, `SC2:` for a challenge)
//! followed by [`base45`] text, so the whole payload stays in the QR
//! alphanumeric mode. Version 2 (written) is raw deflate primed with a preset
//! dictionary of the JSON every presentation repeats (`dictionary.rs`);
//! version 1 (still read) is a plain zlib stream.
//! Presentations are first [packed](pack_presentation) into binary segments
//! (base64url parts decoded to raw bytes), which saves a quarter of the size
//! before compression even starts.
//!
//! Decoding is bounded: the text length and the decompressed size are
//! capped ([`PayloadLimits`]), and inflation reads through `take(cap + 1)`,
//! so a zip bomb never allocates past its cap.

pub mod base45;
mod challenge;
mod dictionary;
mod matrix;
mod pack;

use flate2::{Decompress, FlushDecompress, Status};

pub use challenge::{
    Challenge, MAX_CLAIMS, MAX_NAME_CHARS, MAX_NONCE_CHARS, MAX_TYPES, MAX_VERIFIER_CHARS,
    MIN_NONCE_CHARS,
};
pub use matrix::QrMatrix;
pub use pack::{pack_presentation, unpack_presentation};

/// The payload format version this code writes: raw deflate with the
/// preset dictionary. Version 1 (zlib, no dictionary) is still read.
pub const VERSION: u8 = 2;

/// What a QR payload carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PayloadKind {
    /// A [packed](pack_presentation) SD-JWT presentation or JWS (`SP`).
    Presentation,
    /// A verifier's [`Challenge`] (`SC`).
    Challenge,
}

impl PayloadKind {
    /// The two letters of the prefix, before the version digit.
    pub const fn tag(self) -> &'static str {
        match self {
            PayloadKind::Presentation => "SP",
            PayloadKind::Challenge => "SC",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        match tag {
            "SP" => Some(PayloadKind::Presentation),
            "SC" => Some(PayloadKind::Challenge),
            _ => None,
        }
    }
}

/// Caps applied when decoding a payload that was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadLimits {
    /// Longest accepted payload text (after trimming), in bytes. The largest
    /// QR code (version 40-L) holds 4 296 alphanumeric characters.
    pub max_chars: usize,
    /// Largest accepted decompressed size, in bytes.
    pub max_decompressed: usize,
}

impl PayloadLimits {
    /// 4 296 characters (a version 40 QR code) and 64 KiB decompressed.
    pub const DEFAULT: PayloadLimits = PayloadLimits {
        max_chars: 4296,
        max_decompressed: 64 * 1024,
    };
}

impl Default for PayloadLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a QR payload (or a challenge in it) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The text does not start with a known `XXn:` prefix: not a Stele payload
    /// (another QR code was scanned), or the wrong kind for where it was read.
    #[error("not a Stele QR payload (unknown prefix)")]
    UnknownPrefix,
    /// A Stele payload in a format version this build does not read; the
    /// other side is newer (or older) than this one.
    #[error("unsupported payload version {0}")]
    UnsupportedVersion(u32),
    /// The text after the prefix is not strict base45; a scanner mangled it or it was truncated.
    #[error("payload is not base45: {0}")]
    Base45(#[from] base45::Base45Error),
    /// The bytes are not a complete zlib stream; likely truncated or corrupted.
    #[error("payload does not decompress")]
    Decompress,
    /// The text or its decompressed content exceeds [`PayloadLimits`]; likely hostile.
    #[error("payload exceeds the {what} limit of {limit} bytes")]
    TooLarge {
        /// Which limit: `"text"` or `"decompressed"`.
        what: &'static str,
        /// The limit in force.
        limit: usize,
    },
    /// The packed presentation segments are malformed (bad tag, truncated
    /// length, non-UTF-8 raw text); the payload was built wrongly or tampered with.
    #[error("malformed packed presentation: {0}")]
    Packing(&'static str),
    /// The payload carries a presentation where a challenge was expected, or the reverse.
    #[error("payload is a {0:?}, not what was expected here")]
    WrongKind(PayloadKind),
    /// The challenge JSON is not strict JSON (syntax, duplicate member, too deep).
    #[error("challenge JSON: {0}")]
    Json(#[from] crate::json::JsonError),
    /// A challenge member is missing, of the wrong type, unknown, or out of its bounds.
    #[error("invalid challenge: {0}")]
    InvalidChallenge(&'static str),
    /// The challenge's expiry has passed: the counter must show a new one.
    #[error("challenge expired")]
    Expired,
    /// The QR matrix cannot hold the payload (over version 40 at level M).
    #[error("payload too long for a QR code")]
    MatrixCapacity,
}

/// Whether `text` looks like a presentation QR payload (`SP<version>:`), so
/// a verifier can accept scanned payloads and plain tokens in one field.
pub fn is_presentation_payload(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() > 4
        && b.starts_with(b"SP")
        && b[2].is_ascii_digit()
        && b.iter().skip(3).take(3).any(|c| *c == b':')
}

/// Encodes `bytes` as a compact payload of `kind`: the prefix, then
/// base45 of the deflate stream (best compression, preset dictionary).
pub fn encode(kind: PayloadKind, bytes: &[u8]) -> String {
    let compressed = dictionary::deflate(bytes);
    let mut out = String::with_capacity(4 + compressed.len().div_ceil(2) * 3);
    out.push_str(kind.tag());
    out.push(char::from(b'0' + VERSION));
    out.push(':');
    out.push_str(&base45::encode(&compressed));
    out
}

/// Decodes a scanned payload (surrounding whitespace is ignored) into its
/// kind and bytes, under `limits`.
pub fn decode(text: &str, limits: PayloadLimits) -> Result<(PayloadKind, Vec<u8>), QrError> {
    let text = text.trim();
    if text.len() > limits.max_chars {
        return Err(QrError::TooLarge {
            what: "text",
            limit: limits.max_chars,
        });
    }
    let (prefix, body) = text.split_once(':').ok_or(QrError::UnknownPrefix)?;
    let kind = prefix
        .get(..2)
        .and_then(PayloadKind::from_tag)
        .ok_or(QrError::UnknownPrefix)?;
    let version = &prefix[2..];
    if version.is_empty() || version.len() > 3 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(QrError::UnknownPrefix);
    }
    let version: u32 = version.parse().map_err(|_| QrError::UnknownPrefix)?;
    if !(1..=2).contains(&version) {
        return Err(QrError::UnsupportedVersion(version));
    }
    let compressed = base45::decode(body)?;
    let bytes = if version == 1 {
        inflate(&compressed, limits.max_decompressed)?
    } else {
        dictionary::inflate(&compressed, limits.max_decompressed)?
    };
    Ok((kind, bytes))
}

/// Inflates one complete version 1 zlib stream with nothing after it, refusing more
/// than `cap` bytes of output; the buffer never grows past `cap + 1` bytes
/// (the `take(cap + 1)` rule, on the streaming API so that truncated streams
/// and trailing bytes are errors too).
fn inflate(compressed: &[u8], cap: usize) -> Result<Vec<u8>, QrError> {
    let hard = cap.saturating_add(1);
    let mut out: Vec<u8> = Vec::with_capacity(hard.min(compressed.len().saturating_mul(4).max(64)));
    let mut z = Decompress::new(true);
    loop {
        if out.len() > cap {
            return Err(QrError::TooLarge {
                what: "decompressed",
                limit: cap,
            });
        }
        if out.len() == out.capacity() {
            out.reserve_exact((hard - out.len()).min(out.len().max(64)));
        }
        let consumed = usize::try_from(z.total_in()).map_err(|_| QrError::Decompress)?;
        let rest = compressed.get(consumed..).ok_or(QrError::Decompress)?;
        let before = (z.total_in(), z.total_out());
        let status = z
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|_| QrError::Decompress)?;
        if status == Status::StreamEnd {
            break;
        }
        let stalled = before == (z.total_in(), z.total_out());
        if stalled && out.len() < out.capacity() {
            // No progress with room to write: the input ended early.
            return Err(QrError::Decompress);
        }
    }
    if out.len() > cap {
        return Err(QrError::TooLarge {
            what: "decompressed",
            limit: cap,
        });
    }
    if usize::try_from(z.total_in()).ok() != Some(compressed.len()) {
        // Bytes after the zlib stream: not something `encode` produces.
        return Err(QrError::Decompress);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
