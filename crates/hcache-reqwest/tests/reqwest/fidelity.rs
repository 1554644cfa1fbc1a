//! What the caller gives and gets is kept intact: header field lines, errors, extensions.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{Error, Middleware, Next};

use crate::support::{Env, Got, Reply};

/// Repeated field lines stay separate lines and an obs-text value keeps its bytes, on the
/// origin's response and on the hit served from the store.
#[tokio::test]
async fn repeated_lines_and_obs_text_survive_store_and_hit() {
    let env = Env::new(|_, _| {
        Reply::ok("x")
            .header("cache-control", "max-age=60")
            .header("x-multi", "one")
            .header("x-multi", "two, three")
            .raw_header("x-latin1", b"caf\xe9 \xff")
    })
    .await;
    for expected_status in [
        "hcache; fwd=uri-miss; fwd-status=200; stored",
        "hcache; hit; ttl=60",
    ] {
        let got = env.get("/h").await;
        assert_eq!(got.cache_status(), expected_status);
        let multi: Vec<_> = got.headers.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["one", "two, three"]);
        assert_eq!(got.headers["x-latin1"].as_bytes(), b"caf\xe9 \xff");
    }
    assert_eq!(env.origin.hits(), 1);
}

/// Request header lines reach the origin as the caller sent them.
#[tokio::test]
async fn request_lines_reach_the_origin() {
    let env = Env::new(|_, _| Reply::ok("x")).await;
    let res = env
        .client
        .get(env.url("/r"))
        .header("x-multi", "a")
        .header("x-multi", "b")
        .header(
            "x-latin1",
            http::HeaderValue::from_bytes(b"\xe9t\xe9").expect("obs-text"),
        )
        .send()
        .await
        .expect("GET");
    Got::read(res).await;
    let (head, _, _) = env.origin.request(0);
    let multi: Vec<_> = head.headers.get_all("x-multi").iter().collect();
    assert_eq!(multi, ["a", "b"]);
    assert_eq!(head.headers["x-latin1"].as_bytes(), b"\xe9t\xe9");
}

/// A URL `http::Uri` cannot hold (longer than 64 KiB) passes through the cache untouched,
/// so the caller gets what reqwest itself says of it (a builder error), not a cache error.
#[tokio::test]
async fn unrepresentable_url_passes_through() {
    let env = Env::new(|_, _| Reply::ok("unused")).await;
    let url = format!("{}?q={}", env.url("/long"), "a".repeat(70_000));
    let Err(err) = env.client.get(url).send().await else {
        panic!("reqwest refuses the URL");
    };
    let Error::Reqwest(e) = err else {
        panic!("expected reqwest's own error");
    };
    assert!(e.is_builder());
    assert_eq!(
        env.cache.stats().engine.requests,
        0,
        "never reached the engine"
    );
    assert_eq!(env.origin.hits(), 0);
}

/// A connection error is the caller's own `reqwest::Error`, not a cache error.
#[tokio::test]
async fn connection_error_is_the_reqwest_error() {
    let env = Env::new(|_, _| Reply::ok("unused")).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let err = env
        .client
        .get(format!("http://{closed}/gone"))
        .send()
        .await
        .expect_err("nothing listens");
    match err {
        Error::Reqwest(e) => {
            assert!(e.is_connect(), "{e:?}");
            assert_eq!(e.url().map(|u| u.path()), Some("/gone"));
        }
        other => panic!("expected the reqwest error, got {other:?}"),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("refused by policy")]
struct Refused;

/// Fails every request, as an authentication or rate-limit middleware might.
struct Refuse;

#[async_trait]
impl Middleware for Refuse {
    async fn handle(
        &self,
        _: Request,
        _: &mut Extensions,
        _: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        Err(Error::middleware(Refused))
    }
}

/// Another middleware's error comes back to the caller unchanged.
#[tokio::test]
async fn a_later_middlewares_error_comes_back_unchanged() {
    let env = Env::build(|_, _| Reply::ok("unused"), |b, _| b, |c| c.with(Refuse)).await;
    let err = env
        .client
        .get(env.url("/x"))
        .send()
        .await
        .expect_err("refused");
    let Error::Middleware(e) = err else {
        panic!("expected the middleware error, got {err:?}");
    };
    assert!(e.is::<Refused>(), "{e:?}");
    assert_eq!(env.origin.hits(), 0);
}

#[derive(Clone)]
struct Marker(&'static str);

#[derive(Clone)]
struct SeenBelow(&'static str);

/// Sits below the cache: records the marker it sees and leaves one for the middleware above.
struct Below(Arc<Mutex<Vec<&'static str>>>);

#[async_trait]
impl Middleware for Below {
    async fn handle(
        &self,
        req: Request,
        ext: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let marker = ext.get::<Marker>().map_or("none", |m| m.0);
        self.0.lock().unwrap().push(marker);
        ext.insert(SeenBelow(marker));
        next.run(req, ext).await
    }
}

/// Sits above the cache: checks what the middleware below left in the extensions.
struct Above(Arc<Mutex<Vec<&'static str>>>);

#[async_trait]
impl Middleware for Above {
    async fn handle(
        &self,
        req: Request,
        ext: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let res = next.run(req, ext).await;
        let seen = ext.get::<SeenBelow>().map_or("nothing below", |s| s.0);
        self.0.lock().unwrap().push(seen);
        res
    }
}

/// The caller's extensions reach the middleware below the cache, and what it adds is seen by
/// the middleware above once the call returns; a hit never reaches below.
#[tokio::test]
async fn extensions_pass_through_the_cache_both_ways() {
    let below = Arc::new(Mutex::new(Vec::new()));
    let above = Arc::new(Mutex::new(Vec::new()));
    let env = Env::new(|_, _| Reply::ok("x").header("cache-control", "max-age=60")).await;
    let client = reqwest_middleware::ClientBuilder::new(env.inner.clone())
        .with(Above(above.clone()))
        .with(env.cache.clone())
        .with(Below(below.clone()))
        .build();
    for _ in 0..2 {
        let res = client
            .get(env.url("/e"))
            .with_extension(Marker("from caller"))
            .send()
            .await
            .expect("GET");
        Got::read(res).await;
    }
    assert_eq!(
        *below.lock().unwrap(),
        ["from caller"],
        "the hit never went below"
    );
    assert_eq!(*above.lock().unwrap(), ["from caller", "nothing below"]);
}
