//! RFC 9457 problem details: every error the service answers is one, with a
//! stable `type` per reason (`https://stele.example/problems/<code>`) and
//! `application/problem+json`. Bugs get a generic 500 whose body says
//! nothing about the cause.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The prefix of every problem `type`.
pub const TYPE_BASE: &str = "https://stele.example/problems/";

/// The content type of a problem.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// One problem: HTTP status, a stable code and a title; `detail` is safe to
/// show (never contains credentials, tokens or claims).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code (`unauthorized`, `could_not_check`, a reason code …).
    pub code: &'static str,
    /// A short, fixed summary.
    pub title: &'static str,
    /// What happened in this occurrence.
    pub detail: Option<Box<str>>,
    /// Extra members (e.g. DID resolution metadata).
    pub extra: Option<Box<Value>>,
    /// Seconds after which a retry makes sense (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem with `status`, `code` and `title`.
    pub fn new(status: StatusCode, code: &'static str, title: &'static str) -> Problem {
        Problem {
            status,
            code,
            title,
            detail: None,
            extra: None,
            retry_after: None,
        }
    }

    /// With a detail line.
    #[must_use]
    pub fn detail(mut self, d: impl Into<String>) -> Problem {
        self.detail = Some(d.into().into_boxed_str());
        self
    }

    /// With extra members merged into the body.
    #[must_use]
    pub fn extra(mut self, v: Value) -> Problem {
        self.extra = Some(Box::new(v));
        self
    }

    /// The full `type` URI.
    pub fn type_uri(&self) -> String {
        format!("{TYPE_BASE}{}", self.code)
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut v = json!({
            "type": self.type_uri(),
            "title": self.title,
            "status": self.status.as_u16(),
        });
        if let (Some(d), Some(m)) = (&self.detail, v.as_object_mut()) {
            m.insert("detail".into(), Value::String(d.to_string()));
        }
        if let (Some(Value::Object(extra)), Some(m)) = (self.extra.as_deref(), v.as_object_mut()) {
            for (k, val) in extra {
                m.entry(k.clone()).or_insert_with(|| val.clone());
            }
        }
        v
    }

    /// 400: the request body or parameters are malformed.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad_request", "Malformed request").detail(detail)
    }

    /// 401: no or an unknown API key.
    pub fn unauthorized() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "A valid API key is required",
        )
        .detail("send Authorization: Bearer <api key>")
    }

    /// 404: nothing here.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not_found", "Not found").detail(detail)
    }

    /// 413: the body is larger than the limit.
    pub fn too_large() -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "resource_limit",
            "The request is too large",
        )
    }

    /// 429: the key's rate limit is exhausted.
    pub fn rate_limited(retry_after: u64) -> Problem {
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests for this API key",
        );
        p.retry_after = Some(retry_after.max(1));
        p
    }

    /// 503: something needed to answer could not be checked (an outage).
    /// Never "valid", never "forged".
    pub fn could_not_check(detail: impl Into<String>) -> Problem {
        let mut p = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "could_not_check",
            "Could not check: a source needed for verification is unavailable",
        )
        .detail(detail);
        p.retry_after = Some(5);
        p
    }

    /// 503: the request took longer than the configured timeout.
    pub fn timeout() -> Problem {
        let mut p = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "The request timed out",
        );
        p.retry_after = Some(1);
        p
    }

    /// 500: a bug. The body says nothing about the cause.
    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal error",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        let mut r = (self.status, body).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_shape() {
        let p = Problem::could_not_check("chain unreachable").extra(json!({"x": 1, "type": "no"}));
        let b = p.body();
        assert_eq!(b["type"], "https://stele.example/problems/could_not_check");
        assert_eq!(b["status"], 503);
        assert_eq!(b["detail"], "chain unreachable");
        assert_eq!(b["x"], 1);
        let r = p.into_response();
        assert_eq!(r.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "5");
    }
}
