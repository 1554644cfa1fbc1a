//! The engine's upstream in these tests: hyper-util's client over loopback.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use hcache_core::{BackgroundSend, BoxError, CacheBody, Upstream};
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A hyper client sending `Full<Bytes>` bodies.
#[derive(Clone)]
pub struct HyperUpstream {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for HyperUpstream {
    fn default() -> Self {
        HyperUpstream {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }
}

impl Upstream<Full<Bytes>> for HyperUpstream {
    type Body = Incoming;
    type Error = hyper_util::client::legacy::Error;

    fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> impl Future<Output = Result<Response<Incoming>, Self::Error>> + Send {
        self.client.request(request)
    }
}

impl BackgroundSend for HyperUpstream {
    fn send(
        &self,
        request: Request<()>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<CacheBody>, BoxError>> + Send>> {
        let fut = self.client.request(request.map(|()| Full::default()));
        Box::pin(async move {
            let res = fut.await.map_err(BoxError::from)?;
            Ok(res.map(CacheBody::new))
        })
    }
}
