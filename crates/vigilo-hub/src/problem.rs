//! RFC 9457 problem details (`application/problem+json`) error responses.
//!
//! Handlers return `Result<_, Problem>`; [`Problem`] implements
//! [`IntoResponse`]. Field-level validation errors are listed in the `errors`
//! extension member, each with an RFC 6901 JSON pointer into the request body.

use std::fmt;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Media type of problem details responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Default problem type URI (RFC 9457 §4.2.1).
pub const ABOUT_BLANK: &str = "about:blank";

/// The one detail text used for every authentication failure, so responses
/// never reveal whether a token or user exists.
pub const UNAUTHORIZED_DETAIL: &str = "missing, invalid, expired or revoked credentials";

/// The detail text of every 500 response; internal error text is only logged.
pub const INTERNAL_DETAIL: &str = "internal error; see server log with request id";

/// A problem details error response (RFC 9457).
///
/// Boxed internally so `Result<T, Problem>` stays pointer-sized (keeps
/// clippy's `result_large_err` quiet in handler code).
#[derive(Clone, Debug)]
pub struct Problem(Box<Inner>);

#[derive(Clone, Debug)]
struct Inner {
    status: StatusCode,
    title: String,
    detail: Option<String>,
    type_uri: String,
    instance: Option<String>,
    errors: Vec<FieldError>,
    /// Extra response headers (e.g. `WWW-Authenticate`, `Retry-After`).
    headers: HeaderMap,
}

/// One field-level error inside a [`Problem`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// RFC 6901 JSON pointer to the offending value in the request body
    /// (`""` is the whole document).
    #[schema(example = "/nested/count")]
    pub pointer: String,
    /// What is wrong with the value.
    pub detail: String,
}

impl FieldError {
    /// Creates a field error.
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// Serialized form of a [`Problem`]; also its OpenAPI schema (named `Problem`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// Problem type URI.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub type_uri: String,
    /// Short summary of the problem type.
    #[schema(example = "Unprocessable Content")]
    pub title: String,
    /// HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// Explanation specific to this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// URI reference identifying this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Field-level errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl utoipa::PartialSchema for Problem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <ProblemBody as utoipa::PartialSchema>::schema()
    }
}

impl ToSchema for Problem {
    fn name() -> std::borrow::Cow<'static, str> {
        <ProblemBody as ToSchema>::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <ProblemBody as ToSchema>::schemas(schemas);
    }
}

impl Problem {
    /// Creates a problem with the given status and title.
    pub fn new(status: StatusCode, title: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            status,
            title: title.into(),
            detail: None,
            type_uri: ABOUT_BLANK.to_owned(),
            instance: None,
            errors: Vec::new(),
            headers: HeaderMap::new(),
        }))
    }

    /// Creates a problem titled with the status code's canonical reason
    /// phrase (as RFC 9457 recommends for `about:blank`).
    #[must_use]
    pub fn from_status(status: StatusCode) -> Self {
        Self::new(status, status.canonical_reason().unwrap_or("Error"))
    }

    /// Sets the occurrence-specific detail.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    /// Adds a field error; `pointer` is an RFC 6901 JSON pointer.
    #[must_use]
    pub fn with_error(mut self, pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        self.0.errors.push(FieldError::new(pointer, detail));
        self
    }

    /// Adds several field errors.
    #[must_use]
    pub fn with_errors(mut self, errors: impl IntoIterator<Item = FieldError>) -> Self {
        self.0.errors.extend(errors);
        self
    }

    /// Sets the problem type URI.
    #[must_use]
    pub fn with_type(mut self, type_uri: impl Into<String>) -> Self {
        self.0.type_uri = type_uri.into();
        self
    }

    /// Sets the instance URI reference.
    #[must_use]
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.0.instance = Some(instance.into());
        self
    }

    /// Adds a response header (replacing an earlier value of the same name).
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.insert(name, value);
        self
    }

    /// HTTP status code.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// Title (short summary of the problem type).
    #[must_use]
    pub fn title(&self) -> &str {
        &self.0.title
    }

    /// Occurrence-specific detail, if any.
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    /// Problem type URI (`about:blank` unless set).
    #[must_use]
    pub fn type_uri(&self) -> &str {
        &self.0.type_uri
    }

    /// Instance URI reference, if any.
    #[must_use]
    pub fn instance(&self) -> Option<&str> {
        self.0.instance.as_deref()
    }

    /// Field-level errors.
    #[must_use]
    pub fn errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    /// Extra response headers set on this problem.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// 400 Bad Request.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::from_status(StatusCode::BAD_REQUEST).with_detail(detail)
    }

    /// 401 Unauthorized with the fixed detail [`UNAUTHORIZED_DETAIL`] and
    /// `WWW-Authenticate: Bearer realm="vigilo"`.
    #[must_use]
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized")
            .with_detail(UNAUTHORIZED_DETAIL)
            .with_header(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"vigilo\""),
            )
    }

    /// 403 Forbidden.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::from_status(StatusCode::FORBIDDEN).with_detail(detail)
    }

    /// 404 Not Found.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::from_status(StatusCode::NOT_FOUND).with_detail(detail)
    }

    /// 409 Conflict.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::from_status(StatusCode::CONFLICT).with_detail(detail)
    }

    /// 413 Content Too Large.
    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Content Too Large").with_detail(detail)
    }

    /// 415 Unsupported Media Type.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE).with_detail(detail)
    }

    /// 422 Unprocessable Content (add field errors with
    /// [`with_error`](Self::with_error)).
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable Content").with_detail(detail)
    }

    /// 429 Too Many Requests, with `Retry-After: <seconds>` when given.
    #[must_use]
    pub fn too_many_requests(retry_after_secs: Option<u64>) -> Self {
        let problem = Self::from_status(StatusCode::TOO_MANY_REQUESTS)
            .with_detail("rate limit exceeded; retry later");
        match retry_after_secs {
            Some(secs) => problem.with_header(header::RETRY_AFTER, HeaderValue::from(secs)),
            None => problem,
        }
    }

    /// 500 Internal Server Error with the fixed detail [`INTERNAL_DETAIL`];
    /// never carries internal error text.
    #[must_use]
    pub fn internal() -> Self {
        Self::from_status(StatusCode::INTERNAL_SERVER_ERROR).with_detail(INTERNAL_DETAIL)
    }

    /// Logs `err` at error level (server side only) and returns
    /// [`internal`](Self::internal).
    pub fn internal_logged(err: impl fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::internal()
    }

    /// The serializable body of this problem.
    #[must_use]
    pub fn body(&self) -> ProblemBody {
        let p = &*self.0;
        ProblemBody {
            type_uri: p.type_uri.clone(),
            title: p.title.clone(),
            status: p.status.as_u16(),
            detail: p.detail.clone(),
            instance: p.instance.clone(),
            errors: p.errors.clone(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0.status.as_u16(), self.0.title)?;
        if let Some(detail) = &self.0.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let Inner {
            status,
            title,
            detail,
            type_uri,
            instance,
            errors,
            headers,
        } = *self.0;
        let body = ProblemBody {
            type_uri,
            title,
            status: status.as_u16(),
            detail,
            instance,
            errors,
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| {
            // Unreachable in practice (plain strings and numbers); keep a valid body anyway.
            br#"{"type":"about:blank","title":"Internal Server Error","status":500}"#.to_vec()
        });
        let mut response = (status, bytes).into_response();
        let response_headers = response.headers_mut();
        response_headers.extend(headers);
        response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

/// Escapes one reference token for an RFC 6901 JSON pointer (`~` → `~0`,
/// `/` → `~1`).
#[must_use]
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Appends one reference token to a JSON pointer.
#[must_use]
pub fn pointer_push(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape_pointer_token(token))
}

/// Converts a `serde_path_to_error` path into an RFC 6901 JSON pointer
/// (`/a/0/b`; the root is `""`).
///
/// Enum variant segments become keys (the externally tagged representation
/// `{"Variant": ...}`); the pointer stops before an `Unknown` segment, so it
/// points at the nearest known ancestor.
#[must_use]
pub fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&escape_pointer_token(key));
            }
            Segment::Enum { variant } => {
                out.push('/');
                out.push_str(&escape_pointer_token(variant));
            }
            Segment::Unknown => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use serde_json::{Value, json};

    async fn body_json(resp: Response) -> Value {
        let bytes = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn minimal_problem_serialization() {
        let resp = Problem::new(StatusCode::IM_A_TEAPOT, "Teapot").into_response();
        assert_eq!(resp.status(), StatusCode::IM_A_TEAPOT);
        assert_eq!(
            resp.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        assert_eq!(
            body_json(resp).await,
            json!({"type": "about:blank", "title": "Teapot", "status": 418})
        );
    }

    #[tokio::test]
    async fn full_problem_serialization() {
        let resp = Problem::unprocessable("request body failed validation")
            .with_type("https://vigilo.example/problems/validation")
            .with_instance("/api/reports/1")
            .with_error("/nested/count", "must be positive")
            .with_error("/name", "missing field")
            .into_response();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body_json(resp).await,
            json!({
                "type": "https://vigilo.example/problems/validation",
                "title": "Unprocessable Content",
                "status": 422,
                "detail": "request body failed validation",
                "instance": "/api/reports/1",
                "errors": [
                    {"pointer": "/nested/count", "detail": "must be positive"},
                    {"pointer": "/name", "detail": "missing field"}
                ]
            })
        );
    }

    #[tokio::test]
    async fn unauthorized_is_uniform_and_sets_challenge() {
        let a = Problem::unauthorized().into_response();
        assert_eq!(a.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            a.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer realm=\"vigilo\""
        );
        assert_eq!(
            body_json(a).await,
            json!({
                "type": "about:blank",
                "title": "Unauthorized",
                "status": 401,
                "detail": "missing, invalid, expired or revoked credentials"
            })
        );
    }

    #[tokio::test]
    async fn too_many_requests_retry_after() {
        let resp = Problem::too_many_requests(Some(30)).into_response();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.headers().get(header::RETRY_AFTER).unwrap(), "30");
        let resp = Problem::too_many_requests(None).into_response();
        assert!(resp.headers().get(header::RETRY_AFTER).is_none());
    }

    #[tokio::test]
    async fn internal_never_leaks() {
        let resp = Problem::internal_logged("db password is hunter2").into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_json(resp).await;
        assert_eq!(body["detail"], INTERNAL_DETAIL);
        assert!(!body.to_string().contains("hunter2"));
    }

    #[test]
    fn helper_statuses_and_titles() {
        let cases = [
            (Problem::bad_request("x"), 400, "Bad Request"),
            (Problem::forbidden("x"), 403, "Forbidden"),
            (Problem::not_found("x"), 404, "Not Found"),
            (Problem::conflict("x"), 409, "Conflict"),
            (Problem::payload_too_large("x"), 413, "Content Too Large"),
            (
                Problem::unsupported_media_type("x"),
                415,
                "Unsupported Media Type",
            ),
            (Problem::unprocessable("x"), 422, "Unprocessable Content"),
            (Problem::internal(), 500, "Internal Server Error"),
        ];
        for (p, status, title) in cases {
            assert_eq!(p.status().as_u16(), status);
            assert_eq!(p.title(), title);
        }
        assert_eq!(
            Problem::not_found("no such token").to_string(),
            "404 Not Found: no such token"
        );
    }

    #[test]
    fn problem_is_pointer_sized() {
        assert_eq!(std::mem::size_of::<Problem>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn body_roundtrip() {
        let p = Problem::bad_request("bad").with_error("", "whole document");
        let json = serde_json::to_string(&p.body()).unwrap();
        let back: ProblemBody = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p.body());
        assert_eq!(back.errors, vec![FieldError::new("", "whole document")]);
    }

    #[test]
    fn schema_is_named_problem() {
        assert_eq!(<Problem as ToSchema>::name(), "Problem");
        assert_eq!(<FieldError as ToSchema>::name(), "FieldError");
        let mut schemas = Vec::new();
        <Problem as ToSchema>::schemas(&mut schemas);
        assert!(schemas.iter().any(|(name, _)| name == "FieldError"));
        let schema = serde_json::to_value(<Problem as utoipa::PartialSchema>::schema()).unwrap();
        let props = &schema["properties"];
        for key in ["type", "title", "status", "detail", "instance", "errors"] {
            assert!(props.get(key).is_some(), "missing {key} in {schema}");
        }
    }

    #[test]
    fn pointer_escaping() {
        assert_eq!(escape_pointer_token("a/b~c"), "a~1b~0c");
        assert_eq!(escape_pointer_token("~1"), "~01");
        assert_eq!(pointer_push("", "x/y"), "/x~1y");
        assert_eq!(pointer_push("/a", "b"), "/a/b");
    }

    #[test]
    fn json_pointer_from_path() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            n: u32,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            items: Vec<std::collections::BTreeMap<String, Inner>>,
        }
        let input = r#"{"items": [{"ok": {"n": 1}}, {"a/b~c": {"n": "x"}}]}"#;
        let de = &mut serde_json::Deserializer::from_str(input);
        let err = serde_path_to_error::deserialize::<_, Outer>(de).unwrap_err();
        assert_eq!(json_pointer(err.path()), "/items/1/a~1b~0c/n");

        let de = &mut serde_json::Deserializer::from_str("7");
        let err = serde_path_to_error::deserialize::<_, Outer>(de).unwrap_err();
        assert_eq!(json_pointer(err.path()), "");
    }
}
