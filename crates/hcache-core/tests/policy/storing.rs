//! Storing responses (RFC 9111 §3): cacheable methods and status codes, `no-store`,
//! `private`, `Authorization` (§3.5), `must-understand` (§5.2.2.3), the fields never stored
//! (§3.1), `Vary: *` and the per-request cache mode. Every `storable!` row also checks that
//! `CachePolicy::storable` agrees with `CachePolicy::store`.

use hcache_core::{CacheMode, NotStorable as N, StatusSet};
use http::{HeaderMap, Method};

use crate::outcomes;
use crate::support::*;

const STORED: Result<(), N> = Ok(());

/// Asserts what `store()` answers for `case`, and that `storable()` answers the same.
fn check(case: &Case, expect: Result<(), N>, what: &str) {
    let got = case.store().map(|_| ());
    assert_eq!(got, expect, "{what}");
    let req = case.original_request();
    assert_eq!(
        case.policy().storable(&req, &case.response()),
        got,
        "{what}: storable() vs store()"
    );
}

/// One named test per row: `name: case => Ok(()) / Err(NotStorable::…);`.
macro_rules! storable {
    ($( $(#[$meta:meta])* $name:ident : $case:expr => $expect:expr; )*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                check(&$case, $expect, stringify!($name));
            }
        )*
    };
}

/// A response with explicit freshness.
fn max60() -> Case {
    Case::new().res("cache-control: max-age=60")
}

/// A response of `status` without any freshness information.
fn bare(status: u16) -> Case {
    Case::new().status(status)
}

/// The stored header section of `case`, as (name, value) pairs in order.
fn stored_fields(case: &Case) -> Vec<(String, String)> {
    pairs(case.stored().headers())
}

fn pairs(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
        .collect()
}

fn has(case: &Case, name: &str) -> bool {
    case.stored().headers().contains_key(name)
}

// ---- methods (§3: "the request method is understood by the cache") ----

storable! {
    s3_get_stored: max60() => STORED;
    // A HEAD response has no content: it only freshens a stored GET (§4.3.5).
    s3_head_never_stored: max60().method(Method::HEAD) => Err(N::Method);
    s3_head_not_stored_even_when_configured: max60().method(Method::HEAD).options(|o| o.cacheable_methods([Method::GET, Method::HEAD])) => Err(N::Method);
    s3_post_stored_when_configured: max60().method(Method::POST).options(|o| o.cacheable_methods([Method::GET, Method::POST])) => STORED;
    s3_get_not_stored_when_not_configured: max60().options(|o| o.cacheable_methods([Method::POST])) => Err(N::Method);
}

#[test]
fn s3_only_get_stored_by_default() {
    for m in [
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        check(&max60().method(m.clone()), Err(N::Method), m.as_str());
    }
}

// ---- status codes: heuristically cacheable ones (RFC 9110 §15.1) need no freshness ----

#[test]
fn s3_heuristic_statuses_stored_without_freshness() {
    // §3: storable with "a status code that is defined as heuristically cacheable", with or
    // without a Last-Modified to compute a heuristic lifetime from.
    for code in [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501] {
        check(&bare(code), STORED, &format!("{code}"));
        let with_lm = bare(code).res("last-modified: {T-10000}");
        check(&with_lm, STORED, &format!("{code} with Last-Modified"));
        assert_eq!(
            with_lm.lifetime(),
            1000,
            "{code}: heuristic freshness from Last-Modified"
        );
    }
}

#[test]
fn s3_other_statuses_need_explicit_freshness() {
    for code in [201, 302, 307, 400, 403, 500, 503] {
        check(&bare(code), Err(N::NoFreshness), &format!("{code}"));
        check(
            &bare(code).res("last-modified: {T-10000}"),
            Err(N::NoFreshness),
            &format!("{code} + Last-Modified"),
        );
    }
}

storable! {
    // §3: other final codes are stored with max-age, Expires, public, s-maxage (shared) or
    // private (private cache) — and not with an unknown extension.
    s3_201_with_max_age_stored: bare(201).res("cache-control: max-age=60") => STORED;
    s3_302_with_expires_stored: bare(302).res("expires: {T+60}") => STORED;
    s3_307_with_public_stored: bare(307).res("cache-control: public") => STORED;
    s3_500_with_max_age_stored: bare(500).res("cache-control: max-age=5") => STORED;
    s3_302_with_s_maxage_stored_by_shared_cache: bare(302).res("cache-control: s-maxage=60").shared() => STORED;
    s3_302_with_s_maxage_not_stored_by_private_cache: bare(302).res("cache-control: s-maxage=60") => Err(N::NoFreshness);
    s3_302_with_private_stored_by_private_cache: bare(302).res("cache-control: private") => STORED;
    s3_302_with_unknown_extension_not_stored: bare(302).res("cache-control: x-cache-me") => Err(N::NoFreshness);
}

storable! {
    // §3: "the response status code is final"; 1xx never, whatever the configuration.
    s3_100_never_stored: bare(100).res("cache-control: max-age=60") => Err(N::NotFinal);
    s3_103_never_stored: bare(103).res("cache-control: max-age=60").options(|o| o.cacheable_statuses((100..600).collect())) => Err(N::NotFinal);
    // §3.3: hcache does not combine ranges, so 206 is never stored.
    s3_3_206_never_stored: bare(206).res("cache-control: max-age=60") => Err(N::Partial);
    s3_3_206_not_stored_even_when_configured: bare(206).res("cache-control: max-age=60").options(|o| o.cacheable_statuses((200..600).collect()).heuristic_statuses([206].into_iter().collect())) => Err(N::Partial);
    // §3: a 304 only freshens a stored response (§4.3.4); it is not stored on its own.
    s3_304_never_stored: bare(304).res("cache-control: max-age=60") => Err(N::Status);
    s3_304_not_stored_even_when_configured: bare(304).res("cache-control: max-age=60").options(|o| o.cacheable_statuses((200..600).collect())) => Err(N::Status);
    // Configurable: cacheable_statuses and heuristic_statuses.
    s3_cacheable_statuses_can_exclude_200: max60().options(|o| o.cacheable_statuses([404].into_iter().collect())) => Err(N::Status);
    s3_cacheable_statuses_restricts_heuristic_404: bare(404).options(|o| o.cacheable_statuses([200].into_iter().collect())) => Err(N::Status);
    s3_empty_heuristic_statuses_needs_freshness: bare(200).options(|o| o.heuristic_statuses(StatusSet::empty())) => Err(N::NoFreshness);
    s3_empty_heuristic_statuses_with_max_age_stored: max60().options(|o| o.heuristic_statuses(StatusSet::empty())) => STORED;
    s3_heuristic_statuses_can_add_302: bare(302).options(|o| o.heuristic_statuses([200, 302].into_iter().collect())) => STORED;
}

// ---- no-store (§5.2.2.5 response, §5.2.1.5 request) ----

storable! {
    // §5.2.2.5: "a cache MUST NOT store any part of either the immediate request or response".
    s5_2_2_5_response_no_store_not_stored: Case::new().res("cache-control: no-store") => Err(N::ResponseNoStore);
    s5_2_2_5_response_no_store_beats_public_max_age: Case::new().res("cache-control: public, max-age=60, no-store") => Err(N::ResponseNoStore);
    s5_2_2_5_response_no_store_in_shared_cache: Case::new().res("cache-control: no-store, s-maxage=60").shared() => Err(N::ResponseNoStore);
    // §5.2.1.5: the same for a request carrying no-store.
    s5_2_1_5_request_no_store_not_stored: max60().req("cache-control: no-store") => Err(N::RequestNoStore);
    s5_2_1_5_request_no_store_beats_public: Case::new().res("cache-control: public, max-age=600").req("cache-control: max-age=0, no-store") => Err(N::RequestNoStore);
}

// ---- private (§5.2.2.7) ----

storable! {
    // "a shared cache MUST NOT store the response"; "a private cache MAY store the response ...
    // even if [it] would not otherwise be heuristically cacheable".
    s5_2_2_7_private_not_stored_by_shared_cache: Case::new().res("cache-control: private, max-age=60").shared() => Err(N::Private);
    s5_2_2_7_private_stored_by_private_cache: Case::new().res("cache-control: private, max-age=60") => STORED;
    s5_2_2_7_private_makes_201_storable_by_private_cache: bare(201).res("cache-control: private") => STORED;
    s5_2_2_7_qualified_private_stored_by_shared_cache: Case::new().res("cache-control: private=\"x-secret\", max-age=60").shared() => STORED;
}

#[test]
fn s5_2_2_7_qualified_private_fields_stripped_by_shared_cache() {
    let case = Case::new().shared().res_all(&[
        "cache-control: private=\"X-Secret, set-cookie\", max-age=60",
        "x-secret: 1",
        "set-cookie: a=1",
        "set-cookie: b=2",
        "x-public: 2",
    ]);
    assert!(!has(&case, "x-secret"));
    assert!(!has(&case, "set-cookie"));
    assert_eq!(case.stored().headers()["x-public"], "2");
}

#[test]
fn s5_2_2_7_qualified_private_fields_kept_by_private_cache() {
    let case = Case::new().res_all(&[
        "cache-control: private=\"x-secret\", max-age=60",
        "x-secret: 1",
    ]);
    assert_eq!(case.stored().headers()["x-secret"], "1");
}

// ---- Authorization (§3.5) ----

storable! {
    // §3.5: a shared cache stores a response to an authenticated request only with
    // must-revalidate, public or s-maxage.
    s3_5_authorization_not_stored_by_shared_cache: max60().req("authorization: Basic Zm9vOmJhcg==").shared() => Err(N::Authorization);
    s3_5_authorization_with_public_stored_by_shared_cache: Case::new().res("cache-control: public, max-age=60").req("authorization: Basic x").shared() => STORED;
    s3_5_authorization_with_must_revalidate_stored_by_shared_cache: Case::new().res("cache-control: must-revalidate, max-age=60").req("authorization: Basic x").shared() => STORED;
    s3_5_authorization_with_s_maxage_stored_by_shared_cache: Case::new().res("cache-control: s-maxage=60").req("authorization: Basic x").shared() => STORED;
    s3_5_authorization_with_proxy_revalidate_not_enough: Case::new().res("cache-control: proxy-revalidate, max-age=60").req("authorization: Basic x").shared() => Err(N::Authorization);
    s3_5_authorization_stored_by_private_cache: max60().req("authorization: Basic x") => STORED;
}

// ---- must-understand (§5.2.2.3) ----

storable! {
    // With an understood status, no-store is ignored; without one, nothing is stored.
    s5_2_2_3_must_understand_understood_status_ignores_no_store: Case::new().res("cache-control: must-understand, no-store, max-age=60") => STORED;
    s5_2_2_3_must_understand_understood_404_ignores_no_store: bare(404).res("cache-control: must-understand, no-store") => STORED;
    s5_2_2_3_must_understand_unknown_status_not_stored: bare(299).res("cache-control: must-understand, no-store, max-age=60") => Err(N::MustUnderstand);
    s5_2_2_3_must_understand_unknown_status_without_no_store_not_stored: bare(599).res("cache-control: must-understand, max-age=60") => Err(N::MustUnderstand);
    s5_2_2_3_understood_statuses_configurable: bare(299).res("cache-control: must-understand, no-store, max-age=60").options(|o| o.understood_statuses([200, 299].into_iter().collect())) => STORED;
    s5_2_2_3_status_removed_from_understood_not_stored: Case::new().res("cache-control: must-understand, no-store, max-age=60").options(|o| o.understood_statuses(StatusSet::empty())) => Err(N::MustUnderstand);
    s5_2_2_3_unknown_status_without_must_understand_needs_freshness: bare(299) => Err(N::NoFreshness);
}

outcomes! {
    // §5.2.2.3: stored despite no-store, the response is then reused normally.
    s5_2_2_3_must_understand_stored_response_fresh: Case::new().res("cache-control: must-understand, no-store, max-age=60"), at 30 => Fresh;
}

// ---- fields never stored (§3.1) ----

#[test]
fn s3_1_connection_and_fields_it_names_not_stored() {
    let case = max60().res_all(&[
        "connection: X-Hop, close",
        "x-hop: 1",
        "close: x",
        "x-kept: 2",
    ]);
    assert!(!has(&case, "connection") && !has(&case, "x-hop") && !has(&case, "close"));
    assert_eq!(case.stored().headers()["x-kept"], "2");
}

#[test]
fn s3_1_several_connection_lines_all_honoured() {
    let case = max60().res_all(&[
        "connection: x-a",
        "connection: X-B",
        "x-a: 1",
        "x-b: 2",
        "x-c: 3",
    ]);
    assert!(!has(&case, "x-a") && !has(&case, "x-b"));
    assert!(has(&case, "x-c"));
}

#[test]
fn s3_1_hop_by_hop_fields_not_stored() {
    for name in [
        "keep-alive",
        "te",
        "transfer-encoding",
        "upgrade",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authentication-info",
    ] {
        // (A transfer coding other than chunked is not stored at all: see rfc9112_s6_1_.)
        let value = if name == "transfer-encoding" {
            "chunked"
        } else {
            "v"
        };
        let case = max60().res(&format!("{name}: {value}")).res("x-kept: 1");
        assert!(!has(&case, name), "{name} must not be stored");
        assert!(has(&case, "x-kept"));
    }
}

#[test]
fn s3_1_unknown_and_end_to_end_fields_kept() {
    let case = max60().res_all(&[
        "x-unknown-field: a",
        "content-type: text/plain",
        "etag: \"v1\"",
        "set-cookie: s=1",
        "authentication-info: nextnonce=\"x\"",
    ]);
    assert_eq!(
        stored_fields(&case),
        [
            ("cache-control", "max-age=60"),
            ("x-unknown-field", "a"),
            ("content-type", "text/plain"),
            ("etag", "\"v1\""),
            ("set-cookie", "s=1"),
            ("authentication-info", "nextnonce=\"x\""),
        ]
        .map(|(n, v)| (n.to_string(), v.to_string()))
    );
}

#[test]
fn s3_1_repeated_field_lines_kept_in_order() {
    let case = max60().res_all(&["link: <a>", "x-other: 1", "link: <b>", "link: <c>"]);
    let stored = case.stored();
    let links: Vec<_> = stored.headers().get_all("link").iter().collect();
    assert_eq!(links, ["<a>", "<b>", "<c>"]);
}

// ---- Vary: * (§4.1: never matches, so not stored) ----

storable! {
    s4_1_vary_star_not_stored: max60().res("vary: *") => Err(N::VaryStar);
    s4_1_vary_star_in_a_list_not_stored: max60().res("vary: accept, *") => Err(N::VaryStar);
    s4_1_vary_star_in_second_line_not_stored: max60().res("vary: accept").res("vary: *") => Err(N::VaryStar);
    s4_1_vary_field_names_stored: max60().res("vary: accept, accept-encoding") => STORED;
}

// ---- per-request cache mode ----

#[test]
fn s3_cache_mode_no_store_in_extensions_not_stored() {
    let case = max60();
    let mut req = case.original_request();
    req.extensions.insert(CacheMode::NoStore);
    let policy = case.policy();
    let res = case.response();
    assert_eq!(policy.store(&req, &res, t(0), t(0)).err(), Some(N::Mode));
    assert_eq!(policy.storable(&req, &res), Err(N::Mode));
}

storable! {
    s3_cache_mode_no_store_configured_not_stored: max60().options(|o| o.mode(CacheMode::NoStore)) => Err(N::Mode);
    s3_cache_mode_reload_configured_still_stores: max60().options(|o| o.mode(CacheMode::Reload)) => STORED;
}

#[test]
fn s3_cache_mode_in_extensions_overrides_configured_no_store() {
    let case = max60().options(|o| o.mode(CacheMode::NoStore));
    let mut req = case.original_request();
    req.extensions.insert(CacheMode::Default);
    assert!(
        case.policy()
            .store(&req, &case.response(), t(0), t(0))
            .is_ok()
    );
}

// ---- message framing (RFC 9112 §6.1, §6.3): only a body the client fully decoded ----

storable! {
    // The one coding every HTTP/1.1 client removes.
    rfc9112_s6_1_chunked_stored: max60().res("transfer-encoding: chunked") => STORED;
    // A registered coding is still on the bytes: they are not the content.
    rfc9112_s6_1_x_gzip_not_stored: max60().res("transfer-encoding: X-GZip;level=9") => Err(N::Framing);
    rfc9112_s6_1_other_transfer_coding_not_stored: max60().res("transfer-encoding: gzip") => Err(N::Framing);
    rfc9112_s6_1_coding_under_chunked_not_stored: max60().res("transfer-encoding: gzip, chunked") => Err(N::Framing);
    rfc9112_s6_1_chunked_twice_not_stored: max60().res("transfer-encoding: chunked").res("transfer-encoding: chunked") => Err(N::Framing);
    // §6.3 item 3: Content-Length beside Transfer-Encoding says nothing true about the body.
    rfc9112_s6_3_transfer_encoding_with_content_length_not_stored: max60().res("transfer-encoding: chunked").res("content-length: 3") => Err(N::Framing);
    // A name outside the registry is no coding a sender applied: the close-delimited body is
    // stored without the field (§3.1), as http-cache-tests' headers-store-Transfer-Encoding
    // expects; with Content-Length beside it, the length is still in doubt.
    rfc9112_s6_1_unregistered_coding_stored: max60().res("transfer-encoding: zVYm8fX2Lkq") => STORED;
    rfc9112_s6_3_unregistered_coding_with_content_length_not_stored: max60().res("transfer-encoding: zVYm8fX2Lkq").res("content-length: 3") => Err(N::Framing);
    rfc9112_s6_3_content_length_alone_stored: max60().res("content-length: 3") => STORED;
}

// ---- malformed Cache-Control in a shared cache: it might be a mangled private (fail closed) ----

storable! {
    s5_2_malformed_member_not_stored_by_shared_cache: Case::new().res("cache-control: max-age=60; private").shared() => Err(N::Malformed);
    s5_2_non_token_name_not_stored_by_shared_cache: Case::new().res("cache-control: max-age=60, \"private\"").shared() => Err(N::Malformed);
    s5_2_spaced_argument_not_stored_by_shared_cache: Case::new().res("cache-control: max-age = 60").shared() => Err(N::Malformed);
    s5_2_unterminated_quote_not_stored_by_shared_cache: Case::new().res("cache-control: max-age=60, no-cache=\"x").shared() => Err(N::Malformed);
    // A well-formed unknown extension is ignored (§5.2.3), and a private cache reads leniently.
    s5_2_3_unknown_extension_stored_by_shared_cache: Case::new().res("cache-control: max-age=60, x-ext=\"a b\", x-flag").shared() => STORED;
    s5_2_malformed_member_stored_by_private_cache: Case::new().res("cache-control: max-age=60; private") => STORED;
}
