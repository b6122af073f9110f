//! The holder's side: presenting a held SD-JWT to a verifier's challenge.

use std::sync::Arc;

use stele_core::sdjwt::holder::{HeldSdJwt, KeyBindingInput};
use stele_core::time::Timestamp;

use crate::error::StelError;
use crate::signer::{CoreSigner, Signer};

/// Presents the issued SD-JWT `credential`, disclosing the claim paths in
/// `disclose` (`given_name`, `address.locality`), with a key-binding JWT
/// for `audience` and `nonce` made at `now_unix` and signed by `signer`.
#[uniffi::export]
pub fn present_sd_jwt(
    credential: String,
    disclose: Vec<String>,
    audience: String,
    nonce: String,
    now_unix: i64,
    signer: Arc<dyn Signer>,
) -> Result<String, StelError> {
    let held = HeldSdJwt::parse(&credential)?;
    let signer = CoreSigner::new(signer)?;
    let paths: Vec<&str> = disclose.iter().map(String::as_str).collect();
    let kb = KeyBindingInput {
        audience: &audience,
        nonce: &nonce,
        issued_at: Timestamp::from_unix(now_unix),
    };
    Ok(held.present(&paths, Some((&signer, kb)))?)
}
