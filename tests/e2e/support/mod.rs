//! Shared support for the end-to-end tests: a scripted origin on 127.0.0.1, the hyper client
//! upstream, an engine on an injected clock, the stores every scenario runs against, and every
//! adapter behind one client interface ([`adapters`]).

#![allow(dead_code, unreachable_pub)]

pub mod adapters;
pub mod client;
pub mod failing;
pub mod origin;
pub mod pattern;
pub mod raw_origin;
pub mod server;

use std::error::Error as StdError;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hcache_core::{CacheBody, CacheOptions, CacheStore, Engine, ManualClock};
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};

pub use client::{HyperUpstream, LoopbackClient, loopback_client};
pub use failing::FailingStore;
pub use origin::{Origin, Reply, counting_origin, swr_origin};

/// The epoch of every test (2023-11-14T22:13:20Z); the engine's clock starts here.
pub const T0: u64 = 1_700_000_000;

/// The IMF-fixdate of `T0 + secs`.
pub fn date(secs: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(T0 + secs))
}

/// A manual clock at `T0`.
pub fn start_clock() -> ManualClock {
    ManualClock::new(UNIX_EPOCH + Duration::from_secs(T0))
}

/// An engine over `store` on `clock`, sending through `upstream`, with background revalidation
/// spawned on tokio.
pub fn engine_on_tokio<S: CacheStore>(
    store: S,
    options: CacheOptions,
    clock: ManualClock,
    upstream: HyperUpstream,
) -> Engine<S> {
    Engine::builder(store)
        .options(options)
        .clock(clock)
        .background(
            |task| {
                tokio::spawn(task);
            },
            upstream,
        )
        .build()
}

/// An error and its sources, one after the other.
pub fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Checks `done` every 10 ms (real time, waited with `sleep`) until it holds; panics naming
/// `what` after 10 s.
pub async fn poll_until<F: Future<Output = ()>>(
    what: &str,
    sleep: impl Fn(Duration) -> F,
    mut done: impl FnMut() -> bool,
) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

/// An origin, an engine over a store, and the engine's manual clock.
pub struct Harness<S> {
    pub origin: Origin,
    pub engine: Engine<S>,
    pub clock: ManualClock,
    pub upstream: HyperUpstream,
}

/// A response as the caller saw it, body read to the end.
#[derive(Debug)]
pub struct Got {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Got {
    /// An `http` response (the engine's, hcache-hyper's) read to the end. `Err` carries the
    /// body's error and its sources, prefixed `body`.
    pub async fn collect(res: http::Response<CacheBody>) -> Result<Got, String> {
        let (parts, body) = res.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("body: {}", error_chain(&*e)))?
            .to_bytes();
        Ok(Got {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }

    /// A header's value as a string ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or("<non-ascii>"))
    }
    /// The `Cache-Status` value.
    pub fn cache_status(&self) -> &str {
        self.header("cache-status")
    }
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// Every value of a header, as raw bytes, in order.
    pub fn all(&self, name: &str) -> Vec<&[u8]> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.as_bytes())
            .collect()
    }
}

impl<S: CacheStore> Harness<S> {
    /// Starts an origin with `handler` and an engine over `store` with `options`, with
    /// background revalidation on tokio.
    pub async fn new(
        store: S,
        options: CacheOptions,
        handler: impl Fn(&http::request::Parts, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let origin = Origin::start(handler).await;
        let clock = start_clock();
        let upstream = HyperUpstream::default();
        let engine = engine_on_tokio(store, options, clock.clone(), upstream.clone());
        Harness {
            origin,
            engine,
            clock,
            upstream,
        }
    }

    /// Moves the engine's clock forward.
    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    /// The engine's current time.
    pub fn now(&self) -> SystemTime {
        use hcache_core::Clock;
        self.clock.now()
    }

    /// A request builder for `method` on the origin's `path` (add headers or extensions, then
    /// [`Harness::send_request`]).
    pub fn request(&self, method: Method, path: &str) -> http::request::Builder {
        Request::builder().method(method).uri(self.origin.url(path))
    }

    /// A GET carrying one extension (a [`hcache_core::CacheMode`], a
    /// [`hcache_core::CacheKey`], a [`hcache_core::StaleIfErrorWindow`]...).
    pub async fn get_ext<T>(&self, path: &str, ext: T) -> Result<Got, String>
    where
        T: Clone + Send + Sync + 'static,
    {
        let req = self
            .request(Method::GET, path)
            .extension(ext)
            .body(Full::default())
            .expect("request");
        self.send_request(req).await
    }

    /// Sends a request through the engine and reads the body to the end. `Err` carries the
    /// engine's error and its sources (or the body's, prefixed `body`).
    pub async fn send_request(&self, req: Request<Full<Bytes>>) -> Result<Got, String> {
        let res = self
            .engine
            .handle(req, &self.upstream)
            .await
            .map_err(|e| error_chain(&e))?;
        Got::collect(res).await
    }

    /// Sends a request through the engine and reads the body to the end.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Got, String> {
        let mut req = self.request(method, path);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        self.send_request(req.body(Full::default()).expect("request"))
            .await
    }

    /// A GET through the engine; panics on error.
    pub async fn get(&self, path: &str) -> Got {
        self.send(Method::GET, path, &[]).await.expect("GET")
    }

    /// A GET with request headers; panics on error.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Got {
        self.send(Method::GET, path, headers).await.expect("GET")
    }

    /// A HEAD with request headers; panics on error.
    pub async fn head(&self, path: &str, headers: &[(&str, &str)]) -> Got {
        self.send(Method::HEAD, path, headers).await.expect("HEAD")
    }

    /// Waits (bounded, 10 s) until `done` holds — for background work the test cannot await,
    /// such as a stale-while-revalidate refresh. Cache time does not move meanwhile.
    pub async fn wait_until(&self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        poll_until(what, tokio::time::sleep, || done(self)).await;
    }
}

/// Runs a scenario `async fn name<S: CacheStore>(store: S)` once per store, each as its own
/// named test: `name::memory`, and `name::cacache` (a disk store in a fresh temporary
/// directory). `name [max_entry_size = N]` gives the scenario stores that take bodies of at
/// most `N` bytes.
#[macro_export]
macro_rules! for_each_store {
    (@memory) => { $crate::support::stores::memory() };
    (@memory $limit:expr) => { $crate::support::stores::memory_max_entry_size($limit) };
    (@cacache) => { $crate::support::stores::cacache(None) };
    (@cacache $limit:expr) => { $crate::support::stores::cacache(Some($limit)) };
    (@tiered) => { $crate::support::stores::tiered(None) };
    (@tiered $limit:expr) => { $crate::support::stores::tiered(Some($limit)) };
    ($($name:ident $([max_entry_size = $limit:expr])?),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn memory() {
                    super::$name($crate::for_each_store!(@memory $($limit)?)).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn cacache() {
                    // The directory lives as long as the scenario.
                    let (store, _dir) = $crate::for_each_store!(@cacache $($limit)?);
                    super::$name(store).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn tiered() {
                    let (store, _dir) = $crate::for_each_store!(@tiered $($limit)?);
                    super::$name(store).await;
                }
            }
        )*
    };
}

pub mod stores {
    use hcache_store_memory::{MemoryOptions, MemoryStore};

    /// A memory store with default limits.
    pub fn memory() -> MemoryStore {
        MemoryStore::new(MemoryOptions::default())
    }

    /// A memory store that takes bodies of at most `bytes`.
    pub fn memory_max_entry_size(bytes: u64) -> MemoryStore {
        MemoryStore::new(MemoryOptions::default().max_entry_size(bytes))
    }

    /// A disk store in a fresh temporary directory (deleted when the `TempDir` drops), taking
    /// bodies of at most `max_entry_size` bytes when given.
    pub fn cacache(
        max_entry_size: Option<u64>,
    ) -> (hcache_store_cacache::CacacheStore, tempfile::TempDir) {
        use hcache_store_cacache::{CacacheOptions, CacacheStore};
        let dir = tempfile::TempDir::new().expect("temporary directory");
        let mut options = CacacheOptions::default();
        if let Some(n) = max_entry_size {
            options = options.max_entry_size(n);
        }
        let store = CacacheStore::open(dir.path(), options).expect("open the cacache store");
        (store, dir)
    }

    /// The entry limit of the stores for large bodies.
    pub const LARGE_ENTRY: u64 = 128 << 20;

    /// A memory store taking bodies up to [`LARGE_ENTRY`] bytes (and twice that in all; one
    /// shard, as an entry can be at most a shard's share).
    pub fn memory_large() -> MemoryStore {
        MemoryStore::new(
            MemoryOptions::default()
                .max_bytes(2 * LARGE_ENTRY)
                .max_entry_size(LARGE_ENTRY)
                .shards(1),
        )
    }

    /// A memory store over a disk store, both taking bodies up to [`LARGE_ENTRY`] bytes.
    pub fn tiered_large() -> (
        hcache_store_tiered::TieredStore<MemoryStore, hcache_store_cacache::CacacheStore>,
        tempfile::TempDir,
    ) {
        let (disk, dir) = cacache(Some(LARGE_ENTRY));
        (
            hcache_store_tiered::TieredStore::new(memory_large(), disk),
            dir,
        )
    }

    /// A memory store in front of a fresh disk store (limits as for [`cacache`]).
    pub fn tiered(
        max_entry_size: Option<u64>,
    ) -> (
        hcache_store_tiered::TieredStore<MemoryStore, hcache_store_cacache::CacacheStore>,
        tempfile::TempDir,
    ) {
        let (disk, dir) = cacache(max_entry_size);
        (hcache_store_tiered::TieredStore::new(memory(), disk), dir)
    }
}
