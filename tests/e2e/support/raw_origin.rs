//! A raw TCP origin on 127.0.0.1 that sends whatever bytes a test scripts — including what no
//! HTTP library would send: broken framing, a head cut in half, a connection reset. Each
//! accepted connection runs the script the test gives for its index; everything it does is
//! bounded in time, and the origin stops (every connection closed) when it is dropped.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::server::Server;

/// The longest a [`Step::Stall`] lasts when the client never gives up.
pub const STALL_MAX: Duration = Duration::from_secs(30);
/// The largest request head read (a larger one ends the script).
const MAX_HEAD: usize = 64 * 1024;

/// One thing the origin does on a connection.
#[derive(Debug, Clone)]
pub enum Step {
    /// Reads one request head (up to the empty line) and logs it; ends the script if the
    /// client closes first.
    ReadHead,
    /// Writes these bytes, as they are.
    Write(Bytes),
    /// Waits (so that what was written reaches the client before what follows).
    Pause(Duration),
    /// Says nothing more until the client closes the connection, or sends anything more (a
    /// request on a connection it gave up on, which the origin then closes); at most
    /// [`STALL_MAX`].
    Stall,
    /// Closes the connection normally (FIN).
    Close,
    /// Resets the connection (RST: `SO_LINGER` 0, then close).
    Reset,
}

/// A running raw origin.
pub struct RawOrigin {
    server: Server,
    heads: Arc<Mutex<Vec<String>>>,
}

impl RawOrigin {
    /// Starts an origin running `script(index of the connection)` on each connection it
    /// accepts. A script that ends without closing closes normally.
    pub async fn start(script: impl Fn(usize) -> Vec<Step> + Send + Sync + 'static) -> Self {
        let heads: Arc<Mutex<Vec<String>>> = Arc::default();
        let heads2 = heads.clone();
        let server = Server::start(move |stream, n| run(stream, script(n), heads2.clone())).await;
        RawOrigin { server, heads }
    }

    /// An origin running the same script on every connection.
    pub async fn always(steps: Vec<Step>) -> Self {
        Self::start(move |_| steps.clone()).await
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.server.accepted()
    }

    /// Request heads read so far.
    pub fn requests(&self) -> usize {
        self.heads.lock().unwrap().len()
    }

    /// The `n`th request head read (lossy UTF-8).
    pub fn head(&self, n: usize) -> String {
        self.heads.lock().unwrap()[n].clone()
    }
}

async fn run(mut stream: TcpStream, steps: Vec<Step>, heads: Arc<Mutex<Vec<String>>>) {
    for step in steps {
        match step {
            Step::ReadHead => match read_head(&mut stream).await {
                Some(head) => heads.lock().unwrap().push(head),
                None => return,
            },
            Step::Write(bytes) => {
                if stream.write_all(&bytes).await.is_err() || stream.flush().await.is_err() {
                    return;
                }
            }
            Step::Pause(d) => tokio::time::sleep(d).await,
            Step::Stall => {
                let mut sink = [0u8; 1024];
                let _ = tokio::time::timeout(STALL_MAX, stream.read(&mut sink)).await;
                return;
            }
            Step::Close => {
                let _ = stream.shutdown().await;
                return;
            }
            Step::Reset => {
                // A zero linger makes the close send RST instead of FIN (it cannot block:
                // there is nothing to linger for).
                #[allow(deprecated)]
                let _ = stream.set_linger(Some(Duration::ZERO));
                drop(stream);
                return;
            }
        }
    }
}

/// Reads up to and including the empty line that ends a request head (bounded in size).
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD || stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// A response head: the status line, the header lines, and the empty line.
pub fn head(status_line: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status_line}\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A step writing `bytes`.
pub fn write(bytes: impl AsRef<[u8]>) -> Step {
    Step::Write(Bytes::copy_from_slice(bytes.as_ref()))
}

/// A well-formed exchange: read the request, send `head` and `body` (the head must frame the
/// body), close.
pub fn answer(head: Vec<u8>, body: &[u8]) -> Vec<Step> {
    let mut bytes = head;
    bytes.extend_from_slice(body);
    vec![Step::ReadHead, Step::Write(bytes.into()), Step::Close]
}
