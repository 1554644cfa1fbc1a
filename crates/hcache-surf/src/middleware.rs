//! The surf middleware: [`Cache`], built with [`CacheBuilder`].

use std::fmt;

use hcache_core::{CacheOptions, CacheStore, Clock, Engine, EngineBuilder, EngineStats};
use http::HeaderName;
use surf::middleware::{Middleware, Next};
use surf::{Client, Request, Response, StatusCode};

use crate::convert;
use crate::upstream::{AsyncStdSpawn, ClientSend, NextUpstream, Refresh, UpstreamError};

/// An HTTP cache (RFC 9111) as a surf middleware, over a store `S`.
///
/// Requests go through hcache's engine: fresh stored responses are served without the network,
/// stale ones are validated (`If-None-Match` / `If-Modified-Since`) through the rest of the
/// middleware chain, new responses are stored as they stream to the caller, and unsafe methods
/// invalidate what they change. Every response carries a `Cache-Status` field (RFC 9211).
///
/// Cheap to clone: clones share the engine and the store.
pub struct Cache<S> {
    engine: Engine<S>,
}

impl<S> Clone for Cache<S> {
    fn clone(&self) -> Self {
        Cache {
            engine: self.engine.clone(),
        }
    }
}

impl<S> fmt::Debug for Cache<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("engine", &self.engine)
            .finish()
    }
}

impl<S: CacheStore> Cache<S> {
    /// A cache over `store` with default options: a private cache, the system clock, and stale
    /// responses validated in the foreground (see [`CacheBuilder::background_client`]).
    pub fn new(store: S) -> Self {
        Self::builder(store).build()
    }

    /// A builder for a cache over `store`.
    pub fn builder(store: S) -> CacheBuilder<S> {
        CacheBuilder {
            engine: Engine::builder(store),
        }
    }

    /// The engine: its policy and its store.
    pub fn engine(&self) -> &Engine<S> {
        &self.engine
    }

    /// What the engine and the store did so far.
    pub fn stats(&self) -> EngineStats {
        self.engine.stats()
    }
}

/// Builds a [`Cache`]: the store is required, everything else has a default.
pub struct CacheBuilder<S> {
    engine: EngineBuilder<S>,
}

impl<S> fmt::Debug for CacheBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheBuilder").finish_non_exhaustive()
    }
}

impl<S: CacheStore> CacheBuilder<S> {
    /// The caching options (default: [`CacheOptions::default`], a private cache).
    pub fn options(mut self, options: CacheOptions) -> Self {
        self.engine = self.engine.options(options);
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.engine = self.engine.clock(clock);
        self
    }

    /// The name of the `Cache-Status` field (default `cache-status`, RFC 9211).
    pub fn cache_status_field(mut self, name: HeaderName) -> Self {
        self.engine = self.engine.cache_status_field(name);
        self
    }

    /// Enables background revalidation (RFC 5861 `stale-while-revalidate`): a response within
    /// that window is served at once, and refreshed by a detached async-std task sending through
    /// `client`.
    ///
    /// Without it (the default) such a response is validated in the foreground instead: correct,
    /// only slower. A middleware is handed a client only while it handles a request, so the one
    /// for refreshes is given here. Give a client *without* this middleware — a refresh must
    /// reach the origin, not this cache. (A client that has it still works: refreshes carry a
    /// marker this middleware lets through. Surf does not allow adding middleware to a client
    /// that has been cloned, so this is usually a second client, e.g. `surf::Client::new()`.)
    pub fn background_client(mut self, client: Client) -> Self {
        self.engine = self.engine.background(AsyncStdSpawn, ClientSend(client));
        self
    }

    /// The cache.
    pub fn build(self) -> Cache<S> {
        Cache {
            engine: self.engine.build(),
        }
    }
}

#[async_trait::async_trait]
impl<S: CacheStore> Middleware for Cache<S> {
    async fn handle(&self, req: Request, client: Client, next: Next<'_>) -> surf::Result<Response> {
        if req.ext::<Refresh>().is_some() {
            return next.run(req, client).await;
        }
        let req: surf::http::Request = req.into();
        let Ok(head) = convert::request_head_to_http(&req) else {
            // `http` cannot hold this request (a field name that is no token, say): the cache
            // steps aside rather than change it.
            return next.run(req.into(), client).await;
        };
        let request = convert::request_to_http(head, req);
        let upstream = NextUpstream::new(next, client);
        match self.engine.handle(request, &upstream).await {
            Ok(res) => convert::response_from_http(res)
                .map(Response::from)
                .map_err(|e| surf::Error::new(StatusCode::BadGateway, e)),
            Err(e) => Err(upstream_error(e)),
        }
    }
}

/// The engine fails only when the next hop did and no stale response could stand in: hand back
/// the next hop's own error, as if this middleware were not there.
fn upstream_error(e: hcache_core::Error) -> surf::Error {
    match e {
        hcache_core::Error::Upstream(source) => match source.downcast::<UpstreamError>() {
            Ok(own) => own.0,
            Err(other) => {
                surf::Error::new(StatusCode::BadGateway, hcache_core::Error::Upstream(other))
            }
        },
        other => surf::Error::new(StatusCode::BadGateway, other),
    }
}
