//! The connection breaks, or goes silent: reset (RST) or closed (FIN) before the head, in the
//! middle of the head or of the body (RFC 9112 §8: an incomplete message is never a complete
//! one), and an origin that stalls (RFC 9112 §9.5: the caller's timeout ends the wait). The
//! caller gets a clear error, nothing is stored, and the next request goes through.

use std::time::{Duration, Instant};

use hcache_store_memory::MemoryStore;

use super::{FaultEnv, Outcome, TIMEOUT, ok_head, through_every_adapter};
use crate::support::adapters::Client;
use crate::support::raw_origin::{Step, write};

/// Long enough for what was written to reach the client before the connection breaks.
const FLUSH: Duration = Duration::from_millis(100);

/// A head cut off in the middle of a field line.
const HALF_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncache-control: max-age=60\r\ncontent-le";

/// A storable head announcing 1 MiB, and the first 256 KiB of that body.
fn quarter_of_a_body() -> Vec<u8> {
    let mut bytes = ok_head(&[
        ("content-length", "1048576"),
        ("cache-control", "max-age=60"),
    ]);
    bytes.extend(std::iter::repeat_n(b'x', 256 * 1024));
    bytes
}

/// A storable chunked head, and one chunk of its body (the last chunk never comes).
fn chunked_without_end() -> Vec<u8> {
    let mut bytes = ok_head(&[
        ("transfer-encoding", "chunked"),
        ("cache-control", "max-age=60"),
    ]);
    bytes.extend_from_slice(b"5\r\nhello\r\n");
    bytes
}

/// Reads the request, writes `bytes` and lets them reach the client, then breaks the
/// connection with `end` ([`Step::Reset`] or [`Step::Close`]).
fn cut_after(bytes: impl AsRef<[u8]>, end: Step) -> Vec<Step> {
    vec![Step::ReadHead, write(bytes), Step::Pause(FLUSH), end]
}

async fn fails_then_recovers<C: Client<Store = MemoryStore>>(fault: Vec<Step>, expect: &[&str]) {
    let env = FaultEnv::<C>::first(fault).await;
    let outcome = env.get("/fault").await;
    assert!(
        expect.contains(&outcome.kind()),
        "expected one of {expect:?}, got {outcome:?}"
    );
    env.recovers("/fault").await;
}

async fn rfc9112_s8_reset_before_head<C: Client<Store = MemoryStore>>() {
    fails_then_recovers::<C>(vec![Step::ReadHead, Step::Reset], &["error"]).await;
}

async fn rfc9112_s8_closed_before_head<C: Client<Store = MemoryStore>>() {
    fails_then_recovers::<C>(vec![Step::ReadHead, Step::Close], &["error"]).await;
}

async fn rfc9112_s8_reset_mid_head<C: Client<Store = MemoryStore>>() {
    let fault = cut_after(HALF_HEAD, Step::Reset);
    fails_then_recovers::<C>(fault, &["error"]).await;
}

async fn rfc9112_s8_closed_mid_head<C: Client<Store = MemoryStore>>() {
    let fault = cut_after(HALF_HEAD, Step::Close);
    fails_then_recovers::<C>(fault, &["error"]).await;
}

async fn rfc9112_s8_reset_mid_body<C: Client<Store = MemoryStore>>() {
    let fault = cut_after(quarter_of_a_body(), Step::Reset);
    // The reset may discard what the client had not read yet, head included.
    fails_then_recovers::<C>(fault, &["body error", "error"]).await;
}

async fn rfc9112_s8_closed_mid_body<C: Client<Store = MemoryStore>>() {
    let fault = cut_after(quarter_of_a_body(), Step::Close);
    fails_then_recovers::<C>(fault, &["body error"]).await;
}

async fn rfc9112_s8_closed_mid_chunked_body<C: Client<Store = MemoryStore>>() {
    let fault = cut_after(chunked_without_end(), Step::Close);
    fails_then_recovers::<C>(fault, &["body error"]).await;
}

/// The origin reads the request and never answers: the caller's timeout ends the exchange,
/// on time.
async fn rfc9112_s9_5_stall_before_head<C: Client<Store = MemoryStore>>() {
    let env = FaultEnv::<C>::first(vec![Step::ReadHead, Step::Stall]).await;
    let start = Instant::now();
    let outcome = env.get("/stall").await;
    assert!(matches!(outcome, Outcome::TimedOut), "{outcome:?}");
    assert!(start.elapsed() >= TIMEOUT, "not before the timeout");
    env.recovers("/stall").await;
}

/// The origin sends the head and part of the body, then goes silent: the caller's timeout
/// ends the read, and the part already teed into the store is dropped with the writer.
async fn rfc9112_s9_5_stall_mid_body<C: Client<Store = MemoryStore>>() {
    let fault = vec![Step::ReadHead, write(quarter_of_a_body()), Step::Stall];
    let env = FaultEnv::<C>::first(fault).await;
    let outcome = env.get("/stall").await;
    assert!(matches!(outcome, Outcome::TimedOut), "{outcome:?}");
    env.recovers("/stall").await;
}

through_every_adapter!(
    rfc9112_s8_reset_before_head,
    rfc9112_s8_closed_before_head,
    rfc9112_s8_reset_mid_head,
    rfc9112_s8_closed_mid_head,
    rfc9112_s8_reset_mid_body,
    rfc9112_s8_closed_mid_body,
    rfc9112_s8_closed_mid_chunked_body,
    rfc9112_s9_5_stall_before_head,
    rfc9112_s9_5_stall_mid_body,
);
