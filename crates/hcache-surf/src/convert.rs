//! Conversions between surf's types (http-types 2) and the `http` crate's (1.x), which the
//! engine speaks.
//!
//! The two crates disagree on what a field value may hold, so each direction has a rule:
//!
//! - **http-types → `http`**: http-types values are ASCII, but may hold control characters
//!   that `http` refuses. Each control character other than HTAB becomes a space, as RFC 9110
//!   §5.5 tells a recipient of CR, LF or NUL to do (async-h1 itself writes one such value: the
//!   `Date` it adds to responses without one ends in CRLF).
//! - **`http` → http-types**: http-types holds only ASCII, `http` also obs-text (bytes 0x80 to
//!   0xFF, RFC 9110 §5.5). A field with a non-ASCII value cannot be put in an http-types head
//!   without changing its bytes, so it is moved whole (every line of it, in order, unchanged)
//!   into a [`RawHeaders`] response extension; in a request it is left out (only validators
//!   copied from a stored response can be non-ASCII, and leaving them out makes the request
//!   unconditional, which is always safe).
//!
//! Repeated field lines keep their order within their field in both directions; http-types
//! keeps fields in a hash map, so the order *between* different fields is not kept.

use std::sync::{Arc, Mutex, PoisonError};

use hcache_core::{CacheBody, CacheKey, CacheMode, StaleIfErrorWindow};
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http_body::Body as _;
use surf::http as ht;

use crate::body::{BodyReader, ReaderBody};
use crate::error::ConvertError;
use crate::framing::{self, Framing};

/// The fields of a response that http-types cannot hold, byte for byte.
///
/// http-types stores field values as ASCII strings, so a field whose value has any other byte
/// (obs-text, RFC 9110 §5.5, or UTF-8 beyond ASCII) — which can reach a surf client only from
/// a stored response, written by another client sharing the store — is taken out of the surf
/// response's headers and kept here whole: every line of the field, in order, unchanged.
///
/// ```
/// # fn f(res: &surf::Response) {
/// use hcache_surf::RawHeaders;
///
/// if let Some(raw) = res.ext::<RawHeaders>() {
///     for (name, value) in raw.headers() {
///         println!("{name}: {:?}", value.as_bytes());
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawHeaders(HeaderMap);

impl RawHeaders {
    /// The fields, as the `http` crate holds them.
    pub fn headers(&self) -> &HeaderMap {
        &self.0
    }

    /// Takes the fields out.
    pub fn into_inner(self) -> HeaderMap {
        self.0
    }
}

/// The surf request's own extensions, carried through the engine to the request it sends on,
/// so that middleware further down still finds them. Shared by the engine's clones of the
/// request head; the one request sent upstream takes them.
#[derive(Clone)]
struct SurfExtensions(Arc<Mutex<Option<ht::Extensions>>>);

impl SurfExtensions {
    fn take(&self) -> Option<ht::Extensions> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

pub(crate) fn method_to_http(method: ht::Method) -> Result<http::Method, ConvertError> {
    http::Method::from_bytes(method.as_ref().as_bytes())
        .map_err(|_| ConvertError::Method(method.to_string()))
}

pub(crate) fn method_from_http(method: &http::Method) -> Result<ht::Method, ConvertError> {
    method
        .as_str()
        .parse()
        .map_err(|_| ConvertError::Method(method.to_string()))
}

/// The request target; the fragment is not part of it (RFC 9110 §4.2.4).
pub(crate) fn url_to_uri(url: &ht::Url) -> Result<http::Uri, ConvertError> {
    let target = match url.fragment() {
        Some(_) => {
            let mut url = url.clone();
            url.set_fragment(None);
            http::Uri::try_from(url.as_str())
        }
        None => http::Uri::try_from(url.as_str()),
    };
    target.map_err(|source| ConvertError::Uri {
        url: url.to_string(),
        source,
    })
}

pub(crate) fn uri_to_url(uri: &http::Uri) -> Result<ht::Url, ConvertError> {
    let uri = uri.to_string();
    ht::Url::parse(&uri).map_err(|source| ConvertError::Url { uri, source })
}

/// An unset http-types version is HTTP/1.1, the version surf's h1 backend speaks.
pub(crate) fn version_to_http(version: Option<ht::Version>) -> http::Version {
    match version {
        Some(ht::Version::Http0_9) => http::Version::HTTP_09,
        Some(ht::Version::Http1_0) => http::Version::HTTP_10,
        Some(ht::Version::Http2_0) => http::Version::HTTP_2,
        Some(ht::Version::Http3_0) => http::Version::HTTP_3,
        _ => http::Version::HTTP_11,
    }
}

pub(crate) fn version_from_http(version: http::Version) -> Option<ht::Version> {
    match version {
        http::Version::HTTP_09 => Some(ht::Version::Http0_9),
        http::Version::HTTP_10 => Some(ht::Version::Http1_0),
        http::Version::HTTP_11 => Some(ht::Version::Http1_1),
        http::Version::HTTP_2 => Some(ht::Version::Http2_0),
        http::Version::HTTP_3 => Some(ht::Version::Http3_0),
        _ => None,
    }
}

/// One http-types value as an `http` value: control characters other than HTAB become SP.
pub(crate) fn value_to_http(value: &ht::headers::HeaderValue) -> HeaderValue {
    let bytes = value.as_str().as_bytes();
    HeaderValue::from_bytes(bytes).unwrap_or_else(|_| {
        let cleaned: Vec<u8> = bytes
            .iter()
            .map(|&b| match b {
                b'\t' => b'\t',
                0..=0x1f | 0x7f => b' ',
                _ => b,
            })
            .collect();
        // Now only HTAB, SP and visible ASCII: always a valid value.
        HeaderValue::from_bytes(&cleaned).unwrap_or_else(|_| HeaderValue::from_static(""))
    })
}

/// All fields of an http-types head, every line kept. A field name that is not an HTTP token
/// (http-types accepts any ASCII there; `http` only tokens) is an error, or with
/// `skip_bad_names` is left out.
pub(crate) fn headers_to_http(
    headers: &ht::Headers,
    skip_bad_names: bool,
) -> Result<HeaderMap, ConvertError> {
    let mut out = HeaderMap::new();
    for (name, values) in headers {
        let name = match HeaderName::from_bytes(name.as_str().as_bytes()) {
            Ok(n) => n,
            Err(_) if skip_bad_names => continue,
            Err(source) => {
                return Err(ConvertError::FieldName {
                    name: name.to_string(),
                    source,
                });
            }
        };
        for value in values {
            out.append(name.clone(), value_to_http(value));
        }
    }
    Ok(out)
}

/// Appends every field of `headers` that http-types can hold to `out`, and returns the ones
/// it cannot (whole fields, in order).
pub(crate) fn headers_from_http(headers: &HeaderMap, out: &mut ht::Headers) -> HeaderMap {
    let mut raw = HeaderMap::new();
    for name in headers.keys() {
        let lines = headers.get_all(name);
        let values: Option<Vec<ht::headers::HeaderValue>> = lines
            .iter()
            .map(|v| ht::headers::HeaderValue::from_bytes(v.as_bytes().to_vec()).ok())
            .collect();
        let target = ht::headers::HeaderName::from_string(name.as_str().to_owned());
        match (target, values) {
            (Ok(target), Some(values)) => {
                for value in values {
                    out.append(target.clone(), value);
                }
            }
            _ => {
                for value in lines {
                    raw.append(name.clone(), value.clone());
                }
            }
        }
    }
    raw
}

/// The head of a surf request as `http` parts, with the per-request cache switches copied from
/// the surf request's extensions. Borrows, so that a request the cache cannot represent can
/// still go on unchanged.
pub(crate) fn request_head_to_http(
    req: &ht::Request,
) -> Result<http::request::Parts, ConvertError> {
    let mut head = http::Request::new(()).into_parts().0;
    head.method = method_to_http(req.method())?;
    head.uri = url_to_uri(req.url())?;
    head.version = version_to_http(req.version());
    head.headers = headers_to_http(req.as_ref(), false)?;
    if let Some(mode) = req.ext().get::<CacheMode>() {
        head.extensions.insert(*mode);
    }
    if let Some(key) = req.ext().get::<CacheKey>() {
        head.extensions.insert(key.clone());
    }
    if let Some(window) = req.ext().get::<StaleIfErrorWindow>() {
        head.extensions.insert(*window);
    }
    Ok(head)
}

/// A surf request as an `http` request for the engine; the body is passed through untouched.
pub(crate) fn request_to_http(
    mut head: http::request::Parts,
    mut req: ht::Request,
) -> http::Request<ht::Body> {
    let ext = std::mem::take(req.ext_mut());
    head.extensions
        .insert(SurfExtensions(Arc::new(Mutex::new(Some(ext)))));
    http::Request::from_parts(head, req.take_body())
}

/// An `http` request from the engine as a surf request. Fields http-types cannot hold are left
/// out (see the module docs).
pub(crate) fn request_from_http(req: http::Request<ht::Body>) -> Result<ht::Request, ConvertError> {
    let (head, body) = req.into_parts();
    let mut out = ht::Request::new(method_from_http(&head.method)?, uri_to_url(&head.uri)?);
    out.set_version(version_from_http(head.version));
    out.set_body(body);
    // `set_body` adds the body's media type when the head has none; the head is the truth.
    out.remove_header(CONTENT_TYPE.as_str());
    headers_from_http(&head.headers, out.as_mut());
    if let Some(ext) = head
        .extensions
        .get::<SurfExtensions>()
        .and_then(SurfExtensions::take)
    {
        *out.ext_mut() = ext;
    }
    Ok(out)
}

/// A surf response as an `http` response for the engine; its body streams. The response to a
/// HEAD request has no content, whatever its `Content-Length` says (RFC 9110 §9.3.2). A field
/// whose name is not an HTTP token (which only a middleware could have made; surf's h1 backend
/// parses names as tokens) is left out. What surf's client frames differently from RFC 9112 is
/// an error, or a body that fails (see [`framing`]).
pub(crate) fn response_to_http(
    mut res: ht::Response,
    head_only: bool,
) -> Result<http::Response<ReaderBody<ht::Body>>, ConvertError> {
    let code = u16::from(res.status());
    let status = http::StatusCode::from_u16(code).map_err(|_| ConvertError::Status(code))?;
    let headers = headers_to_http(res.as_ref(), true)?;
    let framing = framing::check(status, &headers, head_only, res.len())?;
    let body = if head_only {
        ReaderBody::new(ht::Body::empty(), Some(0))
    } else {
        let body = res.take_body();
        match framing {
            Framing::Readable => {
                let len = body.len().map(|n| n as u64);
                ReaderBody::new(body, len)
            }
            Framing::ByClose => ReaderBody::unreadable(
                body,
                "the body is delimited by the close of the connection, which surf's client reads as empty",
            ),
        }
    };
    let mut out = http::Response::new(body);
    *out.status_mut() = status;
    *out.version_mut() = version_to_http(res.version());
    *out.headers_mut() = headers;
    Ok(out)
}

/// The engine's response as a surf response; its body streams. Fields http-types cannot hold
/// go to a [`RawHeaders`] extension.
pub(crate) fn response_from_http(
    res: http::Response<CacheBody>,
) -> Result<ht::Response, ConvertError> {
    let (head, body) = res.into_parts();
    let code = head.status.as_u16();
    let status = ht::StatusCode::try_from(code).map_err(|_| ConvertError::Status(code))?;
    let mut out = ht::Response::new(status);
    out.set_version(version_from_http(head.version));
    let len = body
        .size_hint()
        .exact()
        .and_then(|n| usize::try_from(n).ok());
    out.set_body(ht::Body::from_reader(BodyReader::new(body), len));
    // `set_body` adds the body's media type when the head has none; the head is the truth.
    out.remove_header(CONTENT_TYPE.as_str());
    let raw = headers_from_http(&head.headers, out.as_mut());
    if !raw.is_empty() {
        out.ext_mut().insert(RawHeaders(raw));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ht_request(lines: &[(&str, &str)]) -> ht::Request {
        let mut req = ht::Request::get("http://a.test/");
        for (n, v) in lines {
            req.append_header(*n, *v);
        }
        req
    }

    #[test]
    fn repeated_lines_keep_their_order_both_ways() {
        let req = ht_request(&[("x-multi", "a"), ("x-multi", "b"), ("x-multi", "c")]);
        let map = headers_to_http(req.as_ref(), false).unwrap();
        let got: Vec<_> = map.get_all("x-multi").iter().collect();
        assert_eq!(got, ["a", "b", "c"]);

        let mut back = ht::Request::get("http://a.test/");
        let raw = headers_from_http(&map, back.as_mut());
        assert!(raw.is_empty());
        let vals: Vec<&str> = back["x-multi"].iter().map(|v| v.as_str()).collect();
        assert_eq!(vals, ["a", "b", "c"]);
    }

    #[test]
    fn control_characters_become_spaces() {
        // What async-h1 writes into `Date` when a response has none.
        let req = ht_request(&[
            ("date", "date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"),
            ("x", "a\tb\x01c\x7f"),
        ]);
        let map = headers_to_http(req.as_ref(), false).unwrap();
        assert_eq!(map["date"], "date: Thu, 01 Jan 1970 00:00:00 GMT  ");
        assert_eq!(map["x"], "a\tb c ");
    }

    #[test]
    fn a_name_that_is_no_token_is_an_error() {
        let req = ht_request(&[("bad name", "v")]);
        assert!(matches!(
            headers_to_http(req.as_ref(), false),
            Err(ConvertError::FieldName { .. })
        ));
    }

    #[test]
    fn non_ascii_fields_move_whole_into_raw_headers() {
        let mut map = HeaderMap::new();
        map.append("x-raw", HeaderValue::from_static("plain"));
        map.append("x-raw", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        map.append(
            "x-utf8",
            HeaderValue::from_bytes("café".as_bytes()).unwrap(),
        );
        map.append("x-ok", HeaderValue::from_static("1"));
        let mut out = ht::Request::get("http://a.test/");
        let raw = headers_from_http(&map, out.as_mut());
        assert!(out.header("x-raw").is_none());
        assert!(out.header("x-utf8").is_none());
        assert_eq!(out["x-ok"], "1");
        let lines: Vec<&[u8]> = raw.get_all("x-raw").iter().map(|v| v.as_bytes()).collect();
        assert_eq!(lines, [&b"plain"[..], &b"caf\xe9"[..]]);
        assert_eq!(raw["x-utf8"].as_bytes(), "café".as_bytes());
    }

    #[test]
    fn versions_round_trip() {
        for v in [
            http::Version::HTTP_09,
            http::Version::HTTP_10,
            http::Version::HTTP_11,
            http::Version::HTTP_2,
            http::Version::HTTP_3,
        ] {
            assert_eq!(version_to_http(version_from_http(v)), v);
        }
        assert_eq!(version_to_http(None), http::Version::HTTP_11);
    }

    #[test]
    fn the_fragment_is_not_part_of_the_target() {
        let url = ht::Url::parse("http://a.test/p?q=1#frag").unwrap();
        assert_eq!(url_to_uri(&url).unwrap(), "http://a.test/p?q=1");
    }

    #[test]
    fn request_round_trip_keeps_switches_and_extensions() {
        #[derive(Debug, PartialEq)]
        struct Mine(u8);
        let mut req = ht::Request::post("http://a.test/x");
        req.append_header("x-multi", "a");
        req.append_header("x-multi", "b");
        req.set_body("hello");
        req.ext_mut().insert(CacheMode::NoStore);
        req.ext_mut().insert(Mine(7));
        let head = request_head_to_http(&req).unwrap();
        assert_eq!(
            head.extensions.get::<CacheMode>(),
            Some(&CacheMode::NoStore)
        );
        let http_req = request_to_http(head, req);
        assert_eq!(http_req.method(), http::Method::POST);
        assert_eq!(
            http_req.headers()["content-type"],
            "text/plain;charset=utf-8"
        );

        let back = request_from_http(http_req).unwrap();
        assert_eq!(back.method(), ht::Method::Post);
        assert_eq!(back.url().as_str(), "http://a.test/x");
        assert_eq!(back.ext().get::<Mine>(), Some(&Mine(7)));
        let vals: Vec<&str> = back["x-multi"].iter().map(|v| v.as_str()).collect();
        assert_eq!(vals, ["a", "b"]);
        assert_eq!(back["content-type"], "text/plain;charset=utf-8");
        assert_eq!(back.len(), Some(5));
    }

    #[test]
    fn a_request_without_content_type_gains_none() {
        let mut req = http::Request::new(ht::Body::from_bytes(vec![1, 2, 3]));
        *req.uri_mut() = "http://a.test/".parse().unwrap();
        let out = request_from_http(req).unwrap();
        assert!(out.header("content-type").is_none());
    }

    #[test]
    fn engine_response_keeps_its_head() {
        let res = http::Response::builder()
            .status(203)
            .header("x-multi", "a")
            .header("x-multi", "b")
            .body(CacheBody::full("hi"))
            .unwrap();
        let out = response_from_http(res).unwrap();
        assert_eq!(out.status(), ht::StatusCode::NonAuthoritativeInformation);
        assert!(out.header("content-type").is_none());
        assert_eq!(out.len(), Some(2));
        assert!(out.ext().get::<RawHeaders>().is_none());
        let vals: Vec<&str> = out["x-multi"].iter().map(|v| v.as_str()).collect();
        assert_eq!(vals, ["a", "b"]);
    }

    #[test]
    fn a_status_http_types_does_not_know_is_an_error() {
        let res = http::Response::builder()
            .status(299)
            .body(CacheBody::empty())
            .unwrap();
        assert!(matches!(
            response_from_http(res),
            Err(ConvertError::Status(299))
        ));
    }

    #[test]
    fn head_responses_have_no_body() {
        let mut res = ht::Response::new(ht::StatusCode::Ok);
        res.set_body("ten bytes!");
        let out = response_to_http(res, true).unwrap();
        assert!(out.body().is_end_stream());
        assert_eq!(out.body().size_hint().exact(), Some(0));
        assert_eq!(out.headers()["content-type"], "text/plain;charset=utf-8");
    }
}
