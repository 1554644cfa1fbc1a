//! Serving stale through every adapter: stale-while-revalidate refreshed in the background by
//! the adapter's own background client (RFC 5861 §3), and stale-if-error on an error status
//! and on a connection error (RFC 5861 §4).

use std::sync::Arc;

use hcache_core::CacheOptions;
use http::Method;
use tokio::sync::Notify;

use crate::support::adapters::{Client, Env};
use crate::support::{Reply, swr_origin};

pub(super) async fn rfc5861_s3_stale_while_revalidate_background<C: Client>(store: C::Store) {
    let gate = Arc::new(Notify::new());
    let swr = swr_origin(gate.clone());
    let env = Env::<C>::start(store, CacheOptions::default(), move |req, n| {
        swr(req, n).header("etag", &format!("\"{n}\""))
    })
    .await;
    env.get("/swr").await;
    env.advance(20);
    let stale = env.get("/swr").await;
    assert_eq!(stale.text(), "v0", "the stale response comes back at once");
    assert_eq!(stale.header("age"), "20");
    assert_eq!(
        stale.cache_status(),
        "hcache; hit; ttl=-10; detail=stale-while-revalidate"
    );
    // The origin has the background request but has not answered it: the caller did not
    // wait for it.
    env.wait_until("the background request", |e| e.origin.hits() == 2)
        .await;
    assert_eq!(env.origin.completed(), 1);
    assert_eq!(
        env.origin.sent(1, "if-none-match"),
        ["\"0\""],
        "the refresh is a validation"
    );
    assert_eq!(env.stats().background_revalidations, 1);
    gate.notify_one();
    env.wait_until("the refresh to be stored", |e| e.stats().stored == 2)
        .await;
    let fresh = env.get("/swr").await;
    assert_eq!(
        (fresh.text().as_str(), fresh.cache_status()),
        ("v1", "hcache; hit; ttl=10")
    );
    assert_eq!(env.origin.hits(), 2);
}

pub(super) async fn rfc5861_s4_stale_if_error<C: Client>(store: C::Store) {
    // `/sie` may be served stale for 60 s on error, `/short` for 5 s; once stored, the origin
    // fails.
    let mut env = Env::<C>::start(store, CacheOptions::default(), |req, n| {
        if n >= 2 {
            return Reply::new(503).body("down");
        }
        let window = if req.uri.path() == "/short" { 5 } else { 60 };
        Reply::ok("good").header(
            "cache-control",
            &format!("max-age=10, stale-if-error={window}"),
        )
    })
    .await;
    env.get("/sie").await;
    env.get("/short").await;
    env.advance(30);
    // An error status: the stale response stands in...
    let on_503 = env.get("/sie").await;
    assert_eq!((on_503.status, on_503.text().as_str()), (200, "good"));
    assert_eq!(
        on_503.cache_status(),
        "hcache; fwd=stale; fwd-status=503; detail=stale-if-error"
    );
    // ...within its window only: beyond it, the error status is the caller's.
    let short = env.get("/short").await;
    let seen = (short.status, short.text(), short.cache_status());
    assert_eq!(
        seen,
        (503, "down".into(), "hcache; fwd=stale; fwd-status=503")
    );
    // No origin at all: the client's connection error is not the caller's either.
    env.origin.stop().await;
    let offline = env.get("/sie").await;
    assert_eq!((offline.status, offline.text().as_str()), (200, "good"));
    assert_eq!(offline.header("age"), "30");
    assert_eq!(
        offline.cache_status(),
        "hcache; fwd=stale; detail=stale-if-error",
        "no fwd-status: nothing came back"
    );
    // Beyond the window, the caller gets its client's own error.
    env.advance(60);
    let beyond = env.send(env.req(Method::GET, "/sie")).await;
    assert!(beyond.is_err(), "{beyond:?}");
    let stats = env.stats();
    assert_eq!((stats.stale, stats.upstream_errors), (2, 2));
    assert_eq!(env.store().entries, 2, "the stale entries are kept");
}
