//! A response to POST reused for later GET and HEAD requests (RFC 9110 §9.3.3): stored under
//! the target URI's GET key when it has explicit freshness and a `Content-Location` naming
//! that URI; the POST still invalidates (RFC 9111 §4.4) and is never answered from the cache.

use bytes::Bytes;
use hcache_core::{CacheOptions, CacheStore};
use http::Method;
use http_body_util::Full;

use crate::for_each_store;
use crate::support::{Got, Harness, Reply, T0, date};

/// The IMF-fixdate 30 days before `T0`.
fn a_month_before_t0() -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(T0 - 30 * 86_400);
    httpdate::fmt_http_date(at)
}

for_each_store!(
    rfc9110_s9_3_3_post_response_reused_for_get_and_head,
    rfc9110_s9_3_3_post_response_elsewhere_only_invalidates,
    rfc9110_s9_3_3_post_response_without_freshness_not_stored,
    rfc9110_s9_3_3_post_response_too_large_passes_through[max_entry_size = 8],
);

/// An origin answering POST with `post` (given the request count) and GET with a fresh
/// `get {n}`.
async fn harness<S: CacheStore>(
    store: S,
    post: impl Fn(usize) -> Reply + Send + Sync + 'static,
) -> Harness<S> {
    Harness::new(store, CacheOptions::default(), move |req, n| {
        if req.method == Method::POST {
            post(n)
        } else {
            Reply::ok(&format!("get {n}"))
                .header("cache-control", "max-age=600")
                .header("date", &date(0))
        }
    })
    .await
}

/// POSTs `12345` as text to `path` through the engine.
async fn post<S: CacheStore>(h: &Harness<S>, path: &str) -> Got {
    let req = h
        .request(Method::POST, path)
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from_static(b"12345")))
        .expect("request");
    h.send_request(req).await.expect("POST")
}

async fn rfc9110_s9_3_3_post_response_reused_for_get_and_head<S: CacheStore>(store: S) {
    let h = harness(store, |n| {
        Reply::ok(&format!("posted {n}"))
            .header("cache-control", "max-age=600")
            .header("content-location", "/p")
            .header("date", &date(0))
    })
    .await;
    assert_eq!(h.get("/p").await.text(), "get 0");
    let posted = post(&h, "/p").await;
    assert_eq!(posted.text(), "posted 1");
    assert_eq!(
        posted.cache_status(),
        "hcache; fwd=method; fwd-status=200; stored"
    );
    let stats = h.engine.stats();
    assert_eq!(
        (stats.engine.invalidated, stats.engine.stored),
        (1, 2),
        "§4.4: the earlier GET response invalidated; the POST's stored"
    );
    h.advance(10);
    let got = h.get("/p").await;
    assert_eq!(got.text(), "posted 1", "the POST's response serves the GET");
    assert_eq!(got.cache_status(), "hcache; hit; ttl=590");
    assert_eq!(got.header("content-location"), "/p");
    let head = h.head("/p", &[]).await;
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(head.cache_status(), "hcache; hit; ttl=590");
    assert_eq!(h.origin.hits(), 2);

    // A POST is never answered from the cache; its new response replaces the stored one.
    let again = post(&h, "/p").await;
    assert_eq!(again.text(), "posted 2");
    assert_eq!(h.origin.hits(), 3);
    assert_eq!(h.get("/p").await.text(), "posted 2");
    assert_eq!(h.engine.store().stats().entries, 1);
}

async fn rfc9110_s9_3_3_post_response_elsewhere_only_invalidates<S: CacheStore>(store: S) {
    // Content-Location names another resource: its content is no representation of /p.
    let h = harness(store, |n| {
        Reply::ok(&format!("posted {n}"))
            .header("cache-control", "max-age=600")
            .header("content-location", "/q")
    })
    .await;
    h.get("/p").await;
    h.get("/q").await;
    assert_eq!(h.engine.store().stats().entries, 2);
    let posted = post(&h, "/p").await;
    assert_eq!(posted.cache_status(), "hcache; fwd=method; fwd-status=200");
    assert_eq!(
        h.engine.store().stats().entries,
        0,
        "§4.4: target and Content-Location invalidated, nothing stored"
    );
    assert_eq!(h.get("/p").await.text(), "get 3");
    assert_eq!(h.get("/q").await.text(), "get 4");
}

async fn rfc9110_s9_3_3_post_response_without_freshness_not_stored<S: CacheStore>(store: S) {
    // Heuristic freshness (a Last-Modified) is not explicit freshness.
    let h = harness(store, |n| {
        Reply::ok(&format!("posted {n}"))
            .header("content-location", "/p")
            .header("date", &date(0))
            .header("last-modified", &a_month_before_t0())
    })
    .await;
    let posted = post(&h, "/p").await;
    assert_eq!(posted.cache_status(), "hcache; fwd=method; fwd-status=200");
    assert_eq!(h.get("/p").await.text(), "get 1");
    assert_eq!(h.origin.hits(), 2);
}

async fn rfc9110_s9_3_3_post_response_too_large_passes_through<S: CacheStore>(store: S) {
    let h = harness(store, |_| {
        Reply::ok("0123456789abcdef")
            .header("cache-control", "max-age=600")
            .header("content-location", "/p")
    })
    .await;
    let posted = post(&h, "/p").await;
    assert_eq!(posted.text(), "0123456789abcdef");
    assert_eq!(posted.cache_status(), "hcache; fwd=method; fwd-status=200");
    assert_eq!(h.engine.stats().engine.too_large, 1);
    assert_eq!(h.get("/p").await.text(), "get 1");
}
