//! The engine's upstream in these tests: hyper-util's client over loopback.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use bytes::Bytes;
use hcache_core::{BackgroundSend, BoxError, CacheBody, Upstream};
use http::header::HOST;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// hyper-util's client sending `Full<Bytes>` bodies over plain HTTP, on tokio.
pub type LoopbackClient = Client<HttpConnector, Full<Bytes>>;

/// A new [`LoopbackClient`].
pub fn loopback_client() -> LoopbackClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// The engine's upstream (and background client): a [`LoopbackClient`], sending each request
/// where its URI says, or every request to one address ([`HyperUpstream::routed_to`]).
#[derive(Clone)]
pub struct HyperUpstream {
    client: LoopbackClient,
    route: Option<SocketAddr>,
}

impl Default for HyperUpstream {
    fn default() -> Self {
        HyperUpstream {
            client: loopback_client(),
            route: None,
        }
    }
}

impl HyperUpstream {
    /// Sends every request to `addr`, whatever host it names, with a `Host` field naming that
    /// host (the caller's own `Host` when it sent one, as HTTP clients do): what a forward
    /// proxy or a DNS override does.
    pub fn routed_to(addr: SocketAddr) -> Self {
        HyperUpstream {
            route: Some(addr),
            ..Self::default()
        }
    }

    /// `request`, its URI pointed at the route when there is one.
    fn route<B>(&self, request: Request<B>) -> Request<B> {
        let Some(addr) = self.route else {
            return request;
        };
        let (mut parts, body) = request.into_parts();
        if !parts.headers.contains_key(HOST)
            && let Some(authority) = parts.uri.authority()
        {
            let host = authority
                .as_str()
                .parse()
                .expect("an authority is a valid Host");
            parts.headers.insert(HOST, host);
        }
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        parts.uri = format!("http://{addr}{target}")
            .parse()
            .expect("a routed URI");
        Request::from_parts(parts, body)
    }
}

impl Upstream<Full<Bytes>> for HyperUpstream {
    type Body = Incoming;
    type Error = hyper_util::client::legacy::Error;

    fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> impl Future<Output = Result<Response<Incoming>, Self::Error>> + Send {
        self.client.request(self.route(request))
    }
}

impl BackgroundSend for HyperUpstream {
    fn send(
        &self,
        request: Request<()>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<CacheBody>, BoxError>> + Send>> {
        let fut = self
            .client
            .request(self.route(request.map(|()| Full::default())));
        Box::pin(async move {
            let res = fut.await.map_err(BoxError::from)?;
            Ok(res.map(CacheBody::new))
        })
    }
}
