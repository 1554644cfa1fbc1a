//! The [`Cache`] middleware and its builder.

use std::fmt;

use http::Extensions;
use http::header::HeaderName;
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next, Result};

use hcache_core::{CacheOptions, CacheStore, Clock, Engine, EngineBuilder, EngineStats};

use crate::background::{ClientSend, TokioSpawn};
use crate::upstream::NextUpstream;
use crate::{convert, error};

/// An RFC 9111 HTTP cache as a `reqwest_middleware::Middleware`, over a store `S`.
///
/// Requests the cache can answer never reach the rest of the chain; the others continue down
/// it (conditional when validating a stored response), and storable responses are stored as
/// their bodies stream to the caller. Cheap to clone: clones share the engine and its store.
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
    /// A cache over `store` with the defaults of [`CacheBuilder`]: a private cache
    /// ([`CacheOptions::default`]), the system clock, and stale-while-revalidate responses
    /// validated in the foreground.
    pub fn new(store: S) -> Self {
        Self::builder(store).build()
    }

    /// A builder for a cache over `store`.
    pub fn builder(store: S) -> CacheBuilder<S> {
        CacheBuilder {
            engine: Engine::builder(store),
        }
    }

    /// The engine (its policy, its store).
    pub fn engine(&self) -> &Engine<S> {
        &self.engine
    }

    /// A snapshot of the engine's and the store's counters.
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

    /// The clock freshness is computed with (default: the system clock). Tests use
    /// [`hcache_core::ManualClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.engine = self.engine.clock(clock);
        self
    }

    /// Revalidates in the background (RFC 5861 `stale-while-revalidate`): the stale response
    /// is served at once and `client` refreshes it, on the tokio runtime of the request that
    /// found it stale (default: none — such a response is validated in the foreground, so the
    /// caller waits for the origin but never gets a stale answer without asking).
    ///
    /// The refresh outlives the request and so cannot go through the middleware chain: it is
    /// sent by `client` directly, with the stored request's header fields. Pass the client
    /// the middleware wraps (a clone shares its connection pool, proxies, TLS and default
    /// headers) unless refreshes need something else.
    pub fn background_client(mut self, client: reqwest::Client) -> Self {
        self.engine = self.engine.background(TokioSpawn, ClientSend(client));
        self
    }

    /// The field name of `Cache-Status` (default `cache-status`, RFC 9211). The cache's name
    /// in it, or whether it is sent at all, is [`CacheOptions::cache_status_name`].
    pub fn cache_status_field(mut self, name: HeaderName) -> Self {
        self.engine = self.engine.cache_status_field(name);
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
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response> {
        let (request, target) = match convert::to_http_request(req, extensions) {
            Ok(converted) => converted,
            Err(req) => {
                tracing::debug!(url = %req.url(), "hcache: URL is not an http::Uri; passing through");
                return next.run(req, extensions).await;
            }
        };
        let handled = {
            let upstream = NextUpstream::new(next, &target, extensions);
            self.engine.handle(request, &upstream).await
        };
        match handled {
            Ok(response) => Ok(convert::to_reqwest_response(response, target.into_url())),
            Err(e) => Err(error::from_engine(e)),
        }
    }
}
