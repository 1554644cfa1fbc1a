//! Bogus message framing (RFC 9112 §6, §7.1): a `Content-Length` that is not a number, that
//! overflows, that disagrees with itself or with the body; `Transfer-Encoding` beside
//! `Content-Length`, or with a coding the client does not remove; broken chunked encoding; a
//! body delimited by the connection's close.

use hcache_store_memory::MemoryStore;

use super::{Adapter, FaultEnv, Outcome, ok_head, through_every_adapter};
use crate::support::adapters::Client;
use crate::support::raw_origin::{Step, answer, write};

/// A storable response with these framing fields and these body bytes, then a close.
fn framed(fields: &[(&str, &str)], body: &[u8]) -> Vec<Step> {
    let mut all = vec![("cache-control", "max-age=60")];
    all.extend_from_slice(fields);
    answer(ok_head(&all), body)
}

/// The fault must come back as an error (at the head or in the body); nothing is stored.
async fn refused<C: Client<Store = MemoryStore>>(fault: Vec<Step>) -> Outcome {
    let env = FaultEnv::<C>::first(fault).await;
    let outcome = env.get("/framing").await;
    assert!(outcome.is_error(), "expected an error, got {outcome:?}");
    env.recovers("/framing").await;
    outcome
}

async fn rfc9112_s6_3_content_length_not_a_number<C: Client<Store = MemoryStore>>() {
    refused::<C>(framed(&[("content-length", "four")], b"good")).await;
}

async fn rfc9112_s6_3_content_length_overflows<C: Client<Store = MemoryStore>>() {
    refused::<C>(framed(
        &[("content-length", "184467440737095516160")],
        b"good",
    ))
    .await;
}

async fn rfc9112_s6_3_content_length_negative<C: Client<Store = MemoryStore>>() {
    refused::<C>(framed(&[("content-length", "-4")], b"good")).await;
}

/// Two different lengths: the message cannot be framed (§6.3 item 5), so it is an error —
/// never one of the two lengths picked and the other left in the stored head. (surf's
/// async-h1 picks the last; hcache-surf refuses the response.)
async fn rfc9112_s6_3_content_length_conflicting<C: Client<Store = MemoryStore>>() {
    let fault = framed(
        &[("content-length", "4"), ("content-length", "11")],
        b"hello world",
    );
    let outcome = refused::<C>(fault).await;
    if Adapter::of::<C>() == Adapter::Surf {
        assert!(outcome.error().contains("disagree"), "{outcome:?}");
    }
}

/// A body longer than its `Content-Length`: the message ends at the length (what follows is
/// not part of it), and exactly that is stored and served.
async fn rfc9112_s6_3_content_length_shorter_than_body<C: Client<Store = MemoryStore>>() {
    let env = FaultEnv::<C>::first(framed(&[("content-length", "5")], b"hello world")).await;
    let got = env.get("/short").await.response("the framed message");
    assert_eq!(got.text(), "hello");
    assert_eq!(env.stats().stored, 1);
    let hit = env.get("/short").await.response("the hit");
    assert_eq!(hit.text(), "hello");
    assert_eq!(hit.header("content-length"), "5");
    assert_eq!(hit.cache_status(), "hcache; hit; ttl=60");
}

/// `Transfer-Encoding` with `Content-Length` (§6.3 item 3: "ought to be handled as an
/// error"): a client that decodes the chunked body hands it over as it read it, and the cache
/// does not store it (the length in its head is not the body's); a client that refuses such a
/// message (surf's async-h1) gives an error.
async fn rfc9112_s6_3_transfer_encoding_with_content_length<C: Client<Store = MemoryStore>>() {
    let fault = framed(
        &[("transfer-encoding", "chunked"), ("content-length", "3")],
        b"b\r\nhello world\r\n0\r\n\r\n",
    );
    let env = FaultEnv::<C>::first(fault).await;
    let outcome = env.get("/te-cl").await;
    if Adapter::of::<C>() == Adapter::Surf {
        assert!(
            outcome.error().contains("Unexpected Content-Length"),
            "async-h1 refuses the message: {outcome:?}"
        );
    } else {
        let got = outcome.response("the chunked body");
        assert_eq!(got.text(), "hello world", "the chunked framing wins");
        assert_eq!(
            got.cache_status(),
            "hcache; fwd=uri-miss; fwd-status=200",
            "not stored"
        );
    }
    env.recovers("/te-cl").await;
}

/// A transfer coding the client does not decode (`gzip` without `chunked`, delimited by the
/// close): the bytes are still coded, so they are not stored as the content. hyper hands them
/// over as they came, `Transfer-Encoding` and all; surf's async-h1 reads such a body as empty,
/// which hcache-surf turns into a body error.
async fn rfc9112_s6_1_unknown_transfer_coding<C: Client<Store = MemoryStore>>() {
    let coded = b"\x1f\x8b coded bytes";
    let env = FaultEnv::<C>::first(framed(&[("transfer-encoding", "gzip")], coded)).await;
    let outcome = env.get("/te-gzip").await;
    if Adapter::of::<C>() == Adapter::Surf {
        assert!(matches!(outcome, Outcome::BodyError(_)), "{outcome:?}");
    } else {
        let got = outcome.response("the coded bytes");
        assert_eq!(got.body.as_ref(), coded);
        assert_eq!(got.header("transfer-encoding"), "gzip");
        assert_eq!(got.cache_status(), "hcache; fwd=uri-miss; fwd-status=200");
    }
    env.recovers("/te-gzip").await;
}

/// No `Content-Length`, no `Transfer-Encoding`: the body runs to the close (§6.3 item 8), and
/// a clean close ends it — stored and served whole. surf's async-h1 reads such a body as
/// empty: hcache-surf fails the body instead, and nothing is stored.
async fn rfc9112_s6_3_close_delimited<C: Client<Store = MemoryStore>>() {
    let env = FaultEnv::<C>::first(framed(&[], b"to the close")).await;
    let outcome = env.get("/close").await;
    if Adapter::of::<C>() == Adapter::Surf {
        assert!(matches!(outcome, Outcome::BodyError(_)), "{outcome:?}");
        assert!(
            outcome.error().contains("close of the connection"),
            "{outcome:?}"
        );
        return env.recovers("/close").await;
    }
    assert_eq!(outcome.response("the body").text(), "to the close");
    assert_eq!(env.stats().stored, 1);
    let hit = env.get("/close").await.response("the hit");
    assert_eq!(
        (hit.text().as_str(), hit.cache_status()),
        ("to the close", "hcache; hit; ttl=60")
    );
}

/// A close-delimited body cut by a reset: an error, never a shorter body.
async fn rfc9112_s6_3_close_delimited_reset<C: Client<Store = MemoryStore>>() {
    let mut bytes = ok_head(&[("cache-control", "max-age=60")]);
    bytes.extend_from_slice(b"to the reset");
    let fault = vec![
        Step::ReadHead,
        write(bytes),
        Step::Pause(std::time::Duration::from_millis(100)),
        Step::Reset,
    ];
    refused::<C>(fault).await;
}

fn chunked(body: &[u8]) -> Vec<Step> {
    framed(&[("transfer-encoding", "chunked")], body)
}

async fn rfc9112_s7_1_chunk_size_not_hex<C: Client<Store = MemoryStore>>() {
    refused::<C>(chunked(b"zz\r\nhello\r\n0\r\n\r\n")).await;
}

async fn rfc9112_s7_1_chunk_size_overflows<C: Client<Store = MemoryStore>>() {
    refused::<C>(chunked(b"fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n")).await;
}

async fn rfc9112_s7_1_chunk_without_crlf<C: Client<Store = MemoryStore>>() {
    refused::<C>(chunked(b"5\r\nhelloXX0\r\n\r\n")).await;
}

async fn rfc9112_s7_1_chunk_longer_than_sent<C: Client<Store = MemoryStore>>() {
    refused::<C>(chunked(b"10\r\nhello")).await;
}

through_every_adapter!(
    rfc9112_s6_3_content_length_not_a_number,
    rfc9112_s6_3_content_length_overflows,
    rfc9112_s6_3_content_length_negative,
    rfc9112_s6_3_content_length_conflicting,
    rfc9112_s6_3_content_length_shorter_than_body,
    rfc9112_s6_3_transfer_encoding_with_content_length,
    rfc9112_s6_1_unknown_transfer_coding,
    rfc9112_s6_3_close_delimited,
    rfc9112_s6_3_close_delimited_reset,
    rfc9112_s7_1_chunk_size_not_hex,
    rfc9112_s7_1_chunk_size_overflows,
    rfc9112_s7_1_chunk_without_crlf,
    rfc9112_s7_1_chunk_longer_than_sent,
);
