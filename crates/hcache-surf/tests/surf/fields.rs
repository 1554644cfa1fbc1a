//! Field lines across the http-types ⇄ `http` boundary: repeated lines, obs-text, control
//! characters (see the crate's README, "Field values").

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hcache_core::{CacheStore, Clock, StoreWriter};
use hcache_surf::RawHeaders;
use http::HeaderValue;

use crate::support::{Harness, Reply};

/// Stores a 200 response for a GET of `path` straight into the harness's store, as another
/// client sharing the store could have (surf itself cannot receive these bytes).
async fn prefill(h: &Harness, path: &str, headers: &[(&str, &[u8])], body: &'static [u8]) {
    let (req, ()) = http::Request::get(h.url(path))
        .body(())
        .unwrap()
        .into_parts();
    let mut res = http::Response::builder().status(200);
    for (name, value) in headers {
        res = res.header(*name, HeaderValue::from_bytes(value).unwrap());
    }
    let (res, ()) = res.body(()).unwrap().into_parts();
    let engine = h.cache.engine();
    let now = h.clock.now();
    let meta = engine
        .policy()
        .store(&req, &res, now, now)
        .expect("storable");
    let key = engine.policy().cache_key(&req).unwrap();
    let writer = engine
        .store()
        .begin(&key, Arc::new(meta), Some(body.len() as u64))
        .await
        .unwrap()
        .expect("fits");
    let writer = writer.write(Bytes::from_static(body)).await.unwrap();
    writer.commit().await.unwrap();
}

/// Repeated field lines keep their order, from the origin and from the store.
#[async_std::test]
async fn repeated_field_lines_are_kept() {
    let h = Harness::start(|_| {
        Reply::new(200)
            .header("cache-control", "max-age=60")
            .header("x-multi", "one")
            .header("x-multi", "two, three")
            .header("x-multi", "four")
            .header("link", "</a>; rel=preload")
            .header("link", "</b>; rel=preload")
            .body("multi")
    })
    .await;

    let miss = h.get("/multi").await;
    let hit = h.get("/multi").await;
    assert!(hit.is_hit(), "{}", hit.cache_status());
    for got in [&miss, &hit] {
        assert_eq!(got.all("x-multi"), ["one", "two, three", "four"]);
        assert_eq!(got.all("link"), ["</a>; rel=preload", "</b>; rel=preload"]);
    }
}

/// Request field lines reach the origin as sent, repeated ones included.
#[async_std::test]
async fn repeated_request_lines_reach_the_origin() {
    let h = Harness::start(|_| Reply::new(200).body("ok")).await;
    let mut req = surf::get(h.url("/r")).build();
    req.append_header("x-req", "a");
    req.append_header("x-req", "b");
    h.send(req).await;
    let seen = &h.origin.seen()[0];
    let values: Vec<&[u8]> = seen
        .headers
        .iter()
        .filter(|(n, _)| n == "x-req")
        .map(|(_, v)| v.as_slice())
        .collect();
    assert_eq!(values, [&b"a"[..], b"b"]);
}

/// obs-text that is not UTF-8, from the origin: surf's h1 backend (async-h1) refuses the
/// response before the cache sees it; the caller gets that error, and nothing is stored.
#[async_std::test]
async fn origin_obs_text_is_refused_by_the_h1_backend() {
    let h = Harness::start(|_| {
        Reply::new(200)
            .header("cache-control", "max-age=60")
            .raw_header("x-raw", b"caf\xe9")
            .body("never seen")
    })
    .await;
    let err = h.client.get(h.url("/obs")).await.unwrap_err();
    assert!(
        err.downcast_ref::<std::str::Utf8Error>().is_some(),
        "{err:?}"
    );
    assert_eq!(h.cache.stats().engine.stored, 0);
}

/// obs-text that happens to be UTF-8 (`é` as 0xC3 0xA9), from the origin: async-h1 passes it to
/// http-types, which panics on a non-ASCII value. Documented, not hidden: the panic happens in
/// surf's backend, below this middleware.
#[async_std::test]
#[should_panic(expected = "ASCII")]
async fn origin_utf8_beyond_ascii_panics_in_the_h1_backend() {
    let h = Harness::start(|_| {
        Reply::new(200)
            .raw_header("x-utf8", "café".as_bytes())
            .body("x")
    })
    .await;
    let _ = h.client.get(h.url("/utf8")).await;
}

/// obs-text in a stored response (written by another client sharing the store): http-types
/// cannot hold the value, so the whole field moves to the `RawHeaders` extension, bytes
/// unchanged, lines in order; the other fields and the body are served as stored.
#[async_std::test]
async fn stored_obs_text_moves_to_raw_headers() {
    let h = Harness::start(|_| Reply::new(500)).await;
    prefill(
        &h,
        "/stored",
        &[
            ("cache-control", b"max-age=60"),
            ("x-raw", b"plain"),
            ("x-raw", b"caf\xe9"),
            ("x-utf8", "café".as_bytes()),
            ("x-ascii", b"kept"),
        ],
        b"stored body",
    )
    .await;

    let got = h.get("/stored").await;
    assert!(got.is_hit(), "{}", got.cache_status());
    assert_eq!(got.text(), "stored body");
    assert_eq!(got.all("x-ascii"), ["kept"]);
    assert!(got.res.header("x-raw").is_none());
    assert!(got.res.header("x-utf8").is_none());
    let raw = got.res.ext::<RawHeaders>().expect("raw headers").headers();
    let lines: Vec<&[u8]> = raw.get_all("x-raw").iter().map(|v| v.as_bytes()).collect();
    assert_eq!(lines, [&b"plain"[..], b"caf\xe9"]);
    assert_eq!(raw["x-utf8"].as_bytes(), "café".as_bytes());
    assert_eq!(raw.len(), 3);
    assert_eq!(h.origin.hits(), 0);
}

/// A stored validator with obs-text cannot be sent through surf: the field is left out, so
/// the validation becomes an unconditional request (always safe), and its 200 replaces the
/// entry.
#[async_std::test]
async fn stored_obs_text_validator_is_left_out() {
    let h = Harness::start(|_| {
        Reply::new(200)
            .header("cache-control", "max-age=60")
            .header("etag", "\"new\"")
            .body("new body")
    })
    .await;
    prefill(
        &h,
        "/etag",
        &[("cache-control", b"max-age=60"), ("etag", b"\"caf\xe9\"")],
        b"old body",
    )
    .await;
    h.clock.advance(Duration::from_secs(120));

    let got = h.get("/etag").await;
    assert_eq!(got.text(), "new body");
    let seen = h.origin.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("if-none-match"), None);
    assert!(h.get("/etag").await.is_hit());
}

/// async-h1 gives a response without `Date` one of its own whose value ends in CRLF; the
/// control characters become spaces on the way to `http` (RFC 9110 §5.5), the unparsable date
/// counts as absent, and the response is still stored and served.
#[async_std::test]
async fn response_without_date_is_still_cached() {
    let h = Harness::start(|_| {
        Reply::new(200)
            .header("cache-control", "max-age=60")
            .without_date()
            .body("undated")
    })
    .await;
    let first = h.get("/undated").await;
    let date = first.all("date");
    assert_eq!(date.len(), 1);
    assert!(!date[0].contains(['\r', '\n']), "{date:?}");
    let second = h.get("/undated").await;
    assert!(second.is_hit(), "{}", second.cache_status());
    assert_eq!(second.text(), "undated");
    assert_eq!(h.origin.hits(), 1);
}

/// A request whose head `http` cannot hold (a field name that is not a token) goes on
/// unchanged and uncached: the cache steps aside.
#[async_std::test]
async fn a_request_http_cannot_hold_bypasses_the_cache() {
    let h = Harness::start(|_| {
        Reply::new(200)
            .header("cache-control", "max-age=60")
            .body("ok")
    })
    .await;
    for _ in 0..2 {
        let mut req = surf::get(h.url("/odd")).build();
        req.append_header("odd name", "v");
        let got = h.send(req).await;
        assert_eq!(got.text(), "ok");
        assert_eq!(got.cache_status(), "");
    }
    assert_eq!(h.origin.hits(), 2);
    assert_eq!(h.origin.seen()[0].header("odd name"), Some("v"));
    assert_eq!(h.cache.stats().engine.requests, 0);
}
