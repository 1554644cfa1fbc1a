//! Strategies for the property tests: field values built from directive names, dates,
//! entity-tags, quoting characters and raw bytes; whole exchanges around them.

use hcache_core::{CacheMode, CacheOptions, CachePolicy, StoredResponse, VaryKey};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Version, request, response};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::{MAX_DATE, at, wide_secs};

/// Fragments field values are built from: directives, arguments, dates, entity-tags,
/// separators and quoting characters.
pub(super) const PIECES: &[&str] = &[
    "max-age",
    "s-maxage",
    "no-store",
    "no-cache",
    "private",
    "public",
    "must-revalidate",
    "proxy-revalidate",
    "must-understand",
    "immutable",
    "stale-while-revalidate",
    "stale-if-error",
    "max-stale",
    "min-fresh",
    "only-if-cached",
    "no-transform",
    "=",
    ",",
    ", ",
    "\"",
    "\\",
    "W/",
    "*",
    ";",
    " ",
    "\t",
    "0",
    "60",
    "-1",
    "1.5",
    "2147483648",
    "99999999999999999999999999999",
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "gmt",
    "\"v1\"",
    "accept",
    "x-a",
    "content-length",
    "connection",
    "http://example.com/x",
    "//other/x",
    "/x",
    "?q",
    "..",
    "%2F",
    ":8080",
    "[::1]",
];

pub(super) fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => select(PIECES).prop_map(|s| s.as_bytes().to_vec()),
        2 => vec(0x20u8..0x7f, 1..8),
        2 => vec(0x80u8..=0xff, 1..4),
        1 => vec(any::<u8>(), 1..4),
        1 => "[0-9]{1,30}".prop_map(String::into_bytes),
        1 => (0..=MAX_DATE).prop_map(|s| httpdate::fmt_http_date(at(s as i64)).into_bytes()),
    ]
}

/// Arbitrary bytes for a field value (some are rejected by `HeaderValue` and skipped).
pub(super) fn value_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(piece(), 0..8).prop_map(|p| p.concat())
}

pub(super) type Fields = Vec<(&'static str, Vec<u8>)>;

pub(super) const RESPONSE_FIELDS: &[&str] = &[
    "cache-control",
    "cache-control",
    "pragma",
    "age",
    "expires",
    "date",
    "last-modified",
    "etag",
    "vary",
    "content-length",
    "content-range",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "location",
    "content-location",
    "cdn-cache-control",
    "x-a",
];
pub(super) const REQUEST_FIELDS: &[&str] = &[
    "cache-control",
    "cache-control",
    "pragma",
    "if-none-match",
    "if-modified-since",
    "if-match",
    "if-unmodified-since",
    "if-range",
    "range",
    "authorization",
    "accept",
    "x-a",
    "host",
];

pub(super) fn fields(names: &'static [&'static str]) -> impl Strategy<Value = Fields> {
    vec((select(names), value_bytes()), 0..8)
}

pub(super) fn header_map(fields: &Fields) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in fields {
        if let Ok(v) = HeaderValue::from_bytes(value) {
            h.append(HeaderName::from_static(name), v);
        }
    }
    h
}

pub(super) const URIS: &[&str] = &[
    "http://example.com/r",
    "https://Example.COM:443/a/b?q=1",
    "http://example.com:8080/%7e%2f",
    "/origin-form?x",
    "http://[::1]:80/x",
    "*",
];

pub(super) fn method() -> impl Strategy<Value = Method> {
    select(vec![
        Method::GET,
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
        Method::from_bytes(b"FROB").expect("method"),
    ])
}

pub(super) fn request_parts(
    method: &Method,
    uri: &str,
    fields: &Fields,
    mode: Option<CacheMode>,
) -> request::Parts {
    let mut p = http::Request::builder()
        .method(method.clone())
        .uri(uri)
        .body(())
        .expect("request")
        .into_parts()
        .0;
    p.headers = header_map(fields);
    if let Some(m) = mode {
        p.extensions.insert(m);
    }
    p
}

pub(super) fn response_parts(status: u16, fields: &Fields) -> response::Parts {
    let mut p = http::Response::builder()
        .status(status)
        .body(())
        .expect("response")
        .into_parts()
        .0;
    p.headers = header_map(fields);
    p
}

pub(super) fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => select(vec![200u16, 203, 204, 206, 301, 304, 404, 410, 500, 503]),
        1 => 100u16..1000,
    ]
}

pub(super) fn options(shared: bool, targeted: bool) -> CacheOptions {
    let o = CacheOptions::default().shared(shared);
    if targeted {
        o.targeted_fields([HeaderName::from_static("cdn-cache-control")])
    } else {
        o
    }
}

/// One exchange with arbitrary fields, times and statuses, and what follows it: a later
/// request, a 304 and a HEAD response.
#[derive(Debug, Clone)]
pub(super) struct Exchange {
    pub(super) shared: bool,
    pub(super) targeted: bool,
    pub(super) method: Method,
    pub(super) uri: &'static str,
    pub(super) req: Fields,
    pub(super) status: u16,
    pub(super) res: Fields,
    pub(super) times: (i64, i64, i64),
    pub(super) next_method: Method,
    pub(super) next: Fields,
    pub(super) mode: Option<CacheMode>,
    pub(super) not_modified: Fields,
    pub(super) head: (u16, Fields),
}

pub(super) fn exchange() -> impl Strategy<Value = Exchange> {
    let mode = proptest::option::of(select(vec![
        CacheMode::Default,
        CacheMode::NoStore,
        CacheMode::Reload,
        CacheMode::NoCache,
        CacheMode::ForceCache,
        CacheMode::OnlyIfCached,
    ]));
    (
        (any::<bool>(), any::<bool>(), method(), select(URIS)),
        (fields(REQUEST_FIELDS), status(), fields(RESPONSE_FIELDS)),
        (wide_secs(), wide_secs(), wide_secs()),
        (method(), fields(REQUEST_FIELDS), mode),
        (fields(RESPONSE_FIELDS), status(), fields(RESPONSE_FIELDS)),
    )
        .prop_map(
            |(
                (shared, targeted, method, uri),
                (req, status, res),
                times,
                (nm, next, mode),
                (n, hs, h),
            )| {
                Exchange {
                    shared,
                    targeted,
                    method,
                    uri,
                    req,
                    status,
                    res,
                    times,
                    next_method: nm,
                    next,
                    mode,
                    not_modified: n,
                    head: (hs, h),
                }
            },
        )
}

impl Exchange {
    pub(super) fn policy(&self) -> CachePolicy {
        CachePolicy::new(options(self.shared, self.targeted))
    }
    pub(super) fn request(&self) -> request::Parts {
        request_parts(&self.method, self.uri, &self.req, None)
    }
    pub(super) fn response(&self) -> response::Parts {
        response_parts(self.status, &self.res)
    }
    pub(super) fn next_request(&self) -> request::Parts {
        request_parts(&self.next_method, self.uri, &self.next, self.mode)
    }
    /// The stored response: as `store` captured it, else (not storable) rebuilt from the
    /// response as a store would persist it, so every later step still runs.
    pub(super) fn stored(&self) -> StoredResponse {
        let (rq, rs, _) = self.times;
        let policy = self.policy();
        let response = self.response();
        policy
            .store(&self.request(), &response, at(rq), at(rs))
            .unwrap_or_else(|_| {
                StoredResponse::from_parts(
                    response.status,
                    Version::HTTP_11,
                    response.headers.clone(),
                    VaryKey::default(),
                    at(rq),
                    at(rs),
                    policy.options(),
                )
            })
    }
}
