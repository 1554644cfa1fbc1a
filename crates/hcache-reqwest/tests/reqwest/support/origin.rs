//! A real HTTP/1.1 origin on 127.0.0.1, scripted per test: each request is answered by a
//! handler that sees the request head and how many requests came before. Every request head
//! is logged with its body's length and checksum (read while streaming). Responses carry a
//! `Date` from the tests' manual clock unless scripted. The server stops when dropped.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use hcache_core::{Clock, ManualClock};
use http::{HeaderName, HeaderValue, Request, Response, request};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::Checksum;

/// What the origin sends back.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: ReplyBody,
}

/// How the origin's body is produced.
#[derive(Clone)]
pub enum ReplyBody {
    Full(Bytes),
    /// `count` chunks of `size` bytes (`pattern_chunk`), made one at a time; after `hold`
    /// chunks the body waits for `gate` to be notified.
    Chunks {
        count: usize,
        size: usize,
        hold: Option<(usize, Arc<Notify>)>,
    },
}

impl Reply {
    pub fn new(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Full(Bytes::new()),
        }
    }
    pub fn ok(body: &str) -> Self {
        Reply::new(200).body(body)
    }
    pub fn header(self, name: &str, value: &str) -> Self {
        self.raw_header(name, value.as_bytes())
    }
    /// A header value as raw bytes (obs-text allowed).
    pub fn raw_header(mut self, name: &str, value: &[u8]) -> Self {
        self.headers.push((name.into(), value.to_vec()));
        self
    }
    pub fn body(mut self, body: &str) -> Self {
        self.body = ReplyBody::Full(Bytes::copy_from_slice(body.as_bytes()));
        self
    }
    pub fn chunks(mut self, count: usize, size: usize, hold: Option<(usize, Arc<Notify>)>) -> Self {
        self.body = ReplyBody::Chunks { count, size, hold };
        self
    }
}

/// Chunk `i` of a patterned body: every chunk differs, so a lost, repeated or reordered chunk
/// changes the checksum.
pub fn pattern_chunk(i: usize, size: usize) -> Bytes {
    let mut v = vec![(i % 251) as u8; size];
    v[..8.min(size)].copy_from_slice(&(i as u64).to_be_bytes()[..8.min(size)]);
    Bytes::from(v)
}

/// A request as the origin received it.
pub struct Received {
    pub head: request::Parts,
    pub body_len: u64,
    pub body_sum: u64,
}

type Handler = dyn Fn(&request::Parts, usize) -> Reply + Send + Sync;

/// A running origin.
pub struct Origin {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Origin {
    pub async fn start(
        clock: ManualClock,
        handler: impl Fn(&request::Parts, usize) -> Reply + Send + Sync + 'static,
    ) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let shared = (handler, log.clone(), clock);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let (handler, log, clock) = shared.clone();
                        async move { Ok::<_, Infallible>(answer(req, &*handler, &log, &clock).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Origin { addr, log, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// The `n`th request received: its head, body length and body checksum.
    pub fn request(&self, n: usize) -> (request::Parts, u64, u64) {
        let log = self.log.lock().unwrap();
        let r = &log[n];
        let mut head = Request::new(()).into_parts().0;
        head.method = r.head.method.clone();
        head.uri = r.head.uri.clone();
        head.headers = r.head.headers.clone();
        (head, r.body_len, r.body_sum)
    }
}

async fn answer(
    req: Request<Incoming>,
    handler: &Handler,
    log: &Mutex<Vec<Received>>,
    clock: &ManualClock,
) -> Response<OriginBody> {
    let (head, mut body) = req.into_parts();
    let (mut body_len, mut sum) = (0, Checksum::default());
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            body_len += data.len() as u64;
            sum.update(&data);
        }
    }
    let reply = {
        let mut log = log.lock().unwrap();
        let n = log.len();
        let reply = handler(&head, n);
        log.push(Received {
            head,
            body_len,
            body_sum: sum.value(),
        });
        reply
    };
    let mut res = Response::new(OriginBody::new(reply.body));
    *res.status_mut() = http::StatusCode::from_u16(reply.status).expect("status");
    for (n, v) in reply.headers {
        res.headers_mut().append(
            HeaderName::from_bytes(n.as_bytes()).expect("name"),
            HeaderValue::from_bytes(&v).expect("value"),
        );
    }
    if !res.headers().contains_key(http::header::DATE) {
        let date = httpdate::fmt_http_date(clock.now());
        res.headers_mut().insert(
            http::header::DATE,
            HeaderValue::from_str(&date).expect("date"),
        );
    }
    res
}

/// The origin's response body.
pub struct OriginBody {
    kind: ReplyBody,
    sent: usize,
    /// Waiting at the hold point; `released` once past it.
    waiting: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    released: bool,
}

impl OriginBody {
    fn new(kind: ReplyBody) -> Self {
        OriginBody {
            kind,
            sent: 0,
            waiting: None,
            released: false,
        }
    }
}

impl Body for OriginBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let sent = self.sent;
        self.sent += 1;
        let (count, size, hold) = match &self.kind {
            ReplyBody::Full(b) => {
                return Poll::Ready(
                    (sent == 0 && !b.is_empty()).then(|| Ok(Frame::data(b.clone()))),
                );
            }
            ReplyBody::Chunks { count, size, hold } => (*count, *size, hold.clone()),
        };
        if sent >= count {
            return Poll::Ready(None);
        }
        if let Some((at, gate)) = hold
            && sent == at
            && !self.released
        {
            let wait = self
                .waiting
                .get_or_insert_with(|| Box::pin(async move { gate.notified().await }));
            if wait.as_mut().poll(cx).is_pending() {
                self.sent = sent;
                return Poll::Pending;
            }
            self.waiting = None;
            self.released = true;
        }
        Poll::Ready(Some(Ok(Frame::data(pattern_chunk(sent, size)))))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            ReplyBody::Full(b) => SizeHint::with_exact(b.len() as u64),
            ReplyBody::Chunks { count, size, .. } => {
                SizeHint::with_exact(*count as u64 * *size as u64)
            }
        }
    }
}
