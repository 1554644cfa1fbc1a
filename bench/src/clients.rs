//! The configurations measured side by side, each a client that sends a GET and reads the
//! response body to its end, chunk by chunk (no configuration gathers it for the caller).
//!
//! hcache runs as `hcache-reqwest` (reqwest-middleware 0.5 over reqwest 0.13); the peer,
//! `http-cache-reqwest` 0.16, is built on reqwest-middleware 0.4 over reqwest 0.12. Each side's
//! overhead is therefore measured against the plain client it wraps.

use std::path::Path;
use std::sync::Arc;

use hcache_core::CacheMode;
use hcache_reqwest::Cache;
use hcache_store_cacache::{CacacheOptions, CacacheStore};
use hcache_store_memory::{MemoryOptions, MemoryStore};
use hcache_store_tiered::TieredStore;
use http::HeaderValue;
use http::header::IF_NONE_MATCH;
use http_cache_reqwest as peer;
use reqwest::Url;
use tempfile::TempDir;

/// Any error, for the harness's own failures.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Config {
    /// reqwest 0.13, no cache: what hcache-reqwest wraps.
    Reqwest,
    /// reqwest 0.12, no cache: what http-cache-reqwest 0.16 wraps.
    Reqwest012,
    /// reqwest-middleware 0.5 over reqwest 0.13 with no middleware: the framework's own cost,
    /// which hcache-reqwest pays on every request.
    Middleware,
    /// reqwest-middleware 0.5 with [`crate::floor::PassThrough`]: the cost of being a
    /// middleware. Measured only as a miss.
    PassThrough,
    /// reqwest-middleware 0.5 with [`crate::floor::Converted`]: a middleware's cost plus the
    /// conversions to and from `http` types hcache-reqwest makes, with no caching work.
    /// Measured only as a miss.
    Converted,
    /// hcache-reqwest over `MemoryStore`.
    Memory,
    /// hcache-reqwest over `MemoryStore`, each request marked `CacheMode::NoStore`: the
    /// cache is bypassed (no lookup, no coalescing, nothing stored), so what remains is the
    /// adapter and the engine around the send. Measured only as a miss.
    Bypass,
    /// hcache-reqwest over `CacacheStore`.
    Cacache,
    /// hcache-reqwest over `TieredStore<MemoryStore, CacacheStore>`.
    Tiered,
    /// http-cache-reqwest with its Moka manager.
    PeerMoka,
    /// http-cache-reqwest with its cacache manager.
    PeerCacache,
}

impl Config {
    /// Every configuration, in report order.
    pub(crate) const ALL: [Config; 8] = [
        Config::Memory,
        Config::Cacache,
        Config::Tiered,
        Config::PeerMoka,
        Config::PeerCacache,
        Config::Middleware,
        Config::Reqwest,
        Config::Reqwest012,
    ];
    /// The configurations that cache.
    pub(crate) const CACHES: [Config; 5] = [
        Config::Memory,
        Config::Cacache,
        Config::Tiered,
        Config::PeerMoka,
        Config::PeerCacache,
    ];

    /// The name in reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Config::Reqwest => "reqwest 0.13 (no cache)",
            Config::Reqwest012 => "reqwest 0.12 (no cache)",
            Config::Middleware => "reqwest-middleware 0.5, no middleware (no cache)",
            Config::PassThrough => "reqwest-middleware 0.5, a pass-through middleware (no cache)",
            Config::Converted => {
                "reqwest-middleware 0.5, a middleware converting to `http` and back (no cache)"
            }
            Config::Memory => "hcache memory",
            Config::Bypass => "hcache memory, `CacheMode::NoStore` (cache bypassed)",
            Config::Cacache => "hcache cacache",
            Config::Tiered => "hcache tiered",
            Config::PeerMoka => "http-cache-reqwest moka",
            Config::PeerCacache => "http-cache-reqwest cacache",
        }
    }

    /// The name in URLs and on the command line.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Config::Reqwest => "reqwest",
            Config::Reqwest012 => "reqwest012",
            Config::Middleware => "middleware",
            Config::PassThrough => "pass-through",
            Config::Converted => "converted",
            Config::Memory => "memory",
            Config::Bypass => "bypass",
            Config::Cacache => "cacache",
            Config::Tiered => "tiered",
            Config::PeerMoka => "peer-moka",
            Config::PeerCacache => "peer-cacache",
        }
    }

    pub(crate) fn from_slug(slug: &str) -> Option<Config> {
        let floors = [Config::Bypass, Config::PassThrough, Config::Converted];
        Config::ALL
            .into_iter()
            .chain(floors)
            .find(|c| c.slug() == slug)
    }

    /// The plain client this configuration is built on.
    pub(crate) fn baseline(self) -> Config {
        match self {
            Config::PeerMoka | Config::PeerCacache | Config::Reqwest012 => Config::Reqwest012,
            _ => Config::Reqwest,
        }
    }

    /// Whether the configuration keeps its entries on disk.
    pub(crate) fn on_disk(self) -> bool {
        matches!(self, Config::Cacache | Config::Tiered | Config::PeerCacache)
    }
}

/// The largest body any store is asked to keep (the 10 MiB scenario), with room to spare.
const MAX_ENTRY: u64 = 16 * 1024 * 1024;

/// A configuration ready to send. Cheap to clone (clones share the client and its cache).
#[derive(Clone)]
pub(crate) struct Client {
    kind: Kind,
    /// Requests carry `CacheMode::NoStore` ([`Config::Bypass`]).
    bypass: bool,
    /// The disk store's directory, removed when the last clone is dropped.
    dir: Option<Arc<TempDir>>,
    /// hcache's disk store (shared with the cache), to flush before measuring its directory.
    store: Option<CacacheStore>,
}

#[derive(Clone)]
enum Kind {
    Plain(reqwest::Client),
    Plain012(reqwest_012::Client),
    Middleware(reqwest_middleware::ClientWithMiddleware),
    Peer(reqwest_middleware_04::ClientWithMiddleware),
}

/// A response read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Got {
    pub(crate) status: u16,
    pub(crate) len: u64,
}

fn memory() -> MemoryStore {
    MemoryStore::new(
        MemoryOptions::default()
            .max_entry_size(MAX_ENTRY)
            .max_bytes(256 * 1024 * 1024),
    )
}

fn disk(dir: &Path) -> Result<CacacheStore, BoxError> {
    Ok(CacacheStore::open(
        dir,
        CacacheOptions::default().max_entry_size(MAX_ENTRY),
    )?)
}

fn temp_dir() -> Result<Arc<TempDir>, BoxError> {
    Ok(Arc::new(
        tempfile::Builder::new().prefix("hcache-bench-").tempdir()?,
    ))
}

impl Client {
    /// A new client with an empty cache (a new directory for disk stores).
    pub(crate) fn new(config: Config) -> Result<Client, BoxError> {
        let plain = || reqwest::Client::builder().no_proxy().build();
        let plain012 = || reqwest_012::Client::builder().no_proxy().build();
        let hcache = |cache| -> Result<Kind, BoxError> {
            Ok(Kind::Middleware(
                reqwest_middleware::ClientBuilder::new(plain()?)
                    .with_arc(cache)
                    .build(),
            ))
        };
        let peer = |cache| -> Result<Kind, BoxError> {
            Ok(Kind::Peer(
                reqwest_middleware_04::ClientBuilder::new(plain012()?)
                    .with_arc(cache)
                    .build(),
            ))
        };
        let dir = config.on_disk().then(temp_dir).transpose()?;
        let path = dir.as_ref().map(|d| d.path().to_path_buf());
        let path = || path.clone().ok_or("no directory");
        let mut store = None;
        let mut hcache_disk = || -> Result<CacacheStore, BoxError> {
            let s = disk(&path()?)?;
            store = Some(s.clone());
            Ok(s)
        };
        let kind = match config {
            Config::Reqwest => Kind::Plain(plain()?),
            Config::Reqwest012 => Kind::Plain012(plain012()?),
            Config::Middleware => {
                Kind::Middleware(reqwest_middleware::ClientBuilder::new(plain()?).build())
            }
            Config::PassThrough => Kind::Middleware(
                reqwest_middleware::ClientBuilder::new(plain()?)
                    .with(crate::floor::PassThrough)
                    .build(),
            ),
            Config::Converted => Kind::Middleware(
                reqwest_middleware::ClientBuilder::new(plain()?)
                    .with(crate::floor::Converted)
                    .build(),
            ),
            Config::Memory | Config::Bypass => hcache(Arc::new(Cache::new(memory())))?,
            Config::Cacache => hcache(Arc::new(Cache::new(hcache_disk()?)))?,
            Config::Tiered => hcache(Arc::new(Cache::new(TieredStore::new(
                memory(),
                hcache_disk()?,
            ))))?,
            Config::PeerMoka => peer(Arc::new(peer::Cache(peer::HttpCache {
                mode: peer::CacheMode::Default,
                // The manager's default holds 42 entries; the throughput scenario uses 1,000.
                manager: peer::MokaManager::new(peer::MokaCache::new(100_000)),
                options: peer::HttpCacheOptions::default(),
            })))?,
            Config::PeerCacache => peer(Arc::new(peer::Cache(peer::HttpCache {
                mode: peer::CacheMode::Default,
                manager: peer::CACacheManager::new(path()?, true),
                options: peer::HttpCacheOptions::default(),
            })))?,
        };
        Ok(Client {
            kind,
            bypass: config == Config::Bypass,
            dir,
            store,
        })
    }

    /// The disk store's directory, if the configuration has one.
    pub(crate) fn dir(&self) -> Option<&Path> {
        self.dir.as_deref().map(TempDir::path)
    }

    /// Writes what hcache's disk store holds back (metadata updates written behind), so that
    /// its directory shows everything the requests so far stored.
    pub(crate) fn flush(&self) -> Result<(), BoxError> {
        if let Some(s) = &self.store {
            s.flush()?;
        }
        Ok(())
    }

    /// Sends a GET of `url` (with `If-None-Match: "v1"` when `conditional`) and reads the
    /// body to its end, dropping each chunk as it comes.
    pub(crate) async fn get(&self, url: &Url, conditional: bool) -> Result<Got, BoxError> {
        let etag = HeaderValue::from_static("\"v1\"");
        macro_rules! send_and_read {
            ($builder:expr) => {{
                let mut builder = $builder;
                if conditional {
                    builder = builder.header(IF_NONE_MATCH, etag);
                }
                let mut res = builder.send().await?;
                let status = res.status().as_u16();
                let mut len = 0;
                while let Some(chunk) = res.chunk().await? {
                    len += chunk.len() as u64;
                }
                Got { status, len }
            }};
        }
        Ok(match &self.kind {
            Kind::Plain(c) => send_and_read!(c.get(url.clone())),
            Kind::Plain012(c) => send_and_read!(c.get(url.clone())),
            Kind::Middleware(c) if self.bypass => {
                send_and_read!(c.get(url.clone()).with_extension(CacheMode::NoStore))
            }
            Kind::Middleware(c) => send_and_read!(c.get(url.clone())),
            Kind::Peer(c) => send_and_read!(c.get(url.clone())),
        })
    }
}
