//! Bodies stream through the middleware both ways, never gathered whole.

use std::time::Duration;

use async_std::channel::Sender;
use async_std::future::timeout;
use async_std::prelude::*;
use hcache_store_memory::{MemoryOptions, MemoryStore};

use crate::support::{Fnv, Harness, Reply, pattern_chunk};

const MIB: usize = 1 << 20;
const CHUNKS: u64 = 64;
/// How long one read may take before the test calls the body stuck.
const STUCK: Duration = Duration::from_secs(60);

/// Reads `res` to its end in 64 KiB reads, returning its length and checksum; once the first
/// MiB has arrived, opens `gate`.
async fn read_streaming(mut res: surf::Response, mut gate: Option<Sender<()>>) -> (u64, u64) {
    let mut buf = vec![0; 64 * 1024];
    let (mut len, mut sum) = (0u64, Fnv::default());
    loop {
        let n = timeout(STUCK, res.read(&mut buf))
            .await
            .expect("the body keeps flowing")
            .expect("the body reads");
        if n == 0 {
            return (len, sum.finish());
        }
        sum.update(&buf[..n]);
        len += n as u64;
        if len >= MIB as u64
            && let Some(gate) = gate.take()
        {
            gate.send(()).await.expect("origin waits");
        }
    }
}

/// 64 MiB in 1 MiB chunks: on the miss the caller reads the first MiB while the origin still
/// holds back the rest (so nothing in between gathers the body), and the body is stored as it
/// streams; the hit streams it back from the store. Length and checksum match both times.
#[async_std::test]
async fn large_body_streams_through_the_cache() {
    let (open, gate) = async_std::channel::bounded::<()>(1);
    let store = MemoryStore::new(
        MemoryOptions::default()
            .max_bytes(256 << 20)
            .max_entry_size(128 << 20)
            .shards(1),
    );
    let h = Harness::with_store(store, move |_| {
        Reply::new(200)
            .header("cache-control", "max-age=60")
            .pattern(CHUNKS, MIB, Some(gate.clone()))
    })
    .await;
    let mut expected = Fnv::default();
    for i in 0..CHUNKS {
        expected.update(&pattern_chunk(i, MIB));
    }
    let expected = (CHUNKS * MIB as u64, expected.finish());

    let miss = timeout(STUCK, h.client.get(h.url("/big")))
        .await
        .expect("the head arrives before the body")
        .unwrap();
    assert_eq!(miss.len(), Some(CHUNKS as usize * MIB));
    assert_eq!(read_streaming(miss, Some(open)).await, expected);
    assert_eq!(h.cache.stats().engine.stored, 1);

    let hit = h.client.get(h.url("/big")).await.unwrap();
    assert!(hit["cache-status"].as_str().contains("; hit"));
    assert_eq!(hit.len(), Some(CHUNKS as usize * MIB));
    assert_eq!(read_streaming(hit, None).await, expected);
    assert_eq!(h.origin.hits(), 1);
}

/// A body shorter than its Content-Length (the connection closed early) is an error for the
/// caller, never a complete-looking body, and is not stored.
#[async_std::test]
async fn body_cut_short_is_an_error_and_not_stored() {
    let h = Harness::start(|_| {
        Reply::new(200)
            .header("cache-control", "max-age=60")
            .truncated(1000, vec![b'x'; 100])
    })
    .await;
    let mut res = h.client.get(h.url("/cut")).await.unwrap();
    let err = res.body_bytes().await.unwrap_err();
    assert!(
        err.to_string().contains("before its announced length"),
        "{err}"
    );
    assert_eq!(h.cache.stats().engine.stored, 0);

    let again = h.client.get(h.url("/cut")).await.unwrap();
    assert!(!again["cache-status"].as_str().contains("; hit"));
    assert_eq!(h.origin.hits(), 2);
}
