//! The basic flow: miss → store → fresh hit, validation with 304 or a new response, what is
//! never stored, `only-if-cached`, and invalidation by unsafe methods.

use hcache_core::{CacheOptions, CacheStore};

use crate::for_each_store;
use crate::support::{Harness, Reply, date};

for_each_store!(
    s4_2_fresh_hit_served_from_store,
    s4_3_stale_revalidated_with_304,
    s4_3_3_changed_response_replaces_stored,
    s4_miss_then_store_no_store_never,
    s5_2_1_7_only_if_cached_504_without_network,
    s4_4_post_invalidates,
    rfc9211_cache_status_appended_after_upstream_members,
    rfc9211_cache_status_uses_configured_name,
);

async fn s4_2_fresh_hit_served_from_store<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |_, n| {
        Reply::ok(&format!("body {n}"))
            .header("cache-control", "max-age=60")
            .header("date", &date(0))
    })
    .await;
    let first = h.get("/a").await;
    assert_eq!((first.status, first.text().as_str()), (200, "body 0"));
    assert_eq!(
        first.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    h.advance(30);
    let second = h.get("/a").await;
    assert_eq!(second.text(), "body 0");
    assert_eq!(second.header("age"), "30");
    assert_eq!(second.cache_status(), "hcache; hit; ttl=30");
    assert_eq!(h.origin.hits(), 1);
    let stats = h.engine.stats();
    assert_eq!(
        (stats.engine.hits, stats.engine.misses, stats.engine.stored),
        (1, 1, 1)
    );
}

async fn s4_3_stale_revalidated_with_304<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |req, n| {
        if n > 0
            && req
                .headers
                .get("if-none-match")
                .is_some_and(|v| v == "\"v1\"")
        {
            Reply::new(304)
                .header("cache-control", "max-age=60")
                .header("date", &date(100))
                .header("x-new", "yes")
        } else {
            Reply::ok("payload")
                .header("cache-control", "max-age=60")
                .header("etag", "\"v1\"")
                .header("date", &date(0))
        }
    })
    .await;
    h.get("/r").await;
    h.advance(100);
    let validated = h.get("/r").await;
    assert_eq!(
        (validated.status, validated.text().as_str()),
        (200, "payload")
    );
    assert_eq!(
        validated.header("x-new"),
        "yes",
        "§4.3.4: the 304's fields update the stored response"
    );
    assert_eq!(
        validated.cache_status(),
        "hcache; fwd=stale; fwd-status=304"
    );
    assert_eq!(h.origin.request(1).headers["if-none-match"], "\"v1\"");
    h.advance(10);
    let hit = h.get("/r").await;
    assert_eq!((hit.text().as_str(), hit.header("age")), ("payload", "10"));
    assert_eq!(h.origin.hits(), 2);
    assert_eq!(h.engine.stats().engine.not_modified, 1);
}

async fn s4_3_3_changed_response_replaces_stored<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |_, n| {
        Reply::ok(&format!("version {n}"))
            .header("cache-control", "max-age=10")
            .header("etag", &format!("\"{n}\""))
    })
    .await;
    assert_eq!(h.get("/c").await.text(), "version 0");
    h.advance(20);
    let changed = h.get("/c").await;
    assert_eq!(changed.text(), "version 1");
    assert_eq!(
        changed.cache_status(),
        "hcache; fwd=stale; fwd-status=200; stored"
    );
    assert_eq!(h.get("/c").await.text(), "version 1");
    assert_eq!(h.origin.hits(), 2);
    assert_eq!(h.engine.stats().engine.changed, 1);
}

async fn s4_miss_then_store_no_store_never<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |_, n| {
        Reply::ok(&format!("n{n}")).header("cache-control", "no-store")
    })
    .await;
    let a = h.get("/ns").await;
    assert_eq!(a.cache_status(), "hcache; fwd=uri-miss; fwd-status=200");
    assert_eq!(h.get("/ns").await.text(), "n1");
    assert_eq!(h.origin.hits(), 2);
    assert_eq!(h.engine.store().stats().entries, 0);
}

async fn s5_2_1_7_only_if_cached_504_without_network<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |_, _| Reply::ok("x")).await;
    let got = h
        .get_with("/oic", &[("cache-control", "only-if-cached")])
        .await;
    assert_eq!(got.status, 504);
    assert_eq!(got.cache_status(), "hcache; detail=only-if-cached");
    assert_eq!(h.origin.hits(), 0);
}

async fn s4_4_post_invalidates<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |req, n| {
        if req.method == http::Method::POST {
            Reply::new(201).header("location", "/items/1")
        } else {
            Reply::ok(&format!("list {n}")).header("cache-control", "max-age=600")
        }
    })
    .await;
    h.get("/items").await;
    h.get("/items/1").await;
    assert_eq!(h.engine.store().stats().entries, 2);
    let posted = h
        .send(http::Method::POST, "/items", &[])
        .await
        .expect("POST");
    assert_eq!(posted.status, 201);
    assert_eq!(
        h.engine.store().stats().entries,
        0,
        "§4.4: target and Location invalidated"
    );
    assert_eq!(h.get("/items").await.text(), "list 3");
}

async fn rfc9211_cache_status_appended_after_upstream_members<S: CacheStore>(store: S) {
    // §2: a cache appends its member, keeping those of the caches before it (here a CDN's).
    let h = Harness::new(store, CacheOptions::default(), |_, _| {
        Reply::ok("x")
            .header("cache-control", "max-age=60")
            .header("cache-status", "cdn; fwd=uri-miss")
    })
    .await;
    let miss = h.get("/cs").await;
    assert_eq!(
        miss.cache_status(),
        "cdn; fwd=uri-miss, hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    let hit = h.get("/cs").await;
    assert_eq!(hit.cache_status(), "cdn; fwd=uri-miss, hcache; hit; ttl=60");
    assert_eq!(
        hit.all("cache-status").len(),
        1,
        "one field line, ours last"
    );
}

async fn rfc9211_cache_status_uses_configured_name<S: CacheStore>(store: S) {
    let options = CacheOptions::default().cache_status_name(Some("edge-1"));
    let h = Harness::new(store, options, |_, _| {
        Reply::ok("x").header("cache-control", "max-age=60")
    })
    .await;
    let miss = h.get("/cs").await;
    assert_eq!(
        miss.cache_status(),
        "edge-1; fwd=uri-miss; fwd-status=200; stored"
    );
    assert_eq!(h.get("/cs").await.cache_status(), "edge-1; hit; ttl=60");
}
