//! What the cache keeps of a response's fields: variants selected by `Vary` (RFC 9111 §4.1),
//! repeated field lines in order and obs-text values byte for byte (§3.1, RFC 9110 §5.3, §5.5).

use hcache_core::{CacheOptions, CacheStore};

use crate::for_each_store;
use crate::support::{Harness, Reply};

for_each_store!(
    s4_1_vary_two_variants_each_served_third_misses,
    s4_1_vary_accept_language_reordered_matches,
    s3_1_repeated_field_lines_preserved_in_order,
    s3_1_obs_text_field_value_preserved_byte_for_byte,
);

async fn s4_1_vary_two_variants_each_served_third_misses<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |req, n| {
        let lang = req
            .headers
            .get("accept-language")
            .map_or("", |v| v.to_str().unwrap());
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
    let en = h.get_with("/v", &[("accept-language", "en")]).await;
    assert_eq!(en.text(), "hello 0");
    assert_eq!(
        en.cache_status(),
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    let fr = h.get_with("/v", &[("accept-language", "fr")]).await;
    assert_eq!(fr.text(), "bonjour 1");
    assert_eq!(
        fr.cache_status(),
        "hcache; fwd=vary-miss; fwd-status=200; stored"
    );
    let stats = h.engine.store().stats();
    assert_eq!(
        (stats.entries, stats.variants),
        (1, 2),
        "one key, two variants"
    );

    for _ in 0..2 {
        let en = h.get_with("/v", &[("accept-language", "en")]).await;
        assert_eq!(
            (en.text().as_str(), en.cache_status()),
            ("hello 0", "hcache; hit; ttl=60")
        );
        let fr = h.get_with("/v", &[("accept-language", "fr")]).await;
        assert_eq!(
            (fr.text().as_str(), fr.cache_status()),
            ("bonjour 1", "hcache; hit; ttl=60")
        );
    }
    assert_eq!(h.origin.hits(), 2);

    let de = h.get_with("/v", &[("accept-language", "de")]).await;
    assert_eq!(de.text(), "hallo 2");
    assert_eq!(
        de.cache_status(),
        "hcache; fwd=vary-miss; fwd-status=200; stored"
    );
    // No Accept-Language at all is a value of its own (§4.1: absent must match absent).
    let none = h.get("/v").await;
    assert_eq!(
        none.cache_status(),
        "hcache; fwd=vary-miss; fwd-status=200; stored"
    );
    assert_eq!(h.origin.hits(), 4);
    assert_eq!(h.engine.store().stats().variants, 4);
}

async fn s4_1_vary_accept_language_reordered_matches<S: CacheStore>(store: S) {
    // "reordering field values when order is not significant": weights, not order, rank an
    // Accept-Language list (RFC 9110 §12.4.2). The key survives the store's round trip.
    let h = Harness::new(store, CacheOptions::default(), |_, n| {
        Reply::ok(&format!("de {n}"))
            .header("cache-control", "max-age=60")
            .header("vary", "accept-language")
            .header("content-language", "de")
    })
    .await;
    let first = h.get_with("/l", &[("accept-language", "en, de")]).await;
    assert_eq!(first.text(), "de 0");
    for same in ["de, en", " DE ,en;q=1.0", "en;q=1, de"] {
        let got = h.get_with("/l", &[("accept-language", same)]).await;
        assert_eq!(
            (got.text().as_str(), got.cache_status()),
            ("de 0", "hcache; hit; ttl=60"),
            "{same}"
        );
    }
    // Other weights ask for something else, even where the stored language would be chosen.
    let other = h
        .get_with("/l", &[("accept-language", "fr;q=0.5, de;q=1.0")])
        .await;
    assert_eq!(
        other.cache_status(),
        "hcache; fwd=vary-miss; fwd-status=200; stored"
    );
    assert_eq!(h.origin.hits(), 2);
}

async fn s3_1_repeated_field_lines_preserved_in_order<S: CacheStore>(store: S) {
    let h = Harness::new(store, CacheOptions::default(), |_, _| {
        Reply::ok("body")
            .header("cache-control", "max-age=60")
            .header("x-multi", "first")
            .header("set-cookie", "a=1; Path=/")
            .header("x-multi", "second")
            .header("set-cookie", "b=2; Path=/")
            .header("x-multi", "third")
    })
    .await;
    let miss = h.get("/dup").await;
    let hit = h.get("/dup").await;
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
    }
    assert_eq!(h.origin.hits(), 1);
}

async fn s3_1_obs_text_field_value_preserved_byte_for_byte<S: CacheStore>(store: S) {
    const LATIN1: &[u8] = b"caf\xe9 \xff\x80 end";
    let h = Harness::new(store, CacheOptions::default(), |_, _| {
        Reply::ok("body")
            .header("cache-control", "max-age=60")
            .header_bytes("x-latin1", LATIN1)
    })
    .await;
    let miss = h.get("/obs").await;
    assert_eq!(miss.all("x-latin1"), [LATIN1]);
    let hit = h.get("/obs").await;
    assert_eq!(hit.cache_status(), "hcache; hit; ttl=60");
    assert_eq!(
        hit.all("x-latin1"),
        [LATIN1],
        "the stored value is the received bytes"
    );
    assert_eq!(h.origin.hits(), 1);
}
