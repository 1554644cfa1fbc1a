//! The soak behind `cargo xtask soak`: a long, bounded run of requests through hcache-reqwest
//! against an origin on 127.0.0.1 (in this process), with churn — the URLs cycle through a
//! space larger than the store, so entries are evicted and stored again all along — measuring
//! the process's resident memory (`VmRSS`) and open file descriptors at intervals.
//!
//! ```text
//! cargo run --release -p hcache-tests --example soak -- [--requests N] [--store memory|tiered]
//!     [--urls N] [--concurrency N] [--samples N]
//! ```
//!
//! Exits with an error if a request fails or a body is wrong, or if, after the first fifth of
//! the run (warm-up: allocator, pools and the store filling up), RSS grows by more than 20 %
//! (+4 MiB) or the open files by more than 16. Linux only for the measurements (`/proc`).

use std::convert::Infallible;
use std::error::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hcache_core::{CacheStore, EngineStats};
use hcache_store_cacache::{CacacheOptions, CacacheStore};
use hcache_store_memory::{MemoryOptions, MemoryStore};
use hcache_store_tiered::TieredStore;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use tokio::net::TcpListener;

type BoxError = Box<dyn Error + Send + Sync>;

/// The run's settings.
#[derive(Debug, Clone)]
struct Settings {
    requests: u64,
    store: String,
    urls: u64,
    concurrency: usize,
    samples: u64,
}

impl Settings {
    fn from_args() -> Result<Settings, String> {
        let mut s = Settings {
            requests: 1_000_000,
            store: "memory".into(),
            urls: 20_000,
            concurrency: 64,
            samples: 20,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let value = args.next().ok_or(format!("{flag} needs a value"))?;
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|e| format!("{flag} {value}: {e}"))
            };
            match flag.as_str() {
                "--requests" => s.requests = number()?,
                "--store" => s.store = value.clone(),
                "--urls" => s.urls = number()?.max(100),
                "--concurrency" => s.concurrency = number()?.max(1) as usize,
                "--samples" => s.samples = number()?.max(2),
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(s)
    }
}

/// One measurement.
#[derive(Debug, Clone, Copy)]
struct Sample {
    done: u64,
    seconds: f64,
    rss_kib: u64,
    fds: u64,
    stats: EngineStats,
}

/// `VmRSS` of this process, in KiB (0 where `/proc` is not there).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Open file descriptors of this process (0 where `/proc` is not there).
fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64)
}

/// A well-mixed 64-bit hash of `n` (splitmix64): the request sequence is the same every run.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The URL index of request `n`: a quarter of the requests go to the hottest 1 % of the URLs,
/// the rest anywhere — so some entries stay, and the others churn.
fn url_of(n: u64, urls: u64) -> u64 {
    let r = mix(n);
    if r.is_multiple_of(4) {
        (r >> 8) % (urls / 100)
    } else {
        (r >> 8) % urls
    }
}

/// The body of URL `i`: 256 B to 4 KiB, its bytes derived from `i`.
fn body_of(i: u64) -> Bytes {
    let len = 256 + (mix(i) % 3841) as usize;
    let byte = b'a' + (i % 26) as u8;
    Bytes::from(vec![byte; len])
}

/// An origin on 127.0.0.1: `/u{i}` is fresh for 10 minutes, except every tenth URL, which is
/// `no-store`, and the one after it, which must be validated on every use (answered 304 when
/// the validator matches).
async fn start_origin(hits: Arc<AtomicU64>) -> Result<std::net::SocketAddr, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let hits = hits.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    hits.fetch_add(1, Ordering::Relaxed);
                    let i: u64 = req.uri().path()[2..].parse().unwrap_or(0);
                    let etag = format!("\"{i}\"");
                    let validated = req
                        .headers()
                        .get("if-none-match")
                        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
                    let mut res = Response::builder().header("etag", &etag);
                    let body = match i % 10 {
                        0 => {
                            res = res.header("cache-control", "no-store");
                            body_of(i)
                        }
                        1 if validated => {
                            res = res.status(304);
                            Bytes::new()
                        }
                        1 => {
                            res = res.header("cache-control", "max-age=0, must-revalidate");
                            body_of(i)
                        }
                        _ => {
                            res = res.header("cache-control", "max-age=600");
                            body_of(i)
                        }
                    };
                    async move { Ok::<_, Infallible>(res.body(Full::new(body)).expect("response")) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

/// A reqwest client behind the cache, with a function reading the cache's statistics.
type Stats = Box<dyn Fn() -> EngineStats + Send + Sync>;

fn cached_client<S: CacheStore>(store: S) -> Result<(ClientWithMiddleware, Stats), BoxError> {
    let inner = reqwest::Client::builder().no_proxy().build()?;
    let cache = hcache_reqwest::Cache::builder(store).build();
    let client = ClientBuilder::new(inner).with(cache.clone()).build();
    Ok((client, Box::new(move || cache.stats())))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let settings = Settings::from_args()?;
    let hits = Arc::new(AtomicU64::new(0));
    let addr = start_origin(hits.clone()).await?;
    let dir = tempfile::TempDir::new()?;
    // Both stores hold a fraction of the URL space (about 1.5 KiB of body each, on average).
    let (client, stats) = match settings.store.as_str() {
        "memory" => cached_client(MemoryStore::new(
            MemoryOptions::default().max_bytes(8 << 20),
        ))?,
        "tiered" => {
            let front = MemoryStore::new(MemoryOptions::default().max_bytes(2 << 20));
            let back =
                CacacheStore::open(dir.path(), CacacheOptions::default().max_bytes(16 << 20))?;
            cached_client(TieredStore::new(front, back))?
        }
        other => return Err(format!("unknown store {other} (memory or tiered)").into()),
    };
    println!(
        "soak: {} requests, {} URLs, {} at a time, store {}, origin {addr}",
        settings.requests, settings.urls, settings.concurrency, settings.store
    );
    let client = Arc::new(client);
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let stats: Arc<Stats> = Arc::new(stats);
    let step = (settings.requests / settings.samples).max(1);
    let start = Instant::now();
    let sample = {
        let (samples, stats) = (samples.clone(), stats.clone());
        move |n: u64| {
            let s = Sample {
                done: n,
                seconds: start.elapsed().as_secs_f64(),
                rss_kib: rss_kib(),
                fds: open_fds(),
                stats: stats(),
            };
            samples.lock().expect("samples").push(s);
        }
    };
    sample(0);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..settings.concurrency {
        let (client, next, done, errors) =
            (client.clone(), next.clone(), done.clone(), errors.clone());
        let sample = sample.clone();
        let (total, urls) = (settings.requests, settings.urls);
        workers.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return;
                }
                let i = url_of(n, urls);
                let url = format!("http://{addr}/u{i}");
                let ok = match client.get(&url).send().await {
                    Ok(res) => matches!(res.bytes().await, Ok(b) if b == body_of(i)),
                    Err(_) => false,
                };
                if !ok && errors.fetch_add(1, Ordering::Relaxed) == 0 {
                    eprintln!("soak: request {n} for {url} failed or had a wrong body");
                }
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if d % step == 0 {
                    sample(d);
                }
            }
        });
    }
    while let Some(w) = workers.join_next().await {
        w?;
    }
    let took = start.elapsed();
    let mut samples = samples.lock().expect("samples").clone();
    samples.sort_by_key(|s| s.done);
    report(
        &settings,
        &samples,
        took,
        errors.load(Ordering::Relaxed),
        hits.load(Ordering::Relaxed),
    )
}

/// Prints the samples and the verdict; an error when the run failed or was not flat.
fn report(
    settings: &Settings,
    samples: &[Sample],
    took: Duration,
    errors: u64,
    origin: u64,
) -> Result<(), BoxError> {
    println!(
        "{:>9} {:>8} {:>9} {:>5} {:>10} {:>8} {:>9} {:>9} {:>9}",
        "requests",
        "seconds",
        "rss_kib",
        "fds",
        "store_kib",
        "entries",
        "evictions",
        "hits",
        "stored"
    );
    for s in samples {
        println!(
            "{:>9} {:>8.1} {:>9} {:>5} {:>10} {:>8} {:>9} {:>9} {:>9}",
            s.done,
            s.seconds,
            s.rss_kib,
            s.fds,
            s.stats.store.size_bytes / 1024,
            s.stats.store.entries,
            s.stats.store.evictions,
            s.stats.engine.hits,
            s.stats.engine.stored,
        );
    }
    let warm: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.done >= settings.requests / 5)
        .collect();
    let first = warm.first().ok_or("no sample after the warm-up")?;
    let max_rss = warm.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    let max_fds = warm.iter().map(|s| s.fds).max().unwrap_or(0);
    let last = samples.last().ok_or("no sample")?;
    println!(
        "soak: {} requests in {:.1} s ({:.0}/s), {errors} errors, {origin} origin requests; \
         after warm-up RSS {} -> max {} KiB, open files {} -> max {}",
        last.done,
        took.as_secs_f64(),
        last.done as f64 / took.as_secs_f64(),
        first.rss_kib,
        max_rss,
        first.fds,
        max_fds
    );
    let rss_limit = first.rss_kib + first.rss_kib / 5 + 4096;
    let mut problems = Vec::new();
    if errors > 0 {
        problems.push(format!("{errors} requests failed or had a wrong body"));
    }
    if max_rss > rss_limit {
        problems.push(format!("RSS grew to {max_rss} KiB (limit {rss_limit} KiB)"));
    }
    if max_fds > first.fds + 16 {
        problems.push(format!("open files grew from {} to {max_fds}", first.fds));
    }
    if problems.is_empty() {
        println!("soak: ok (flat)");
        Ok(())
    } else {
        Err(problems.join("; ").into())
    }
}
