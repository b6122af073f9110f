//! Format version 2: raw deflate with a preset dictionary of the JSON that
//! every Stele SD-JWT presentation and challenge repeats (header members,
//! registered claims, the built-in credential types' claim names).
//!
//! The dictionary is part of the format: changing one byte of it makes a
//! new format version. `flate2`'s pure-Rust backend has no
//! `set_dictionary`, so the encoder compresses `dictionary ‖ data` with a
//! sync flush between the two and keeps only what follows the flush (a
//! fresh, byte-aligned block whose matches may reach back into the
//! dictionary), and the decoder inflates into a buffer that already holds
//! the dictionary in front of the output (`miniz_oxide`'s non-wrapping
//! output buffer lets back-references reach it).

use flate2::{Compress, Compression, FlushCompress};
use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress};

use super::QrError;

/// The version 2 dictionary. Deflate codes near matches with fewer bits,
/// so the most frequent fragments come last.
pub(super) const DICTIONARY: &[u8] = concat!(
    // Claim names of the built-in credential types.
    r#""birth_family_name","birth_place","sex","personal_administrative_number","#,
    r#""issue_date","expiry_date","portrait","age_over_18","permit_category","remarks","#,
    r#""address",{"street_address","locality","postal_code","region","country","#,
    r#""document_number","nationality","birth_date","given_name","family_name","#,
    // Challenge members.
    r#"{"n":"","v":"did:web:","e":17,"t":["ResidencePermitCredential","NationalIdCredential"],"c":["#,
    // Key-binding JWT.
    r#"{"alg":"EdDSA","typ":"kb+jwt"}{"alg":"ES256","typ":"kb+jwt"}"#,
    r#"{"iat":17,"aud":"did:web:","nonce":"","sd_hash":""#,
    // Issuer JWS: header, registered claims, cnf, typical claims.
    r#"{"alg":"ES256","typ":"dc+sd-jwt","kid":"did:ethr:0x"#,
    r#"{"alg":"EdDSA","typ":"dc+sd-jwt","kid":"did:key:z6Mk"#,
    r#"{"iss":"did:key:z6Mk","iat":17,"exp":18,"nbf":17,"status":{"status_list":{"idx":,"uri":"https://"}},"#,
    r#""vct":"urn:stele:credential:NationalIdCredential:1","#,
    r#""vct":"urn:stele:credential:ResidencePermitCredential:1","#,
    r#""cnf":{"jwk":{"kty":"OKP","crv":"Ed25519","x":""}},"#,
    r#""cnf":{"jwk":{"kty":"EC","crv":"P-256","x":"","y":""}},"#,
    r#""access_to_labour_market":true,"valid_from":"20","issuing_country":"DEU","#,
    r#""issuing_authority":"","valid_until":"20","permit_type":"temporary","#,
    r#""_sd":["","_sd_alg":"sha-256"}"#,
)
.as_bytes();

/// Raw deflate of `bytes` at best compression, primed with [`DICTIONARY`].
pub(super) fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut z = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(DICTIONARY.len() + bytes.len() + 64);
    // Compressing into a Vec with room for the worst case cannot fail; on a
    // (impossible) failure the output would not decode and tests would say so.
    let _ = z.compress_vec(DICTIONARY, &mut out, FlushCompress::Sync);
    out.clear();
    out.reserve(bytes.len() + bytes.len() / 8 + 64);
    loop {
        let consumed = usize::try_from(z.total_in())
            .unwrap_or(usize::MAX)
            .saturating_sub(DICTIONARY.len());
        let rest = bytes.get(consumed..).unwrap_or_default();
        match z.compress_vec(rest, &mut out, FlushCompress::Finish) {
            Ok(flate2::Status::StreamEnd) | Err(_) => break,
            Ok(_) => out.reserve(out.capacity().max(64)),
        }
    }
    out
}

/// Inflates a version 2 stream: at most `cap` bytes of output. The buffer
/// (the dictionary in front of the output) starts at a few times the input's
/// size and doubles while the stream has more output, never past
/// `DICTIONARY.len() + cap + 1` bytes: a counter pays for what the QR code
/// holds, not for the cap.
pub(super) fn inflate(compressed: &[u8], cap: usize) -> Result<Vec<u8>, QrError> {
    let start = DICTIONARY.len();
    let limit = start.saturating_add(cap).saturating_add(1);
    let first = compressed
        .len()
        .saturating_mul(4)
        .max(1024)
        .min(cap.saturating_add(1));
    let mut buf = Vec::with_capacity(start.saturating_add(first));
    buf.extend_from_slice(DICTIONARY);
    buf.resize(start.saturating_add(first), 0);
    let mut r = DecompressorOxide::new();
    let (mut in_pos, mut out_pos) = (0usize, start);
    loop {
        let (status, used, written) = decompress(
            &mut r,
            compressed.get(in_pos..).unwrap_or_default(),
            &mut buf,
            out_pos,
            TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
        );
        in_pos += used;
        out_pos += written;
        match status {
            TINFLStatus::Done if out_pos - start > cap => {
                return Err(QrError::TooLarge {
                    what: "decompressed",
                    limit: cap,
                });
            }
            // Bytes after the final block are not something `deflate` produces.
            TINFLStatus::Done if in_pos != compressed.len() => return Err(QrError::Decompress),
            TINFLStatus::Done => {
                buf.truncate(out_pos);
                buf.drain(..start);
                return Ok(buf);
            }
            TINFLStatus::HasMoreOutput if buf.len() >= limit => {
                return Err(QrError::TooLarge {
                    what: "decompressed",
                    limit: cap,
                });
            }
            TINFLStatus::HasMoreOutput => {
                let grown = buf.len().saturating_mul(2).min(limit);
                buf.resize(grown, 0);
            }
            _ => return Err(QrError::Decompress),
        }
    }
}
