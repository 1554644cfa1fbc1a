//! The engine's own `Cache-Status` member (RFC 9211): appended after those of the caches
//! before it, under the configured name. The basic flow — miss, store, hit, validation,
//! `no-store`, `only-if-cached`, invalidation — is `scenarios::flow`, through every adapter.

use hcache_core::{CacheOptions, CacheStore};

use crate::for_each_store;
use crate::support::{Harness, Reply};

for_each_store!(
    rfc9211_cache_status_appended_after_upstream_members,
    rfc9211_cache_status_uses_configured_name,
);

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
