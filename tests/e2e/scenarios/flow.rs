//! The basic flow through every adapter: miss → store → fresh hit (RFC 9111 §4, §4.2),
//! validation answered 304 or with a new response (§4.3), what is never stored (§5.2.2.5),
//! `only-if-cached` (§5.2.1.7) and invalidation by an unsafe method (§4.4).

use hcache_core::{CacheMode, CacheOptions};
use http::Method;

use crate::support::adapters::{Client, Env, Marker};
use crate::support::{Reply, date};

pub(super) async fn s4_2_fresh_hit<C: Client>(store: C::Store) {
    let env = Env::<C>::start(store, CacheOptions::default(), |_, n| {
        Reply::ok(&format!("body {n}"))
            .header("cache-control", "max-age=60")
            .header("date", &date(0))
    })
    .await;
    let first = env.get("/a").await;
    assert_eq!((first.status, first.text().as_str()), (200, "body 0"));
    assert_eq!(
        first.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    env.advance(30);
    let second = env.get("/a").await;
    assert_eq!((second.status, second.text().as_str()), (200, "body 0"));
    assert_eq!(
        second.header("age"),
        "30",
        "§4.2.3: the age grew with the clock"
    );
    assert_eq!(second.cache_status(), "hcache; hit; ttl=30");
    assert_eq!(env.origin.hits(), 1, "the hit never reached the origin");
    let stats = env.stats();
    assert_eq!((stats.hits, stats.misses, stats.stored), (1, 1, 1));
}

pub(super) async fn s4_3_revalidation_304<C: Client>(store: C::Store) {
    let env = Env::<C>::start(store, CacheOptions::default(), |req, n| {
        let matches = req
            .headers
            .get("if-none-match")
            .is_some_and(|v| v == "\"v1\"");
        if n > 0 && matches {
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
    env.get("/r").await;
    env.advance(100);
    let validated = env.get("/r").await;
    assert_eq!(
        (validated.status, validated.text().as_str()),
        (200, "payload"),
        "the caller gets the stored 200, not the 304"
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
    assert_eq!(
        env.origin.sent(1, "if-none-match"),
        ["\"v1\""],
        "§4.3.1: the validation carries the stored validator"
    );
    env.advance(10);
    let hit = env.get("/r").await;
    assert_eq!((hit.text().as_str(), hit.header("age")), ("payload", "10"));
    assert_eq!(hit.header("x-new"), "yes", "the update was stored");
    assert_eq!(env.origin.hits(), 2);
    assert_eq!(env.stats().not_modified, 1);
}

pub(super) async fn s4_3_3_changed_on_revalidation<C: Client>(store: C::Store) {
    let env = Env::<C>::start(store, CacheOptions::default(), |_, n| {
        Reply::ok(&format!("version {n}"))
            .header("cache-control", "max-age=10")
            .header("etag", &format!("\"{n}\""))
    })
    .await;
    assert_eq!(env.get("/c").await.text(), "version 0");
    env.advance(20);
    let changed = env.get("/c").await;
    assert_eq!(
        changed.text(),
        "version 1",
        "the new response, not the stored one"
    );
    assert_eq!(changed.header("etag"), "\"1\"");
    assert_eq!(
        changed.cache_status(),
        "hcache; fwd=stale; fwd-status=200; stored"
    );
    assert_eq!(env.origin.sent(1, "if-none-match"), ["\"0\""]);
    let hit = env.get("/c").await;
    assert_eq!(
        (hit.text().as_str(), hit.cache_status()),
        ("version 1", "hcache; hit; ttl=10"),
        "§4.3.3: the new response replaced the stored one"
    );
    assert_eq!(env.origin.hits(), 2);
    assert_eq!(env.stats().changed, 1);
    assert_eq!(env.store().variants, 1);
}

pub(super) async fn s4_miss<C: Client>(store: C::Store) {
    let env = Env::<C>::start(store, CacheOptions::default(), |req, n| {
        Reply::ok(&format!("{} {n}", req.uri)).header("cache-control", "max-age=60")
    })
    .await;
    let req = env.req(Method::GET, "/m?x=1").header("x-trace", "abc");
    let one = env.send(req).await.expect("GET");
    assert_eq!((one.status, one.text().as_str()), (200, "/m?x=1 0"));
    assert_eq!(
        one.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    let sent = env.origin.request(0);
    assert_eq!(
        (sent.method, sent.uri.to_string()),
        (Method::GET, "/m?x=1".into())
    );
    assert_eq!(
        env.origin.sent(0, "x-trace"),
        ["abc"],
        "the caller's fields reach the origin"
    );
    // Another query is another key (§4.1: the target URI is the primary key).
    let two = env.get("/m?x=2").await;
    assert_eq!(two.text(), "/m?x=2 1");
    assert_eq!(
        two.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    assert_eq!(env.get("/m?x=1").await.text(), "/m?x=1 0");
    assert_eq!(env.origin.hits(), 2);
    let stats = env.stats();
    assert_eq!((stats.misses, stats.hits, stats.stored), (2, 1, 2));
    assert_eq!(env.store().entries, 2);
}

pub(super) async fn s5_2_2_5_no_store<C: Client>(store: C::Store) {
    // `no-store` beside a freshness lifetime it outranks, and `no-store` alone.
    let env = Env::<C>::start(store, CacheOptions::default(), |req, n| {
        let cc = if req.uri.path() == "/ns" {
            "no-store, max-age=60"
        } else {
            "no-store"
        };
        Reply::ok(&format!("n{n}")).header("cache-control", cc)
    })
    .await;
    for (i, path) in ["/ns", "/ns-alone"].into_iter().enumerate() {
        let first = env.get(path).await;
        assert_eq!(first.text(), format!("n{}", 2 * i), "{path}");
        assert_eq!(
            first.cache_status(),
            "hcache; fwd=uri-miss; fwd-status=200",
            "{path}: not stored"
        );
        let second = env.get(path).await;
        assert_eq!(
            second.text(),
            format!("n{}", 2 * i + 1),
            "{path}: each request goes to the origin"
        );
        assert_eq!(
            second.cache_status(),
            "hcache; fwd=uri-miss; fwd-status=200",
            "{path}"
        );
    }
    assert_eq!(env.origin.hits(), 4);
    assert_eq!((env.stats().stored, env.store().entries), (0, 0));
}

pub(super) async fn s4_4_post_invalidates<C: Client>(store: C::Store) {
    let env = Env::<C>::start(store, CacheOptions::default(), |req, n| {
        if req.method == Method::POST {
            Reply::new(201).header("location", "/items/1")
        } else {
            Reply::ok(&format!("list {n}")).header("cache-control", "max-age=600")
        }
    })
    .await;
    env.get("/items").await;
    env.get("/items/1").await;
    assert_eq!(env.store().entries, 2);
    let posted = env
        .send(env.req(Method::POST, "/items"))
        .await
        .expect("POST");
    assert_eq!(posted.status, 201);
    assert_eq!(
        env.origin.request(2).method,
        Method::POST,
        "POST goes through"
    );
    assert_eq!(
        env.store().entries,
        0,
        "§4.4: the target and the Location are invalidated"
    );
    let again = env.get("/items").await;
    assert_eq!(again.text(), "list 3");
    assert_eq!(
        again.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    assert_eq!(env.stats().invalidated, 2);
}

pub(super) async fn s5_2_1_7_only_if_cached_504<C: Client>(store: C::Store) {
    let env = Env::<C>::start(store, CacheOptions::default(), |_, n| {
        Reply::ok(&format!("n{n}")).header("cache-control", "max-age=10")
    })
    .await;
    // Nothing stored: 504 without touching the network, by directive or by marker.
    let by_directive = env
        .get_with("/oic", &[("cache-control", "only-if-cached")])
        .await;
    let by_marker = env
        .get_marked("/oic", Marker::Mode(CacheMode::OnlyIfCached))
        .await
        .expect("a 504, not an error");
    for (what, got) in [("directive", &by_directive), ("marker", &by_marker)] {
        assert_eq!(got.status, 504, "{what}");
        assert!(got.body.is_empty(), "{what}");
        assert_eq!(
            got.cache_status(),
            "hcache; detail=only-if-cached",
            "{what}"
        );
    }
    assert_eq!(env.origin.hits(), 0, "no network");
    env.get("/oic").await;
    let fresh = env
        .get_with("/oic", &[("cache-control", "only-if-cached")])
        .await;
    assert_eq!((fresh.status, fresh.text().as_str()), (200, "n0"));
    assert_eq!(fresh.cache_status(), "hcache; hit; ttl=10");
    // The marker serves what is stored even when stale.
    env.advance(100);
    let stale = env
        .get_marked("/oic", Marker::Mode(CacheMode::OnlyIfCached))
        .await
        .expect("the stale response");
    assert_eq!((stale.status, stale.text().as_str()), (200, "n0"));
    assert_eq!(stale.cache_status(), "hcache; hit; ttl=-90; detail=mode");
    assert_eq!(env.origin.hits(), 1);
}
