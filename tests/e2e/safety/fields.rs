//! RFC 9111 §7.1 (poisoning through header injection): a stored field value is re-emitted as
//! the origin sent it, never split into more fields. A value with CR or LF cannot be held at
//! all (`http::HeaderValue` refuses it, and the client refuses such a response before the
//! cache sees it: RFC 9112 §5, §5.2 obs-fold); a value with obs-text (RFC 9110 §5.5) is kept
//! and re-emitted byte for byte, not reinterpreted.

use std::time::Duration;

use bytes::Bytes;
use http::HeaderValue;
use http_body_util::Full;

use super::{Shared, shared_engine};
use crate::support::raw_origin::{RawOrigin, Step, answer, head};
use crate::support::{Got, HyperUpstream, Reply, date};

#[test]
fn s7_1_a_stored_value_cannot_hold_cr_or_lf() {
    for bad in [
        &b"a\r\nset-cookie: session=evil"[..],
        b"a\nset-cookie: x",
        b"a\rb",
        b"a\0b",
    ] {
        assert!(HeaderValue::from_bytes(bad).is_err(), "{bad:?}");
    }
}

/// A raw origin whose first response carries `field_line` (raw bytes: a line break inside a
/// value, obs-fold...) and whose later ones are clean; the engine as a shared cache in front.
/// The broken response must be refused (an error), nothing stored, and the next caller gets
/// the clean response with no trace of the injected field.
async fn injection_refused(field_line: &[u8]) {
    let now = date(0);
    let mut fault = format!(
        "HTTP/1.1 200 OK\r\ndate: {now}\r\ncache-control: public, max-age=60\r\ncontent-length: 4\r\n"
    )
    .into_bytes();
    fault.extend_from_slice(field_line);
    fault.extend_from_slice(b"\r\ngood");
    let clean = answer(
        head(
            "200 OK",
            &[
                ("date", &now),
                ("cache-control", "public, max-age=60"),
                ("content-length", "5"),
            ],
        ),
        b"clean",
    );
    let shown = String::from_utf8_lossy(field_line).into_owned();
    let origin = RawOrigin::start(move |n| {
        if n == 0 {
            vec![
                Step::ReadHead,
                Step::Write(Bytes::from(fault.clone())),
                Step::Close,
            ]
        } else {
            clean.clone()
        }
    })
    .await;
    let engine = shared_engine();
    let upstream = HyperUpstream::default();
    let get = || {
        http::Request::get(origin.url("/inject"))
            .body(Full::<Bytes>::default())
            .expect("request")
    };
    let first = tokio::time::timeout(Duration::from_secs(10), async {
        let res = engine
            .handle(get(), &upstream)
            .await
            .map_err(|e| e.to_string())?;
        Got::collect(res).await
    })
    .await
    .expect("no hang");
    assert!(first.is_err(), "{shown:?}: the response is refused");
    assert_eq!(engine.stats().store.entries, 0, "{shown:?}: nothing stored");
    let res = engine
        .handle(get(), &upstream)
        .await
        .expect("the clean response");
    let clean = Got::collect(res).await.expect("the clean body");
    assert!(clean.headers.get("set-cookie").is_none(), "{shown:?}");
    assert!(clean.headers.get("x-injected").is_none(), "{shown:?}");
    assert_eq!(clean.text(), "clean", "{shown:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s7_1_a_line_break_inside_a_value_is_refused() {
    // A bare CR, a NUL: not allowed in a field value (RFC 9110 §5.5).
    injection_refused(b"x-note: a\rset-cookie: session=evil\r\n").await;
    injection_refused(b"x-note: a\0b\r\n").await;
    // obs-fold: a line starting with whitespace continues the previous value (RFC 9112 §5.2);
    // a client refuses it rather than guess.
    injection_refused(b"x-note: a\r\n x-injected: b\r\n").await;
    // A field line with no name.
    injection_refused(b": x-injected\r\n").await;
}

/// obs-text and look-alikes of injection are kept and re-emitted exactly as received.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s7_1_obs_text_reemitted_byte_for_byte() {
    let values: [&[u8]; 4] = [
        b"caf\xe9 \xff\xfe",
        b"attachment; filename=\"r\xe9sum\xe9.pdf\"",
        b"a%0d%0aSet-Cookie: session=evil",
        b"\\r\\nx-injected: yes",
    ];
    let cache = Shared::start(move |_, _| {
        values
            .iter()
            .fold(Reply::ok("page"), |r, v| r.header_bytes("x-note", v))
            .header("cache-control", "public, max-age=60")
    })
    .await;
    let miss = cache.get("http://a.test/page", &[]).await;
    let hit = cache.get("http://a.test/page", &[]).await;
    assert_eq!(hit.cache_status(), "hcache; hit; ttl=60");
    for got in [&miss, &hit] {
        assert_eq!(
            got.all("x-note"),
            values,
            "every line, byte for byte, in order"
        );
        assert!(got.headers.get("set-cookie").is_none());
        assert!(got.headers.get("x-injected").is_none());
    }
}
