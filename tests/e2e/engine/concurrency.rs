//! Collapsed requests (RFC 9111 §4: a cache may send one request for many): concurrent misses
//! and concurrent revalidations of one entry make one origin request.

use std::sync::Arc;

use hcache_core::{CacheOptions, CacheStore};
use http::Method;
use tokio::sync::Notify;

use crate::for_each_store;
use crate::support::{Harness, Reply};

for_each_store!(
    s4_coalescing_100_concurrent_one_origin_request,
    s4_coalescing_50_revalidations_one_origin_request,
    s4_coalescing_head_miss_does_not_hold_gets,
);

async fn s4_coalescing_100_concurrent_one_origin_request<S: CacheStore>(store: S) {
    let gate = Arc::new(Notify::new());
    let g = gate.clone();
    let h = Arc::new(
        Harness::new(store, CacheOptions::default(), move |_, _| {
            Reply::ok("shared body")
                .header("cache-control", "max-age=600")
                .gated(g.clone())
        })
        .await,
    );
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let h = h.clone();
            tokio::spawn(async move { h.get("/hot").await })
        })
        .collect();
    // Let every other request join the leader's flight, then release the origin's answer.
    h.wait_until("99 followers and the leader's request", |h| {
        h.engine.stats().engine.coalesced == 99 && h.origin.hits() == 1
    })
    .await;
    gate.notify_one();
    let mut collapsed = 0;
    for t in tasks {
        let got = t.await.expect("task");
        assert_eq!((got.status, got.text().as_str()), (200, "shared body"));
        collapsed += usize::from(got.cache_status().contains("collapsed"));
    }
    assert_eq!(h.origin.hits(), 1, "exactly one origin request");
    assert_eq!(collapsed, 99);
    let stats = h.engine.stats().engine;
    assert_eq!(
        (stats.misses, stats.hits, stats.coalesced, stats.stored),
        (1, 99, 99, 1)
    );
}

async fn s4_coalescing_50_revalidations_one_origin_request<S: CacheStore>(store: S) {
    let gate = Arc::new(Notify::new());
    let g = gate.clone();
    let h = Arc::new(
        Harness::new(store, CacheOptions::default(), move |req, _| {
            if req.headers.contains_key("if-none-match") {
                Reply::new(304)
                    .header("cache-control", "max-age=60")
                    .gated(g.clone())
            } else {
                Reply::ok("stored body")
                    .header("cache-control", "max-age=10")
                    .header("etag", "\"v1\"")
            }
        })
        .await,
    );
    h.get("/stale").await;
    h.advance(30);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let h = h.clone();
            tokio::spawn(async move { h.get("/stale").await })
        })
        .collect();
    h.wait_until("49 followers and the leader's validation", |h| {
        h.engine.stats().engine.coalesced == 49 && h.origin.hits() == 2
    })
    .await;
    gate.notify_one();
    let mut statuses = Vec::new();
    for t in tasks {
        let got = t.await.expect("task");
        assert_eq!((got.status, got.text().as_str()), (200, "stored body"));
        statuses.push(got.cache_status().to_owned());
    }
    let leader: Vec<_> = statuses
        .iter()
        .filter(|s| s.contains("fwd=stale"))
        .collect();
    assert_eq!(
        leader,
        ["hcache; fwd=stale; fwd-status=304"],
        "one validation"
    );
    let followers = statuses
        .iter()
        .filter(|s| *s == "hcache; hit; ttl=60; collapsed")
        .count();
    assert_eq!(
        followers, 49,
        "the others are served the freshened entry: {statuses:?}"
    );
    assert_eq!(h.origin.hits(), 2, "exactly one revalidation request");
    let stats = h.engine.stats().engine;
    assert_eq!(
        (stats.not_modified, stats.coalesced, stats.hits),
        (1, 49, 49)
    );
}

async fn s4_coalescing_head_miss_does_not_hold_gets<S: CacheStore>(store: S) {
    // A HEAD looks up the stored GET, but its own response is never stored (§4.3.5): GETs
    // must not wait for it, or, finding nothing stored after it, all go forward at once.
    let (head_gate, get_gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let (hg, gg) = (head_gate.clone(), get_gate.clone());
    let h = Arc::new(
        Harness::new(store, CacheOptions::default(), move |req, _| {
            let r = Reply::ok("body").header("cache-control", "max-age=600");
            if req.method == Method::HEAD {
                r.gated(hg.clone())
            } else {
                r.gated(gg.clone())
            }
        })
        .await,
    );
    let h1 = h.clone();
    let head = tokio::spawn(async move { h1.head("/hg", &[]).await });
    h.wait_until("the HEAD at the origin", |h| h.origin.hits() == 1)
        .await;
    let gets: Vec<_> = (0..10)
        .map(|_| {
            let h = h.clone();
            tokio::spawn(async move { h.get("/hg").await })
        })
        .collect();
    h.wait_until("one GET forwarded, nine collapsed onto it", |h| {
        h.origin.hits() == 2 && h.engine.stats().engine.coalesced == 9
    })
    .await;
    get_gate.notify_one();
    for t in gets {
        let got = t.await.expect("task");
        assert_eq!((got.status, got.text().as_str()), (200, "body"));
    }
    head_gate.notify_one();
    let head = head.await.expect("task");
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(h.origin.hits(), 2, "one HEAD, one GET");
    assert_eq!(h.origin.request(1).method, Method::GET);
}
