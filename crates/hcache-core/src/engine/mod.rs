//! The engine: the one async flow every adapter reuses (lookup → decide → serve, validate or
//! forward → store, freshen or invalidate → respond), with request coalescing, background
//! revalidation and stale-if-error. It holds no caching rule of its own — every decision is
//! the [`CachePolicy`]'s — and no runtime: an adapter provides the network ([`Upstream`]) and,
//! for background work, a way to spawn ([`Spawn`]).

mod body;
mod coalesce;
mod flow;
mod head;
mod stats;
mod upstream;
mod write;

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use http::header::HeaderName;

pub use body::CacheBody;
pub use stats::Stats;
pub use upstream::{BackgroundTask, BoxError, Spawn, Upstream};

use crate::clock::{Clock, SystemClock};
use crate::key::CacheKey;
use crate::options::CacheOptions;
use crate::policy::CachePolicy;
use crate::status::{CACHE_STATUS, Recurring};
use crate::store::{CacheStore, StoreStats};
use coalesce::Flights;
use stats::Counters;

/// The engine's failure: only the upstream's own failures reach the caller. Store failures
/// never do (the request is served from the origin and the failure counted).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Sending the request upstream failed, and no stale response could stand in.
    #[error("upstream request failed")]
    Upstream(#[source] BoxError),
}

/// Sends background requests (stale-while-revalidate refreshes) for the engine. Adapters
/// implement it over a clone of their client.
pub trait BackgroundSend: Send + Sync + 'static {
    /// Sends a body-less request.
    fn send(
        &self,
        request: http::Request<()>,
    ) -> Pin<Box<dyn Future<Output = Result<http::Response<CacheBody>, BoxError>> + Send>>;
}

struct Background {
    spawn: Arc<dyn Spawn>,
    send: Arc<dyn BackgroundSend>,
}

/// Counters of the engine and of its store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineStats {
    /// What the engine did.
    pub engine: Stats,
    /// The store's size, count and evictions.
    pub store: StoreStats,
}

/// The caching engine over a store `S`. Cheap to clone (clones share everything).
pub struct Engine<S> {
    inner: Arc<Inner<S>>,
}

impl<S> Clone for Engine<S> {
    fn clone(&self) -> Self {
        Engine {
            inner: self.inner.clone(),
        }
    }
}

impl<S> fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("options", self.inner.policy.options())
            .field("clock", &self.inner.clock)
            .field("stats", &self.inner.counters.snapshot())
            .finish_non_exhaustive()
    }
}

struct Inner<S> {
    policy: CachePolicy,
    store: S,
    clock: Arc<dyn Clock>,
    background: Option<Background>,
    flights: Arc<Flights>,
    revalidating: Mutex<HashSet<CacheKey>>,
    counters: Arc<Counters>,
    status_field: HeaderName,
    /// This cache's `Cache-Status` members, none when it sends none.
    statuses: Option<Recurring>,
}

/// Builds an [`Engine`]: the store is required, everything else has a default.
pub struct EngineBuilder<S> {
    store: S,
    options: CacheOptions,
    clock: Arc<dyn Clock>,
    background: Option<Background>,
    status_field: HeaderName,
}

impl<S: CacheStore> EngineBuilder<S> {
    /// The caching options (default: [`CacheOptions::default`], a private cache).
    pub fn options(mut self, options: CacheOptions) -> Self {
        self.options = options;
        self
    }

    /// The clock (default: [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Enables background revalidation (stale-while-revalidate): `spawn` runs the refresh,
    /// `send` sends it. Without it, a response within its stale-while-revalidate window is
    /// validated in the foreground instead.
    pub fn background(mut self, spawn: impl Spawn, send: impl BackgroundSend) -> Self {
        self.background = Some(Background {
            spawn: Arc::new(spawn),
            send: Arc::new(send),
        });
        self
    }

    /// The field name of `Cache-Status` (default `cache-status`, RFC 9211). The cache's name
    /// in it, or whether it is sent at all, is [`CacheOptions::cache_status_name`].
    pub fn cache_status_field(mut self, name: HeaderName) -> Self {
        self.status_field = name;
        self
    }

    /// The engine.
    pub fn build(self) -> Engine<S> {
        let statuses = self.options.cache_status().map(Recurring::new);
        Engine {
            inner: Arc::new(Inner {
                policy: CachePolicy::new(self.options),
                store: self.store,
                clock: self.clock,
                background: self.background,
                flights: Arc::default(),
                revalidating: Mutex::default(),
                counters: Arc::default(),
                status_field: self.status_field,
                statuses,
            }),
        }
    }
}

impl<S: CacheStore> Engine<S> {
    /// An engine over `store` with default options (a private cache, system clock).
    pub fn new(store: S) -> Self {
        Self::builder(store).build()
    }

    /// A builder for an engine over `store`.
    pub fn builder(store: S) -> EngineBuilder<S> {
        EngineBuilder {
            store,
            options: CacheOptions::default(),
            clock: Arc::new(SystemClock),
            background: None,
            status_field: CACHE_STATUS,
        }
    }

    /// The policy the engine decides with.
    pub fn policy(&self) -> &CachePolicy {
        &self.inner.policy
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            engine: self.inner.counters.snapshot(),
            store: self.inner.store.stats(),
        }
    }
}
