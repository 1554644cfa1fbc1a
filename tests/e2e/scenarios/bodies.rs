//! A large body streamed through every adapter: handed to the caller as it arrives (the origin
//! holds back all but the first MiB until the caller has read it), stored as it streams, and
//! streamed back from the store — never gathered whole. Checked by length and checksum.

use std::sync::Arc;

use hcache_core::CacheOptions;
use tokio::sync::Notify;

use crate::support::adapters::{Client, Env, Release};
use crate::support::{Reply, pattern};

const MIB: usize = 1 << 20;

/// 16 MiB, with every store.
pub(super) async fn engine_streamed_large_body<C: Client>(store: C::Store) {
    streamed_body::<C>(store, 16).await;
}

/// 64 MiB, with the memory store.
pub(super) async fn engine_streamed_64_mib_body<C: Client>(store: C::Store) {
    streamed_body::<C>(store, 64).await;
}

/// A body of `chunks` MiB, sent in 1 MiB chunks.
async fn streamed_body<C: Client>(store: C::Store, chunks: usize) {
    let gate = Arc::new(Notify::new());
    let g = gate.clone();
    let env = Env::<C>::start(store, CacheOptions::default(), move |_, _| {
        Reply::new(200)
            .header("cache-control", "max-age=60")
            .pattern(chunks, MIB, Some(g.clone()))
    })
    .await;
    let (len, checksum) = pattern::expected(chunks, MIB);
    let release = Release {
        after: MIB as u64,
        gate,
    };
    let miss = env.stream("/large", Some(release)).await;
    assert_eq!(miss.status, 200);
    assert_eq!(
        miss.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    assert_eq!(
        (miss.len, miss.checksum),
        (len, checksum),
        "the origin's bytes"
    );
    assert!(miss.chunks > 1, "handed over in pieces");
    assert_eq!(env.stats().stored, 1, "stored as it streamed");
    let hit = env.stream("/large", None).await;
    assert_eq!(hit.cache_status(), "hcache; hit; ttl=60");
    assert_eq!((hit.len, hit.checksum), (len, checksum), "the stored bytes");
    assert_eq!(env.origin.hits(), 1);
}
