//! Serving stale: one background revalidation per entry (RFC 5861 §3), the engine's error
//! once stale-if-error no longer applies (RFC 5861 §4), the offline window
//! ([`CacheOptions::stale_if_error`] and the per-request [`StaleIfErrorWindow`]), and what
//! forbids them (RFC 9111 §4.2.4). Stale-while-revalidate and stale-if-error through every
//! adapter: `scenarios::stale`.

use std::sync::Arc;
use std::time::Duration;

use hcache_core::{CacheOptions, CacheStore, StaleIfErrorWindow};
use tokio::sync::Notify;

use crate::for_each_store;
use crate::support::{Harness, Reply, swr_origin};

for_each_store!(
    rfc5861_s3_one_background_revalidation_per_entry,
    rfc5861_s4_connection_error_beyond_window_is_upstream_error,
    engine_connection_error_without_stale_is_upstream_error,
    engine_offline_window_configured,
    engine_offline_window_per_request,
    s4_2_4_must_revalidate_forbids_stale_on_error,
);

async fn rfc5861_s3_one_background_revalidation_per_entry<S: CacheStore>(store: S) {
    let gate = Arc::new(Notify::new());
    let h = Arc::new(Harness::new(store, CacheOptions::default(), swr_origin(gate.clone())).await);
    h.get("/swr").await;
    h.advance(20);
    // Ten concurrent stale requests, then five more while the first refresh is still held by
    // the origin: every one is answered at once with the stale response...
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let h = h.clone();
            tokio::spawn(async move { h.get("/swr").await })
        })
        .collect();
    for t in tasks {
        let got = t.await.expect("task");
        assert_eq!(got.text(), "v0");
        assert!(
            got.cache_status()
                .ends_with("detail=stale-while-revalidate")
        );
    }
    h.wait_until("the background request", |h| h.origin.hits() == 2)
        .await;
    for _ in 0..5 {
        assert_eq!(h.get("/swr").await.text(), "v0");
    }
    assert_eq!(h.origin.completed(), 1, "the refresh is still held");
    // ...and only one refresh was started.
    let stats = h.engine.stats().engine;
    assert_eq!(stats.background_revalidations, 1);
    assert_eq!((stats.hits, stats.stale), (15, 15));
    gate.notify_one();
    h.wait_until("the refresh to be stored", |h| {
        h.engine.stats().engine.stored == 2
    })
    .await;
    assert_eq!(h.get("/swr").await.text(), "v1");
    assert_eq!(h.origin.hits(), 2, "the origin saw one background request");
}

async fn rfc5861_s4_connection_error_beyond_window_is_upstream_error<S: CacheStore>(store: S) {
    // Served stale on a connection error, then, beyond the window, the engine's own error
    // (`Error::Upstream`; adapters report their client's error: `scenarios::stale`).
    let mut h = Harness::new(store, CacheOptions::default(), |_, _| {
        Reply::ok("good").header("cache-control", "max-age=10, stale-if-error=60")
    })
    .await;
    h.get("/sie").await;
    h.advance(30);
    h.origin.stop().await;
    assert_eq!(h.get("/sie").await.text(), "good");
    let stats = h.engine.stats().engine;
    assert_eq!((stats.upstream_errors, stats.stale), (1, 1));
    h.advance(60);
    let err = h.send(http::Method::GET, "/sie", &[]).await.unwrap_err();
    assert!(err.starts_with("upstream request failed"), "{err}");
    assert_eq!(h.engine.stats().engine.upstream_errors, 2);
}

async fn engine_connection_error_without_stale_is_upstream_error<S: CacheStore>(store: S) {
    let mut h = Harness::new(store, CacheOptions::default(), |_, _| {
        Reply::ok("good").header("cache-control", "max-age=10")
    })
    .await;
    h.get("/down").await;
    h.advance(30);
    h.origin.stop().await;
    // A stale entry without stale-if-error, then a miss: both fail with Error::Upstream.
    for path in ["/down", "/never-stored"] {
        let err = h.send(http::Method::GET, path, &[]).await.unwrap_err();
        assert!(err.starts_with("upstream request failed"), "{path}: {err}");
    }
    let stats = h.engine.stats().engine;
    assert_eq!((stats.upstream_errors, stats.stale), (2, 0));
    assert_eq!(
        h.engine.store().stats().entries,
        1,
        "the stale entry is kept"
    );
}

async fn engine_offline_window_configured<S: CacheStore>(store: S) {
    let options = CacheOptions::default().stale_if_error(Some(Duration::from_secs(60)));
    let mut h = Harness::new(store, options, |_, n| {
        if n == 0 {
            Reply::ok("good").header("cache-control", "max-age=10")
        } else {
            Reply::new(502)
        }
    })
    .await;
    h.get("/off").await;
    h.advance(30); // 20 s stale: inside the 60 s window
    let bad_gateway = h.get("/off").await;
    assert_eq!(
        (bad_gateway.status, bad_gateway.text().as_str()),
        (200, "good")
    );
    assert_eq!(
        bad_gateway.cache_status(),
        "hcache; fwd=stale; fwd-status=502; detail=stale-if-error"
    );
    h.origin.stop().await;
    let offline = h.get("/off").await;
    assert_eq!((offline.status, offline.text().as_str()), (200, "good"));
    assert_eq!(
        offline.cache_status(),
        "hcache; fwd=stale; detail=stale-if-error"
    );
    h.advance(40); // 60 s stale: still inside
    assert_eq!(h.get("/off").await.text(), "good");
    h.advance(1); // 61 s: beyond
    let err = h.send(http::Method::GET, "/off", &[]).await.unwrap_err();
    assert!(err.starts_with("upstream request failed"), "{err}");
    let stats = h.engine.stats().engine;
    assert_eq!((stats.stale, stats.upstream_errors), (3, 3));
}

async fn engine_offline_window_per_request<S: CacheStore>(store: S) {
    let options = CacheOptions::default().stale_if_error(Some(Duration::from_secs(5)));
    let mut h = Harness::new(store, options, |_, _| {
        Reply::ok("good").header("cache-control", "max-age=10")
    })
    .await;
    let window = |secs| StaleIfErrorWindow(Duration::from_secs(secs));
    h.get("/off").await;
    h.advance(30); // 20 s stale
    h.origin.stop().await;
    let err = h.send(http::Method::GET, "/off", &[]).await.unwrap_err();
    assert!(
        err.starts_with("upstream request failed"),
        "configured 5 s window: {err}"
    );
    // The request's window replaces the configured one, larger...
    let got = h
        .get_ext("/off", window(60))
        .await
        .expect("within the request's window");
    assert_eq!((got.status, got.text().as_str()), (200, "good"));
    assert_eq!(
        got.cache_status(),
        "hcache; fwd=stale; detail=stale-if-error"
    );
    // ...or smaller.
    assert!(h.get_ext("/off", window(19)).await.is_err());
    assert!(h.get_ext("/off", window(20)).await.is_ok());
    h.advance(41); // 61 s stale
    assert!(
        h.get_ext("/off", window(60)).await.is_err(),
        "beyond the window"
    );
    let stats = h.engine.stats().engine;
    assert_eq!((stats.stale, stats.upstream_errors), (2, 5));
}

async fn s4_2_4_must_revalidate_forbids_stale_on_error<S: CacheStore>(store: S) {
    // must-revalidate (§5.2.2.2) outranks every stale-if-error source: the response's, the
    // configured window and the request's.
    let options = CacheOptions::default().stale_if_error(Some(Duration::from_secs(3600)));
    let mut h = Harness::new(store, options, |_, n| {
        if n == 0 {
            Reply::ok("good").header(
                "cache-control",
                "max-age=10, must-revalidate, stale-if-error=3600",
            )
        } else {
            Reply::new(503).body("down")
        }
    })
    .await;
    h.get("/mr").await;
    h.advance(30);
    // An error status from the origin reaches the caller as is.
    let got = h.get("/mr").await;
    assert_eq!((got.status, got.text().as_str()), (503, "down"));
    assert_eq!(got.cache_status(), "hcache; fwd=stale; fwd-status=503");
    // A connection error is the caller's error (an adapter reports it as its client's error;
    // a proxy would answer 504): the stale response is never served.
    h.origin.stop().await;
    let err = h.send(http::Method::GET, "/mr", &[]).await.unwrap_err();
    assert!(err.starts_with("upstream request failed"), "{err}");
    let err = h
        .get_ext("/mr", StaleIfErrorWindow(Duration::from_secs(3600)))
        .await
        .unwrap_err();
    assert!(err.starts_with("upstream request failed"), "{err}");
    assert_eq!(h.engine.stats().engine.stale, 0);
}
