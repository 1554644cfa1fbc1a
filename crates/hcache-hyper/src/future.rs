//! The response future of [`CacheService`](crate::CacheService).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use hcache_core::CacheBody;
use http::Response;

use crate::Error;

type BoxFuture = Pin<Box<dyn Future<Output = Result<Response<CacheBody>, Error>> + Send>>;

/// Resolves to the response head once the cache (or, through it, the inner service) has one;
/// the body streams afterwards.
///
/// Boxed: the engine's flow is an `async fn`, whose future has no name to store unboxed.
pub struct ResponseFuture {
    inner: BoxFuture,
}

impl ResponseFuture {
    pub(crate) fn new(
        future: impl Future<Output = Result<Response<CacheBody>, Error>> + Send + 'static,
    ) -> Self {
        ResponseFuture {
            inner: Box::pin(future),
        }
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response<CacheBody>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
