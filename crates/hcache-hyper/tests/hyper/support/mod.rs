//! Shared test support: origins on 127.0.0.1, hyper-util's client, a streaming digest, and a
//! capacity-reserving service wrapper that holds the cache service to tower's contract.

#![allow(dead_code, unreachable_pub)]

pub mod origin;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body::Body;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::{Service, ServiceExt};

pub use origin::{Origin, Raw, RawOrigin, TestBody, channel_body, empty, full, reply};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// hyper-util's client, as the layer wraps it.
pub type TestClient = Client<HttpConnector, TestBody>;

pub fn client() -> TestClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Bounds a step that would hang if streaming (or anything else) broke.
pub async fn within<T>(secs: u64, what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: no result within {secs} s"))
}

/// Sends `request` through `service` (readiness first, as tower requires).
pub async fn send<S, B>(service: &mut S, request: Request<B>) -> Result<S::Response, S::Error>
where
    S: Service<Request<B>>,
{
    service.ready().await?.call(request).await
}

/// A GET with an empty body.
pub fn get(url: &str) -> Request<TestBody> {
    Request::get(url).body(empty()).expect("request")
}

/// A response read to its end.
#[derive(Debug)]
pub struct Got {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Got {
    pub fn cache_status(&self) -> String {
        self.headers
            .get_all("cache-status")
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every line of a field, as bytes.
    pub fn lines(&self, name: &str) -> Vec<Vec<u8>> {
        lines(&self.headers, name)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Every line of a field, as bytes, in order.
pub fn lines(headers: &HeaderMap, name: &str) -> Vec<Vec<u8>> {
    headers
        .get_all(name)
        .iter()
        .map(|v| v.as_bytes().to_vec())
        .collect()
}

pub async fn read<B>(res: Response<B>) -> Got
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Got {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

/// Length and a position-sensitive hash of a byte stream, fed in pieces of any size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    pub len: u64,
    pub hash: u64,
}

impl Default for Digest {
    fn default() -> Self {
        Digest {
            len: 0,
            hash: 0xcbf2_9ce4_8422_2325,
        }
    }
}

impl Digest {
    pub fn update(&mut self, bytes: &[u8]) {
        // FNV-1a over bytes, with the position mixed in so that swapped chunks differ.
        for &b in bytes {
            self.hash ^= u64::from(b) ^ (self.len << 8);
            self.hash = self.hash.wrapping_mul(0x0100_0000_01b3);
            self.len += 1;
        }
    }

    /// Reads `body` frame by frame, never holding more than one frame.
    pub async fn of_body<B>(mut body: B) -> Result<Digest, B::Error>
    where
        B: Body<Data = Bytes> + Unpin,
    {
        let mut d = Digest::default();
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                d.update(&data);
            }
        }
        Ok(d)
    }
}

/// A service that reserves capacity in `poll_ready`, like tower's `ConcurrencyLimit` with one
/// permit: only the instance `poll_ready` succeeded on may be called, and it holds the permit
/// until its response future ends (or it is dropped). A clone holds nothing. A wrapper that
/// called a clone instead of the ready instance would find no permit and fail.
pub struct OnePermit<S> {
    inner: S,
    free: Arc<AtomicBool>,
    held: bool,
}

impl<S> OnePermit<S> {
    pub fn new(inner: S) -> Self {
        OnePermit {
            inner,
            free: Arc::new(AtomicBool::new(true)),
            held: false,
        }
    }
}

impl<S: Clone> Clone for OnePermit<S> {
    fn clone(&self) -> Self {
        OnePermit {
            inner: self.inner.clone(),
            free: self.free.clone(),
            held: false,
        }
    }
}

impl<S> Drop for OnePermit<S> {
    fn drop(&mut self) {
        if self.held {
            self.free.store(true, Ordering::SeqCst);
        }
    }
}

struct Permit(Arc<AtomicBool>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl<S, R> Service<R> for OnePermit<S>
where
    S: Service<R>,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        if !self.held {
            if self
                .free
                .compare_exchange(true, false, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
            {
                return Poll::Ready(Err("no permit: another instance holds it".into()));
            }
            self.held = true;
        }
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: R) -> Self::Future {
        assert!(self.held, "called without a successful poll_ready");
        self.held = false;
        let permit = Permit(self.free.clone());
        let fut = self.inner.call(request);
        Box::pin(async move {
            let res = fut.await.map_err(Into::into);
            drop(permit);
            res
        })
    }
}
