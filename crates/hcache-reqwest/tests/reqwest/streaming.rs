//! Bodies stream both ways through the middleware: nothing is collected whole.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame};
use tokio::sync::Notify;
use tokio::time::timeout;

use crate::support::{Checksum, Env, Got, Reply, pattern_chunk};

const MIB: usize = 1 << 20;

/// The checksum and length of `count` pattern chunks of `size` bytes.
fn expected(count: usize, size: usize) -> (u64, u64) {
    let mut sum = Checksum::default();
    for i in 0..count {
        sum.update(&pattern_chunk(i, size));
    }
    (count as u64 * size as u64, sum.value())
}

/// Reads a response chunk by chunk (each read bounded in time), returning its length and
/// checksum; `after_first` runs once the first bytes have arrived.
async fn consume(mut res: reqwest::Response, after_first: impl FnOnce()) -> (u64, u64) {
    let (mut len, mut sum) = (0u64, Checksum::default());
    let mut after_first = Some(after_first);
    loop {
        let chunk = timeout(Duration::from_secs(20), res.chunk())
            .await
            .expect("body stalled")
            .expect("body chunk");
        let Some(chunk) = chunk else { break };
        len += chunk.len() as u64;
        sum.update(&chunk);
        if let Some(f) = after_first.take() {
            f();
        }
    }
    (len, sum.value())
}

/// 64 MiB in 1 MiB chunks reaches the caller as it streams: the origin holds the rest of
/// the body until the caller has the first bytes, so a middleware that buffered the body
/// would stall. Too large for the store, it passes through unstored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_body_streams_to_the_caller() {
    let gate = Arc::new(Notify::new());
    let held = gate.clone();
    let env = Env::new(move |_, _| {
        Reply::new(200)
            .header("cache-control", "max-age=60")
            .chunks(64, MIB, Some((1, held.clone())))
    })
    .await;
    let res = timeout(
        Duration::from_secs(20),
        env.client.get(env.url("/big")).send(),
    )
    .await
    .expect("head arrives before the body is complete")
    .expect("GET");
    assert_eq!(res.content_length(), Some(64 * MIB as u64));
    assert_eq!(
        res.headers()["cache-status"],
        "hcache; fwd=uri-miss; fwd-status=200"
    );
    let got = consume(res, || gate.notify_one()).await;
    assert_eq!(got, expected(64, MIB));
    let stats = env.cache.stats();
    assert_eq!((stats.engine.too_large, stats.engine.stored), (1, 0));
}

/// A body small enough to store streams to the caller and into the store at once, and the
/// hit serves the same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_body_streams_and_hits_with_the_same_bytes() {
    let env = Env::new(|_, _| {
        Reply::new(200)
            .header("cache-control", "max-age=60")
            .chunks(48, 64 << 10, None)
    })
    .await;
    let first = env.client.get(env.url("/mid")).send().await.expect("GET");
    assert_eq!(
        first.headers()["cache-status"],
        "hcache; fwd=uri-miss; fwd-status=200; stored"
    );
    assert_eq!(consume(first, || ()).await, expected(48, 64 << 10));
    let hit = env.client.get(env.url("/mid")).send().await.expect("GET");
    assert_eq!(hit.headers()["cache-status"], "hcache; hit; ttl=60");
    assert_eq!(hit.content_length(), Some(48 * (64 << 10)));
    assert_eq!(consume(hit, || ()).await, expected(48, 64 << 10));
    assert_eq!(env.origin.hits(), 1);
}

/// A request body of unknown length (chunked), produced chunk by chunk.
struct PatternBody {
    next: usize,
    count: usize,
    size: usize,
}

impl Body for PatternBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let i = self.next;
        self.next += 1;
        Poll::Ready((i < self.count).then(|| Ok(Frame::data(pattern_chunk(i, self.size)))))
    }
}

/// Request bodies reach the origin untouched, streamed (the origin checks length and
/// checksum as it reads).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_body_streams_to_the_origin() {
    let env = Env::new(|_, _| Reply::ok("thanks")).await;
    let body = reqwest::Body::wrap(PatternBody {
        next: 0,
        count: 128,
        size: 64 << 10,
    });
    let res = env
        .client
        .put(env.url("/upload"))
        .body(body)
        .send()
        .await
        .expect("PUT");
    assert_eq!(Got::read(res).await.text(), "thanks");
    let (head, len, sum) = env.origin.request(0);
    assert_eq!(head.method, http::Method::PUT);
    assert_eq!(head.headers["transfer-encoding"], "chunked");
    assert_eq!((len, sum), expected(128, 64 << 10));
}
