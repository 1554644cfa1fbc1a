//! The cache's decisions as a reqwest caller sees them: hits, validation, per-request modes,
//! invalidation and stale-while-revalidate.

use std::time::Duration;

use hcache_reqwest::CacheMode;

use crate::support::{Env, Got, Reply};

/// RFC 9111 §4.2: a fresh stored response is reused without contacting the origin.
#[tokio::test]
async fn s4_2_fresh_response_is_a_hit() {
    let env =
        Env::new(|_, n| Reply::ok(&format!("body {n}")).header("cache-control", "max-age=60"))
            .await;
    let first = env.get("/fresh").await;
    assert_eq!(
        first.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    env.advance(15);
    let second = env.get("/fresh").await;
    assert_eq!(second.status, 200);
    assert_eq!(second.text(), "body 0");
    assert_eq!(second.cache_status(), "hcache; hit; ttl=45");
    assert_eq!(second.header("age"), "15");
    assert_eq!(
        second.url,
        env.url("/fresh"),
        "a hit answers for the request's URL"
    );
    assert_eq!(env.origin.hits(), 1);
    assert_eq!(env.cache.stats().engine.hits, 1);
}

/// RFC 9111 §4.3.1, §4.3.4: a stale response is validated with its ETag; the 304 freshens it
/// and the caller gets the stored 200 and body.
#[tokio::test]
async fn s4_3_stale_response_is_revalidated_with_304() {
    let env = Env::new(|req, _| {
        if req
            .headers
            .get("if-none-match")
            .is_some_and(|v| v == "\"v1\"")
        {
            Reply::new(304)
                .header("etag", "\"v1\"")
                .header("cache-control", "max-age=10")
        } else {
            Reply::ok("stored body")
                .header("etag", "\"v1\"")
                .header("cache-control", "max-age=10")
        }
    })
    .await;
    env.get("/v").await;
    env.advance(30);
    let validated = env.get("/v").await;
    assert_eq!(validated.status, 200);
    assert_eq!(validated.text(), "stored body");
    assert_eq!(
        validated.cache_status(),
        "hcache; fwd=stale; fwd-status=304"
    );
    let (conditional, _, _) = env.origin.request(1);
    assert_eq!(conditional.headers["if-none-match"], "\"v1\"");
    // Freshened by the 304: fresh again for ten seconds.
    let hit = env.get("/v").await;
    assert_eq!(hit.cache_status(), "hcache; hit; ttl=10");
    assert_eq!(hit.text(), "stored body");
    assert_eq!(env.origin.hits(), 2);
}

/// A `CacheMode` set with reqwest-middleware's `with_extension` reaches the engine:
/// `NoStore` neither reads nor writes the cache.
#[tokio::test]
async fn no_store_mode_through_with_extension() {
    let env =
        Env::new(|_, n| Reply::ok(&format!("body {n}")).header("cache-control", "max-age=60"))
            .await;
    env.get("/m").await; // stored
    for expected in ["body 1", "body 2"] {
        let res = env
            .client
            .get(env.url("/m"))
            .with_extension(CacheMode::NoStore)
            .send()
            .await
            .expect("GET");
        let got = Got::read(res).await;
        assert_eq!(got.text(), expected, "NoStore goes to the origin");
        assert!(
            !got.cache_status().contains("stored"),
            "{}",
            got.cache_status()
        );
    }
    // The entry stored before is untouched, and still served to requests without the marker.
    assert_eq!(env.get("/m").await.text(), "body 0");
    assert_eq!(env.origin.hits(), 3);
}

/// `OnlyIfCached` answers 504 without touching the network when nothing is stored.
#[tokio::test]
async fn only_if_cached_mode_through_with_extension() {
    let env = Env::new(|_, _| Reply::ok("x").header("cache-control", "max-age=60")).await;
    let res = env
        .client
        .get(env.url("/nothing"))
        .with_extension(CacheMode::OnlyIfCached)
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 504);
    assert_eq!(env.origin.hits(), 0);
}

/// RFC 9111 §4.4: a successful POST invalidates the stored responses for its target URI.
#[tokio::test]
async fn s4_4_post_invalidates_the_target_uri() {
    let env = Env::new(|req, n| {
        if req.method == http::Method::POST {
            Reply::new(204)
        } else {
            Reply::ok(&format!("body {n}")).header("cache-control", "max-age=600")
        }
    })
    .await;
    env.get("/item").await;
    assert_eq!(
        env.get("/item").await.cache_status(),
        "hcache; hit; ttl=600"
    );
    let posted = env
        .client
        .post(env.url("/item"))
        .body("update")
        .send()
        .await
        .expect("POST");
    assert_eq!(posted.status(), 204);
    let after = env.get("/item").await;
    assert_eq!(
        after.text(),
        "body 2",
        "the stored response was invalidated"
    );
    assert!(
        after.cache_status().starts_with("hcache; fwd=uri-miss"),
        "{}",
        after.cache_status()
    );
    assert_eq!(env.origin.hits(), 3);
}

fn swr_origin(req: &http::request::Parts, n: usize) -> Reply {
    let _ = req;
    Reply::ok(&format!("version {n}"))
        .header("cache-control", "max-age=10, stale-while-revalidate=100")
        .header("etag", &format!("\"{n}\""))
}

/// RFC 5861 §3 with a background client: the stale response is served at once and the
/// refresh, sent by the background client, replaces it.
#[tokio::test]
async fn rfc5861_s3_background_refresh() {
    let env = Env::build(
        swr_origin,
        |b, client| b.background_client(client.clone()),
        |c| c,
    )
    .await;
    assert_eq!(env.get("/swr").await.text(), "version 0");
    env.advance(20);
    let stale = env.get("/swr").await;
    assert_eq!(stale.text(), "version 0", "served stale at once");
    assert_eq!(
        stale.cache_status(),
        "hcache; hit; ttl=-10; detail=stale-while-revalidate"
    );
    // Wait (bounded) for the refresh to be stored; no cache time passes meanwhile.
    let mut stored = false;
    for _ in 0..500 {
        if env.cache.stats().engine.stored >= 2 {
            stored = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(stored, "background refresh stored: {:?}", env.cache.stats());
    let (refresh, _, _) = env.origin.request(1);
    assert_eq!(
        refresh.headers["if-none-match"], "\"0\"",
        "the refresh is conditional"
    );
    let fresh = env.get("/swr").await;
    assert_eq!(fresh.text(), "version 1");
    assert_eq!(fresh.cache_status(), "hcache; hit; ttl=10");
    assert_eq!(env.origin.hits(), 2);
    assert_eq!(env.cache.stats().engine.background_revalidations, 1);
}

/// Without a background client, a response within stale-while-revalidate is validated in
/// the foreground: the caller gets the new response, never a stale one.
#[tokio::test]
async fn rfc5861_s3_foreground_without_background_client() {
    let env = Env::new(swr_origin).await;
    env.get("/swr").await;
    env.advance(20);
    let got = env.get("/swr").await;
    assert_eq!(got.text(), "version 1");
    assert_eq!(
        got.cache_status(),
        "hcache; fwd=stale; fwd-status=200; stored"
    );
    assert_eq!(env.origin.hits(), 2);
    assert_eq!(env.cache.stats().engine.background_revalidations, 0);
}
