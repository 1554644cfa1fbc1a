//! The engine over the memory store, with no network: an in-process origin answers a fixed
//! 1 KiB `200` with `cache-control: max-age=3600` (only asked to fill the cache), with
//! `no-store`, or with `no-cache` (and a 304 to `If-None-Match: "v1"`).
//!
//! - `engine/hit_1k_memory`: one browser-like GET (4 fields) built, handed to
//!   `Engine::handle` for a warm key, and its body read to the end, on a current-thread
//!   runtime. The request build alone is `engine/floor_request_build`.
//! - `engine/no_store_miss_1k_memory`: the same GET answered `no-store`: looked up,
//!   forwarded, not stored, body read to the end. Against `engine/floor_no_store_direct`, the
//!   same request sent to that origin without the engine: the difference is the engine's CPU
//!   cost on a miss.
//! - `engine/revalidate_1k_memory`: the same GET of a stored `no-cache` response: looked up,
//!   validated (`If-None-Match`), answered 304, the stored metadata freshened (§4.3.4) and the
//!   stored body read to the end.
//! - `engine/hit_64_tasks_1000_keys`: 64 tasks on a 2-worker multi-thread runtime, each making
//!   hits over 1,000 warm keys; reported as hits per second.
//!
//! After the runs, `main` checks with `Engine::stats` that every measured hit was a hit, that
//! the origin was called exactly once per key (the fills), that every no-store request was
//! forwarded and nothing of it stored, and that every revalidation after the fill was a 304.
//!
//! Run with `cargo bench -p hcache-store-memory --bench engine_hit`; add `-- --test` for a
//! quick smoke run that checks each benchmark once.

use std::convert::Infallible;
use std::future::{Future, ready};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use hcache_core::{Engine, Upstream};
use hcache_store_memory::MemoryStore;
use http::header::{ACCEPT, ACCEPT_ENCODING, HOST, IF_NONE_MATCH, USER_AGENT};
use http::{HeaderValue, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use tokio::runtime::Runtime;

const BODY_LEN: usize = 1024;
const KEYS: usize = 1_000;
const TASKS: usize = 64;
/// Hits each task makes per measured iteration of the 64-task benchmark.
const HITS_PER_TASK: u64 = 16;

/// How the in-process origin answers.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// 200, `cache-control: max-age=3600`.
    #[default]
    Fresh,
    /// 200, `cache-control: no-store`.
    NoStore,
    /// 200, `cache-control: no-cache`; 304 to `If-None-Match: "v1"`.
    Validate,
}

/// The origin: a fixed 1 KiB response with `etag: "v1"`, answered as [`Answer`] says. Counts
/// its calls and its 304s.
#[derive(Default)]
struct Origin {
    calls: AtomicU64,
    not_modified: AtomicU64,
    answer: Answer,
}

impl Origin {
    fn answering(answer: Answer) -> Self {
        Origin {
            answer,
            ..Origin::default()
        }
    }
}

fn body() -> &'static Bytes {
    static BODY: OnceLock<Bytes> = OnceLock::new();
    BODY.get_or_init(|| (0..BODY_LEN).map(|i| (i % 251) as u8).collect())
}

impl Upstream<()> for Origin {
    type Body = Full<Bytes>;
    type Error = Infallible;

    fn send(
        &self,
        request: Request<()>,
    ) -> impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send {
        self.calls.fetch_add(1, Relaxed);
        let matches = request
            .headers()
            .get(IF_NONE_MATCH)
            .is_some_and(|v| v == "\"v1\"");
        let res = if self.answer == Answer::Validate && matches {
            self.not_modified.fetch_add(1, Relaxed);
            Response::builder()
                .status(304)
                .header("cache-control", "no-cache")
                .header("etag", "\"v1\"")
                .body(Full::new(Bytes::new()))
        } else {
            let cc = match self.answer {
                Answer::Fresh => "max-age=3600",
                Answer::NoStore => "no-store",
                Answer::Validate => "no-cache",
            };
            Response::builder()
                .header("cache-control", cc)
                .header("content-type", "application/octet-stream")
                .header("content-length", BODY_LEN)
                .header("etag", "\"v1\"")
                .body(Full::new(body().clone()))
        };
        ready(Ok(res.expect("valid response")))
    }
}

/// A browser-like GET of `uri`: absolute target and 4 fields, named by the `http` crate's
/// constants as clients do (a name given as a string is parsed on every insert).
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

fn uris() -> Vec<Uri> {
    (0..KEYS)
        .map(|i| {
            format!("https://example.com/assets/{i}.js?v=3")
                .parse()
                .unwrap()
        })
        .collect()
}

/// One request through the engine, its body read to the end; returns the body length.
async fn fetch(engine: &Engine<MemoryStore>, origin: &Origin, uri: &Uri) -> usize {
    let res = engine
        .handle(request(uri), origin)
        .await
        .expect("no upstream error");
    read(res).await
}

fn engine() -> Engine<MemoryStore> {
    Engine::new(MemoryStore::default())
}

/// Asserts that everything but the fills was a hit.
fn check(name: &str, engine: &Engine<MemoryStore>, origin: &Origin, fills: u64) {
    let s = engine.stats();
    assert_eq!(origin.calls.load(Relaxed), fills, "{name}: origin calls");
    assert_eq!(s.engine.misses, fills, "{name}: misses");
    assert_eq!(s.engine.stored, fills, "{name}: stored");
    assert_eq!(
        s.engine.hits,
        s.engine.requests - fills,
        "{name}: every other request a hit"
    );
    assert_eq!(s.store.entries, fills, "{name}: entries");
    println!(
        "{name}: {} requests, {} hits, {} origin calls",
        s.engine.requests,
        s.engine.hits,
        origin.calls.load(Relaxed)
    );
}

/// Times `iters` requests made one after another on `rt`.
fn serial<F: Future>(rt: &Runtime, iters: u64, mut one: impl FnMut() -> F) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(one().await);
        }
        start.elapsed()
    })
}

/// A request's body, read to the end; returns its length.
async fn read(res: Response<impl http_body::Body<Error: std::fmt::Debug>>) -> usize {
    res.into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .len()
}

fn hit_1k_and_no_store_miss(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (engine, origin) = (engine(), Origin::default());
    let uri: Uri = "https://example.com/assets/app.js?v=3".parse().unwrap();
    // Fill.
    assert_eq!(rt.block_on(fetch(&engine, &origin, &uri)), BODY_LEN);
    let (miss_engine, no_store) = (self::engine(), Origin::answering(Answer::NoStore));
    let miss_uri: Uri = "https://example.com/api/now?v=3".parse().unwrap();
    let direct = Origin::answering(Answer::NoStore);
    let (reval_engine, validating) = (self::engine(), Origin::answering(Answer::Validate));
    let reval_uri: Uri = "https://example.com/api/feed?v=3".parse().unwrap();
    // Fill.
    assert_eq!(
        rt.block_on(fetch(&reval_engine, &validating, &reval_uri)),
        BODY_LEN
    );

    let mut g = c.benchmark_group("engine");
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .throughput(Throughput::Elements(1));
    g.bench_function("hit_1k_memory", |b| {
        b.iter_custom(|iters| serial(&rt, iters, || fetch(&engine, &origin, black_box(&uri))))
    });
    g.bench_function("floor_request_build", |b| {
        b.iter(|| request(black_box(&uri)))
    });
    g.bench_function("no_store_miss_1k_memory", |b| {
        b.iter_custom(|iters| {
            serial(&rt, iters, || {
                fetch(&miss_engine, &no_store, black_box(&miss_uri))
            })
        })
    });
    g.bench_function("revalidate_1k_memory", |b| {
        b.iter_custom(|iters| {
            serial(&rt, iters, || {
                fetch(&reval_engine, &validating, black_box(&reval_uri))
            })
        })
    });
    g.bench_function("floor_no_store_direct", |b| {
        b.iter_custom(|iters| {
            serial(&rt, iters, || async {
                read(
                    direct
                        .send(request(black_box(&miss_uri)))
                        .await
                        .expect("infallible"),
                )
                .await
            })
        })
    });
    g.finish();
    check("engine/hit_1k_memory", &engine, &origin, 1);
    let s = miss_engine.stats();
    assert_eq!(
        s.engine.requests,
        no_store.calls.load(Relaxed),
        "every request forwarded"
    );
    assert_eq!(s.engine.misses, s.engine.requests, "every request a miss");
    assert_eq!(s.engine.stored, 0, "nothing stored");
    assert_eq!(s.store.entries, 0, "store empty");
    println!(
        "engine/no_store_miss_1k_memory: {} requests, {} misses, 0 stored",
        s.engine.requests, s.engine.misses
    );
    let s = reval_engine.stats();
    let calls = validating.calls.load(Relaxed);
    assert_eq!(s.engine.requests, calls, "every request forwarded");
    assert_eq!(
        validating.not_modified.load(Relaxed),
        calls - 1,
        "every request after the fill answered 304"
    );
    assert_eq!(s.engine.not_modified, calls - 1, "every 304 freshened");
    assert_eq!(s.store.entries, 1, "one entry");
    println!(
        "engine/revalidate_1k_memory: {} requests, {} 304s",
        s.engine.requests, s.engine.not_modified
    );
}

fn hit_64_tasks(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let engine = engine();
    let origin = Arc::new(Origin::default());
    let uris = Arc::new(uris());
    // Fill every key once.
    rt.block_on(async {
        for u in uris.iter() {
            assert_eq!(fetch(&engine, &origin, u).await, BODY_LEN);
        }
    });
    assert_eq!(engine.stats().store.entries, KEYS as u64);

    let mut g = c.benchmark_group("engine");
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(20)
        .throughput(Throughput::Elements(TASKS as u64 * HITS_PER_TASK));
    g.bench_function("hit_64_tasks_1000_keys", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                let tasks: Vec<_> = (0..TASKS)
                    .map(|t| {
                        let (engine, origin, uris) = (engine.clone(), origin.clone(), uris.clone());
                        tokio::spawn(async move {
                            // Each task walks the keys from its own offset, with a stride
                            // coprime to 1,000, so tasks spread over all keys and shards.
                            let mut k = t * (KEYS / TASKS);
                            for _ in 0..iters * HITS_PER_TASK {
                                black_box(fetch(&engine, &origin, &uris[k]).await);
                                k = (k + 7) % KEYS;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task");
                }
                start.elapsed()
            })
        })
    });
    g.finish();
    check(
        "engine/hit_64_tasks_1000_keys",
        &engine,
        &origin,
        KEYS as u64,
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    hit_1k_and_no_store_miss(&mut c);
    hit_64_tasks(&mut c);
    c.final_summary();
}
