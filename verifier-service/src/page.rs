//! The clerk's counter page (`GET /` and `/assets/…`).
//!
//! A static, framework-free page: HTML, CSS, the page's script, its UI
//! strings (English and German) and the bundled jsQR decoder, all embedded
//! in the binary (jsQR is copied into `OUT_DIR` by `build.rs`). The page
//! talks only to this service (`/v1/challenges`, `/v1/verify`) with the
//! counter's API key; it is served with a strict Content-Security-Policy
//! (`default-src 'self'`), so it loads nothing from anywhere else and runs
//! no inline script. See ADR 0030.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The page's Content-Security-Policy: only this origin, no inline script,
/// no framing, no plug-ins. Inline SVG (the challenge QR) and a camera
/// stream in `srcObject` need nothing more.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

const INDEX_HTML: &str = include_str!("../assets/index.html");

/// The embedded assets under `/assets/`: name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/app.js"),
    ),
    (
        "i18n.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/i18n.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/app.css"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../assets/icon.svg"),
    ),
    (
        "jsqr.js",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(env!("OUT_DIR"), "/jsQR.js")),
    ),
];

/// Whether this build bundles the jsQR decoder (webcam scanning); without it
/// the page runs in scanner-only mode and says so.
pub fn jsqr_bundled() -> bool {
    env!("STELE_PAGE_JSQR_BUNDLED") == "1"
}

/// The page's routes: `GET /` and `GET /assets/{name}`. They use no state,
/// so they merge into a router of any state type.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/assets/{name}", get(asset))
}

/// Headers every page response carries.
fn security_headers(
    content_type: &'static str,
    cache: &'static str,
) -> [(HeaderName, HeaderValue); 7] {
    [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(self), microphone=(), geolocation=()"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
    ]
}

async fn index() -> Response {
    (
        security_headers("text/html; charset=utf-8", "no-store"),
        INDEX_HTML,
    )
        .into_response()
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => {
            (security_headers(content_type, "no-cache"), *bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(path: &str) -> Response {
        routes::<()>()
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("infallible")
    }

    #[tokio::test]
    async fn serves_the_page_and_assets_with_their_types_and_csp() {
        for (path, ty) in [
            ("/", "text/html; charset=utf-8"),
            ("/assets/app.js", "text/javascript; charset=utf-8"),
            ("/assets/i18n.js", "text/javascript; charset=utf-8"),
            ("/assets/jsqr.js", "text/javascript; charset=utf-8"),
            ("/assets/app.css", "text/css; charset=utf-8"),
            ("/assets/icon.svg", "image/svg+xml"),
        ] {
            let r = get(path).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            let h = r.headers();
            assert_eq!(h[header::CONTENT_TYPE], ty, "{path}");
            assert_eq!(h[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        }
        assert!(CONTENT_SECURITY_POLICY.starts_with("default-src 'self';"));
        assert_eq!(get("/assets/nope.js").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            get("/assets/..%2Fbuild.rs").await.status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn assets_are_embedded_and_referenced() {
        for (name, _, bytes) in ASSETS {
            if *name != "jsqr.js" {
                assert!(!bytes.is_empty(), "{name} is empty");
            }
            assert!(
                INDEX_HTML.contains(&format!("/assets/{name}")),
                "index.html does not load {name}"
            );
        }
        assert!(INDEX_HTML.contains("<html lang="));
        assert!(
            !INDEX_HTML.contains("http://") && !INDEX_HTML.contains("https://"),
            "the page loads nothing from elsewhere"
        );
    }
}
