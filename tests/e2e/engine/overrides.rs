//! Per-request overrides carried in the request's extensions ([`CacheMode`], [`CacheKey`]) and
//! the request's own `Cache-Control` (RFC 9111 §5.2.1).

use hcache_core::{CacheKey, CacheMode, CacheOptions, CacheStore};

use crate::for_each_store;
use crate::support::{Harness, counting_origin};

for_each_store!(
    engine_mode_no_store_bypasses_the_cache,
    engine_mode_reload_fetches_and_stores,
    engine_mode_no_cache_validates_fresh_entry,
    engine_mode_force_cache_serves_stale_without_origin,
    engine_cache_key_override_shares_one_entry,
    s5_2_1_5_request_no_store_not_stored,
    s5_2_1_4_request_no_cache_validates_fresh_entry,
);

async fn engine_mode_no_store_bypasses_the_cache<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), counting_origin).await;
    // Nothing stored: the origin answers and nothing is kept.
    let got = h.get_ext("/new", CacheMode::NoStore).await.unwrap();
    assert_eq!(got.text(), "n0");
    assert_eq!(got.cache_status(), "hcache; fwd=bypass; fwd-status=200");
    assert_eq!(h.engine.store().stats().entries, 0);
    // A fresh stored response is not used either, nor replaced.
    h.get("/m").await;
    let bypass = h.get_ext("/m", CacheMode::NoStore).await.unwrap();
    assert_eq!(bypass.text(), "n2");
    assert_eq!(bypass.cache_status(), "hcache; fwd=bypass; fwd-status=200");
    assert!(
        !h.origin.request(2).headers.contains_key("if-none-match"),
        "sent as is"
    );
    assert_eq!(
        h.get("/m").await.text(),
        "n1",
        "the stored response is untouched"
    );
    assert_eq!(h.origin.hits(), 3);
    assert_eq!(h.engine.stats().engine.stored, 1);
}

async fn engine_mode_reload_fetches_and_stores<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), counting_origin).await;
    h.get("/r").await;
    let reload = h.get_ext("/r", CacheMode::Reload).await.unwrap();
    assert_eq!(reload.text(), "n1");
    assert_eq!(
        reload.cache_status(),
        "hcache; fwd=request; fwd-status=200; stored"
    );
    assert!(
        !h.origin.request(1).headers.contains_key("if-none-match"),
        "not a validation"
    );
    let hit = h.get("/r").await;
    assert_eq!(
        (hit.text().as_str(), hit.cache_status()),
        ("n1", "hcache; hit; ttl=10")
    );
    assert_eq!(h.origin.hits(), 2);
}

async fn engine_mode_no_cache_validates_fresh_entry<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), counting_origin).await;
    h.get("/nc").await;
    let got = h.get_ext("/nc", CacheMode::NoCache).await.unwrap();
    assert_eq!((got.status, got.text().as_str()), (200, "n0"));
    assert_eq!(got.cache_status(), "hcache; fwd=request; fwd-status=304");
    assert_eq!(h.origin.request(1).headers["if-none-match"], "\"e0\"");
    assert_eq!(h.engine.stats().engine.not_modified, 1);
}

async fn engine_mode_force_cache_serves_stale_without_origin<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), counting_origin).await;
    h.get("/fc").await;
    h.advance(100);
    let got = h.get_ext("/fc", CacheMode::ForceCache).await.unwrap();
    assert_eq!(got.text(), "n0");
    assert_eq!(got.header("age"), "100");
    assert_eq!(got.cache_status(), "hcache; hit; ttl=-90; detail=mode");
    assert_eq!(h.origin.hits(), 1, "no origin request");
    // With nothing stored it goes to the network (and stores).
    let miss = h.get_ext("/other", CacheMode::ForceCache).await.unwrap();
    assert_eq!(miss.text(), "n1");
    assert_eq!(
        miss.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    let stats = h.engine.stats().engine;
    assert_eq!((stats.hits, stats.stale, stats.misses), (1, 1, 2));
}

async fn engine_cache_key_override_shares_one_entry<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), counting_origin).await;
    let key = || CacheKey::new("user-key: shared");
    let one = h.get_ext("/one?session=a", key()).await.unwrap();
    assert_eq!(
        one.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    let two = h.get_ext("/two?session=b", key()).await.unwrap();
    assert_eq!(
        (two.text().as_str(), two.cache_status()),
        ("n0", "hcache; hit; ttl=10")
    );
    assert_eq!(h.origin.hits(), 1, "two URLs, one key, one origin request");
    // Without the override, the URL is the key again.
    assert_eq!(h.get("/two?session=b").await.text(), "n1");
    assert_eq!(h.engine.store().stats().entries, 2);
}

async fn s5_2_1_5_request_no_store_not_stored<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), counting_origin).await;
    let got = h.get_with("/ns", &[("cache-control", "no-store")]).await;
    assert_eq!(got.text(), "n0");
    assert_eq!(
        got.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200",
        "not stored"
    );
    assert_eq!(h.engine.store().stats().entries, 0);
    let next = h.get("/ns").await;
    assert_eq!(next.text(), "n1");
    assert_eq!(
        next.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    assert_eq!(h.engine.stats().engine.stored, 1);
}

async fn s5_2_1_4_request_no_cache_validates_fresh_entry<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), counting_origin).await;
    h.get("/nc").await;
    let got = h.get_with("/nc", &[("cache-control", "no-cache")]).await;
    assert_eq!((got.status, got.text().as_str()), (200, "n0"));
    assert_eq!(got.cache_status(), "hcache; fwd=request; fwd-status=304");
    assert_eq!(h.origin.request(1).headers["if-none-match"], "\"e0\"");
    // §5.4: `Pragma: no-cache` without Cache-Control means the same.
    let pragma = h.get_with("/nc", &[("pragma", "no-cache")]).await;
    assert_eq!(pragma.cache_status(), "hcache; fwd=request; fwd-status=304");
    assert_eq!(h.origin.hits(), 3);
    assert_eq!(h.get("/nc").await.cache_status(), "hcache; hit; ttl=10");
}
