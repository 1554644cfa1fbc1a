//! How the engine reaches the network from inside surf: the rest of the middleware chain
//! ([`Next`]) in the foreground, and a [`Client`] of the user's for background refreshes, spawned
//! on async-std.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use hcache_core::{BackgroundSend, BackgroundTask, BoxError, CacheBody, Spawn, Upstream};
use surf::http as ht;
use surf::middleware::Next;
use surf::{Client, Request};

use crate::body::ReaderBody;
use crate::convert;

/// The next hop's own error, kept whole so that the middleware can hand it back unchanged.
#[derive(Debug)]
pub(crate) struct UpstreamError(pub(crate) surf::Error);

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request to the next hop failed: {}", self.0)
    }
}

impl std::error::Error for UpstreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source: &(dyn std::error::Error + Send + Sync + 'static) = self.0.as_ref();
        Some(source)
    }
}

/// The rest of the middleware chain, and the client it runs with.
pub(crate) struct NextUpstream<'a> {
    next: Next<'a>,
    client: Client,
}

impl<'a> NextUpstream<'a> {
    pub(crate) fn new(next: Next<'a>, client: Client) -> Self {
        NextUpstream { next, client }
    }
}

impl Upstream<ht::Body> for NextUpstream<'_> {
    type Body = ReaderBody<ht::Body>;
    type Error = UpstreamError;

    fn send(
        &self,
        request: http::Request<ht::Body>,
    ) -> impl Future<Output = Result<http::Response<Self::Body>, UpstreamError>> + Send {
        let head_only = request.method() == http::Method::HEAD;
        let request = convert::request_from_http(request);
        let (next, client) = (self.next, self.client.clone());
        async move {
            let request = request.map_err(|e| UpstreamError(e.into()))?;
            let response = next
                .run(Request::from(request), client)
                .await
                .map_err(UpstreamError)?;
            convert::response_to_http(response.into(), head_only)
                .map_err(|e| UpstreamError(e.into()))
        }
    }
}

/// Marks a background refresh, so that a cache middleware on the refreshing client lets it
/// through instead of answering it from the cache it is refreshing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refresh;

/// Sends stale-while-revalidate refreshes through a client of the user's.
pub(crate) struct ClientSend(pub(crate) Client);

impl BackgroundSend for ClientSend {
    fn send(
        &self,
        request: http::Request<()>,
    ) -> Pin<Box<dyn Future<Output = Result<http::Response<CacheBody>, BoxError>> + Send>> {
        let head_only = request.method() == http::Method::HEAD;
        let request = convert::request_from_http(request.map(|()| ht::Body::empty()));
        let client = self.0.clone();
        Box::pin(async move {
            let mut request = request?;
            request.ext_mut().insert(Refresh);
            let response = client.send(Request::from(request)).await?;
            let response = convert::response_to_http(response.into(), head_only)?;
            Ok(response.map(CacheBody::new))
        })
    }
}

/// Runs background refreshes as detached async-std tasks.
pub(crate) struct AsyncStdSpawn;

impl Spawn for AsyncStdSpawn {
    fn spawn(&self, task: BackgroundTask) {
        // Dropping the handle detaches the task.
        drop(async_std::task::spawn(task));
    }
}
