//! Freshening with a 304 (RFC 9111 §4.3.4): the 304's fields replace the stored ones of the
//! same name. However often one entry is revalidated, its head keeps the same fields and the
//! store the same size: nothing is appended per update.

use hcache_core::{CacheKey, CacheOptions, CacheStore};

use crate::for_each_store;
use crate::support::{Harness, Reply, date};

for_each_store!(s4_3_4_two_thousand_304s_keep_the_entry_the_same_size);

const REVALIDATIONS: usize = 2_000;

async fn s4_3_4_two_thousand_304s_keep_the_entry_the_same_size<S: CacheStore>(store: S) {
    // Every use must be validated (`no-cache`); each 304 brings new values of the same fields:
    // a later `Date` and a new fixed-width request number.
    let h = Harness::new(store, CacheOptions::default(), |req, n| {
        let reply = if req.headers.contains_key("if-none-match") {
            Reply::new(304)
        } else {
            Reply::ok(&"x".repeat(1024))
        };
        reply
            .header("cache-control", "no-cache")
            .header("etag", "\"v1\"")
            .header("date", &date(n as u64))
            .header("x-request", &format!("{n:05}"))
    })
    .await;
    let key = CacheKey::new(format!("GET {}", h.origin.url("/r")));
    h.get("/r").await;
    let fields = h.engine.store().get(&key).await.expect("lookup")[0]
        .response
        .headers()
        .len();
    let size = h.engine.store().stats().size_bytes;

    for _ in 0..REVALIDATIONS {
        let got = h.get("/r").await;
        assert_eq!((got.status, got.body.len()), (200, 1024));
    }

    assert_eq!(h.origin.hits(), REVALIDATIONS + 1, "each use was validated");
    assert_eq!(h.engine.stats().engine.not_modified, REVALIDATIONS as u64);
    let variants = h.engine.store().get(&key).await.expect("lookup");
    assert_eq!(variants.len(), 1, "one variant");
    let head = variants[0].response.headers();
    assert_eq!(head.len(), fields, "fields replaced, not appended");
    assert_eq!(head["x-request"], "02000", "the last 304's value");
    assert_eq!(
        h.engine.store().stats().size_bytes,
        size,
        "store size unchanged"
    );
}
