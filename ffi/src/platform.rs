//! What the host platform does better than Rust, as foreign traits the app
//! implements: key wrapping (Android Keystore, iOS Keychain) and HTTP; and
//! their adapters to the traits core and the registry use.

use std::sync::Arc;
use std::time::Duration;

use stele_core::wallet::{self, WalletError};
use stele_registry::rpc::{self, TransportError};
use zeroize::Zeroizing;

use crate::error::{StelError, remember_foreign};

/// Wraps and unwraps the wallet's data key with a key the platform keeps
/// (Android Keystore, iOS Keychain). Named `wrap_key`/`unwrap_key` so Rust
/// readers do not take a call for `Option::unwrap`.
#[uniffi::export(with_foreign)]
pub trait KeyWrap: Send + Sync {
    /// Encrypts `data_key` (32 bytes) under the platform key, with an
    /// authenticated cipher (AES-GCM).
    fn wrap_key(&self, data_key: Vec<u8>) -> Result<Vec<u8>, StelError>;
    /// Decrypts what `wrap_key` returned. Throws `WrongKey` when the
    /// platform key does not decrypt it (authentication tag), `Cancelled`
    /// when the user dismissed the prompt, `KeyStore` when the platform key
    /// is gone or locked. Never returns other bytes.
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
/// read the chain through a JSON-RPC node (did:ethr issuers, accreditation,
/// status lists).
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    /// POSTs `body` (JSON) to `url` with `Content-Type: application/json`
    /// and gives up after `timeout_ms` milliseconds. Throws `Unavailable`
    /// when the network or server cannot be reached or the time is up.
    fn post_json(
        &self,
        url: String,
        body: String,
        timeout_ms: u32,
    ) -> Result<HttpResponse, StelError>;
}

/// A foreign [`KeyWrap`] as core's key wrap.
pub(crate) struct CoreKeyWrap(pub(crate) Arc<dyn KeyWrap>);

fn keywrap_error(e: StelError) -> WalletError {
    match e {
        StelError::WrongKey => WalletError::WrongKey,
        other => {
            remember_foreign(&other);
            WalletError::KeyStore(other.to_string())
        }
    }
}

impl wallet::KeyWrap for CoreKeyWrap {
    fn wrap(&self, key: &[u8]) -> Result<Vec<u8>, WalletError> {
        self.0.wrap_key(key.to_vec()).map_err(keywrap_error)
    }

    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, WalletError> {
        self.0
            .unwrap_key(wrapped.to_vec())
            .map(Zeroizing::new)
            .map_err(keywrap_error)
    }
}

/// A foreign [`HttpTransport`] as the registry's JSON-RPC transport.
pub(crate) struct RpcTransport(pub(crate) Arc<dyn HttpTransport>);

impl rpc::HttpTransport for RpcTransport {
    fn post_json(
        &self,
        url: &str,
        body: &[u8],
        timeout: Duration,
        max_response_bytes: usize,
    ) -> Result<Vec<u8>, TransportError> {
        let body = String::from_utf8(body.to_vec())
            .map_err(|_| TransportError::Other("request body is not UTF-8".into()))?;
        let timeout_ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        let response = self
            .0
            .post_json(url.to_owned(), body, timeout_ms)
            .map_err(|e| match e {
                StelError::Unavailable { detail } => TransportError::Connect(detail),
                other => TransportError::Other(other.to_string()),
            })?;
        if !(200..300).contains(&response.status) {
            return Err(TransportError::Status(response.status));
        }
        if response.body.len() > max_response_bytes {
            return Err(TransportError::TooLarge);
        }
        Ok(response.body.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use stele_core::wallet::{KeyWrap as _, WalletError};
    use stele_registry::rpc::{HttpTransport as _, TransportError};

    use super::{CoreKeyWrap, HttpResponse, HttpTransport, KeyWrap, RpcTransport};
    use crate::error::{StelError, wallet_call};

    struct Answer(Result<HttpResponse, StelError>);

    impl HttpTransport for Answer {
        fn post_json(
            &self,
            _: String,
            body: String,
            timeout_ms: u32,
        ) -> Result<HttpResponse, StelError> {
            assert_eq!(timeout_ms, 1500);
            self.0.clone().map(|r| HttpResponse {
                body: format!("{}{body}", r.body),
                ..r
            })
        }
    }

    fn post(
        answer: Result<HttpResponse, StelError>,
        max: usize,
    ) -> Result<Vec<u8>, TransportError> {
        RpcTransport(Arc::new(Answer(answer))).post_json(
            "https://node",
            b"{}",
            Duration::from_millis(1500),
            max,
        )
    }

    #[test]
    fn the_rpc_adapter_passes_bodies_and_maps_failures() {
        let ok = |status, body: &str| {
            Ok(HttpResponse {
                status,
                body: body.into(),
            })
        };
        assert_eq!(post(ok(200, "x"), 100).as_deref(), Ok(&b"x{}"[..]));
        assert_eq!(post(ok(503, ""), 100), Err(TransportError::Status(503)));
        assert_eq!(
            post(ok(200, "0123456789"), 5),
            Err(TransportError::TooLarge)
        );
        let down = Err(StelError::Unavailable {
            detail: "offline".into(),
        });
        assert_eq!(
            post(down, 100),
            Err(TransportError::Connect("offline".into()))
        );
    }

    struct Throws(StelError);

    impl KeyWrap for Throws {
        fn wrap_key(&self, _: Vec<u8>) -> Result<Vec<u8>, StelError> {
            Err(self.0.clone())
        }
        fn unwrap_key(&self, _: Vec<u8>) -> Result<Vec<u8>, StelError> {
            Err(self.0.clone())
        }
    }

    #[test]
    fn a_foreign_key_wrap_error_keeps_its_variant() {
        let wrong = CoreKeyWrap(Arc::new(Throws(StelError::WrongKey)));
        assert_eq!(wrong.unwrap(b"x").err(), Some(WalletError::WrongKey));
        let cancelled = CoreKeyWrap(Arc::new(Throws(StelError::Cancelled)));
        let result = wallet_call(|| cancelled.unwrap(b"x"));
        assert!(matches!(result, Err(StelError::Cancelled)), "{result:?}");
        // The remembered error does not leak into the next call.
        let next = wallet_call(|| -> Result<(), WalletError> {
            Err(WalletError::KeyStore("locked".into()))
        });
        assert!(matches!(next, Err(StelError::KeyStore { .. })), "{next:?}");
    }
}
