//! A real HTTP/1.1 origin on 127.0.0.1, scripted per test: each request is answered by a
//! handler that sees the request head and how many requests came before; every request head
//! is logged for assertions. The server stops when the `Origin` is dropped.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode, request};
use http_body::{Body, Frame, SizeHint};

use super::pattern;
use super::server::Server;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::{Notify, futures::OwnedNotified};

/// What the origin sends back.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    /// Header lines in order; repeated names are sent as repeated lines. Values are raw
    /// bytes, so a test can send obs-text (non-UTF-8) values.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: ReplyBody,
    /// Hold the response until this is notified (a slow origin, without sleeping).
    pub gate: Option<Arc<Notify>>,
}

/// How the origin's body is produced.
#[derive(Clone)]
pub enum ReplyBody {
    /// One chunk.
    Full(Bytes),
    /// `count` chunks of `chunk`, streamed (nothing is held whole). With `sized`, the length
    /// is announced (`Content-Length`); without, the body is sent chunked.
    Repeat {
        chunk: Bytes,
        count: usize,
        sized: bool,
    },
    /// Announce `len` bytes, send `prefix`, then break the connection.
    Abort { prefix: Bytes, len: u64 },
    /// `count` chunks of `len` bytes, chunk `i` being [`pattern::chunk`]`(i, len)` (no two
    /// neighbours alike, so a lost, repeated or reordered chunk changes the checksum), with a
    /// `Content-Length`. With `hold`, the origin sends the first chunk and then waits until
    /// `hold` is notified: a caller that can read that chunk before the rest exists proves
    /// that nothing between it and the origin gathers the body.
    Pattern {
        count: usize,
        len: usize,
        hold: Option<Arc<Notify>>,
    },
}

impl Reply {
    pub fn new(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Full(Bytes::new()),
            gate: None,
        }
    }
    pub fn ok(body: &str) -> Self {
        Reply::new(200).body(body)
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.as_bytes().to_vec()));
        self
    }
    /// A header line whose value is arbitrary bytes (e.g. obs-text, RFC 9110 §5.5).
    pub fn header_bytes(mut self, name: &str, value: &[u8]) -> Self {
        self.headers.push((name.into(), value.to_vec()));
        self
    }
    pub fn body(mut self, body: &str) -> Self {
        self.body = ReplyBody::Full(Bytes::copy_from_slice(body.as_bytes()));
        self
    }
    /// `count` chunks of `chunk` with a `Content-Length`.
    pub fn streamed(mut self, chunk: Bytes, count: usize) -> Self {
        self.body = ReplyBody::Repeat {
            chunk,
            count,
            sized: true,
        };
        self
    }
    /// `count` chunks of `chunk`, chunked (no length known in advance).
    pub fn chunked(mut self, chunk: Bytes, count: usize) -> Self {
        self.body = ReplyBody::Repeat {
            chunk,
            count,
            sized: false,
        };
        self
    }
    /// `count` pattern chunks of `len` bytes (see [`ReplyBody::Pattern`]).
    pub fn pattern(mut self, count: usize, len: usize, hold: Option<Arc<Notify>>) -> Self {
        self.body = ReplyBody::Pattern { count, len, hold };
        self
    }
    pub fn abort_after(mut self, prefix: &str, len: u64) -> Self {
        self.body = ReplyBody::Abort {
            prefix: Bytes::copy_from_slice(prefix.as_bytes()),
            len,
        };
        self
    }
    pub fn gated(mut self, gate: Arc<Notify>) -> Self {
        self.gate = Some(gate);
        self
    }
}

/// A handler answering "n{index}" with ETag `"e{index}"`, fresh for 10 s; a conditional
/// request gets a 304.
pub fn counting_origin(req: &request::Parts, n: usize) -> Reply {
    if req.headers.contains_key("if-none-match") {
        return Reply::new(304).header("cache-control", "max-age=10");
    }
    Reply::ok(&format!("n{n}"))
        .header("cache-control", "max-age=10")
        .header("etag", &format!("\"e{n}\""))
}

/// A handler answering "v{index}", fresh for 10 s and then usable stale for 100 s while it is
/// revalidated (RFC 5861 §3); every answer after the first is held until `gate` is notified
/// (the background refresh, released by the test).
pub fn swr_origin(gate: Arc<Notify>) -> impl Fn(&request::Parts, usize) -> Reply + Send + Sync {
    move |_, n| {
        let r = Reply::ok(&format!("v{n}"))
            .header("cache-control", "max-age=10, stale-while-revalidate=100");
        if n == 0 { r } else { r.gated(gate.clone()) }
    }
}

type Handler = dyn Fn(&request::Parts, usize) -> Reply + Send + Sync;

/// A running origin.
pub struct Origin {
    server: Server,
    log: Arc<Mutex<Vec<request::Parts>>>,
    completed: Arc<AtomicUsize>,
}

impl Origin {
    /// Starts an origin answering with `handler(request head, index of this request)`.
    pub async fn start(
        handler: impl Fn(&request::Parts, usize) -> Reply + Send + Sync + 'static,
    ) -> Origin {
        let log: Arc<Mutex<Vec<request::Parts>>> = Arc::default();
        let completed = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (log2, completed2) = (log.clone(), completed.clone());
        let server = Server::start(move |stream, _| {
            let (handler, log, completed) = (handler.clone(), log2.clone(), completed2.clone());
            async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let (handler, log, completed) =
                        (handler.clone(), log.clone(), completed.clone());
                    async move {
                        let (parts, _body) = req.into_parts();
                        let n = {
                            let mut log = log.lock().unwrap();
                            log.push(clone_head(&parts));
                            log.len() - 1
                        };
                        let reply = handler(&parts, n);
                        if let Some(gate) = &reply.gate {
                            gate.notified().await;
                        }
                        completed.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, Infallible>(build(reply))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            }
        })
        .await;
        Origin {
            server,
            log,
            completed,
        }
    }

    /// Takes the origin down: stops listening (the port then refuses connections) and breaks
    /// every open connection, so the engine's next request fails with a connection error.
    pub async fn stop(&mut self) {
        self.server.stop().await;
    }

    /// An origin answering every request with `reply`.
    pub async fn always(reply: Reply) -> Origin {
        Origin::start(move |_, _| reply.clone()).await
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// Responses the handler has released so far (gated ones count once released).
    pub fn completed(&self) -> usize {
        self.completed.load(Ordering::SeqCst)
    }

    /// The head of the `n`th request received.
    pub fn request(&self, n: usize) -> request::Parts {
        clone_head(&self.log.lock().unwrap()[n])
    }

    /// Every value of field `name` in the `n`th request received, in order.
    pub fn sent(&self, n: usize, name: &str) -> Vec<String> {
        let log = self.log.lock().unwrap();
        log[n]
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }
}

fn clone_head(p: &request::Parts) -> request::Parts {
    let mut out = Request::new(()).into_parts().0;
    out.method = p.method.clone();
    out.uri = p.uri.clone();
    out.version = p.version;
    out.headers = p.headers.clone();
    out
}

fn build(reply: Reply) -> Response<OriginBody> {
    let mut res = Response::new(OriginBody::from(reply.body));
    *res.status_mut() = StatusCode::from_u16(reply.status).expect("status");
    for (n, v) in reply.headers {
        res.headers_mut().append(
            HeaderName::from_bytes(n.as_bytes()).expect("name"),
            HeaderValue::from_bytes(&v).expect("value"),
        );
    }
    res
}

/// The origin's response body.
pub struct OriginBody {
    kind: ReplyBody,
    sent: usize,
    /// For `Abort`: a pause after the prefix, so hyper flushes the head and the prefix to the
    /// socket before the connection breaks (otherwise the caller would see no head at all).
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
    /// For `Pattern` with `hold`: the wait after the first chunk.
    held: Option<Pin<Box<OwnedNotified>>>,
}

impl From<ReplyBody> for OriginBody {
    fn from(kind: ReplyBody) -> Self {
        OriginBody {
            kind,
            sent: 0,
            pause: None,
            held: None,
        }
    }
}

impl Body for OriginBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let (ReplyBody::Abort { .. }, 1) = (&self.kind, self.sent) {
            let pause = self.pause.get_or_insert_with(|| {
                Box::pin(tokio::time::sleep(std::time::Duration::from_millis(50)))
            });
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        if let (
            ReplyBody::Pattern {
                hold: Some(gate), ..
            },
            1,
        ) = (&self.kind, self.sent)
        {
            let gate = gate.clone();
            let held = self
                .held
                .get_or_insert_with(|| Box::pin(gate.notified_owned()));
            if held.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        let sent = self.sent;
        self.sent += 1;
        Poll::Ready(match &self.kind {
            ReplyBody::Full(b) => (sent == 0 && !b.is_empty()).then(|| Ok(Frame::data(b.clone()))),
            ReplyBody::Repeat { chunk, count, .. } => {
                (sent < *count).then(|| Ok(Frame::data(chunk.clone())))
            }
            ReplyBody::Pattern { count, len, .. } => {
                (sent < *count).then(|| Ok(Frame::data(pattern::chunk(sent, *len))))
            }
            ReplyBody::Abort { prefix, .. } => match sent {
                0 => Some(Ok(Frame::data(prefix.clone()))),
                _ => Some(Err(std::io::Error::other("origin aborts mid-body"))),
            },
        })
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            ReplyBody::Full(b) => SizeHint::with_exact(b.len() as u64),
            ReplyBody::Repeat {
                chunk,
                count,
                sized: true,
            } => SizeHint::with_exact(chunk.len() as u64 * *count as u64),
            ReplyBody::Repeat { sized: false, .. } => SizeHint::default(),
            ReplyBody::Abort { len, .. } => SizeHint::with_exact(*len),
            ReplyBody::Pattern { count, len, .. } => {
                SizeHint::with_exact(*count as u64 * *len as u64)
            }
        }
    }
}
