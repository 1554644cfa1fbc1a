//! The engine's flow against a real origin: each behaviour of the engine issue, once per store.

use std::sync::Arc;

use bytes::Bytes;
use hcache_core::{CacheOptions, CacheStore};
use tokio::sync::Notify;

use crate::for_each_store;
use crate::support::{Harness, Reply, date};

for_each_store!(
    s4_2_fresh_hit_served_from_store,
    s4_3_stale_revalidated_with_304,
    s4_3_3_changed_response_replaces_stored,
    s4_miss_then_store_no_store_never,
    s4_coalescing_100_concurrent_one_origin_request,
    s3_3_origin_abort_mid_body_stores_nothing,
    rfc5861_s3_stale_while_revalidate_serves_at_once,
    rfc5861_s4_stale_if_error_on_503,
    s5_2_1_7_only_if_cached_504_without_network,
    s4_4_post_invalidates,
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
    // Let every request reach the engine, then release the origin's single answer.
    while h.engine.stats().engine.requests < 100 || h.origin.hits() < 1 {
        tokio::task::yield_now().await;
    }
    gate.notify_one();
    let mut collapsed = 0;
    for t in tasks {
        let got = t.await.expect("task");
        assert_eq!((got.status, got.text().as_str()), (200, "shared body"));
        collapsed += usize::from(got.cache_status().contains("collapsed"));
    }
    assert_eq!(h.origin.hits(), 1, "exactly one origin request");
    assert_eq!(collapsed, 99);
    assert_eq!(h.engine.stats().engine.coalesced, 99);
}

async fn s3_3_origin_abort_mid_body_stores_nothing<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |_, n| {
        let r = Reply::new(200).header("cache-control", "max-age=600");
        if n == 0 {
            r.abort_after("partial", 100)
        } else {
            r.body("complete")
        }
    })
    .await;
    let err = h
        .send(http::Method::GET, "/torn", &[])
        .await
        .expect_err("the caller sees the torn body");
    assert!(err.starts_with("body"), "{err}");
    assert_eq!(
        h.engine.store().stats().entries,
        0,
        "nothing partial is stored"
    );
    let next = h.get("/torn").await;
    assert_eq!(next.text(), "complete");
    assert_eq!(h.origin.hits(), 2, "the next request went to the origin");
}

async fn rfc5861_s3_stale_while_revalidate_serves_at_once<S: CacheStore>(store: S) {
    let gate = Arc::new(Notify::new());
    let g = gate.clone();
    let h = Harness::new(store, CacheOptions::default(), move |_, n| {
        let r = Reply::ok(&format!("v{n}"))
            .header("cache-control", "max-age=10, stale-while-revalidate=100");
        if n == 0 { r } else { r.gated(g.clone()) }
    })
    .await;
    h.get("/swr").await;
    h.advance(20);
    let stale = h.get("/swr").await;
    assert_eq!(stale.text(), "v0", "the stale response comes back at once");
    assert!(
        stale.cache_status().starts_with("hcache; hit; ttl=-10"),
        "{}",
        stale.cache_status()
    );
    // The origin has the background request but has not answered it yet: the caller did not
    // wait for it.
    while h.origin.hits() < 2 {
        tokio::task::yield_now().await;
    }
    assert_eq!(h.origin.completed(), 1);
    gate.notify_one();
    // The refreshed entry lands in the store; wait for it (bounded).
    for _ in 0..500 {
        if h.engine.stats().engine.stored == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(h.engine.stats().engine.stored, 2);
    assert_eq!(h.get("/swr").await.text(), "v1");
    assert_eq!(h.origin.hits(), 2);
}

async fn rfc5861_s4_stale_if_error_on_503<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |_, n| {
        if n == 0 {
            Reply::ok("good").header("cache-control", "max-age=10, stale-if-error=60")
        } else {
            Reply::new(503).body("down")
        }
    })
    .await;
    h.get("/sie").await;
    h.advance(30);
    let got = h.get("/sie").await;
    assert_eq!((got.status, got.text().as_str()), (200, "good"));
    assert_eq!(
        got.cache_status(),
        "hcache; fwd=stale; fwd-status=503; detail=stale-if-error"
    );
    h.advance(60);
    let beyond = h.get("/sie").await;
    assert_eq!(
        beyond.status, 503,
        "outside the window the error is the caller's"
    );
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
    let _ = Bytes::new();
}
