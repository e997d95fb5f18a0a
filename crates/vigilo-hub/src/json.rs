//! JSON request/response type with RFC 9457 problem details on rejection.
//!
//! [`ApiJson<T>`] replaces `axum::Json<T>` as an extractor: it requires a JSON
//! content type (415 otherwise), honours axum's `DefaultBodyLimit` (413), and
//! reports syntax errors as 400 and schema mismatches (wrong type, missing or
//! unknown field) as 422, each with the JSON pointer of the offending value.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::problem::{Problem, json_pointer, pointer_push};

/// JSON body extractor and response type.
///
/// As an extractor it rejects with a [`Problem`]; as a response it
/// serializes `T` with status 200 and `Content-Type: application/json`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ApiJson<T>(pub T);

/// Optional request extension carrying the body size limit in bytes.
///
/// axum's `DefaultBodyLimit` doesn't expose its value, so a 413 can only name
/// the limit when it is known: when this extension is present (e.g.
/// `.layer(Extension(BodyLimit(n)))`), [`ApiJson`] applies
/// `DefaultBodyLimit::max(n)` itself and names `n` in the 413 detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(mut req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(req.headers()) {
            return Err(Problem::unsupported_media_type(
                "expected request header `Content-Type: application/json`",
            ));
        }
        let limit = req.extensions().get::<BodyLimit>().copied();
        if let Some(BodyLimit(max)) = limit {
            DefaultBodyLimit::max(max).apply(&mut req);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                match limit {
                    Some(BodyLimit(max)) => Problem::payload_too_large(format!(
                        "request body exceeds the limit of {max} bytes"
                    )),
                    None => {
                        Problem::payload_too_large("request body exceeds the configured size limit")
                    }
                }
            } else {
                Problem::bad_request("failed to read the request body")
            }
        })?;
        // Request bodies are objects: serde would otherwise accept a JSON
        // array as a struct in field order, around `deny_unknown_fields`.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return Err(Problem::unprocessable("request body must be a JSON object")
                .with_error("", "expected a JSON object, found an array"));
        }
        decode(&bytes).map(ApiJson)
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                bytes,
            )
                .into_response(),
            Err(err) => {
                Problem::internal_logged(format_args!("failed to serialize JSON response: {err}"))
                    .into_response()
            }
        }
    }
}

/// Whether the `Content-Type` is `application/json` or `application/*+json`
/// (parameters such as `charset` allowed, case-insensitive).
#[must_use]
pub fn has_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some(subtype) = essence.strip_prefix("application/") else {
        return false;
    };
    let valid_token =
        !subtype.is_empty() && !subtype.contains(|c: char| c.is_ascii_whitespace() || c == '/');
    valid_token && (subtype == "json" || (subtype.len() > 5 && subtype.ends_with("+json")))
}

/// Deserializes a JSON document, mapping failures to problem details:
/// syntax/EOF errors and trailing characters → 400, data errors → 422, each
/// with a `{pointer, detail}` entry in `errors`.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let pointer = json_pointer(err.path());
        let last_key = match err.path().iter().next_back() {
            Some(serde_path_to_error::Segment::Map { key }) => Some(key.clone()),
            _ => None,
        };
        from_serde_error(&err.into_inner(), &pointer, last_key.as_deref())
    })?;
    de.end().map_err(|err| from_serde_error(&err, "", None))?;
    Ok(value)
}

/// Maps a `serde_json` error at `pointer` to a problem.
fn from_serde_error(err: &serde_json::Error, pointer: &str, last_key: Option<&str>) -> Problem {
    let message = strip_position(err);
    match err.classify() {
        Category::Data => {
            let pointer = if let Some(field) = backticked(&message, "missing field `") {
                // serde reports a missing field at its parent object.
                pointer_push(pointer, field)
            } else if let Some(field) = backticked(&message, "unknown field `") {
                // serde_path_to_error already records the offending key; be
                // robust should that ever change.
                if last_key == Some(field) {
                    pointer.to_owned()
                } else {
                    pointer_push(pointer, field)
                }
            } else {
                pointer.to_owned()
            };
            Problem::unprocessable("request body does not match the expected schema")
                .with_error(pointer, message)
        }
        Category::Syntax | Category::Eof | Category::Io => {
            let problem = Problem::bad_request(format!(
                "malformed JSON at line {} column {}: {message}",
                err.line(),
                err.column()
            ));
            if pointer.is_empty() {
                problem
            } else {
                problem.with_error(pointer, message)
            }
        }
    }
}

/// The error message without serde_json's " at line L column C" suffix.
fn strip_position(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match full.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => full,
    }
}

/// The text between `prefix` (which ends with a backtick) and the next
/// backtick, when `message` starts with `prefix`.
fn backticked<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split_once('`').map(|(field, _)| field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::routing::post;
    use axum::{Extension, Router};
    use serde::Deserialize;
    use serde_json::{Value, json};
    use tower::ServiceExt as _;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Payload {
        name: String,
        nested: Nested,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Nested {
        count: u32,
        #[serde(default)]
        tags: Vec<String>,
    }

    fn app() -> Router {
        Router::new().route(
            "/",
            post(|ApiJson(p): ApiJson<Payload>| async move { ApiJson(p) }),
        )
    }

    async fn call(app: Router, content_type: Option<&str>, body: &str) -> (StatusCode, Value) {
        let mut req = Request::post("/");
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let resp = app
            .oneshot(req.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        if status.is_success() {
            assert_eq!(ct, "application/json");
        } else {
            assert_eq!(ct, "application/problem+json");
        }
        let bytes = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    async fn post_json(body: &str) -> (StatusCode, Value) {
        call(app(), Some("application/json"), body).await
    }

    fn only_pointer(body: &Value) -> &str {
        let errors = body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{body}");
        errors[0]["pointer"].as_str().unwrap()
    }

    #[tokio::test]
    async fn valid_body_roundtrips() {
        let input = json!({"name": "a", "nested": {"count": 3, "tags": ["x"]}});
        let (status, body) = post_json(&input.to_string()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, input);
    }

    #[tokio::test]
    async fn wrong_type_is_422_with_pointer() {
        let (status, body) = post_json(r#"{"name":"a","nested":{"count":"many"}}"#).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["status"], 422);
        assert_eq!(body["title"], "Unprocessable Content");
        assert_eq!(only_pointer(&body), "/nested/count");
        let detail = body["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.starts_with("invalid type: string"), "{detail}");
        assert!(!detail.contains(" at line "), "{detail}");
    }

    #[tokio::test]
    async fn array_element_pointer() {
        let (status, body) =
            post_json(r#"{"name":"a","nested":{"count":1,"tags":["ok",5]}}"#).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(only_pointer(&body), "/nested/tags/1");
    }

    #[tokio::test]
    async fn missing_field_points_at_field() {
        let (status, body) = post_json(r#"{"nested":{"count":1}}"#).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(only_pointer(&body), "/name");
        assert_eq!(body["errors"][0]["detail"], "missing field `name`");

        let (status, body) = post_json(r#"{"name":"a","nested":{}}"#).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(only_pointer(&body), "/nested/count");
    }

    #[tokio::test]
    async fn unknown_field_points_at_field() {
        let (status, body) = post_json(r#"{"name":"a","nested":{"count":1},"extra":true}"#).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(only_pointer(&body), "/extra");

        let (_, body) = post_json(r#"{"name":"a","nested":{"count":1,"a/b":0}}"#).await;
        assert_eq!(only_pointer(&body), "/nested/a~1b");
    }

    #[tokio::test]
    async fn malformed_json_is_400() {
        let (status, body) = post_json(r#"{"name": "a", "nested": {"count": 1,}}"#).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("malformed JSON at line 1 column "),
            "{detail}"
        );

        let (status, body) = post_json("{\"name\": \"a\",\n \"nested\": {\"count\": ").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("at line 2 column"),
            "{body}"
        );
        assert_eq!(only_pointer(&body), "/nested/count");

        let (status, _) = post_json("").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn trailing_characters_are_400() {
        let (status, body) = post_json(r#"{"name":"a","nested":{"count":1}} {}"#).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("trailing characters"),
            "{body}"
        );
        // Trailing whitespace is fine.
        let (status, _) = post_json("{\"name\":\"a\",\"nested\":{\"count\":1}}\n ").await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn content_type_is_enforced() {
        let ok = r#"{"name":"a","nested":{"count":1}}"#;
        let (status, body) = call(app(), Some("text/plain"), ok).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(body["status"], 415);
        let (status, _) = call(app(), None, ok).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (status, _) = call(app(), Some("application/jsonx"), ok).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (status, _) = call(app(), Some("application/+json"), ok).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

        for ct in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.vigilo+json",
            "application/merge-patch+json;charset=UTF-8",
        ] {
            let (status, _) = call(app(), Some(ct), ok).await;
            assert_eq!(status, StatusCode::OK, "{ct}");
        }
    }

    #[tokio::test]
    async fn oversize_body_is_413() {
        let big = r#"{"name":"aaaaaaaaaaaaaaaaaaaa","nested":{"count":1}}"#;
        let limited = app().layer(DefaultBodyLimit::max(16));
        let (status, body) = call(limited, Some("application/json"), big).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["status"], 413);

        // A small enough body passes the same limit (fails later on schema).
        let limited = app().layer(DefaultBodyLimit::max(16));
        let (status, _) = call(limited, Some("application/json"), "{}").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // With the BodyLimit extension the limit is named.
        let named = app().layer(Extension(BodyLimit(16)));
        let (status, body) = call(named, Some("application/json"), big).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["detail"], "request body exceeds the limit of 16 bytes");
    }

    #[test]
    fn decode_directly() {
        let v: Vec<u8> = decode(b"[1,2]").unwrap();
        assert_eq!(v, [1, 2]);
        let err = decode::<Vec<u8>>(b"[1,300]").unwrap_err();
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.errors()[0].pointer, "/1");
        let err = decode::<Payload>(b"5").unwrap_err();
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.errors()[0].pointer, "");
    }
}
