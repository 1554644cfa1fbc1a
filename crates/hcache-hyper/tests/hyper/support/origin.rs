//! Origins on 127.0.0.1: a scripted hyper server (`Origin`) and a raw TCP one that misbehaves
//! on purpose (`RawOrigin`). Both stop accepting when dropped.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode, request};
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::BoxError;

/// Bodies the origin sends (and tests send as requests).
pub type TestBody = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

/// A running hyper origin; every request head it receives is logged.
pub struct Origin {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<request::Parts>>>,
    task: JoinHandle<()>,
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Origin {
    /// Answers each request with `handler(request, how many came before)`.
    pub async fn start<F, Fut>(handler: F) -> Origin
    where
        F: Fn(Request<Incoming>, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response<TestBody>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let log: Arc<Mutex<Vec<request::Parts>>> = Arc::default();
        let handler = Arc::new(handler);
        let log2 = log.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (handler, log) = (handler.clone(), log2.clone());
                let service = service_fn(move |req: Request<Incoming>| {
                    let n = {
                        let mut log = log.lock().unwrap();
                        log.push(head_of(&req));
                        log.len() - 1
                    };
                    let fut = handler(req, n);
                    async move { Ok::<_, Infallible>(fut.await) }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service),
                );
            }
        });
        Origin { addr, log, task }
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// The head of the `n`th request received.
    pub fn request(&self, n: usize) -> request::Parts {
        head_of_parts(&self.log.lock().unwrap()[n])
    }
}

fn head_of(req: &Request<Incoming>) -> request::Parts {
    let mut out = Request::new(()).into_parts().0;
    out.method = req.method().clone();
    out.uri = req.uri().clone();
    out.headers = req.headers().clone();
    out
}

fn head_of_parts(p: &request::Parts) -> request::Parts {
    let mut out = Request::new(()).into_parts().0;
    out.method = p.method.clone();
    out.uri = p.uri.clone();
    out.headers = p.headers.clone();
    out
}

/// A response with `status`, header lines given as bytes (so obs-text can be sent), and body.
pub fn reply(status: u16, headers: &[(&str, &[u8])], body: TestBody) -> Response<TestBody> {
    let mut res = Response::new(body);
    *res.status_mut() = StatusCode::from_u16(status).expect("status");
    for (n, v) in headers {
        res.headers_mut().append(
            HeaderName::from_bytes(n.as_bytes()).expect("name"),
            HeaderValue::from_bytes(v).expect("value"),
        );
    }
    res
}

/// A one-chunk body.
pub fn full(s: impl Into<Bytes>) -> TestBody {
    http_body_util::Full::new(s.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// An empty body.
pub fn empty() -> TestBody {
    TestBody::default()
}

/// The `i`th chunk of the pattern large bodies are made of: every chunk differs.
pub fn pattern_chunk(i: usize, size: usize) -> Bytes {
    (0..size)
        .map(|j| (j.wrapping_mul(31) ^ i.wrapping_mul(131)) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// `count` pattern chunks of `size` bytes, made one at a time as they are polled, with no
/// length announced (sent chunked).
pub fn pattern_body(count: usize, size: usize) -> TestBody {
    PatternBody {
        next: 0,
        count,
        size,
    }
    .boxed_unsync()
}

struct PatternBody {
    next: usize,
    count: usize,
    size: usize,
}

impl Body for PatternBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.next == self.count {
            return Poll::Ready(None);
        }
        let chunk = pattern_chunk(self.next, self.size);
        self.next += 1;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }
}

/// A body fed chunk by chunk through a channel: the test decides when each chunk exists.
pub fn channel_body() -> (mpsc::Sender<Bytes>, TestBody) {
    let (tx, rx) = mpsc::channel(1);
    (tx, ChannelBody(rx).boxed_unsync())
}

struct ChannelBody(mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

/// What a raw origin does with a connection once it has read a request head.
#[derive(Clone)]
pub enum Raw {
    /// Writes these bytes, then closes.
    Send(Vec<u8>),
    /// Closes without a word.
    Close,
    /// Keeps the connection open and silent.
    Hang,
}

/// A TCP origin that answers the `n`th connection with `script(n)`, byte for byte.
pub struct RawOrigin {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for RawOrigin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawOrigin {
    pub async fn start(script: impl Fn(usize) -> Raw + Send + Sync + 'static) -> RawOrigin {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let connections = AtomicUsize::new(0);
        let task = tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                let action = script(connections.fetch_add(1, Ordering::SeqCst));
                tokio::spawn(async move {
                    read_head(&mut tcp).await;
                    match action {
                        Raw::Send(bytes) => {
                            let _ = tcp.write_all(&bytes).await;
                            let _ = tcp.shutdown().await;
                        }
                        Raw::Close => drop(tcp),
                        Raw::Hang => {
                            tokio::time::sleep(std::time::Duration::from_secs(120)).await;
                        }
                    }
                });
            }
        });
        RawOrigin { addr, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Reads until the end of a request head (bounded; a body, if any, is ignored).
async fn read_head(tcp: &mut tokio::net::TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while seen.len() < 64 * 1024 && !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}
