//! Fields through every adapter: variants selected by `Vary` (RFC 9111 §4.1) and repeated
//! field lines kept as separate lines, in order (§3.1, RFC 9110 §5.3), both ways.

use hcache_core::CacheOptions;
use http::Method;

use crate::support::Reply;
use crate::support::adapters::{Client, Env};

pub(super) async fn s4_1_vary_two_variants_each_served_third_misses<C: Client>(store: C::Store) {
    let env = Env::<C>::start(store, CacheOptions::default(), |req, n| {
        let lang = req
            .headers
            .get("accept-language")
            .map_or("", |v| v.to_str().unwrap_or(""));
        let word = match lang {
            "en" => "hello",
            "fr" => "bonjour",
            _ => "hallo",
        };
        Reply::ok(&format!("{word} {n}"))
            .header("cache-control", "max-age=60")
            .header("vary", "accept-language")
            .header("content-language", lang)
    })
    .await;
    let en = env.get_with("/v", &[("accept-language", "en")]).await;
    assert_eq!(en.text(), "hello 0");
    assert_eq!(
        en.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    let fr = env.get_with("/v", &[("accept-language", "fr")]).await;
    assert_eq!(fr.text(), "bonjour 1");
    assert_eq!(
        fr.cache_status(),
        "hcache; fwd=vary-miss; fwd-status=200; stored",
        "the stored variant does not match"
    );
    let stats = env.store();
    assert_eq!(
        (stats.entries, stats.variants),
        (1, 2),
        "one key, two variants"
    );
    for _ in 0..2 {
        let en = env.get_with("/v", &[("accept-language", "en")]).await;
        assert_eq!(
            (en.text().as_str(), en.cache_status()),
            ("hello 0", "hcache; hit; ttl=60")
        );
        assert_eq!(en.header("content-language"), "en");
        let fr = env.get_with("/v", &[("accept-language", "fr")]).await;
        assert_eq!(
            (fr.text().as_str(), fr.cache_status()),
            ("bonjour 1", "hcache; hit; ttl=60")
        );
        assert_eq!(fr.header("content-language"), "fr");
    }
    assert_eq!(env.origin.hits(), 2);
    assert_eq!(env.stats().hits, 4);
    // A third value is a third variant; no Accept-Language at all is a value of its own (§4.1:
    // absent must match absent).
    for (headers, body) in [
        (&[("accept-language", "de")][..], "hallo 2"),
        (&[], "hallo 3"),
    ] {
        let got = env.get_with("/v", headers).await;
        assert_eq!(
            (got.text().as_str(), got.cache_status()),
            (body, "hcache; fwd=vary-miss; fwd-status=200; stored"),
            "{headers:?}"
        );
    }
    assert_eq!(env.origin.hits(), 4);
    assert_eq!(env.store().variants, 4);
}

pub(super) async fn s3_1_duplicate_header_lines<C: Client>(store: C::Store) {
    let env = Env::<C>::start(store, CacheOptions::default(), |_, _| {
        Reply::ok("body")
            .header("cache-control", "max-age=60")
            .header("x-multi", "first")
            .header("set-cookie", "a=1; Path=/")
            .header("x-multi", "second")
            .header("set-cookie", "b=2; Path=/")
            .header("x-multi", "third")
    })
    .await;
    let req = env
        .req(Method::GET, "/dup")
        .header("x-req", "one")
        .header("x-req", "two");
    let miss = env.send(req).await.expect("GET");
    assert_eq!(
        env.origin.sent(0, "x-req"),
        ["one", "two"],
        "the caller's repeated lines reach the origin, in order"
    );
    let hit = env.get("/dup").await;
    assert_eq!(hit.cache_status(), "hcache; hit; ttl=60");
    for (what, got) in [("miss", &miss), ("hit", &hit)] {
        assert_eq!(
            got.all("x-multi"),
            [&b"first"[..], b"second", b"third"],
            "{what}: every line, in order"
        );
        assert_eq!(
            got.all("set-cookie"),
            [&b"a=1; Path=/"[..], b"b=2; Path=/"],
            "{what}: Set-Cookie lines are never combined"
        );
        assert_eq!(
            got.all("cache-status").len(),
            1,
            "{what}: one Cache-Status line"
        );
    }
    assert_eq!(env.origin.hits(), 1);
}
