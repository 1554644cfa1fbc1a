//! The caching service: every request goes through the engine, which answers from the store
//! or sends it on through the inner service.

use std::fmt;
use std::task::{Context, Poll};

use bytes::Bytes;
use hcache_core::{BoxError, CacheBody, CacheStore, Engine};
use http::{Request, Response};
use tower_service::Service;

use crate::upstream::ServiceUpstream;
use crate::{Error, ResponseFuture};

/// Caches the responses of an inner HTTP service `S` in a store `St`.
///
/// Made by [`CacheLayer`](crate::CacheLayer), or directly with [`CacheService::new`]. The
/// request (head, extensions and body) reaches the engine untouched, so per-request switches
/// such as [`CacheMode`](hcache_core::CacheMode) in its extensions apply; the response body is
/// a [`CacheBody`] that streams, from the store or from the inner service.
pub struct CacheService<S, St> {
    inner: S,
    engine: Engine<St>,
}

impl<S, St> CacheService<S, St> {
    /// Caches `inner`'s responses with `engine`.
    pub fn new(inner: S, engine: Engine<St>) -> Self {
        CacheService { inner, engine }
    }

    /// The engine (its options, store and [stats](hcache_core::Engine::stats)).
    pub fn engine(&self) -> &Engine<St> {
        &self.engine
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, St> Clone for CacheService<S, St> {
    fn clone(&self) -> Self {
        CacheService {
            inner: self.inner.clone(),
            engine: self.engine.clone(),
        }
    }
}

impl<S: fmt::Debug, St> fmt::Debug for CacheService<S, St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheService")
            .field("inner", &self.inner)
            .field("engine", &self.engine)
            .finish()
    }
}

impl<S, St, B, RB> Service<Request<B>> for CacheService<S, St>
where
    St: CacheStore,
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError> + Send + 'static,
    RB: http_body::Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Response = Response<CacheBody>;
    type Error = Error;
    type Future = ResponseFuture;

    /// Ready when the inner service is: a request may have to go to it.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|e| Error::Inner(e.into()))
    }

    fn call(&mut self, request: Request<B>) -> ResponseFuture {
        // The instance `poll_ready` prepared goes with this request; a clone stays behind
        // for the next one (tower's usual hand-over).
        let spare = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, spare);
        let engine = self.engine.clone();
        ResponseFuture::new(async move {
            let upstream = ServiceUpstream::new(ready);
            Ok(engine.handle(request, &upstream).await?)
        })
    }
}
