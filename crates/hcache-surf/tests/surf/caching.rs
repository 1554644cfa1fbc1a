//! Reuse, validation, invalidation and per-request switches through surf (RFC 9111 §4).

use std::time::{Duration, UNIX_EPOCH};

use hcache_core::{CacheKey, CacheStore, Clock, ManualClock};
use hcache_store_memory::MemoryStore;
use hcache_surf::{Cache, CacheMode};

use crate::support::{Harness, Origin, Reply, T0};

fn cacheable(body: &str) -> Reply {
    Reply::new(200)
        .header("cache-control", "max-age=60")
        .body(body)
}

/// §4.2: a fresh stored response is served without contacting the origin.
#[async_std::test]
async fn s4_2_fresh_response_is_served_from_the_cache() {
    let h = Harness::start(|_| cacheable("fresh body")).await;

    let first = h.get("/fresh").await;
    assert_eq!(first.status(), 200);
    assert!(
        first.cache_status().contains("stored"),
        "{}",
        first.cache_status()
    );
    assert!(!first.is_hit());

    h.clock.advance(Duration::from_secs(30));
    let second = h.get("/fresh").await;
    assert_eq!(second.status(), 200);
    assert!(second.is_hit(), "{}", second.cache_status());
    assert_eq!(second.text(), "fresh body");
    assert_eq!(second.all("age"), ["30"]);
    // The hit's head is the miss's (async-h1 gives a response without Content-Type one; the
    // cache adds none of its own).
    assert_eq!(first.all("content-type"), ["application/octet-stream"]);
    assert_eq!(second.all("content-type"), first.all("content-type"));
    assert_eq!(h.origin.hits(), 1);
    assert_eq!(h.cache.stats().engine.hits, 1);
}

/// §4.3.1, §4.3.4: a stale response is validated with its ETag; the 304 freshens it and the
/// stored body is served.
#[async_std::test]
async fn s4_3_stale_response_is_revalidated_with_a_304() {
    let h = Harness::start(|req| {
        if req.header("if-none-match") == Some("\"v1\"") {
            Reply::new(304)
                .header("etag", "\"v1\"")
                .header("cache-control", "max-age=60")
        } else {
            Reply::new(200)
                .header("etag", "\"v1\"")
                .header("cache-control", "max-age=60")
                .body("version one")
        }
    })
    .await;

    assert_eq!(h.get("/doc").await.text(), "version one");
    h.clock.advance(Duration::from_secs(120));

    let validated = h.get("/doc").await;
    assert_eq!(validated.status(), 200);
    assert_eq!(validated.text(), "version one");
    assert!(
        validated.cache_status().contains("fwd-status=304"),
        "{}",
        validated.cache_status()
    );
    let seen = h.origin.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("if-none-match"), Some("\"v1\""));

    // Freshened by the 304: the next request is a hit.
    let after = h.get("/doc").await;
    assert!(after.is_hit(), "{}", after.cache_status());
    assert_eq!(h.origin.hits(), 2);
}

/// §4.4: a successful POST invalidates the stored response for its target URI; the request
/// body reaches the origin untouched.
#[async_std::test]
async fn s4_4_post_invalidates_the_target() {
    let h = Harness::start(|req| {
        if req.method == "POST" {
            Reply::new(200).body("updated")
        } else {
            cacheable("item")
        }
    })
    .await;

    h.get("/item").await;
    assert!(h.get("/item").await.is_hit());

    let post = h
        .send(surf::post(h.url("/item")).body("new state").build())
        .await;
    assert_eq!(post.text(), "updated");
    let seen = h.origin.seen();
    assert_eq!(seen[1].method, "POST");
    assert_eq!(seen[1].body, b"new state");
    assert_eq!(
        seen[1].header("content-type"),
        Some("text/plain;charset=utf-8")
    );

    let after = h.get("/item").await;
    assert!(!after.is_hit(), "{}", after.cache_status());
    assert_eq!(h.origin.hits(), 3);
}

/// `CacheMode::NoStore` set on the surf request's extensions reaches the engine: no lookup,
/// nothing stored.
#[async_std::test]
async fn no_store_mode_from_surf_request_extensions() {
    let h = Harness::start(|_| cacheable("body")).await;
    let no_store = || {
        let mut req = surf::get(h.url("/x")).build();
        req.set_ext(CacheMode::NoStore);
        req
    };

    assert_eq!(h.send(no_store()).await.text(), "body");
    assert_eq!(h.send(no_store()).await.text(), "body");
    assert_eq!(h.origin.hits(), 2);
    assert_eq!(h.cache.stats().engine.stored, 0);

    // Nothing was stored: a default request goes to the origin, and is stored then.
    assert!(!h.get("/x").await.is_hit());
    assert_eq!(h.origin.hits(), 3);
    assert!(h.get("/x").await.is_hit());
    // And NoStore bypasses the entry that is now there.
    assert!(!h.send(no_store()).await.is_hit());
    assert_eq!(h.origin.hits(), 4);
}

/// HEAD is answered from a stored GET (§4.3.5), and a HEAD that goes to the origin yields no
/// body, whatever its Content-Length says (RFC 9110 §9.3.2).
#[async_std::test]
async fn head_requests_have_no_body() {
    let h = Harness::start(|_| cacheable("0123456789")).await;

    let head = h.send(surf::head(h.url("/h")).build()).await;
    assert_eq!(head.status(), 200);
    assert_eq!(head.all("content-length"), ["10"]);
    assert!(head.body.is_empty());

    h.get("/h").await;
    let head = h.send(surf::head(h.url("/h")).build()).await;
    assert!(head.is_hit(), "{}", head.cache_status());
    assert!(head.body.is_empty());
    assert_eq!(h.origin.hits(), 2);
}

/// An origin whose responses allow stale-while-revalidate, answering validations with 304.
async fn swr_origin(clock: &ManualClock) -> Origin {
    Origin::start(clock.clone(), |req| {
        let validating = req.header("if-none-match").is_some();
        let reply = Reply::new(if validating { 304 } else { 200 })
            .header("etag", "\"e\"")
            .header("cache-control", "max-age=10, stale-while-revalidate=600");
        if validating { reply } else { reply.body("swr") }
    })
    .await
}

/// Stores a response, lets it go stale within its stale-while-revalidate window, and checks
/// that the next request is served at once while a background refresh freshens the entry.
async fn stale_served_then_refreshed(
    cache: &Cache<MemoryStore>,
    clock: &ManualClock,
    origin: &Origin,
) {
    let client = surf::Client::new().with(cache.clone());
    assert_eq!(
        client
            .recv_string(surf::get(origin.url("/s")))
            .await
            .unwrap(),
        "swr"
    );
    clock.advance(Duration::from_secs(60));

    let mut res = client.get(origin.url("/s")).await.unwrap();
    assert_eq!(res.body_string().await.unwrap(), "swr");
    let status = res["cache-status"].as_str().to_owned();
    assert!(
        status.contains("; hit") && status.contains("ttl=-"),
        "{status}"
    );

    // The refresh runs on its own: wait, boundedly, until the stored response is freshened.
    let key = stored_key(cache, &origin.url("/s"));
    for _ in 0..500 {
        let variants = cache.engine().store().get(&key).await.unwrap();
        if variants
            .first()
            .is_some_and(|v| v.response.response_time() == clock.now())
        {
            break;
        }
        async_std::task::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(cache.stats().engine.background_revalidations, 1);
    assert_eq!(cache.stats().engine.not_modified, 1);
    let seen = origin.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("if-none-match"), Some("\"e\""));

    // Freshened: a hit that is fresh again, and no further refresh.
    let res = client.get(origin.url("/s")).await.unwrap();
    let status = res["cache-status"].as_str();
    assert!(
        status.contains("; hit") && !status.contains("ttl=-"),
        "{status}"
    );
    assert_eq!(cache.stats().engine.background_revalidations, 1);
    assert_eq!(origin.hits(), 2);
}

/// RFC 5861 §3: with a background client, a response within stale-while-revalidate is served
/// at once and refreshed by a task on async-std.
#[async_std::test]
async fn rfc5861_s3_stale_while_revalidate_refreshes_in_the_background() {
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(T0));
    let origin = swr_origin(&clock).await;
    let cache = Cache::builder(MemoryStore::default())
        .clock(clock.clone())
        .background_client(surf::Client::new())
        .build();
    stale_served_then_refreshed(&cache, &clock, &origin).await;
}

/// A background client that has a cache of its own over the same store: refreshes carry a
/// marker that cache lets through, so they reach the origin instead of being answered from the
/// very entry they refresh.
#[async_std::test]
async fn refreshes_pass_through_a_cache_on_the_background_client() {
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(T0));
    let origin = swr_origin(&clock).await;
    let store = MemoryStore::default();
    let inner = Cache::builder(store.clone()).clock(clock.clone()).build();
    let cache = Cache::builder(store)
        .clock(clock.clone())
        .background_client(surf::Client::new().with(inner.clone()))
        .build();
    stale_served_then_refreshed(&cache, &clock, &origin).await;
    assert_eq!(inner.stats().engine.requests, 0);
}

/// The primary key the cache stores a GET of `url` under.
fn stored_key(cache: &Cache<MemoryStore>, url: &str) -> CacheKey {
    let (head, ()) = http::Request::get(url).body(()).unwrap().into_parts();
    cache.engine().policy().cache_key(&head).unwrap()
}
