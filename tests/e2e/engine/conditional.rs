//! The caller's own conditional requests (RFC 9111 §4.3.2) and HEAD (§4.3.5, RFC 9110 §9.3.2).

use hcache_core::{CacheOptions, CacheStore};
use http::Method;

use crate::for_each_store;
use crate::support::{Harness, Reply};

for_each_store!(
    s4_3_2_caller_inm_matching_fresh_etag_304_from_cache,
    s4_3_2_caller_conditional_on_stale_entry_304_freshens,
    s4_3_2_caller_etag_differs_200_from_stored_after_304,
    s4_3_2_304_for_callers_own_validator_passes_through,
    s4_3_5_head_on_fresh_get_served_from_cache,
    s4_3_5_head_forwarded_when_nothing_stored,
    s4_3_5_head_200_with_new_etag_invalidates_stored_get,
    s4_3_5_head_200_with_same_etag_updates_stored_get,
);

/// An origin serving "payload" with ETag `"v1"` for `max_age` seconds, answering 304 (with
/// `x-validated: yes`) to a request whose `If-None-Match` lists `"v1"`.
fn etag_origin(max_age: u32) -> impl Fn(&http::request::Parts, usize) -> Reply + Send + Sync {
    move |req, _| {
        let cc = format!("max-age={max_age}");
        let listed = req
            .headers
            .get_all("if-none-match")
            .iter()
            .any(|v| v.to_str().unwrap_or("").contains("\"v1\""));
        if listed {
            Reply::new(304)
                .header("cache-control", &cc)
                .header("etag", "\"v1\"")
                .header("x-validated", "yes")
        } else {
            Reply::ok("payload")
                .header("cache-control", &cc)
                .header("etag", "\"v1\"")
                .header("content-type", "text/plain")
        }
    }
}

async fn s4_3_2_caller_inm_matching_fresh_etag_304_from_cache<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), etag_origin(60)).await;
    h.get("/c").await;
    h.advance(5);
    let got = h.get_with("/c", &[("if-none-match", "\"v1\"")]).await;
    assert_eq!(
        got.status, 304,
        "§4.3.2: the cache evaluates the caller's precondition"
    );
    assert!(got.body.is_empty());
    assert_eq!(got.header("etag"), "\"v1\"");
    assert_eq!(got.header("age"), "5");
    assert_eq!(
        got.header("content-type"),
        "",
        "a 304 carries no content metadata"
    );
    assert_eq!(got.cache_status(), "hcache; hit; ttl=55");
    // The weak comparison applies (RFC 9110 §13.1.2), and a list matches if any member does.
    let weak = h
        .get_with("/c", &[("if-none-match", "\"x\", W/\"v1\"")])
        .await;
    assert_eq!(weak.status, 304);
    // A tag that does not match gets the stored 200.
    let other = h.get_with("/c", &[("if-none-match", "\"v0\"")]).await;
    assert_eq!((other.status, other.text().as_str()), (200, "payload"));
    assert_eq!(h.origin.hits(), 1, "no origin request for any of them");
}

async fn s4_3_2_caller_conditional_on_stale_entry_304_freshens<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), etag_origin(10)).await;
    h.get("/c").await;
    h.advance(30);
    let got = h.get_with("/c", &[("if-none-match", "\"v1\"")]).await;
    assert_eq!(
        got.status, 304,
        "the caller's validator matched: the 304 is theirs"
    );
    assert!(got.body.is_empty());
    assert_eq!(got.cache_status(), "hcache; fwd=stale; fwd-status=304");
    let sent = h.origin.sent(1, "if-none-match");
    assert_eq!(sent, ["\"v1\""], "the caller's tag is ours: sent once");
    // The stored response was freshened by the 304 (§4.3.4).
    let hit = h.get("/c").await;
    assert_eq!((hit.status, hit.text().as_str()), (200, "payload"));
    assert_eq!(hit.header("x-validated"), "yes");
    assert_eq!(hit.cache_status(), "hcache; hit; ttl=10");
    assert_eq!(h.origin.hits(), 2);
    assert_eq!(h.engine.stats().engine.not_modified, 1);
}

async fn s4_3_2_caller_etag_differs_200_from_stored_after_304<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), etag_origin(10)).await;
    h.get("/c").await;
    h.advance(30);
    let got = h.get_with("/c", &[("if-none-match", "\"v0\"")]).await;
    // §4.3.2: the cache adds its own validator to the caller's; the 304 names ours, so the
    // caller's precondition failed and it gets the (freshened) stored response.
    let sent = h.origin.sent(1, "if-none-match");
    assert_eq!(sent.join(", "), "\"v0\", \"v1\"");
    assert_eq!((got.status, got.text().as_str()), (200, "payload"));
    assert_eq!(got.header("x-validated"), "yes");
    assert_eq!(got.cache_status(), "hcache; fwd=stale; fwd-status=304");
    assert_eq!(h.get("/c").await.cache_status(), "hcache; hit; ttl=10");
    assert_eq!(h.origin.hits(), 2);
}

async fn s4_3_2_304_for_callers_own_validator_passes_through<S: CacheStore>(store: S) {
    // The caller holds "v0" and the origin says "v0" is current: the stored "v1" is not the
    // selected representation, so it must neither be freshened (§4.3.4) nor served.
    let h = Harness::new(store, CacheOptions::default(), |req, n| {
        if n > 0 && req.headers.get("if-none-match").is_some() {
            Reply::new(304)
                .header("cache-control", "max-age=10")
                .header("etag", "\"v0\"")
        } else {
            Reply::ok("v1 payload")
                .header("cache-control", "max-age=10")
                .header("etag", "\"v1\"")
        }
    })
    .await;
    h.get("/c").await;
    h.advance(30);
    let got = h.get_with("/c", &[("if-none-match", "\"v0\"")]).await;
    assert_eq!(got.status, 304, "the 304 answers the caller's validator");
    assert_eq!(got.header("etag"), "\"v0\"");
    assert!(got.body.is_empty());
    assert_eq!(got.cache_status(), "hcache; fwd=stale; fwd-status=304");
    // The stored response was not freshened: the next plain request validates again.
    let next = h.get("/c").await;
    assert_eq!(next.cache_status(), "hcache; fwd=stale; fwd-status=304");
    assert_eq!(h.origin.hits(), 3);
}

async fn s4_3_5_head_on_fresh_get_served_from_cache<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |_, _| {
        Reply::ok("payload")
            .header("cache-control", "max-age=60")
            .header("etag", "\"v1\"")
            .header("x-custom", "kept")
    })
    .await;
    h.get("/h").await;
    h.advance(10);
    let head = h.head("/h", &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD: no content");
    assert_eq!(
        head.header("content-length"),
        "7",
        "the stored GET's fields"
    );
    assert_eq!(head.header("etag"), "\"v1\"");
    assert_eq!(head.header("x-custom"), "kept");
    assert_eq!(head.header("age"), "10");
    assert_eq!(head.cache_status(), "hcache; hit; ttl=50");
    assert_eq!(h.origin.hits(), 1, "served from the stored GET");
}

async fn s4_3_5_head_forwarded_when_nothing_stored<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |_, n| {
        Reply::ok(&format!("payload {n}")).header("cache-control", "max-age=60")
    })
    .await;
    let head = h.head("/h", &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.cache_status(), "hcache; fwd=uri-miss; fwd-status=200");
    assert_eq!(h.origin.request(0).method, Method::HEAD);
    assert_eq!(
        h.engine.store().stats().entries,
        0,
        "a HEAD response is never stored"
    );
    let get = h.get("/h").await;
    assert_eq!(get.text(), "payload 1", "the GET went to the origin");
    assert_eq!(h.origin.request(1).method, Method::GET);
}

async fn s4_3_5_head_200_with_new_etag_invalidates_stored_get<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |req, n| {
        let tag = if req.method == Method::HEAD || n > 1 {
            "\"v2\""
        } else {
            "\"v1\""
        };
        Reply::ok(&format!("payload {n}"))
            .header("cache-control", "max-age=10")
            .header("etag", tag)
    })
    .await;
    h.get("/h").await;
    h.advance(30);
    let head = h.head("/h", &[]).await;
    assert_eq!((head.status, head.header("etag")), (200, "\"v2\""));
    assert!(head.body.is_empty());
    assert_eq!(h.origin.request(1).method, Method::HEAD);
    assert_eq!(
        h.engine.store().stats().entries,
        0,
        "§4.3.5: the stored GET is invalidated"
    );
    assert_eq!(h.engine.stats().engine.invalidated, 1);
    let get = h.get("/h").await;
    assert_eq!(get.text(), "payload 2");
    assert_eq!(
        get.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
}

async fn s4_3_5_head_200_with_same_etag_updates_stored_get<S: CacheStore>(store: S) {
    // The origin ignores conditionals on HEAD and answers 200 with the same ETag (and the
    // GET's Content-Length) but new fields and a new lifetime.
    let h = Harness::new(store, CacheOptions::default(), |req, _| {
        let r = Reply::ok("payload").header("etag", "\"v1\"");
        if req.method == Method::HEAD {
            r.header("cache-control", "max-age=60")
                .header("x-version", "2")
        } else {
            r.header("cache-control", "max-age=10")
                .header("x-version", "1")
        }
    })
    .await;
    h.get("/h").await;
    h.advance(30);
    let head = h.head("/h", &[]).await;
    assert_eq!((head.status, head.header("x-version")), (200, "2"));
    assert_eq!(h.engine.stats().engine.invalidated, 0);
    let get = h.get("/h").await;
    assert_eq!((get.status, get.text().as_str()), (200, "payload"));
    assert_eq!(
        get.header("x-version"),
        "2",
        "§4.3.5: the HEAD's fields update the GET"
    );
    assert_eq!(get.cache_status(), "hcache; hit; ttl=60", "and freshen it");
    assert_eq!(h.origin.hits(), 2);
}
