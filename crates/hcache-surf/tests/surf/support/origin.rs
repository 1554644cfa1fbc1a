//! A small real HTTP/1.1 origin on 127.0.0.1, on async-std, written by hand so that a reply can
//! carry any bytes (repeated field lines, obs-text) and stream a large body chunk by chunk.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use async_std::channel::Receiver;
use async_std::io::BufReader;
use async_std::net::{TcpListener, TcpStream};
use async_std::prelude::*;
use async_std::task;
use hcache_core::{Clock, ManualClock};

/// The longest request head the origin reads, in lines.
const MAX_HEAD_LINES: usize = 100;

/// A request as the origin received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Seen {
    /// The first value of `name`, as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }
}

/// What the origin answers.
pub struct Reply {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: ReplyBody,
    date: bool,
}

enum ReplyBody {
    Bytes(Vec<u8>),
    /// `chunks` chunks of `chunk_len` bytes from [`pattern_chunk`], written one at a time;
    /// after the first, the origin waits for `gate` (if any) before going on.
    Pattern {
        chunks: u64,
        chunk_len: usize,
        gate: Option<Receiver<()>>,
    },
    /// Announces `announced` bytes, sends `sent`, and closes the connection.
    Truncated {
        announced: u64,
        sent: Vec<u8>,
    },
}

impl Reply {
    pub fn new(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Bytes(Vec::new()),
            date: true,
        }
    }

    /// No `Date` field (the origin adds one unless the reply has its own).
    pub fn without_date(mut self) -> Self {
        self.date = false;
        self
    }

    pub fn header(self, name: &str, value: &str) -> Self {
        self.raw_header(name, value.as_bytes())
    }

    /// A field line with any bytes as its value.
    pub fn raw_header(mut self, name: &str, value: &[u8]) -> Self {
        self.headers.push((name.to_owned(), value.to_vec()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = ReplyBody::Bytes(body.into());
        self
    }

    /// A large body, written chunk by chunk; with a gate, everything after the first chunk is
    /// held back until the gate opens.
    pub fn pattern(mut self, chunks: u64, chunk_len: usize, gate: Option<Receiver<()>>) -> Self {
        self.body = ReplyBody::Pattern {
            chunks,
            chunk_len,
            gate,
        };
        self
    }
}

impl Reply {
    /// A body cut short: `Content-Length: announced`, then only `sent`, then the connection
    /// closes.
    pub fn truncated(mut self, announced: u64, sent: impl Into<Vec<u8>>) -> Self {
        self.body = ReplyBody::Truncated {
            announced,
            sent: sent.into(),
        };
        self
    }
}

/// Chunk `index` of a pattern body: its index (big-endian) and then a byte ramp that does not
/// line up with chunk boundaries, so a lost, repeated or reordered chunk changes the checksum.
pub fn pattern_chunk(index: u64, len: usize) -> Vec<u8> {
    let mut chunk: Vec<u8> = (0..len)
        .map(|i| ((i as u64 + index * 7) % 251) as u8)
        .collect();
    let tag = index.to_be_bytes();
    let n = tag.len().min(len);
    chunk[..n].copy_from_slice(&tag[..n]);
    chunk
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// The origin: answers every request with `handler`'s reply, and records what it received.
pub struct Origin {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Origin {
    /// Starts an origin that dates its replies by `clock` (the cache's clock, so that the
    /// cache and the origin agree on ages).
    pub async fn start(
        clock: ManualClock,
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = seen.clone();
        task::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (handler, log, clock) = (handler.clone(), log.clone(), clock.clone());
                task::spawn(async move {
                    // A client hanging up mid-reply is not the origin's failure.
                    let _ = serve(stream, &*handler, &log, &clock).await;
                });
            }
        });
        Origin { addr, seen }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many requests were received.
    pub fn hits(&self) -> usize {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

async fn serve(
    stream: TcpStream,
    handler: &Handler,
    log: &Mutex<Vec<Seen>>,
    clock: &ManualClock,
) -> io::Result<()> {
    let mut reader = BufReader::new(stream.clone());
    let mut writer = stream;
    // Keep-alive: one request after another until the client closes.
    while let Some(req) = read_request(&mut reader).await? {
        log.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(req.clone());
        let reply = handler(&req);
        write_reply(&mut writer, &req, reply, clock.now()).await?;
    }
    Ok(())
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Seen>> {
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line).await? == 0 {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&line);
    let mut parts = text.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    for _ in 0..MAX_HEAD_LINES {
        line.clear();
        reader.read_until(b'\n', &mut line).await?;
        let trimmed = line.strip_suffix(b"\r\n").unwrap_or(&line);
        if trimmed.is_empty() {
            break;
        }
        if let Some(colon) = trimmed.iter().position(|&b| b == b':') {
            let name = String::from_utf8_lossy(&trimmed[..colon]).trim().to_owned();
            let value = trimmed[colon + 1..].trim_ascii().to_vec();
            headers.push((name, value));
        }
    }
    let mut req = Seen {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    // Requests in these tests carry a Content-Length when they have a body.
    if let Some(len) = req.header("content-length").and_then(|v| v.parse().ok()) {
        req.body = vec![0; len];
        reader.read_exact(&mut req.body).await?;
    }
    Ok(Some(req))
}

async fn write_reply(
    writer: &mut TcpStream,
    req: &Seen,
    reply: Reply,
    now: SystemTime,
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} X\r\n", reply.status).into_bytes();
    let mut has_date = false;
    for (name, value) in &reply.headers {
        has_date |= name.eq_ignore_ascii_case("date");
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    if reply.date && !has_date {
        let date = httpdate::fmt_http_date(now);
        head.extend_from_slice(format!("date: {date}\r\n").as_bytes());
    }
    let no_body = req.method == "HEAD" || reply.status == 304 || reply.status == 204;
    let len = match &reply.body {
        ReplyBody::Bytes(b) => b.len() as u64,
        ReplyBody::Pattern {
            chunks, chunk_len, ..
        } => chunks * *chunk_len as u64,
        ReplyBody::Truncated { announced, .. } => *announced,
    };
    if reply.status != 304 && reply.status != 204 {
        head.extend_from_slice(format!("content-length: {len}\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    writer.write_all(&head).await?;
    if no_body {
        return writer.flush().await;
    }
    match reply.body {
        ReplyBody::Bytes(b) => writer.write_all(&b).await?,
        ReplyBody::Truncated { sent, .. } => {
            writer.write_all(&sent).await?;
            writer.flush().await?;
            // Ends this connection: the client sees the body end early.
            return Err(io::Error::other("body cut short on purpose"));
        }
        ReplyBody::Pattern {
            chunks,
            chunk_len,
            gate,
        } => {
            for index in 0..chunks {
                writer.write_all(&pattern_chunk(index, chunk_len)).await?;
                if index == 0 {
                    writer.flush().await?;
                    if let Some(gate) = &gate {
                        // A closed gate (the test gave up) just lets the rest through.
                        let _ = gate.recv().await;
                    }
                }
            }
        }
    }
    writer.flush().await
}
