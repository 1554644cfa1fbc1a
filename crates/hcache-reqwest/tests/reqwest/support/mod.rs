//! Shared support: a scripted origin on 127.0.0.1, a reqwest client with the cache over a
//! memory store on a manual clock, and a streaming checksum.

#![allow(dead_code, unreachable_pub)]

pub mod origin;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hcache_core::ManualClock;
use hcache_reqwest::{Cache, CacheBuilder};
use hcache_store_memory::{MemoryOptions, MemoryStore};
use http::{HeaderMap, request};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};

pub use origin::{Origin, Reply, pattern_chunk};

/// FNV-1a over a byte stream, updated chunk by chunk.
#[derive(Clone, Copy)]
pub struct Checksum(u64);

impl Default for Checksum {
    fn default() -> Self {
        Checksum(0xcbf2_9ce4_8422_2325)
    }
}

impl Checksum {
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    pub fn value(self) -> u64 {
        self.0
    }
}

/// An origin, a cached reqwest client in front of it, and the cache's clock.
pub struct Env {
    pub origin: Origin,
    pub cache: Cache<MemoryStore>,
    pub client: ClientWithMiddleware,
    /// The client under the middleware (for background refreshes, or to build other chains).
    pub inner: reqwest::Client,
    pub clock: ManualClock,
}

/// A response as the caller saw it, body read to the end.
#[derive(Debug)]
pub struct Got {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub url: String,
}

impl Got {
    pub async fn read(res: reqwest::Response) -> Got {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let url = res.url().to_string();
        let body = res.bytes().await.expect("body");
        Got {
            status,
            headers,
            body,
            url,
        }
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or("<non-ascii>"))
    }
    pub fn cache_status(&self) -> &str {
        self.header("cache-status")
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Env {
    /// An origin with `handler` and a client whose cache runs on default options, with
    /// foreground validation.
    pub async fn new(
        handler: impl Fn(&request::Parts, usize) -> Reply + Send + Sync + 'static,
    ) -> Env {
        Env::build(handler, |b, _| b, |c| c).await
    }

    /// As [`Env::new`], with the cache's builder and the middleware chain adjusted.
    pub async fn build(
        handler: impl Fn(&request::Parts, usize) -> Reply + Send + Sync + 'static,
        cache: impl FnOnce(CacheBuilder<MemoryStore>, &reqwest::Client) -> CacheBuilder<MemoryStore>,
        chain: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> Env {
        // A whole second, so the origin's Date is never earlier than the cache's clock.
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
        let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(now.as_secs()));
        let origin = Origin::start(clock.clone(), handler).await;
        let inner = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("reqwest client");
        let store = MemoryStore::new(MemoryOptions::default());
        let cache = cache(Cache::builder(store).clock(clock.clone()), &inner).build();
        let client = chain(ClientBuilder::new(inner.clone()).with(cache.clone())).build();
        Env {
            origin,
            cache,
            client,
            inner,
            clock,
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.origin.url(path)
    }

    /// Moves the cache's clock (and the origin's `Date`) forward.
    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    /// A GET through the cached client, body read to the end.
    pub async fn get(&self, path: &str) -> Got {
        let res = self.client.get(self.url(path)).send().await.expect("GET");
        Got::read(res).await
    }
}
