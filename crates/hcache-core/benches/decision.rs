//! "Parse a typical response (~10 fields) and decide reuse for a request (~5 fields)", for
//! hcache-core and for `http-cache-semantics` 3 in the same run.
//!
//! Both sides see the same `http` request and response heads, built outside the timed loop,
//! and both are configured as a private (single-user) cache: hcache's default
//! `CacheOptions` is private, and `http-cache-semantics` is given `shared: false` (its
//! default is shared) with the same response time, so neither reads the wall clock. Before
//! timing, `main` checks that both answer "fresh" for these inputs.
//!
//! What each side's decision includes:
//! - hcache `store` parses the response (directives, dates, `Age`), captures the selecting
//!   request fields and copies the header section minus §3.1's fields; `decide` answers with
//!   an index and an age. Building the head to send is a separate call, timed in
//!   `hcache/store+decide+head`.
//! - `http-cache-semantics` `new` copies both header maps and parses `Cache-Control`;
//!   `before_request` answers `Fresh` with the response head already built (header copy,
//!   `Age`, `Date`), so `hcache/store+decide+head` is the like-for-like comparison of the
//!   whole work, and `hcache/store+decide` the decision alone.
//!
//! `floor/response-headers-clone` times only the copy of the response's header section that
//! storing a response implies, for scale.
//!
//! Run with `cargo bench -p hcache-core --bench decision`; add `-- --test` for a quick smoke
//! run that checks each benchmark once.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use hcache_core::{CacheOptions, CachePolicy, Decision};
use http_cache_semantics as hcs;

/// The time the response was received; every date is relative to it.
fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// When the second request arrives: 10 minutes later, well within `max-age=3600`.
fn now() -> SystemTime {
    t0() + Duration::from_secs(600)
}

fn date(offset_secs: i64) -> String {
    let t = if offset_secs >= 0 {
        t0() + Duration::from_secs(offset_secs.unsigned_abs())
    } else {
        t0() - Duration::from_secs(offset_secs.unsigned_abs())
    };
    httpdate::fmt_http_date(t)
}

/// A browser-like GET with 5 fields.
fn request() -> http::request::Parts {
    http::Request::get("https://example.com/assets/app.js?v=3")
        .header("host", "example.com")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        )
        .header("accept", "*/*")
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .header("accept-language", "en-US,en;q=0.5")
        .body(())
        .unwrap()
        .into_parts()
        .0
}

/// A typical cacheable 200 from an origin behind a CDN, with 11 fields.
fn response() -> http::response::Parts {
    http::Response::builder()
        .status(200)
        .header("date", date(-2))
        .header("cache-control", "public, max-age=3600")
        .header("content-type", "application/javascript; charset=utf-8")
        .header("content-length", "48213")
        .header("etag", "\"5f3a9c1e-bc55\"")
        .header("last-modified", date(-86_400 * 3))
        .header("vary", "Accept-Encoding")
        .header("server", "nginx/1.25.3")
        .header("x-request-id", "0b7e5c2d-8f4a-4c1b-9d3e-2a6f1e8c7b90")
        .header("age", "2")
        .header("expires", date(3_598))
        .body(())
        .unwrap()
        .into_parts()
        .0
}

fn peer_options() -> hcs::CacheOptions {
    hcs::CacheOptions {
        // A private cache like hcache's default; the peer defaults to shared.
        shared: false,
        ..hcs::CacheOptions::default()
    }
}

/// Both libraries must answer "fresh" for these inputs, or the comparison means nothing.
fn check_same_answer(policy: &CachePolicy) {
    let (req, res, req2) = (request(), response(), request());
    let stored = policy.store(&req, &res, t0(), t0()).expect("storable");
    match policy.decide(&req2, &[&stored], now()) {
        Decision::Fresh(reuse) => assert!(reuse.ttl > 0 && !reuse.not_modified),
        other => panic!("hcache: expected Fresh, got {other:?}"),
    }
    let peer = hcs::CachePolicy::new_options(&req, &res, t0(), peer_options());
    assert!(peer.is_storable(), "http-cache-semantics: not storable");
    assert!(
        peer.before_request(&req2, now())
            .satisfies_without_revalidation(),
        "http-cache-semantics: expected Fresh"
    );
}

fn decision(c: &mut Criterion) {
    let policy = CachePolicy::new(CacheOptions::default());
    check_same_answer(&policy);

    let (req, res, req2) = (request(), response(), request());
    let (t0, now) = (t0(), now());
    let stored = [policy.store(&req, &res, t0, t0).unwrap()];
    let peer = hcs::CachePolicy::new_options(&req, &res, t0, peer_options());

    let mut g = c.benchmark_group("decision");
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);

    g.bench_function("hcache/store+decide", |b| {
        b.iter(|| {
            let s = policy
                .store(black_box(&req), black_box(&res), t0, t0)
                .unwrap();
            black_box(policy.decide(black_box(&req2), &[s], now))
        })
    });
    g.bench_function("hcache/store+decide+head", |b| {
        b.iter(|| {
            let s = policy
                .store(black_box(&req), black_box(&res), t0, t0)
                .unwrap();
            match policy.decide(black_box(&req2), std::slice::from_ref(&s), now) {
                Decision::Fresh(r) => black_box(s.response_head(r.age)),
                _ => unreachable!(),
            }
        })
    });
    // Not a decision: the one copy of the response's header section that keeping it implies
    // (`store` makes it, so does the peer's `new`), as a floor for `store`. It is one
    // reference-count increment and decrement per field value, and costs most of `store`.
    g.bench_function("floor/response-headers-clone", |b| {
        b.iter(|| black_box(&res).headers.clone())
    });
    g.bench_function("hcache/store", |b| {
        b.iter(|| policy.store(black_box(&req), black_box(&res), t0, t0))
    });
    g.bench_function("hcache/decide", |b| {
        b.iter(|| policy.decide(black_box(&req2), black_box(&stored), now))
    });

    g.bench_function("http-cache-semantics/new+before_request", |b| {
        b.iter(|| {
            let p =
                hcs::CachePolicy::new_options(black_box(&req), black_box(&res), t0, peer_options());
            black_box(p.before_request(black_box(&req2), now))
        })
    });
    g.bench_function("http-cache-semantics/new", |b| {
        b.iter(|| {
            hcs::CachePolicy::new_options(black_box(&req), black_box(&res), t0, peer_options())
        })
    });
    g.bench_function("http-cache-semantics/before_request", |b| {
        b.iter(|| black_box(&peer).before_request(black_box(&req2), now))
    });
    g.finish();
}

criterion_group!(benches, decision);
criterion_main!(benches);
