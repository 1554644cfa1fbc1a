//! RFC 9111 §7.1 (cache poisoning through key confusion): the primary key (§2, §4) is the
//! method and the target URI, normalised only where RFC 9110 §4.2.3 makes two spellings the
//! same resource — host case, a default port, percent-encoded unreserved characters, hex case.
//! Everything else keeps responses apart: another host, port or scheme, an encoded `/`, another
//! query string — and a `Host` that names another host than the request's absolute URI.
//!
//! The origin answers each request with the host and target it was asked for, so a response
//! served for the wrong key shows.

use super::{Shared, host};
use crate::support::Reply;

/// An origin answering `public` responses naming the host and target asked for.
async fn echo() -> Shared {
    Shared::start(|req, _| {
        Reply::ok(&format!("{}{}", host(req), req.uri))
            .header("cache-control", "public, max-age=60")
    })
    .await
}

/// `target` is served from the cache, with `expected` (another spelling's response).
async fn same(cache: &Shared, target: &str, headers: &[(&str, &str)], expected: &str) {
    let got = cache.get(target, headers).await;
    assert_eq!(
        got.cache_status(),
        "hcache; hit; ttl=60",
        "{target} is a hit"
    );
    assert_eq!(got.text(), expected, "{target}");
}

/// `target` goes to the origin and gets its own response, `expected`.
async fn apart(cache: &Shared, target: &str, headers: &[(&str, &str)], expected: &str) {
    let hits = cache.origin.hits();
    let got = cache.get(target, headers).await;
    assert_eq!(cache.origin.hits(), hits + 1, "{target} went to the origin");
    assert_eq!(got.text(), expected, "{target}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s7_1_key_host_case_and_default_port_are_one_resource() {
    let cache = echo().await;
    apart(&cache, "http://Shop.Test/item", &[], "Shop.Test/item").await;
    same(&cache, "http://shop.test/item", &[], "Shop.Test/item").await;
    same(&cache, "http://SHOP.TEST:80/item", &[], "Shop.Test/item").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s7_1_key_other_host_port_or_scheme_never_shares() {
    let cache = echo().await;
    apart(&cache, "http://a.test/item", &[], "a.test/item").await;
    apart(&cache, "http://b.test/item", &[], "b.test/item").await;
    apart(&cache, "http://a.test:8080/item", &[], "a.test:8080/item").await;
    apart(
        &cache,
        "http://a.test.b.test/item",
        &[],
        "a.test.b.test/item",
    )
    .await;
    apart(&cache, "https://a.test/item", &[], "a.test/item").await;
    same(&cache, "http://a.test/item", &[], "a.test/item").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s7_1_key_percent_encoding() {
    let cache = echo().await;
    // An encoded unreserved character is that character (RFC 3986 §6.2.2.2).
    apart(&cache, "http://a.test/~user", &[], "a.test/~user").await;
    same(&cache, "http://a.test/%7Euser", &[], "a.test/~user").await;
    same(&cache, "http://a.test/%7euser", &[], "a.test/~user").await;
    // An encoded `/` is not a path separator: another resource. Hex case is not significant.
    apart(&cache, "http://a.test/a%2Fb", &[], "a.test/a%2Fb").await;
    apart(&cache, "http://a.test/a/b", &[], "a.test/a/b").await;
    same(&cache, "http://a.test/a%2fb", &[], "a.test/a%2Fb").await;
    // Other reserved characters stay encoded, and apart from their decoded forms.
    apart(&cache, "http://a.test/q%3Fx", &[], "a.test/q%3Fx").await;
    apart(&cache, "http://a.test/q?x", &[], "a.test/q?x").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s7_1_key_query_strings() {
    let cache = echo().await;
    apart(&cache, "http://a.test/q?a=1&b=2", &[], "a.test/q?a=1&b=2").await;
    // Order, presence and content of the query all count: no reordering, no dropping.
    apart(&cache, "http://a.test/q?b=2&a=1", &[], "a.test/q?b=2&a=1").await;
    apart(&cache, "http://a.test/q?a=1", &[], "a.test/q?a=1").await;
    apart(&cache, "http://a.test/q", &[], "a.test/q").await;
    apart(&cache, "http://a.test/q?", &[], "a.test/q?").await;
    apart(&cache, "http://a.test/q?a=1&b=3", &[], "a.test/q?a=1&b=3").await;
    same(&cache, "http://a.test/q?a=1&b=2", &[], "a.test/q?a=1&b=2").await;
    same(&cache, "http://a.test/q?a=%31&b=2", &[], "a.test/q?a=1&b=2").await;
}

/// An origin-form target takes its host from `Host` (RFC 9110 §7.1): the same resource as
/// the absolute form naming that host, another one when `Host` names another host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s7_1_key_origin_form_takes_the_host_field() {
    let cache = echo().await;
    apart(&cache, "http://a.test/page", &[], "a.test/page").await;
    same(&cache, "/page", &[("host", "a.test")], "a.test/page").await;
    same(&cache, "/page", &[("host", "A.TEST:80")], "a.test/page").await;
    apart(&cache, "/page", &[("host", "b.test")], "b.test/page").await;
    same(&cache, "http://b.test/page", &[], "b.test/page").await;
}

/// An absolute URI with a `Host` naming another host: the origin answers for the host in
/// `Host` (HTTP clients send the caller's `Host`), so that response must never be stored as
/// the URI's — else every later request for the URI gets another host's page (poisoning).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s7_1_key_host_field_disagreeing_with_the_uri_never_poisons() {
    let cache = echo().await;
    let poison = cache
        .get("http://a.test/other", &[("host", "evil.test")])
        .await;
    assert_eq!(
        poison.text(),
        "evil.test/other",
        "the origin answered for Host"
    );
    apart(&cache, "http://a.test/other", &[], "a.test/other").await;
    apart(&cache, "http://evil.test/other", &[], "evil.test/other").await;
    same(&cache, "http://a.test/other", &[], "a.test/other").await;
}
