//! What the cache keeps of a response's fields: a variant selected by `Vary` on a reordered
//! list (RFC 9111 §4.1) and obs-text values byte for byte (§3.1, RFC 9110 §5.5). Variants and
//! repeated field lines through every adapter: `scenarios::fields`.

use hcache_core::{CacheOptions, CacheStore};

use crate::for_each_store;
use crate::support::{Harness, Reply};

for_each_store!(
    s4_1_vary_accept_language_reordered_matches,
    s3_1_obs_text_field_value_preserved_byte_for_byte,
);

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
