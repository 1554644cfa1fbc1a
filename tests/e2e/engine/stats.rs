//! The engine's counters ([`hcache_core::Stats`]) after a scripted sequence that moves each
//! of them, checked exactly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hcache_core::{CacheOptions, CacheStore};
use http::Method;
use tokio::sync::Notify;

use crate::for_each_store;
use crate::support::{Harness, Reply};

for_each_store!(engine_stats_count_every_outcome_exactly[max_entry_size = 1024]);

async fn engine_stats_count_every_outcome_exactly<S: CacheStore>(store: S) {
    let gate = Arc::new(Notify::new());
    let g = gate.clone();
    let seen: Mutex<HashMap<String, usize>> = Mutex::default();
    let h = Arc::new(
        Harness::new(store, CacheOptions::default(), move |req, _| {
            let path = req.uri.path().to_owned();
            let k = {
                let mut seen = seen.lock().unwrap();
                let k = seen.entry(path.clone()).or_default();
                *k += 1;
                *k - 1
            };
            let inm = req.headers.contains_key("if-none-match");
            match (req.method.as_str(), path.as_str()) {
                ("POST", _) => Reply::new(204),
                (_, "/a") if inm => Reply::new(304).header("cache-control", "max-age=10"),
                (_, "/a") => Reply::ok(&format!("a{k}"))
                    .header("cache-control", "max-age=10")
                    .header("etag", "\"a\""),
                // Ignores validators: every validation gets a new response.
                (_, "/b") => Reply::ok(&format!("b{k}"))
                    .header("cache-control", "max-age=10")
                    .header("etag", &format!("\"b{k}\"")),
                (_, "/swr") => Reply::ok(&format!("swr{k}"))
                    .header("cache-control", "max-age=10, stale-while-revalidate=100"),
                (_, "/big") => Reply::ok(&"x".repeat(2048)).header("cache-control", "max-age=60"),
                (_, "/torn") => Reply::new(200)
                    .header("cache-control", "max-age=60")
                    .abort_after("part", 100),
                (_, "/c") => Reply::ok("c")
                    .header("cache-control", "max-age=60")
                    .gated(g.clone()),
                _ => Reply::new(404),
            }
        })
        .await,
    );

    // t = 0
    assert_eq!(h.get("/a").await.text(), "a0"); // miss, stored
    assert_eq!(h.get("/a").await.text(), "a0"); // hit
    assert_eq!(h.get("/b").await.text(), "b0"); // miss, stored
    assert_eq!(h.get("/swr").await.text(), "swr0"); // miss, stored
    assert_eq!(h.get("/big").await.body.len(), 2048); // miss, too large
    assert!(h.send(Method::GET, "/torn", &[]).await.is_err()); // miss, upstream error
    // Two concurrent misses: one goes forward (miss, stored), one waits (coalesced, hit).
    let (h1, h2) = (h.clone(), h.clone());
    let first = tokio::spawn(async move { h1.get("/c").await });
    let second = tokio::spawn(async move { h2.get("/c").await });
    h.wait_until("the follower to join", |h| {
        h.engine.stats().engine.coalesced == 1 && h.origin.hits() == 6
    })
    .await;
    gate.notify_one();
    assert_eq!(first.await.unwrap().text(), "c");
    assert_eq!(second.await.unwrap().text(), "c");

    // t = 20: everything with max-age=10 is stale.
    h.advance(20);
    assert_eq!(h.get("/a").await.text(), "a0"); // validated: not modified
    assert_eq!(h.get("/b").await.text(), "b1"); // validated: changed, stored
    assert_eq!(h.get("/swr").await.text(), "swr0"); // stale hit, background refresh...
    h.wait_until("the background refresh", |h| {
        h.engine.stats().engine.stored == 6
    })
    .await; // ...which changed and was stored
    let posted = h.send(Method::POST, "/a", &[]).await.unwrap(); // forwarded, invalidates /a
    assert_eq!(posted.status, 204);
    // /a's fourth request at the origin (after the first, the validation and the POST).
    assert_eq!(h.get("/a").await.text(), "a3"); // miss, stored

    let s = h.engine.stats().engine;
    let counted = [
        ("requests", s.requests, 13),
        ("hits", s.hits, 3),
        ("misses", s.misses, 8),
        ("not_modified", s.not_modified, 1),
        ("changed", s.changed, 2),
        ("stale", s.stale, 1),
        ("coalesced", s.coalesced, 1),
        ("stored", s.stored, 7),
        ("too_large", s.too_large, 1),
        ("invalidated", s.invalidated, 1),
        ("store_errors", s.store_errors, 0),
        ("upstream_errors", s.upstream_errors, 1),
        ("background_revalidations", s.background_revalidations, 1),
    ];
    let wrong: Vec<_> = counted
        .iter()
        .filter(|(_, got, want)| got != want)
        .collect();
    assert!(wrong.is_empty(), "(counter, got, expected): {wrong:?}");
    let store = h.engine.stats().store;
    assert_eq!(
        (store.entries, store.variants),
        (4, 4),
        "/a, /b, /swr and /c"
    );
    assert_eq!(h.origin.hits(), 11);
}
