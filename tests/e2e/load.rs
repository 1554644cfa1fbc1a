//! Load through hcache-reqwest (loopback only, bounded): 10,000 concurrent requests over 100
//! URLs against a real origin on 127.0.0.1.
//!
//! - With every response fitting in the store (memory; tiered — a small memory front over a
//!   disk store): no error, every body right, exactly 100 origin requests — each URL's first
//!   request fetches, the others wait for it (coalescing) or hit — and the store within its
//!   configured bounds.
//! - With a memory store bounded smaller than the data, so that entries are evicted while the
//!   load runs: no error, every body right, and the store never past its bounds. How many
//!   origin requests that takes depends on what eviction removes, so only its range is
//!   checked.
//!
//! The long version (1,000,000 requests, with churn, measuring RSS and open files) is
//! `cargo xtask soak`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hcache_core::StoreStats;
use hcache_store_memory::{MemoryOptions, MemoryStore};
use reqwest_middleware::ClientWithMiddleware;

use crate::support::adapters::reqwest_with_cache;
use crate::support::{Origin, Reply, stores};

const REQUESTS: usize = 10_000;
const URLS: usize = 100;
/// Each body's size.
const BODY: usize = 1024;
/// The load must finish well within this (it takes a few seconds).
const LIMIT: Duration = Duration::from_secs(120);

/// The body of URL `i`: its name, padded to [`BODY`] bytes.
fn body_of(i: usize) -> String {
    format!("{i:0>BODY$}")
}

/// An origin answering `/u{i}` with a fresh, storable [`body_of`]`(i)`.
async fn origin() -> Origin {
    Origin::start(|req, _| {
        let i: usize = req
            .uri
            .path()
            .trim_start_matches("/u")
            .parse()
            .expect("/u{i}");
        Reply::ok(&body_of(i)).header("cache-control", "max-age=600")
    })
    .await
}

/// What a load run saw.
#[derive(Debug)]
struct Run {
    errors: usize,
    wrong_bodies: usize,
    origin_requests: usize,
    took: Duration,
}

/// Sends [`REQUESTS`] requests at once, request `n` for URL `n % URLS`, each on its own task,
/// and checks every body.
async fn load(origin: &Origin, client: ClientWithMiddleware) -> Run {
    let start = Instant::now();
    let client = Arc::new(client);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..REQUESTS {
        let (client, url) = (client.clone(), origin.url(&format!("/u{}", n % URLS)));
        tasks.spawn(async move {
            let res = client.get(url).send().await.map_err(|e| e.to_string())?;
            let body = res.text().await.map_err(|e| e.to_string())?;
            Ok::<bool, String>(body == body_of(n % URLS))
        });
    }
    let (mut errors, mut wrong_bodies) = (0, 0);
    let all = async {
        while let Some(done) = tasks.join_next().await {
            match done.expect("no task panics") {
                Ok(true) => {}
                Ok(false) => wrong_bodies += 1,
                Err(e) => {
                    if errors == 0 {
                        eprintln!("first error: {e}");
                    }
                    errors += 1;
                }
            }
        }
    };
    tokio::time::timeout(LIMIT, all)
        .await
        .expect("the load finishes");
    let run = Run {
        errors,
        wrong_bodies,
        origin_requests: origin.hits(),
        took: start.elapsed(),
    };
    eprintln!(
        "{REQUESTS} requests over {URLS} URLs in {:?}: {run:?}",
        run.took
    );
    run
}

/// The store's bounds held: no more than `max_bytes`, no more than [`URLS`] entries.
fn within(stats: StoreStats, max_bytes: u64) {
    assert!(
        stats.size_bytes <= max_bytes,
        "{stats:?} past {max_bytes} bytes"
    );
    assert!(stats.entries <= URLS as u64, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_memory_store_coalesces() {
    const MAX: u64 = 16 << 20;
    let origin = origin().await;
    let (client, cache) = reqwest_with_cache(
        MemoryStore::new(MemoryOptions::default().max_bytes(MAX)),
        None,
    );
    let run = load(&origin, client).await;
    assert_eq!((run.errors, run.wrong_bodies), (0, 0), "{run:?}");
    assert_eq!(run.origin_requests, URLS, "one origin request per URL");
    let stats = cache.stats();
    assert_eq!(stats.store.entries, URLS as u64);
    assert_eq!(stats.engine.stored, URLS as u64);
    assert_eq!(stats.engine.requests, REQUESTS as u64);
    assert_eq!(stats.engine.hits + stats.engine.misses, REQUESTS as u64);
    within(stats.store, MAX);
}

/// A memory front that holds a fifth of the responses, over a disk store that holds them all:
/// still one origin request per URL, and the front within its bounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_tiered_store_coalesces() {
    const FRONT: u64 = 64 << 10;
    let origin = origin().await;
    let (disk, _dir) = stores::cacache(None);
    let front = MemoryStore::new(MemoryOptions::default().max_bytes(FRONT).shards(1));
    let store = hcache_store_tiered::TieredStore::new(front, disk);
    let (client, cache) = reqwest_with_cache(store, None);
    let run = load(&origin, client).await;
    assert_eq!((run.errors, run.wrong_bodies), (0, 0), "{run:?}");
    assert_eq!(run.origin_requests, URLS, "one origin request per URL");
    let tiers = cache.engine().store().tier_stats();
    assert_eq!(
        tiers.back.entries, URLS as u64,
        "the disk holds every response"
    );
    within(tiers.front, FRONT);
    assert!(tiers.front.evictions > 0, "the front evicted: {tiers:?}");
}

/// A memory store bounded to about a third of the responses: entries are evicted while the
/// load runs; no error, no wrong body, and the bounds hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_memory_store_evicting() {
    const MAX: u64 = 48 << 10;
    let origin = origin().await;
    let store = MemoryStore::new(MemoryOptions::default().max_bytes(MAX).shards(1));
    let (client, cache) = reqwest_with_cache(store, None);
    let run = load(&origin, client).await;
    assert_eq!((run.errors, run.wrong_bodies), (0, 0), "{run:?}");
    assert!((URLS..=REQUESTS).contains(&run.origin_requests), "{run:?}");
    let stats = cache.stats().store;
    within(stats, MAX);
    assert!(stats.evictions > 0, "{stats:?}");
}
