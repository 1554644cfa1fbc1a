//! The disk store's hot paths, with no network: an in-process origin answers a fixed 1 KiB
//! `200` (and `304`s to conditional requests).
//!
//! - `disk/hit_1k`: one GET handed to `Engine::handle` for a warm key, its body read to the
//!   end, on a current-thread runtime — entry file read and decoded, body read and verified.
//! - `disk/hit_1k_alternating_2_keys`: the same over two keys in turn, so that every hit also
//!   marks its entry used on disk (the LRU order that survives restarts).
//! - `disk/revalidate_1k`: a GET of a key stored `max-age=0`, so that each one is a 304
//!   revalidation through the engine (lookup, conditional request, stored head freshened,
//!   stored body read) with the update written behind, the store's default;
//!   `disk/revalidate_1k_write_through` the same with `write_behind(false)`, each update
//!   rewriting the entry file before it returns.
//! - `disk/lookup/after_0_revalidations` and `disk/lookup/after_2000_revalidations`: one
//!   `CacheStore::get` of an entry freshly stored, and of one revalidated (304) 2,000 times
//!   through the engine: lookup time does not grow with updates.
//!
//! `main` also prints the directory's size and file count before and after the 2,000
//! revalidations. (The same measurements against http-cache's `CACacheManager` belong to the
//! comparison benchmarks, not here.)
//!
//! Run with `cargo bench -p hcache-store-cacache --bench disk`; add `-- --test` for a quick
//! smoke run.

use std::convert::Infallible;
use std::future::{Future, ready};
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use hcache_core::{CacheKey, CacheStore, Engine, Upstream};
use hcache_store_cacache::{CacacheOptions, CacacheStore};
use http::header::{ACCEPT, ACCEPT_ENCODING, HOST, USER_AGENT};
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};

const BODY_LEN: usize = 1024;
const REVALIDATIONS: usize = 2_000;

/// The origin: a 1 KiB response with an `ETag`, fresh for `max_age` seconds; a `304` to any
/// conditional request. Counts full responses.
struct Origin {
    max_age: u32,
    full: AtomicU64,
}

impl Upstream<()> for Origin {
    type Body = Full<Bytes>;
    type Error = Infallible;

    fn send(
        &self,
        request: Request<()>,
    ) -> impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send {
        let res = Response::builder()
            .header("cache-control", format!("max-age={}", self.max_age))
            .header("content-type", "application/octet-stream")
            .header("etag", "\"v1\"");
        let res = if request.headers().contains_key("if-none-match") {
            res.status(StatusCode::NOT_MODIFIED).body(Full::default())
        } else {
            self.full.fetch_add(1, Relaxed);
            let body: Bytes = (0..BODY_LEN).map(|i| (i % 251) as u8).collect();
            res.header("content-length", BODY_LEN).body(Full::new(body))
        };
        ready(Ok(res.expect("valid response")))
    }
}

/// A browser-like GET of `uri` (4 fields).
fn request(uri: &Uri) -> Request<()> {
    let mut req = Request::new(());
    *req.uri_mut() = uri.clone();
    let h = req.headers_mut();
    h.insert(HOST, HeaderValue::from_static("example.com"));
    h.insert(
        USER_AGENT,
        HeaderValue::from_static("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0"),
    );
    h.insert(ACCEPT, HeaderValue::from_static("*/*"));
    h.insert(
        ACCEPT_ENCODING,
        HeaderValue::from_static("gzip, deflate, br"),
    );
    req
}

async fn fetch(engine: &Engine<CacacheStore>, origin: &Origin, uri: &Uri) -> usize {
    let res = engine
        .handle(request(uri), origin)
        .await
        .expect("no upstream error");
    res.into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .len()
}

/// The time `iters` fetches take, cycling through `uris`.
fn timed(
    rt: &tokio::runtime::Runtime,
    engine: &Engine<CacacheStore>,
    origin: &Origin,
    uris: &[&Uri],
    iters: u64,
) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for u in uris.iter().cycle().take(iters as usize) {
            black_box(fetch(engine, origin, black_box(u)).await);
        }
        start.elapsed()
    })
}

fn engine(dir: &Path) -> Engine<CacacheStore> {
    Engine::new(CacacheStore::open(dir, CacacheOptions::default()).expect("open"))
}

/// (bytes, files) under `dir`.
fn usage(dir: &Path) -> (u64, usize) {
    let (mut bytes, mut files) = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let m = e.metadata().expect("metadata");
            if m.is_dir() {
                stack.push(e.path());
            } else {
                bytes += m.len();
                files += 1;
            }
        }
    }
    (bytes, files)
}

fn hit_1k(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let engine = engine(dir.path());
    let origin = Origin {
        max_age: 3600,
        full: AtomicU64::new(0),
    };
    let uri: Uri = "https://example.com/assets/app.js?v=3".parse().unwrap();
    let other: Uri = "https://example.com/assets/other.js?v=3".parse().unwrap();
    assert_eq!(rt.block_on(fetch(&engine, &origin, &uri)), BODY_LEN);
    assert_eq!(rt.block_on(fetch(&engine, &origin, &other)), BODY_LEN);

    let mut g = c.benchmark_group("disk");
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .throughput(Throughput::Elements(1));
    g.bench_function("hit_1k", |b| {
        b.iter_custom(|iters| timed(rt, &engine, &origin, &[&uri], iters))
    });
    // Alternating keys: each hit also marks its entry used on disk (one more system call);
    // a repeated hit on the most recently used entry skips it.
    g.bench_function("hit_1k_alternating_2_keys", |b| {
        b.iter_custom(|iters| timed(rt, &engine, &origin, &[&uri, &other], iters))
    });
    g.finish();
    let s = engine.stats();
    assert_eq!(origin.full.load(Relaxed), 2, "two fills");
    assert_eq!(
        s.engine.hits,
        s.engine.requests - 2,
        "every other request a hit"
    );
    assert_eq!(s.engine.store_errors, 0);
}

fn lookups(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let engine = engine(dir.path());
    // Stale at once: every request revalidates, and the origin answers 304.
    let origin = Origin {
        max_age: 0,
        full: AtomicU64::new(0),
    };
    let fresh: Uri = "https://example.com/fresh".parse().unwrap();
    let revalidated: Uri = "https://example.com/revalidated".parse().unwrap();
    rt.block_on(fetch(&engine, &origin, &fresh));
    rt.block_on(fetch(&engine, &origin, &revalidated));
    let before = usage(dir.path());
    rt.block_on(async {
        for _ in 0..REVALIDATIONS {
            assert_eq!(fetch(&engine, &origin, &revalidated).await, BODY_LEN);
        }
    });
    // Metadata updates are written behind: measure once they are on disk.
    engine.store().flush().expect("flush");
    let after = usage(dir.path());
    assert_eq!(origin.full.load(Relaxed), 2, "304s only after the fills");
    println!(
        "disk usage, 2 entries of 1 KiB, before and after {REVALIDATIONS} revalidations of one: \
         {} -> {} bytes, {} -> {} files",
        before.0, after.0, before.1, after.1
    );

    let mut g = c.benchmark_group("disk/lookup");
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    for (name, uri) in [
        ("after_0_revalidations", &fresh),
        ("after_2000_revalidations", &revalidated),
    ] {
        let key = CacheKey::from_method_uri(&http::Method::GET, uri, None);
        assert_eq!(
            rt.block_on(engine.store().get(&key)).expect("get").len(),
            1,
            "{key}"
        );
        g.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(engine.store().get(black_box(&key)))
                    .expect("get")
            })
        });
    }
    g.finish();
}

/// A 304 revalidation through the engine (lookup, conditional request, 304 merged into the
/// stored head, the head replaced, the stored body read), with the update written behind (the
/// default) and written before `update` returns.
fn revalidate_1k(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let mut g = c.benchmark_group("disk");
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .throughput(Throughput::Elements(1));
    for (name, write_behind) in [
        ("revalidate_1k", true),
        ("revalidate_1k_write_through", false),
    ] {
        let dir = tempfile::TempDir::new().expect("temp dir");
        let options = CacacheOptions::default().write_behind(write_behind);
        let engine = Engine::new(CacacheStore::open(dir.path(), options).expect("open"));
        let origin = Origin {
            max_age: 0,
            full: AtomicU64::new(0),
        };
        let uri: Uri = "https://example.com/revalidated".parse().unwrap();
        assert_eq!(rt.block_on(fetch(&engine, &origin, &uri)), BODY_LEN);
        g.bench_function(name, |b| {
            b.iter_custom(|iters| timed(rt, &engine, &origin, &[&uri], iters))
        });
        let s = engine.stats();
        assert_eq!(
            origin.full.load(Relaxed),
            1,
            "{name}: 304s only after the fill"
        );
        assert_eq!(s.engine.not_modified, s.engine.requests - 1, "{name}");
        engine.store().flush().expect("flush");
    }
    g.finish();
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut c = Criterion::default().configure_from_args();
    hit_1k(&mut c, &rt);
    revalidate_1k(&mut c, &rt);
    lookups(&mut c, &rt);
    c.final_summary();
}
