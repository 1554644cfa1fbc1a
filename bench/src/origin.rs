//! The loopback origin every scenario talks to: hyper's HTTP/1.1 server on 127.0.0.1, on a
//! thread and a single-threaded runtime of its own, so that it never competes with the
//! client's runtime for a worker. It answers by the first path segment and counts what it
//! sent per path, which is how each scenario checks that it measured what it says (hits
//! never reached the origin, every revalidation was a 304, every no-store miss did).
//!
//! | path | response |
//! |---|---|
//! | `/fresh/…` | 200, 1 KiB, `cache-control: max-age=3600`, `etag: "v1"` |
//! | `/validate/…` | 304 to `If-None-Match: "v1"`; else 200, 1 KiB, `cache-control: no-cache`, `etag: "v1"` |
//! | `/nostore/…` | 200, 1 KiB, `cache-control: no-store` |
//! | `/big/…` | 200, the big body (streamed in 64 KiB chunks), `cache-control: max-age=3600` |

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// The small body's length.
pub(crate) const SMALL: usize = 1024;
/// The chunk size the big body streams in.
const CHUNK: usize = 64 * 1024;
const ETAG_V1: HeaderValue = HeaderValue::from_static("\"v1\"");

/// What the origin sent for one path: full responses and 304s.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sent {
    pub(crate) full: u64,
    pub(crate) not_modified: u64,
}

/// A running origin. It lives until the process exits (a benchmark run is one process).
#[derive(Clone)]
pub(crate) struct Origin {
    addr: SocketAddr,
    sent: Arc<Mutex<HashMap<String, Sent>>>,
}

struct Bodies {
    small: Bytes,
    big: Bytes,
}

impl Origin {
    /// Starts the origin; `big` is the length of the `/big/` body, allocated (and touched)
    /// here, before any measurement.
    pub(crate) fn start(big: usize) -> std::io::Result<Origin> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let sent: Arc<Mutex<HashMap<String, Sent>>> = Arc::default();
        let bodies = Arc::new(Bodies {
            small: pattern(SMALL),
            big: pattern(big),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        let counts = sent.clone();
        std::thread::Builder::new()
            .name("origin".into())
            .spawn(move || runtime.block_on(serve(listener, bodies, counts)))?;
        Ok(Origin { addr, sent })
    }

    /// `http://127.0.0.1:port{path}`.
    pub(crate) fn url(&self, path: &str) -> reqwest::Url {
        let url = format!("http://{}{path}", self.addr);
        reqwest::Url::parse(&url).expect("a loopback URL parses")
    }

    /// What was sent for `path`.
    pub(crate) fn sent_to(&self, path: &str) -> Sent {
        let sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        sent.get(path).copied().unwrap_or_default()
    }

    /// What was sent for paths starting with `prefix`, added up.
    pub(crate) fn sent(&self, prefix: &str) -> Sent {
        let sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        sent.iter()
            .filter(|(path, _)| path.starts_with(prefix))
            .fold(Sent::default(), |acc, (_, s)| Sent {
                full: acc.full + s.full,
                not_modified: acc.not_modified + s.not_modified,
            })
    }
}

/// `len` bytes of a repeating pattern (not zeros, so no layer can get away with less work).
fn pattern(len: usize) -> Bytes {
    (0..len).map(|i| (i % 251) as u8).collect()
}

async fn serve(
    listener: std::net::TcpListener,
    bodies: Arc<Bodies>,
    sent: Arc<Mutex<HashMap<String, Sent>>>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (bodies, sent) = (bodies.clone(), sent.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let res = respond(&req, &bodies, &sent);
                async move { Ok::<_, Infallible>(res) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(
    req: &Request<Incoming>,
    bodies: &Bodies,
    sent: &Mutex<HashMap<String, Sent>>,
) -> Response<Body> {
    let path = req.uri().path();
    let kind = path.split('/').nth(1).unwrap_or("");
    let matches = req
        .headers()
        .get(IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == ETAG_V1.as_bytes());
    let (status, cache_control, body) = match kind {
        "fresh" => (StatusCode::OK, "max-age=3600", bodies.small.clone()),
        "validate" if matches => (StatusCode::NOT_MODIFIED, "no-cache", Bytes::new()),
        "validate" => (StatusCode::OK, "no-cache", bodies.small.clone()),
        "nostore" => (StatusCode::OK, "no-store", bodies.small.clone()),
        "big" => (StatusCode::OK, "max-age=3600", bodies.big.clone()),
        _ => (StatusCode::NOT_FOUND, "no-store", Bytes::new()),
    };
    {
        let mut sent = sent.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = sent.entry(path.to_owned()).or_default();
        if status == StatusCode::NOT_MODIFIED {
            entry.not_modified += 1;
        } else {
            entry.full += 1;
        }
    }
    let body = Body::new(body, status != StatusCode::NOT_MODIFIED);
    let len = body.len();
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    h.insert(ETAG, ETAG_V1);
    if status != StatusCode::NOT_MODIFIED {
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    res
}

/// A body sent in chunks of at most [`CHUNK`] bytes, each a slice of one shared buffer (the
/// origin copies nothing).
pub(crate) struct Body {
    rest: Bytes,
}

impl Body {
    fn new(data: Bytes, with_body: bool) -> Body {
        Body {
            rest: if with_body { data } else { Bytes::new() },
        }
    }

    fn len(&self) -> usize {
        self.rest.len()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.rest.is_empty() {
            return Poll::Ready(None);
        }
        let n = self.rest.len().min(CHUNK);
        Poll::Ready(Some(Ok(Frame::data(self.rest.split_to(n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len() as u64)
    }
}
