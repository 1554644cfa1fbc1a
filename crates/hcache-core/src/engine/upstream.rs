//! How the engine reaches the network and the runtime: the two things an adapter provides.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;

/// A boxed error, as HTTP clients and bodies report them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Sends a request to the next hop (the origin, or the next proxy). An adapter implements it
/// over its client; it must not cache.
///
/// `B` is the request body type the adapter's client takes; the engine passes the caller's
/// body through untouched and uses `B::default()` (an empty body) for requests it makes on
/// its own (background revalidation).
pub trait Upstream<B>: Send + Sync {
    /// The response body.
    type Body: http_body::Body<Data = Bytes, Error: Into<BoxError>> + Send + Sync + 'static;
    /// The error of a failed exchange (connection refused, reset, timeout...).
    type Error: Into<BoxError> + Send + 'static;

    /// Sends `request` and resolves to the response head (the body streams afterwards). The
    /// future may borrow the upstream (middleware chains often do).
    fn send(
        &self,
        request: http::Request<B>,
    ) -> impl Future<Output = Result<http::Response<Self::Body>, Self::Error>> + Send;
}

/// A future the engine wants run in the background.
pub type BackgroundTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs background work (stale-while-revalidate refreshes) on the adapter's runtime.
pub trait Spawn: Send + Sync + 'static {
    /// Runs `task` to completion, detached.
    fn spawn(&self, task: BackgroundTask);
}

impl<F> Spawn for F
where
    F: Fn(BackgroundTask) + Send + Sync + 'static,
{
    fn spawn(&self, task: BackgroundTask) {
        self(task)
    }
}
