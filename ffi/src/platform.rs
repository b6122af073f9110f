//! What the host platform does better than Rust, as foreign traits the app
//! implements: key wrapping (Android Keystore, iOS Keychain) and HTTP.
//! Declared now so the bindings are stable; the wallet uses them.

use crate::error::StelError;

/// Wraps and unwraps the wallet's data key with a key the platform keeps
/// (Android Keystore, iOS Keychain). Named `wrap_key`/`unwrap_key` so Rust
/// readers do not take a call for `Option::unwrap`.
#[uniffi::export(with_foreign)]
pub trait KeyWrap: Send + Sync {
    /// Encrypts `data_key` under the platform key.
    fn wrap_key(&self, data_key: Vec<u8>) -> Result<Vec<u8>, StelError>;
    /// Decrypts what `wrap_key` returned. Fails with `KeyStore` when the
    /// platform key is gone or the user did not authenticate.
    fn unwrap_key(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, StelError>;
}

/// An HTTP response, as the app's transport returns it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The response body (UTF-8 text, JSON expected).
    pub body: String,
}

/// The app's HTTP client (the mobile build has none of its own): used to
/// resolve issuers and read the chain through a JSON-RPC node.
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    /// POSTs `body` (JSON) to `url` with `Content-Type: application/json`.
    /// Fails with `Unavailable` when the network or server cannot be reached.
    fn post_json(&self, url: String, body: String) -> Result<HttpResponse, StelError>;
}
