//! Bodies on their way through the cache: only a body read to its end becomes an entry (RFC
//! 9111 §3.3); bodies larger than the store takes pass through; a failing store never fails a
//! request.

use bytes::Bytes;
use hcache_core::{CacheOptions, CacheStore};
use http::Method;
use http_body_util::{BodyExt, Full};

use crate::for_each_store;
use crate::support::failing::Failures;
use crate::support::{FailingStore, Harness, Reply, counting_origin};

for_each_store!(
    s3_3_origin_abort_mid_body_stores_nothing,
    engine_caller_drops_body_early_stores_nothing,
    engine_too_large_with_content_length_passes_through[max_entry_size = 1024],
    engine_too_large_chunked_passes_through[max_entry_size = 1024],
    engine_failing_store_requests_still_succeed,
);

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
        .send(Method::GET, "/torn", &[])
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
    let stats = h.engine.stats().engine;
    assert_eq!((stats.upstream_errors, stats.stored), (1, 1));
}

async fn engine_caller_drops_body_early_stores_nothing<S: CacheStore>(store: S) {
    const CHUNK: usize = 16 * 1024;
    const CHUNKS: usize = 64;
    let h = Harness::new(store, CacheOptions::default(), |_, _| {
        Reply::new(200)
            .header("cache-control", "max-age=600")
            .streamed(Bytes::from(vec![b'z'; CHUNK]), CHUNKS)
    })
    .await;
    let req = h
        .request(Method::GET, "/early")
        .body(Full::default())
        .unwrap();
    let res = h.engine.handle(req, &h.upstream).await.expect("response");
    assert_eq!(
        res.headers()["cache-status"],
        "hcache; fwd=uri-miss; fwd-status=200; stored",
        "storing had begun"
    );
    let mut body = res.into_body();
    let first = body.frame().await.expect("a frame").expect("data");
    let first = first.into_data().expect("data frame");
    assert!(
        !first.is_empty() && first.len() < CHUNK * CHUNKS,
        "{}",
        first.len()
    );
    drop(body);
    assert_eq!(
        h.engine.store().stats().entries,
        0,
        "a partial body is never an entry"
    );
    assert_eq!(h.engine.stats().engine.stored, 0);
    let next = h.get("/early").await;
    assert_eq!(next.body.len(), CHUNK * CHUNKS);
    assert_eq!(
        next.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    assert_eq!(h.origin.hits(), 2, "the next request went to the origin");
    assert_eq!(h.get("/early").await.body.len(), CHUNK * CHUNKS);
    assert_eq!(h.origin.hits(), 2, "and the complete body was stored");
}

async fn engine_too_large_with_content_length_passes_through<S: CacheStore>(store: S) {
    assert_eq!(store.max_entry_size(), Some(1024));
    let h = Harness::new(store, CacheOptions::default(), |req, _| {
        let size = if req.uri.path() == "/small" {
            1024
        } else {
            4096
        };
        Reply::ok(&"x".repeat(size)).header("cache-control", "max-age=600")
    })
    .await;
    for _ in 0..2 {
        let got = h.get("/big").await;
        assert_eq!(
            (got.status, got.body.len()),
            (200, 4096),
            "the whole body passes through"
        );
        assert_eq!(got.header("content-length"), "4096");
        assert_eq!(
            got.cache_status(),
            "hcache; fwd=uri-miss; fwd-status=200",
            "not stored"
        );
    }
    assert_eq!(h.origin.hits(), 2, "nothing to reuse");
    assert_eq!(h.engine.store().stats().entries, 0);
    // At the limit, a body is stored.
    h.get("/small").await;
    assert_eq!(h.get("/small").await.cache_status(), "hcache; hit; ttl=600");
    let stats = h.engine.stats().engine;
    assert_eq!((stats.too_large, stats.stored), (2, 1));
}

async fn engine_too_large_chunked_passes_through<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |_, _| {
        Reply::new(200)
            .header("cache-control", "max-age=600")
            .chunked(Bytes::from(vec![b'y'; 512]), 8)
    })
    .await;
    for _ in 0..2 {
        let got = h.get("/big").await;
        assert_eq!(
            (got.status, got.body.len()),
            (200, 4096),
            "the whole body passes through"
        );
        assert_eq!(
            got.header("transfer-encoding"),
            "chunked",
            "no length was announced"
        );
        // The head went out before the body outgrew the store, so `Cache-Status` can only
        // say that storing began; the store is the judge.
        assert!(got.body.iter().all(|&b| b == b'y'));
    }
    assert_eq!(h.origin.hits(), 2, "nothing to reuse");
    assert_eq!(h.engine.store().stats().entries, 0);
    let stats = h.engine.stats().engine;
    assert_eq!(
        (stats.too_large, stats.stored, stats.store_errors),
        (2, 0, 0)
    );
}

async fn engine_failing_store_requests_still_succeed<S: CacheStore>(store: S) {
    let store = FailingStore::new(store);
    let fail = store.fail.clone();
    let h = Harness::new(store, CacheOptions::default(), counting_origin).await;
    let errors = || h.engine.stats().engine.store_errors;
    assert_eq!(h.get("/a").await.text(), "n0");

    // A failed lookup is a miss.
    Failures::set(&fail.get, true);
    let got = h.get("/a").await;
    assert_eq!((got.status, got.text().as_str()), (200, "n1"));
    assert_eq!(
        got.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    Failures::set(&fail.get, false);
    assert_eq!(errors(), 1);

    // A failed begin: the body passes through unstored.
    Failures::set(&fail.begin, true);
    let got = h.get("/b").await;
    assert_eq!((got.status, got.text().as_str()), (200, "n2"));
    assert_eq!(got.cache_status(), "hcache; fwd=uri-miss; fwd-status=200");
    Failures::set(&fail.begin, false);
    assert_eq!(errors(), 2);
    assert_eq!(h.get("/b").await.text(), "n3", "nothing was stored");

    // A body that cannot be opened: the variant is removed and the request goes forward.
    Failures::set(&fail.open, true);
    let got = h.get("/a").await;
    assert_eq!((got.status, got.text().as_str()), (200, "n4"));
    Failures::set(&fail.open, false);
    assert_eq!(errors(), 3);
    assert_eq!(h.get("/a").await.cache_status(), "hcache; hit; ttl=10");

    // A failed update after a 304: the stored body is still served.
    h.advance(30);
    Failures::set(&fail.update, true);
    let got = h.get("/a").await;
    assert_eq!((got.status, got.text().as_str()), (200, "n4"));
    assert_eq!(got.cache_status(), "hcache; fwd=stale; fwd-status=304");
    Failures::set(&fail.update, false);
    assert_eq!(errors(), 4);
    // The entry was not freshened, so it is validated again (and freshened this time).
    assert_eq!(
        h.get("/a").await.cache_status(),
        "hcache; fwd=stale; fwd-status=304"
    );
    assert_eq!(h.get("/a").await.cache_status(), "hcache; hit; ttl=10");
    assert_eq!(errors(), 4);
    assert_eq!(h.origin.hits(), 7);
}
