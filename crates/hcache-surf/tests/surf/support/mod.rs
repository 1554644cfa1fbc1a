//! A real origin on 127.0.0.1 and a surf client with the cache middleware over a memory store,
//! on a manual clock.

#![allow(dead_code, unreachable_pub)]

pub mod origin;

use std::time::{Duration, UNIX_EPOCH};

use hcache_core::ManualClock;
use hcache_store_memory::MemoryStore;
use hcache_surf::Cache;

pub use origin::{Origin, Reply, Seen, pattern_chunk};

/// The time every test starts at (2023-11-14T22:13:20Z), on the cache's and the origin's clock.
pub const T0: u64 = 1_700_000_000;

/// An origin, a surf client caching through a memory store, and the cache's clock.
pub struct Harness {
    pub origin: Origin,
    pub client: surf::Client,
    pub cache: Cache<MemoryStore>,
    pub clock: ManualClock,
}

impl Harness {
    pub async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        Self::with_store(MemoryStore::default(), handler).await
    }

    pub async fn with_store(
        store: MemoryStore,
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(T0));
        let origin = Origin::start(clock.clone(), handler).await;
        let cache = Cache::builder(store).clock(clock.clone()).build();
        let client = surf::Client::new().with(cache.clone());
        Harness {
            origin,
            client,
            cache,
            clock,
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.origin.url(path)
    }

    /// Sends `req` and reads the whole body (failing, not hanging, if that takes a minute).
    pub async fn send(&self, req: surf::Request) -> Got {
        let exchange = async {
            let mut res = self.client.send(req).await.expect("request succeeds");
            let body = res.body_bytes().await.expect("body reads");
            Got { res, body }
        };
        async_std::future::timeout(Duration::from_secs(60), exchange)
            .await
            .expect("the exchange completes")
    }

    pub async fn get(&self, path: &str) -> Got {
        self.send(surf::get(self.url(path)).build()).await
    }
}

/// A response as the caller saw it, body read to the end.
pub struct Got {
    pub res: surf::Response,
    pub body: Vec<u8>,
}

impl Got {
    pub fn status(&self) -> u16 {
        self.res.status().into()
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.res
            .header(name)
            .map(|vs| vs.iter().map(|v| v.as_str().to_owned()).collect())
            .unwrap_or_default()
    }

    /// The `Cache-Status` value ("" when absent).
    pub fn cache_status(&self) -> String {
        self.all("cache-status").join(", ")
    }

    pub fn is_hit(&self) -> bool {
        self.cache_status().contains("; hit")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// FNV-1a over a stream of chunks.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}
