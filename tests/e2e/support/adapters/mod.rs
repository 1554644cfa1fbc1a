//! Every way into the cache behind one [`Client`] interface, so that one scenario set runs
//! through each of them: the engine itself, hcache-hyper's tower service over hyper-util's
//! client, hcache-reqwest's middleware and hcache-surf's middleware (on async-std).
//!
//! Every client is built over the test's store and `ManualClock`, with background
//! revalidation on, and exposes the `Engine` it runs so that scenarios read its statistics.
//! [`Env`] pairs a client with a scripted origin; [`for_each_adapter!`] turns a scenario into
//! one test per adapter and store.

mod engine;
mod hyper;
mod reqwest;
mod surf;

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use hcache_core::{
    CacheBody, CacheKey, CacheMode, CacheOptions, CacheStore, Engine, ManualClock,
    StaleIfErrorWindow, Stats, StoreStats,
};
use http::{HeaderMap, Method, request};
use http_body_util::BodyExt;
use tokio::sync::Notify;

use super::pattern::Checksum;
use super::{Got, Origin, Reply, error_chain, poll_until, start_clock};

pub use engine::EngineClient;
pub use hyper::HyperClient;
pub use reqwest::{ReqwestClient, reqwest_with_cache};
pub use surf::SurfClient;

/// How long one exchange may take before the test calls it stuck.
pub const STUCK: Duration = Duration::from_secs(60);

/// A per-request switch, set in the adapter's own request extensions (a reqwest-middleware
/// extension, a surf `set_ext`, an `http::Request` extension).
#[derive(Debug, Clone)]
pub enum Marker {
    Mode(CacheMode),
    Key(CacheKey),
    StaleIfError(StaleIfErrorWindow),
}

impl Marker {
    /// `request` carrying this marker as its own request extension.
    fn set_on<R: WithExtensions>(self, request: R) -> R {
        match self {
            Marker::Mode(m) => request.with_ext(m),
            Marker::Key(k) => request.with_ext(k),
            Marker::StaleIfError(w) => request.with_ext(w),
        }
    }
}

/// An adapter's request (or request builder), which carries typed extensions.
trait WithExtensions: Sized {
    fn with_ext<T: Clone + Send + Sync + 'static>(self, value: T) -> Self;
}

impl WithExtensions for request::Builder {
    fn with_ext<T: Clone + Send + Sync + 'static>(self, value: T) -> Self {
        self.extension(value)
    }
}

/// A request as a scenario writes it (no body: the scenarios need none).
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub url: String,
    /// Field lines in order; a repeated name is sent as repeated lines.
    pub headers: Vec<(String, String)>,
    pub markers: Vec<Marker>,
}

impl Req {
    pub fn new(method: Method, url: String) -> Self {
        Req {
            method,
            url,
            headers: Vec::new(),
            markers: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn marker(mut self, marker: Marker) -> Self {
        self.markers.push(marker);
        self
    }

    /// As an `http::Request` (markers as extensions), for the adapters that take one.
    fn into_http<B>(self, body: B) -> Result<http::Request<B>, String> {
        let mut builder = http::Request::builder().method(self.method).uri(self.url);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        self.markers
            .into_iter()
            .fold(builder, |b, marker| marker.set_on(b))
            .body(body)
            .map_err(|e| format!("request: {e}"))
    }
}

/// A streamed read: what arrived, checksummed chunk by chunk, never held whole.
#[derive(Debug)]
pub struct Streamed {
    pub status: u16,
    pub headers: HeaderMap,
    pub len: u64,
    pub checksum: u64,
    /// Data chunks the caller was handed.
    pub chunks: u64,
}

impl Streamed {
    pub fn cache_status(&self) -> &str {
        self.headers
            .get("cache-status")
            .map_or("", |v| v.to_str().unwrap_or("<non-ascii>"))
    }
}

/// Once `after` bytes have been read, notifies `gate` (which the origin's held body waits on).
#[derive(Debug, Clone)]
pub struct Release {
    pub after: u64,
    pub gate: Arc<Notify>,
}

/// The bookkeeping of a streamed read, shared by every adapter's read loop.
struct Reading {
    status: u16,
    headers: HeaderMap,
    sum: Checksum,
    chunks: u64,
    release: Option<Release>,
}

impl Reading {
    fn new(status: u16, headers: HeaderMap, release: Option<Release>) -> Self {
        Reading {
            status,
            headers,
            sum: Checksum::default(),
            chunks: 0,
            release,
        }
    }

    fn chunk(&mut self, data: &[u8]) {
        self.sum.update(data);
        self.chunks += 1;
        if self
            .release
            .as_ref()
            .is_some_and(|r| self.sum.len() >= r.after)
            && let Some(release) = self.release.take()
        {
            release.gate.notify_one();
        }
    }

    fn finish(self) -> Streamed {
        Streamed {
            status: self.status,
            headers: self.headers,
            len: self.sum.len(),
            checksum: self.sum.finish(),
            chunks: self.chunks,
        }
    }
}

/// One way into the cache, built over a store and the test's clock.
pub trait Client: Sized {
    type Store: CacheStore;

    /// A client caching in `store` with `options`, on `clock`, with background revalidation
    /// (stale-while-revalidate) enabled.
    fn build(store: Self::Store, options: CacheOptions, clock: ManualClock) -> Self;

    /// The engine the client runs (its statistics, its store).
    fn engine(&self) -> &Engine<Self::Store>;

    /// Sends `req` and reads the body to the end. `Err` carries the client's error and its
    /// sources (a body error starts with `body`).
    async fn send(&self, req: Req) -> Result<Got, String>;

    /// Sends `req` and reads the body chunk by chunk as the caller's client hands it over,
    /// checksumming it, never collecting it.
    async fn stream(&self, req: Req, release: Option<Release>) -> Result<Streamed, String>;

    /// Waits (in real time) on the client's runtime.
    async fn sleep(duration: Duration);
}

/// An `http` response read frame by frame.
async fn stream_frames(
    res: http::Response<CacheBody>,
    release: Option<Release>,
) -> Result<Streamed, String> {
    let (parts, mut body) = res.into_parts();
    let mut reading = Reading::new(parts.status.as_u16(), parts.headers, release);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("body: {}", error_chain(&*e)))?;
        if let Ok(data) = frame.into_data() {
            reading.chunk(&data);
        }
    }
    Ok(reading.finish())
}

/// `future`, or `None` once `limit` has passed on `C`'s runtime.
pub async fn deadline<C: Client, F: Future>(limit: Duration, future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut timer = pin!(C::sleep(limit));
    poll_fn(|cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// `future`, or a panic naming `what` once `limit` has passed on `C`'s runtime.
pub async fn within<C: Client, F: Future>(limit: Duration, what: &str, future: F) -> F::Output {
    deadline::<C, _>(limit, future)
        .await
        .unwrap_or_else(|| panic!("stuck for {limit:?}: {what}"))
}

/// An origin and a client caching in front of it, on a manual clock at `T0`.
pub struct Env<C> {
    pub origin: Origin,
    pub client: C,
    pub clock: ManualClock,
}

impl<C: Client> Env<C> {
    /// Starts an origin with `handler` and a client over `store` with `options`.
    pub async fn start(
        store: C::Store,
        options: CacheOptions,
        handler: impl Fn(&request::Parts, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let origin = Origin::start(handler).await;
        let clock = start_clock();
        let client = C::build(store, options, clock.clone());
        Env {
            origin,
            client,
            clock,
        }
    }

    /// Moves the cache's clock forward.
    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    /// The engine's counters.
    pub fn stats(&self) -> Stats {
        self.client.engine().stats().engine
    }

    /// The store's counters.
    pub fn store(&self) -> StoreStats {
        self.client.engine().store().stats()
    }

    /// A request for `method` on the origin's `path`.
    pub fn req(&self, method: Method, path: &str) -> Req {
        Req::new(method, self.origin.url(path))
    }

    /// Sends `req` through the client, reading the body to the end.
    pub async fn send(&self, req: Req) -> Result<Got, String> {
        within::<C, _>(STUCK, "an exchange", self.client.send(req)).await
    }

    /// A GET; panics on error.
    pub async fn get(&self, path: &str) -> Got {
        self.get_with(path, &[]).await
    }

    /// A GET with request header lines; panics on error.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Got {
        let mut req = self.req(Method::GET, path);
        for (name, value) in headers {
            req = req.header(name, value);
        }
        self.send(req)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// A GET carrying one marker.
    pub async fn get_marked(&self, path: &str, marker: Marker) -> Result<Got, String> {
        self.send(self.req(Method::GET, path).marker(marker)).await
    }

    /// A GET read chunk by chunk (see [`Client::stream`]).
    pub async fn stream(&self, path: &str, release: Option<Release>) -> Streamed {
        let req = self.req(Method::GET, path);
        within::<C, _>(STUCK, "a streamed body", self.client.stream(req, release))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Waits (bounded, 10 s) until `done` holds — for background work the test cannot await.
    /// Cache time does not move meanwhile.
    pub async fn wait_until(&self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        poll_until(what, C::sleep, || done(self)).await;
    }
}

/// Runs a scenario `async fn name<C: Client>(store: C::Store)` once per adapter and store, each
/// as its own test named `name::<adapter>_<store>`: adapters `engine`, `hyper`, `reqwest` (on
/// tokio) and `surf` (on async-std); stores `memory`, `cacache` (a disk store in a fresh
/// temporary directory) and `tiered` (memory over disk). `name [large]` gives the scenario
/// stores that take entries of up to `stores::LARGE_ENTRY` bytes; a list led by
/// `stores(memory, ..):` runs on those stores only.
#[macro_export]
macro_rules! for_each_adapter {
    (@store memory) => {
        ($crate::support::stores::memory(), None::<tempfile::TempDir>)
    };
    (@store memory large) => {
        ($crate::support::stores::memory_large(), None::<tempfile::TempDir>)
    };
    (@store cacache) => {{
        let (store, dir) = $crate::support::stores::cacache(None);
        (store, Some(dir))
    }};
    (@store cacache large) => {{
        let large = $crate::support::stores::LARGE_ENTRY;
        let (store, dir) = $crate::support::stores::cacache(Some(large));
        (store, Some(dir))
    }};
    (@store tiered) => {{
        let (store, dir) = $crate::support::stores::tiered(None);
        (store, Some(dir))
    }};
    (@store tiered large) => {{
        let (store, dir) = $crate::support::stores::tiered_large();
        (store, Some(dir))
    }};
    (@test tokio $name:ident $test:ident $client:ident $($store:ident)+) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            // The directory lives as long as the scenario.
            let (store, _dir) = $crate::for_each_adapter!(@store $($store)+);
            super::$name::<$crate::support::adapters::$client<_>>(store).await;
        }
    };
    (@test async_std $name:ident $test:ident $client:ident $($store:ident)+) => {
        #[async_std::test]
        async fn $test() {
            let (store, _dir) = $crate::for_each_adapter!(@store $($store)+);
            super::$name::<$crate::support::adapters::$client<_>>(store).await;
        }
    };
    // Test names are written out: `macro_rules!` cannot join identifiers. `$opts` is `()` or
    // `(large)`, one token tree, so it can ride along the repetition over stores.
    (@tests $name:ident memory ($($large:ident)?)) => {
        $crate::for_each_adapter!(@test tokio $name engine_memory EngineClient memory $($large)?);
        $crate::for_each_adapter!(@test tokio $name hyper_memory HyperClient memory $($large)?);
        $crate::for_each_adapter!(@test tokio $name reqwest_memory ReqwestClient memory $($large)?);
        $crate::for_each_adapter!(@test async_std $name surf_memory SurfClient memory $($large)?);
    };
    (@tests $name:ident cacache ($($large:ident)?)) => {
        $crate::for_each_adapter!(@test tokio $name engine_cacache EngineClient cacache $($large)?);
        $crate::for_each_adapter!(@test tokio $name hyper_cacache HyperClient cacache $($large)?);
        $crate::for_each_adapter!(@test tokio $name reqwest_cacache ReqwestClient cacache $($large)?);
        $crate::for_each_adapter!(@test async_std $name surf_cacache SurfClient cacache $($large)?);
    };
    (@tests $name:ident tiered ($($large:ident)?)) => {
        $crate::for_each_adapter!(@test tokio $name engine_tiered EngineClient tiered $($large)?);
        $crate::for_each_adapter!(@test tokio $name hyper_tiered HyperClient tiered $($large)?);
        $crate::for_each_adapter!(@test tokio $name reqwest_tiered ReqwestClient tiered $($large)?);
        $crate::for_each_adapter!(@test async_std $name surf_tiered SurfClient tiered $($large)?);
    };
    (@scenario ($($store:ident),+) $name:ident $opts:tt) => {
        mod $name {
            $( $crate::for_each_adapter!(@tests $name $store $opts); )+
        }
    };
    (stores $stores:tt : $($name:ident $([$large:ident])?),* $(,)?) => {
        $( $crate::for_each_adapter!(@scenario $stores $name ($($large)?)); )*
    };
    ($($name:ident $([$large:ident])?),* $(,)?) => {
        $crate::for_each_adapter!(stores (memory, cacache, tiered): $($name $([$large])?),*);
    };
}
