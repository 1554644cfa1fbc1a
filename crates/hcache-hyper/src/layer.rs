//! The layer: wraps a service in a [`CacheService`] sharing one engine.

use std::fmt;

use hcache_core::{CacheOptions, CacheStore, Engine};
use tower_layer::Layer;

use crate::CacheService;

/// Caches the responses of the services it wraps (RFC 9111), in one store.
///
/// Every service the layer makes shares the layer's [`Engine`]: one store, one set of
/// statistics, and concurrent identical misses collapsed across all of them.
///
/// ```
/// use hcache_hyper::{CacheLayer, CacheOptions};
/// use hcache_store_memory::MemoryStore;
///
/// let private = CacheLayer::new(MemoryStore::default());
/// let shared = CacheLayer::with_options(MemoryStore::default(), CacheOptions::default().shared(true));
/// # let _ = (private, shared);
/// ```
pub struct CacheLayer<St> {
    engine: Engine<St>,
}

impl<St: CacheStore> CacheLayer<St> {
    /// A private cache (the [`CacheOptions`] defaults) over `store`.
    ///
    /// Responses within their stale-while-revalidate window are validated in the foreground:
    /// background refreshes need a runtime and a way to send, see
    /// [`CacheLayer::with_background`].
    pub fn new(store: St) -> Self {
        Self::from_engine(Engine::new(store))
    }

    /// A cache over `store` with `options` (`CacheOptions::default().shared(true)` for a
    /// shared cache, such as a reverse proxy).
    pub fn with_options(store: St, options: CacheOptions) -> Self {
        Self::from_engine(Engine::builder(store).options(options).build())
    }

    /// A layer over an engine built with [`Engine::builder`] (to set its clock, its
    /// `Cache-Status` field or its background refreshes).
    pub fn from_engine(engine: Engine<St>) -> Self {
        CacheLayer { engine }
    }

    /// The engine every service of this layer shares.
    pub fn engine(&self) -> &Engine<St> {
        &self.engine
    }
}

#[cfg(feature = "tokio")]
impl<St: CacheStore> CacheLayer<St> {
    /// A cache over `store` with `options` that refreshes stale-while-revalidate responses in
    /// the background (RFC 5861 §3) on tokio, sending the refreshes through `service` —
    /// usually a clone of the service this layer wraps:
    ///
    /// ```
    /// # use bytes::Bytes;
    /// # use http_body_util::Full;
    /// # use hyper_util::{client::legacy::Client, rt::TokioExecutor};
    /// use hcache_hyper::{CacheLayer, CacheOptions};
    /// use hcache_store_memory::MemoryStore;
    /// use tower::ServiceBuilder;
    ///
    /// let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    /// let layer = CacheLayer::with_background(MemoryStore::default(), CacheOptions::default(), client.clone());
    /// let cached = ServiceBuilder::new().layer(layer).service(client);
    /// # let _ = cached;
    /// ```
    ///
    /// A refresh has no body, hence `B: Default` (see [`ServiceSend`](crate::ServiceSend)).
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub fn with_background<S, B>(store: St, options: CacheOptions, service: S) -> Self
    where
        crate::ServiceSend<S, B>: hcache_core::BackgroundSend,
    {
        Self::from_engine(
            Engine::builder(store)
                .options(options)
                .background(crate::TokioSpawn, crate::ServiceSend::new(service))
                .build(),
        )
    }
}

impl<St> Clone for CacheLayer<St> {
    fn clone(&self) -> Self {
        CacheLayer {
            engine: self.engine.clone(),
        }
    }
}

impl<St> fmt::Debug for CacheLayer<St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheLayer")
            .field("engine", &self.engine)
            .finish()
    }
}

impl<S, St> Layer<S> for CacheLayer<St> {
    type Service = CacheService<S, St>;

    fn layer(&self, inner: S) -> CacheService<S, St> {
        CacheService::new(inner, self.engine.clone())
    }
}
