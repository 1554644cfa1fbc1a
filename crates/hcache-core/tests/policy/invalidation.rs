//! Invalidation (RFC 9111 §4.4): what a response to an unsafe method invalidates
//! (`CachePolicy::invalidations`, `invalidates`).

use hcache_core::{CacheKey, CacheOptions, CachePolicy, invalidates};
use http::{HeaderValue, Method};

use crate::support::*;

/// The keys `policy` invalidates after `method uri` (request fields `req_lines`) was answered
/// with `status` and `res_lines`.
fn keys_with(
    policy: &CachePolicy,
    method: Method,
    uri: &str,
    req_lines: &[&str],
    status: u16,
    res_lines: &[&str],
) -> Vec<String> {
    policy
        .invalidations(&req(method, uri, req_lines), &res(status, res_lines))
        .iter()
        .map(CacheKey::to_string)
        .collect()
}

/// The keys a default private cache invalidates after `method http://example.com/a/b`.
fn keys(method: Method, status: u16, res_lines: &[&str]) -> Vec<String> {
    keys_with(
        &CachePolicy::default(),
        method,
        "http://example.com/a/b",
        &[],
        status,
        res_lines,
    )
}

/// The keys invalidated after a `POST http://example.com/a/b` answered 201 with `Location:
/// location`.
fn after_location(location: &str) -> Vec<String> {
    keys(Method::POST, 201, &[&format!("Location: {location}")])
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).expect("method")
}

const TARGET: &str = "GET http://example.com/a/b";

/// `name: method, status => whether the target URI is invalidated;`
macro_rules! target_invalidated {
    ($( $name:ident : $method:expr, $status:expr => $expect:expr; )*) => {
        $(
            #[test]
            fn $name() {
                let keys = keys($method, $status, &[]);
                if $expect {
                    assert_eq!(keys, [TARGET]);
                } else {
                    assert!(keys.is_empty(), "{keys:?}");
                }
            }
        )*
    };
}

// §4.4: "A cache MUST invalidate the target URI when it receives a non-error status code in
// response to an unsafe request method (including methods whose safety is unknown)"; a
// non-error status is 2xx or 3xx.
target_invalidated! {
    s4_4_post_200_invalidates_target: Method::POST, 200 => true;
    s4_4_post_201_invalidates_target: Method::POST, 201 => true;
    s4_4_put_204_invalidates_target: Method::PUT, 204 => true;
    s4_4_delete_200_invalidates_target: Method::DELETE, 200 => true;
    s4_4_patch_200_invalidates_target: Method::PATCH, 200 => true;
    s4_4_unknown_method_invalidates_target: method("FROBNICATE"), 200 => true;
    s4_4_post_303_invalidates_target: Method::POST, 303 => true;
    s4_4_delete_301_invalidates_target: Method::DELETE, 301 => true;
    s4_4_put_304_invalidates_target: Method::PUT, 304 => true;
}

// §4.4: error statuses (4xx, 5xx) and interim 1xx responses are not "non-error" responses.
target_invalidated! {
    s4_4_post_400_invalidates_nothing: Method::POST, 400 => false;
    s4_4_put_404_invalidates_nothing: Method::PUT, 404 => false;
    s4_4_delete_409_invalidates_nothing: Method::DELETE, 409 => false;
    s4_4_post_500_invalidates_nothing: Method::POST, 500 => false;
    s4_4_patch_503_invalidates_nothing: Method::PATCH, 503 => false;
    s4_4_post_100_invalidates_nothing: Method::POST, 100 => false;
    s4_4_post_103_invalidates_nothing: Method::POST, 103 => false;
}

// §4.4 applies to unsafe methods only: safe methods (RFC 9110 §9.2.1) invalidate nothing.
target_invalidated! {
    s4_4_get_invalidates_nothing: Method::GET, 200 => false;
    s4_4_head_invalidates_nothing: Method::HEAD, 200 => false;
    s4_4_options_invalidates_nothing: Method::OPTIONS, 200 => false;
    s4_4_trace_invalidates_nothing: Method::TRACE, 200 => false;
}

#[test]
fn s4_4_invalidates_reports_unsafe_methods() {
    for m in [
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::CONNECT,
        method("FROBNICATE"),
    ] {
        assert!(invalidates(&m), "{m}");
    }
}

#[test]
fn s4_4_invalidates_skips_safe_methods() {
    for m in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE] {
        assert!(!invalidates(&m), "{m}");
    }
}

// §4.4: "the URI(s) in the Location and Content-Location response header fields (if present)
// are candidates for invalidation", resolved against the target URI (RFC 3986 §5).
#[test]
fn s4_4_absolute_location_same_origin_invalidated() {
    assert_eq!(
        after_location("http://example.com/x"),
        [TARGET, "GET http://example.com/x"]
    );
}

#[test]
fn s4_4_absolute_path_location_invalidated() {
    assert_eq!(after_location("/x"), [TARGET, "GET http://example.com/x"]);
}

#[test]
fn s4_4_relative_location_resolved_against_target() {
    assert_eq!(after_location("y"), [TARGET, "GET http://example.com/a/y"]);
}

#[test]
fn s4_4_query_only_location_keeps_target_path() {
    assert_eq!(
        after_location("?q=1"),
        [TARGET, "GET http://example.com/a/b?q=1"]
    );
}

#[test]
fn s4_4_network_path_location_same_host_invalidated() {
    assert_eq!(
        after_location("//example.com/x"),
        [TARGET, "GET http://example.com/x"]
    );
}

#[test]
fn s4_4_content_location_invalidated() {
    let keys = keys(Method::PUT, 200, &["Content-Location: /a/c"]);
    assert_eq!(keys, [TARGET, "GET http://example.com/a/c"]);
}

#[test]
fn s4_4_location_and_content_location_both_invalidated() {
    let keys = keys(
        Method::POST,
        201,
        &["Location: /l", "Content-Location: /cl"],
    );
    assert_eq!(
        keys,
        [
            TARGET,
            "GET http://example.com/l",
            "GET http://example.com/cl"
        ]
    );
}

#[test]
fn s4_4_location_not_invalidated_on_error() {
    assert!(keys(Method::POST, 400, &["Location: /x"]).is_empty());
}

// §4.4: "a cache MUST NOT trigger an invalidation under these conditions if the origin ... of
// the URI to be invalidated differs from that of the target URI".
#[test]
fn s4_4_location_on_other_host_excluded() {
    assert_eq!(after_location("http://other.example/x"), [TARGET]);
}

#[test]
fn s4_4_network_path_location_on_other_host_excluded() {
    assert_eq!(after_location("//other.example/x"), [TARGET]);
}

#[test]
fn s4_4_location_with_other_scheme_excluded() {
    assert_eq!(after_location("https://example.com/x"), [TARGET]);
}

#[test]
fn s4_4_location_on_other_port_excluded() {
    assert_eq!(after_location("http://example.com:8080/x"), [TARGET]);
}

#[test]
fn s4_4_content_location_on_other_host_excluded() {
    let keys = keys(
        Method::PUT,
        200,
        &["Content-Location: http://evil.example/a/b"],
    );
    assert_eq!(keys, [TARGET]);
}

// RFC 9110 §4.3.1 / §4.2.3: the origin is scheme, host (case-insensitive) and port with the
// scheme's default applied.
#[test]
fn s4_4_explicit_default_port_is_same_origin() {
    assert_eq!(
        after_location("http://example.com:80/x"),
        [TARGET, "GET http://example.com/x"]
    );
}

#[test]
fn s4_4_target_with_explicit_default_port_is_same_origin() {
    let keys = keys_with(
        &CachePolicy::default(),
        Method::POST,
        "http://example.com:80/a/b",
        &[],
        201,
        &["Location: http://example.com/x"],
    );
    assert_eq!(keys, [TARGET, "GET http://example.com/x"]);
}

#[test]
fn s4_4_host_case_does_not_change_origin() {
    assert_eq!(
        after_location("HTTP://EXAMPLE.COM/x"),
        [TARGET, "GET http://example.com/x"]
    );
}

#[test]
fn s4_4_https_default_port_is_same_origin() {
    let keys = keys_with(
        &CachePolicy::default(),
        Method::POST,
        "https://example.com/a",
        &[],
        201,
        &["Location: https://example.com:443/x"],
    );
    assert_eq!(
        keys,
        ["GET https://example.com/a", "GET https://example.com/x"]
    );
}

// RFC 9110 §7.1: an origin-form request target takes its authority from Host.
#[test]
fn s4_4_origin_form_target_uses_host() {
    let keys = keys_with(
        &CachePolicy::default(),
        Method::POST,
        "/items",
        &["Host: Example.com"],
        201,
        &[
            "Location: /items/7",
            "Content-Location: http://other.example/items/7",
        ],
    );
    assert_eq!(
        keys,
        [
            "GET http://example.com/items",
            "GET http://example.com/items/7"
        ]
    );
}

#[test]
fn s4_4_origin_form_target_absolute_location_same_host() {
    let keys = keys_with(
        &CachePolicy::default(),
        Method::DELETE,
        "/items/7",
        &["Host: example.com"],
        200,
        &["Location: http://example.com/items"],
    );
    assert_eq!(
        keys,
        [
            "GET http://example.com/items/7",
            "GET http://example.com/items"
        ]
    );
}

// A Location that is no URI reference is ignored; the target is still invalidated.
#[test]
fn s4_4_invalid_location_ignored() {
    assert_eq!(after_location("/a b"), [TARGET]);
    assert_eq!(after_location("http://[bad/x"), [TARGET]);
}

// RFC 3986 §4.2: a reference with a scheme is absolute, never a relative path to merge.
#[test]
fn s4_4_location_with_other_scheme_syntax_ignored() {
    assert_eq!(after_location("mailto:a@example.com"), [TARGET]);
    assert_eq!(after_location("urn:isbn:0451450523"), [TARGET]);
}

#[test]
fn s4_4_non_utf8_location_ignored() {
    let mut response = res(201, &[]);
    response.headers.insert(
        "location",
        HeaderValue::from_bytes(b"/caf\xe9").expect("obs-text"),
    );
    let keys: Vec<String> = CachePolicy::default()
        .invalidations(&req(Method::POST, "http://example.com/a/b", &[]), &response)
        .iter()
        .map(CacheKey::to_string)
        .collect();
    assert_eq!(keys, [TARGET]);
}

// The invalidated keys are primary cache keys (§2): normalised like the key a later GET
// looks up, transformed by the configured key function, and listed once.
#[test]
fn s4_4_invalidated_key_is_what_a_later_get_looks_up() {
    let policy = CachePolicy::default();
    let post = req(Method::POST, "HTTP://Example.COM:80/a/%62", &[]);
    let get = req(Method::GET, "http://example.com/a/b", &[]);
    let keys = policy.invalidations(&post, &res(200, &[]));
    assert_eq!(keys, [policy.cache_key(&get).expect("cacheable")]);
}

#[test]
fn s4_4_key_fn_applied_to_invalidated_keys() {
    let policy = CachePolicy::new(
        CacheOptions::default()
            .key_fn(|p| CacheKey::new(format!("custom:{} {}", p.method, p.uri.path()))),
    );
    let keys = keys_with(
        &policy,
        Method::POST,
        "http://example.com/items",
        &[],
        201,
        &["Location: /items/7"],
    );
    assert_eq!(keys, ["custom:GET /items", "custom:GET /items/7"]);
}

#[test]
fn s4_4_duplicate_targets_listed_once() {
    let keys = keys(
        Method::PUT,
        200,
        &[
            "Location: /a/b",
            "Content-Location: http://example.com:80/a/%62",
        ],
    );
    assert_eq!(keys, [TARGET]);
}

#[test]
fn s4_4_location_equal_to_content_location_listed_once() {
    let keys = keys(Method::POST, 201, &["Location: /x", "Content-Location: /x"]);
    assert_eq!(keys, [TARGET, "GET http://example.com/x"]);
}
