//! The layer over hyper-util's client, against a real origin on 127.0.0.1.

use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use hcache_core::{ManualClock, StaleIfErrorWindow};
use hcache_hyper::{CacheLayer, CacheMode, CacheOptions, CacheService, Engine, Error, ServiceSend};
use hcache_store_memory::MemoryStore;
use http::Request;
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use tower::{ServiceBuilder, ServiceExt};

use crate::support::origin::{pattern_body, pattern_chunk};
use crate::support::{
    Digest, OnePermit, Origin, TestClient, channel_body, client, empty, full, get, read, reply,
    send, within,
};

type Cached = CacheService<TestClient, MemoryStore>;

fn cached() -> Cached {
    ServiceBuilder::new()
        .layer(CacheLayer::new(MemoryStore::default()))
        .service(client())
}

async fn fresh_origin() -> Origin {
    Origin::start(|_, n| async move {
        reply(
            200,
            &[("cache-control", b"max-age=60")],
            full(format!("response {n}")),
        )
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_response_is_served_from_the_cache() {
    let origin = fresh_origin().await;
    let mut svc = cached();
    let first = read(send(&mut svc, get(&origin.url("/a"))).await.unwrap()).await;
    let second = read(send(&mut svc, get(&origin.url("/a"))).await.unwrap()).await;
    assert_eq!(first.text(), "response 0");
    assert!(first.cache_status().contains("fwd=uri-miss"), "{first:?}");
    assert!(first.cache_status().contains("stored"), "{first:?}");
    assert_eq!(second.text(), "response 0");
    assert!(second.cache_status().contains("; hit"), "{second:?}");
    assert_eq!(origin.hits(), 1);
    let stats = svc.engine().stats().engine;
    assert_eq!((stats.requests, stats.hits, stats.stored), (2, 1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_at_the_known_length_still_stores() {
    // hyper's server stops polling a body once its Content-Length is written, without waiting
    // for the end-of-stream poll: the entry must be committed by then.
    let origin = fresh_origin().await;
    let mut svc = cached();
    let res = send(&mut svc, get(&origin.url("/len"))).await.unwrap();
    let mut body = res.into_body();
    let mut read_bytes = 0;
    while !http_body::Body::is_end_stream(&body) {
        let frame = body.frame().await;
        let frame = frame.expect("the body says it has ended before its last poll");
        read_bytes += frame.unwrap().into_data().map_or(0, |d| d.len());
    }
    assert_eq!(read_bytes, "response 0".len());
    drop(body);
    let got = read(send(&mut svc, get(&origin.url("/len"))).await.unwrap()).await;
    assert!(got.cache_status().contains("; hit"), "{got:?}");
    assert_eq!(origin.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_from_one_layer_share_the_engine() {
    let origin = fresh_origin().await;
    let layer = CacheLayer::new(MemoryStore::default());
    let builder = ServiceBuilder::new().layer(layer);
    let mut a = builder.service(client());
    let mut b = builder.service(client());
    read(send(&mut a, get(&origin.url("/shared"))).await.unwrap()).await;
    let got = read(send(&mut b, get(&origin.url("/shared"))).await.unwrap()).await;
    assert!(got.cache_status().contains("; hit"), "{got:?}");
    assert_eq!(origin.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ready_instance_is_the_one_called() {
    // A capacity-reserving inner service (one permit): calling anything but the instance
    // `poll_ready` prepared fails, and so does leaking the permit between requests.
    let origin = fresh_origin().await;
    let mut svc = ServiceBuilder::new()
        .layer(CacheLayer::new(MemoryStore::default()))
        .service(OnePermit::new(client()));
    for path in ["/p", "/p", "/q", "/p"] {
        let got = read(send(&mut svc, get(&origin.url(path))).await.unwrap()).await;
        assert_eq!(got.status, 200);
    }
    assert_eq!(origin.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_response_is_revalidated_with_a_304() {
    let origin = Origin::start(|req, n| async move {
        if n == 0 {
            return reply(
                200,
                &[
                    ("cache-control", b"max-age=0"),
                    ("etag", b"\"v1\""),
                    ("x-version", b"1"),
                ],
                full("the stored body"),
            );
        }
        let matches = req
            .headers()
            .get("if-none-match")
            .is_some_and(|v| v == "\"v1\"");
        if matches {
            reply(304, &[("etag", b"\"v1\""), ("x-version", b"2")], empty())
        } else {
            reply(200, &[], full("unconditional"))
        }
    })
    .await;
    let mut svc = cached();
    read(send(&mut svc, get(&origin.url("/r"))).await.unwrap()).await;
    let got = read(send(&mut svc, get(&origin.url("/r"))).await.unwrap()).await;
    assert_eq!(origin.hits(), 2);
    assert_eq!(origin.request(1).headers["if-none-match"], "\"v1\"");
    assert_eq!(got.status, 200);
    assert_eq!(got.text(), "the stored body");
    assert_eq!(
        got.headers["x-version"], "2",
        "the 304 freshened the stored head"
    );
    assert!(got.cache_status().contains("fwd-status=304"), "{got:?}");
    assert_eq!(svc.engine().stats().engine.not_modified, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_64_mib_body_streams_through() {
    const CHUNK: usize = 1 << 20;
    const COUNT: usize = 64;
    let origin = Origin::start(|_, _| async {
        // No length announced: the engine starts storing, and gives up past the store's
        // entry limit while the body keeps streaming.
        reply(
            200,
            &[("cache-control", b"max-age=60")],
            pattern_body(COUNT, CHUNK),
        )
    })
    .await;
    let mut expected = Digest::default();
    for i in 0..COUNT {
        expected.update(&pattern_chunk(i, CHUNK));
    }
    let mut svc = cached();
    let res = within(120, "64 MiB response", async {
        let res = send(&mut svc, get(&origin.url("/big"))).await.unwrap();
        Digest::of_body(res.into_body()).await.unwrap()
    })
    .await;
    assert_eq!(res.len, (COUNT * CHUNK) as u64);
    assert_eq!(res, expected);
    let stats = svc.engine().stats().engine;
    assert_eq!(stats.stored, 0, "larger than the store's entry limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_chunks_reach_the_caller_before_the_origin_sends_the_next() {
    // The origin only makes chunk k+1 after the caller has received chunk k: any buffering
    // between them would deadlock (bounded by `within`).
    let (tx, mut rx) = mpsc::channel::<mpsc::Sender<Bytes>>(1);
    let origin = Origin::start(move |_, _| {
        let tx = tx.clone();
        async move {
            let (chunks, body) = channel_body();
            tx.send(chunks).await.unwrap();
            reply(200, &[("cache-control", b"max-age=60")], body)
        }
    })
    .await;
    let mut svc = cached();
    within(30, "chunk by chunk", async {
        let res = send(&mut svc, get(&origin.url("/drip"))).await.unwrap();
        let chunks = rx.recv().await.unwrap();
        let mut body = res.into_body();
        for i in 0..4u8 {
            chunks.send(Bytes::from(vec![i; 1000])).await.unwrap();
            let frame = body.frame().await.unwrap().unwrap();
            assert_eq!(frame.into_data().unwrap(), Bytes::from(vec![i; 1000]));
        }
        drop(chunks);
        assert!(body.frame().await.is_none());
    })
    .await;
    // The tee stored it on the way: the next request is a hit with the whole body.
    let got = read(send(&mut svc, get(&origin.url("/drip"))).await.unwrap()).await;
    assert!(got.cache_status().contains("; hit"), "{got:?}");
    assert_eq!(got.body.len(), 4000);
    assert_eq!(origin.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_stream_to_the_origin() {
    // The caller sends chunk k+1 only once the origin has received chunk k.
    let (got_tx, mut got_rx) = mpsc::channel::<usize>(1);
    let origin = Origin::start(move |req, _| {
        let got_tx = got_tx.clone();
        async move {
            let mut body = req.into_body();
            let mut digest = Digest::default();
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame.unwrap().into_data() {
                    digest.update(&data);
                    let _ = got_tx.send(data.len()).await;
                }
            }
            reply(200, &[], full(format!("{} {}", digest.len, digest.hash)))
        }
    })
    .await;
    let svc = cached();
    let (chunks, body) = channel_body();
    let request = Request::post(origin.url("/upload")).body(body).unwrap();
    let call = tokio::spawn(svc.oneshot(request));
    let mut expected = Digest::default();
    within(30, "request chunk by chunk", async {
        for i in 0..8 {
            let chunk = pattern_chunk(i, 256 * 1024);
            expected.update(&chunk);
            chunks.send(chunk).await.unwrap();
            let mut received = 0;
            while received < 256 * 1024 {
                received += got_rx.recv().await.unwrap();
            }
        }
    })
    .await;
    drop(chunks);
    let got = read(within(30, "upload response", call).await.unwrap().unwrap()).await;
    assert_eq!(got.text(), format!("{} {}", expected.len, expected.hash));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_lines_and_obs_text_survive_both_ways() {
    let origin = Origin::start(|_, _| async {
        reply(
            200,
            &[
                ("cache-control", b"max-age=60"),
                ("x-multi", b"one"),
                ("x-multi", b"two, three"),
                ("x-obs", b"caf\xe9 \xff"),
            ],
            full("body"),
        )
    })
    .await;
    let mut svc = cached();
    let request = || {
        let mut r = get(&origin.url("/h"));
        let h = r.headers_mut();
        h.append("x-req", "a".parse().unwrap());
        h.append("x-req", "b".parse().unwrap());
        h.append(
            "x-req-obs",
            http::HeaderValue::from_bytes(b"\xe9t\xe9").unwrap(),
        );
        r
    };
    let miss = read(send(&mut svc, request()).await.unwrap()).await;
    let hit = read(send(&mut svc, request()).await.unwrap()).await;
    assert!(hit.cache_status().contains("; hit"), "{hit:?}");
    for got in [&miss, &hit] {
        assert_eq!(
            got.lines("x-multi"),
            [b"one".to_vec(), b"two, three".to_vec()]
        );
        assert_eq!(got.lines("x-obs"), [b"caf\xe9 \xff".to_vec()]);
    }
    let seen = origin.request(0);
    assert_eq!(
        crate::support::lines(&seen.headers, "x-req"),
        [b"a".to_vec(), b"b".to_vec()]
    );
    assert_eq!(seen.headers["x-req-obs"].as_bytes(), b"\xe9t\xe9");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inner_service_error_is_an_error() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let mut svc = cached();
    let err = send(&mut svc, get(&url)).await.unwrap_err();
    let Error::Inner(inner) = &err else {
        panic!("expected Error::Inner, got {err:?}");
    };
    let client_err = inner
        .downcast_ref::<hyper_util::client::legacy::Error>()
        .expect("the client's own error, as the source");
    assert!(client_err.is_connect(), "{client_err:?}");
    assert!(std::error::Error::source(&err).is_some());
    assert!(err.inner().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_if_error_stands_in_for_an_inner_error() {
    let origin = Origin::start(|_, _| async {
        reply(
            200,
            &[("cache-control", b"max-age=0"), ("etag", b"\"k\"")],
            full("kept"),
        )
    })
    .await;
    let url = origin.url("/sie");
    let mut svc = cached();
    read(send(&mut svc, get(&url)).await.unwrap()).await;
    drop(origin);
    // A fresh client: the old one's pooled connection would still reach the aborted origin's
    // connection task.
    let engine = svc.engine().clone();
    let mut svc = CacheService::new(client(), engine);
    let mut request = get(&url);
    request
        .extensions_mut()
        .insert(StaleIfErrorWindow(Duration::from_secs(60)));
    let got = read(send(&mut svc, request).await.unwrap()).await;
    assert_eq!(got.text(), "kept");
    assert!(got.cache_status().contains("stale-if-error"), "{got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_store_mode_in_the_extensions_is_honoured() {
    let origin = fresh_origin().await;
    let mut svc = cached();
    let no_store = || {
        let mut r = get(&origin.url("/m"));
        r.extensions_mut().insert(CacheMode::NoStore);
        r
    };
    let bypass = read(send(&mut svc, no_store()).await.unwrap()).await;
    assert!(bypass.cache_status().contains("fwd=bypass"), "{bypass:?}");
    let miss = read(send(&mut svc, get(&origin.url("/m"))).await.unwrap()).await;
    assert_eq!(
        miss.text(),
        "response 1",
        "the no-store response was not stored"
    );
    let bypass = read(send(&mut svc, no_store()).await.unwrap()).await;
    assert_eq!(
        bypass.text(),
        "response 2",
        "no-store does not read the cache either"
    );
    let hit = read(send(&mut svc, get(&origin.url("/m"))).await.unwrap()).await;
    assert_eq!(hit.text(), "response 1");
    assert_eq!(origin.hits(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_while_revalidate_refreshes_on_tokio() {
    let origin = Origin::start(|_, n| async move {
        reply(
            200,
            &[("cache-control", b"max-age=1, stale-while-revalidate=60")],
            full(format!("v{n}")),
        )
    })
    .await;
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let client = client();
    let engine = Engine::builder(MemoryStore::default())
        .options(CacheOptions::default())
        .clock(clock.clone())
        .background(hcache_hyper::TokioSpawn, ServiceSend::new(client.clone()))
        .build();
    let mut svc = ServiceBuilder::new()
        .layer(CacheLayer::from_engine(engine))
        .service(client);
    let url = origin.url("/swr");
    assert_eq!(
        read(send(&mut svc, get(&url)).await.unwrap()).await.text(),
        "v0"
    );
    clock.advance(Duration::from_secs(10));
    let stale = read(send(&mut svc, get(&url)).await.unwrap()).await;
    assert_eq!(stale.text(), "v0", "served stale at once: {stale:?}");
    // The refresh runs on its own; wait (bounded) until it has stored the new response.
    within(30, "background refresh", async {
        while svc.engine().stats().engine.stored < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(origin.hits(), 2);
    assert_eq!(svc.engine().stats().engine.background_revalidations, 1);
    let fresh = read(send(&mut svc, get(&url)).await.unwrap()).await;
    assert_eq!(fresh.text(), "v1");
    assert!(fresh.cache_status().contains("; hit"), "{fresh:?}");
    assert_eq!(origin.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_background_refreshes_through_the_given_service() {
    let origin = Origin::start(|_, n| async move {
        reply(
            200,
            &[("cache-control", b"max-age=0, stale-while-revalidate=60")],
            full(format!("v{n}")),
        )
    })
    .await;
    let client = client();
    let layer = CacheLayer::with_background(
        MemoryStore::default(),
        CacheOptions::default(),
        client.clone(),
    );
    let mut svc = ServiceBuilder::new().layer(layer).service(client);
    let url = origin.url("/swr2");
    assert_eq!(
        read(send(&mut svc, get(&url)).await.unwrap()).await.text(),
        "v0"
    );
    let stale = read(send(&mut svc, get(&url)).await.unwrap()).await;
    assert_eq!(stale.text(), "v0");
    within(30, "background refresh", async {
        while origin.hits() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(svc.engine().stats().engine.background_revalidations, 1);
}
