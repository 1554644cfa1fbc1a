//! "Parse a typical response (~10 fields) and decide reuse for a request (~5 fields)", for
//! hcache-core and for `http-cache-semantics` 3 in the same run.
//!
//! Both sides see the same `http` request and response heads, built outside the timed loop,
//! and both are configured as a private (single-user) cache: hcache's default
//! `CacheOptions` is private, and `http-cache-semantics` is given `shared: false` (its
//! default is shared) with the same response time, so neither reads the wall clock. Before
//! timing, `main` checks that both answer "fresh" for these inputs.
//!
//! What each benchmark measures:
//! - `hcache/parse+decide`, the headline: `store_owned` then `decide`. `store_owned` takes
//!   the response head by value, the way a caller that owns it (an HTTP client or server
//!   that just read it) hands it over: it decides storability (§3), parses what the policy
//!   reads (directives, `Date`, `Age`, `Vary`) and captures the selecting request fields,
//!   and the head's header section becomes the stored one without a copy. Each iteration
//!   gets its own clone of the response head, made by `iter_batched` outside the timed
//!   section (that clone stands for the head the caller received, which costs the same
//!   whichever library it is given to). On both sides what a routine returns is dropped
//!   after the timed section: a cache keeps what it stored, and the peer's policy is what
//!   its users keep. Those drops are timed on their own as `teardown/*`.
//! - `hcache/store+decide`: the same through the borrowing `store`, which copies the header
//!   section (one reference-count increment per field value, plus the map's allocations),
//!   as the peer's `new` does.
//! - `hcache/store+decide+head`, `hcache/parse+decide+head`: each of the above plus building
//!   the response head to send (header copy, `Age`), which the peer's `before_request` does
//!   as part of its "fresh" answer.
//! - `floor/response-headers-clone`: only the copy (and drop) of the response's header
//!   section, the difference between the two entry points, for scale.
//! - `hcache/store`, `hcache/store_owned`, `hcache/decide`: the parts alone.
//! - `parts/cache-control`, `parts/date`: two pieces of `store_owned`, the response's
//!   `Cache-Control` and `Date` values parsed on their own.
//! - `http-cache-semantics/new+before_request`: `CachePolicy::new_options` (copies the URI,
//!   the method and both header maps, parses both `Cache-Control` fields), then
//!   `before_request` (parses the request's directives and the dates it needs, decides, and
//!   on "fresh" builds the response head to send: header copy, `Age`, `Date`). `new` and
//!   `before_request` alone too.
//!
//! Why `parse+decide` against `new+before_request` is the comparison the requirement names,
//! and a fair one: both parse the same fields of the same response and reach the same
//! decision, each library called the cheapest way its API allows. The peer's API only
//! borrows the response, so it must copy it to keep it; hcache's owned entry point takes
//! ownership, so it need not. The peer's answer also carries the head to send, which hcache
//! builds in a separate call: `parse+decide+head` is the like-for-like measure of that whole
//! work, and `store+decide+head` the same through hcache's copying entry point.
//!
//! Run with `cargo bench -p hcache-core --bench decision`; add `-- --test` for a quick smoke
//! run that checks each benchmark once.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hcache_core::{CacheOptions, CachePolicy, Decision, ResponseDirectives, parse_http_date};
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

/// Inputs are made by `setup` outside the timed section, and what a routine returns is
/// dropped after it. Batches are small, so that the outputs land in memory already mapped
/// and cached: criterion's `SmallInput` batches (a tenth of a sample's iterations) collect
/// them in a fresh buffer of megabytes, whose page faults would be timed with the routine.
const BATCH: BatchSize = BatchSize::NumIterations(64);

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
    let owned = policy
        .store_owned(&req, res.clone(), t0(), t0())
        .expect("storable");
    for s in [&stored, &owned] {
        match policy.decide(&req2, &[s], now()) {
            Decision::Fresh(reuse) => assert!(reuse.ttl > 0 && !reuse.not_modified),
            other => panic!("hcache: expected Fresh, got {other:?}"),
        }
    }
    assert_eq!(stored.headers(), owned.headers());
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

    // What a routine returns is dropped after the timed section (`iter_batched`), on both
    // sides: a cache keeps what it stored. `teardown/*` times those drops.
    g.bench_function("hcache/parse+decide", |b| {
        b.iter_batched(
            || res.clone(),
            |res| {
                let s = policy
                    .store_owned(black_box(&req), black_box(res), t0, t0)
                    .unwrap();
                let d = policy.decide(black_box(&req2), std::slice::from_ref(&s), now);
                (s, d)
            },
            BATCH,
        )
    });
    g.bench_function("hcache/store+decide", |b| {
        b.iter_batched(
            || (),
            |()| {
                let s = policy
                    .store(black_box(&req), black_box(&res), t0, t0)
                    .unwrap();
                let d = policy.decide(black_box(&req2), std::slice::from_ref(&s), now);
                (s, d)
            },
            BATCH,
        )
    });
    g.bench_function("hcache/parse+decide+head", |b| {
        b.iter_batched(
            || res.clone(),
            |res| {
                let s = policy
                    .store_owned(black_box(&req), black_box(res), t0, t0)
                    .unwrap();
                let head = match policy.decide(black_box(&req2), std::slice::from_ref(&s), now) {
                    Decision::Fresh(r) => s.response_head(r.age),
                    _ => unreachable!(),
                };
                (s, head)
            },
            BATCH,
        )
    });
    g.bench_function("hcache/store+decide+head", |b| {
        b.iter_batched(
            || (),
            |()| {
                let s = policy
                    .store(black_box(&req), black_box(&res), t0, t0)
                    .unwrap();
                let head = match policy.decide(black_box(&req2), std::slice::from_ref(&s), now) {
                    Decision::Fresh(r) => s.response_head(r.age),
                    _ => unreachable!(),
                };
                (s, head)
            },
            BATCH,
        )
    });
    // Not a decision: the one copy of the response's header section that keeping a borrowed
    // response implies (`store` makes it, so does the peer's `new`; `store_owned` does not).
    // It is one reference-count increment per field value, plus the map's allocations.
    g.bench_function("floor/response-headers-clone", |b| {
        b.iter_batched(|| (), |()| black_box(&res).headers.clone(), BATCH)
    });
    g.bench_function("hcache/store_owned", |b| {
        b.iter_batched(
            || res.clone(),
            |res| policy.store_owned(black_box(&req), black_box(res), t0, t0),
            BATCH,
        )
    });
    g.bench_function("hcache/store", |b| {
        b.iter_batched(
            || (),
            |()| policy.store(black_box(&req), black_box(&res), t0, t0),
            BATCH,
        )
    });
    g.bench_function("hcache/decide", |b| {
        b.iter(|| policy.decide(black_box(&req2), black_box(&stored), now))
    });

    g.bench_function("http-cache-semantics/new+before_request", |b| {
        b.iter_batched(
            || (),
            |()| {
                let p = hcs::CachePolicy::new_options(
                    black_box(&req),
                    black_box(&res),
                    t0,
                    peer_options(),
                );
                let r = p.before_request(black_box(&req2), now);
                (p, r)
            },
            BATCH,
        )
    });
    g.bench_function("http-cache-semantics/new", |b| {
        b.iter_batched(
            || (),
            |()| {
                hcs::CachePolicy::new_options(black_box(&req), black_box(&res), t0, peer_options())
            },
            BATCH,
        )
    });
    g.bench_function("http-cache-semantics/before_request", |b| {
        b.iter_batched(
            || (),
            |()| black_box(&peer).before_request(black_box(&req2), now),
            BATCH,
        )
    });

    // Dropping what `parse+decide` and `new+before_request` leave behind: the stored response
    // (with the header section the caller handed over, which it would otherwise have dropped
    // itself), and the peer's policy (with its copies) and answer (with the head it built).
    g.bench_function("teardown/hcache-parse+decide", |b| {
        b.iter_batched(
            || {
                let s = policy.store_owned(&req, res.clone(), t0, t0).unwrap();
                let d = policy.decide(&req2, std::slice::from_ref(&s), now);
                (s, d)
            },
            drop,
            BATCH,
        )
    });
    g.bench_function("teardown/http-cache-semantics-new+before_request", |b| {
        b.iter_batched(
            || {
                let p = hcs::CachePolicy::new_options(&req, &res, t0, peer_options());
                let r = p.before_request(&req2, now);
                (p, r)
            },
            drop,
            BATCH,
        )
    });

    // Two pieces of `store_owned` alone, for scale: this response's `Cache-Control` and
    // `Date` parsed from their field values.
    let cc = &res.headers[http::header::CACHE_CONTROL];
    g.bench_function("parts/cache-control", |b| {
        b.iter(|| ResponseDirectives::from_lines([black_box(cc)]))
    });
    let date = &res.headers[http::header::DATE];
    g.bench_function("parts/date", |b| {
        b.iter(|| parse_http_date(black_box(date).as_bytes()))
    });
    g.finish();
}

criterion_group!(benches, decision);
criterion_main!(benches);
