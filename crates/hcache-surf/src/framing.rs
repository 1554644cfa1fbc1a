//! What surf's h1 client (async-h1) frames differently from RFC 9112, caught before the engine
//! sees the response: async-h1 hands over an interim (1xx) response as if it were the final one
//! (RFC 9110 §15.2), picks one of several different `Content-Length` values (RFC 9112 §6.3
//! item 5), and reads a body delimited by the close of the connection as empty (§6.3 item 8).
//! Passed on, each would reach the caller — and the cache — as a response the origin never
//! sent. The first two fail the exchange; the third fails the body, so that nothing is stored
//! and the caller learns that the bytes it would get are not the origin's.

use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, StatusCode};

use crate::error::ConvertError;

/// How the body of a response that passed [`check`] can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Its length or chunked coding is known: the body surf hands over is the content.
    Readable,
    /// Delimited by the close of the connection: surf's body is empty whatever was sent.
    ByClose,
}

/// Checks a response as surf's client handed it over; `body_len` is the length of surf's body
/// (`Some(0)` for the empty body async-h1 gives a response it did not read a body for).
pub(crate) fn check(
    status: StatusCode,
    headers: &HeaderMap,
    head_only: bool,
    body_len: Option<usize>,
) -> Result<Framing, ConvertError> {
    // 101 is final for the connection (an upgrade), not an interim response before another.
    if status.is_informational() && status != StatusCode::SWITCHING_PROTOCOLS {
        return Err(ConvertError::Framing(
            "an interim (1xx) response where the final response was expected",
        ));
    }
    let mut lengths = headers
        .get_all(CONTENT_LENGTH)
        .iter()
        .flat_map(|line| line.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii);
    let first = lengths.next();
    if let Some(first) = first
        && lengths.any(|other| other != first)
    {
        return Err(ConvertError::Framing("Content-Length values that disagree"));
    }
    let has_content = !(head_only
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || status.is_informational());
    if has_content && first.is_none() && body_len == Some(0) && !chunked(headers) {
        return Ok(Framing::ByClose);
    }
    Ok(Framing::Readable)
}

/// Whether the final transfer coding is chunked (what async-h1 decodes).
fn chunked(headers: &HeaderMap) -> bool {
    headers
        .get_all(TRANSFER_ENCODING)
        .iter()
        .next_back()
        .and_then(|line| line.as_bytes().rsplit(|&b| b == b',').next())
        .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (n, v) in lines {
            map.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn rfc9110_s15_2_interim_response_is_not_final() {
        let err = check(StatusCode::CONTINUE, &HeaderMap::new(), false, Some(0));
        assert!(matches!(err, Err(ConvertError::Framing(_))));
        let early = check(
            StatusCode::from_u16(103).unwrap(),
            &HeaderMap::new(),
            false,
            None,
        );
        assert!(early.is_err());
        let upgrade = check(
            StatusCode::SWITCHING_PROTOCOLS,
            &HeaderMap::new(),
            false,
            None,
        );
        assert_eq!(upgrade.unwrap(), Framing::Readable);
    }

    #[test]
    fn rfc9112_s6_3_content_lengths_must_agree() {
        let two = headers(&[("content-length", "4"), ("content-length", "11")]);
        assert!(check(StatusCode::OK, &two, false, Some(11)).is_err());
        let listed = headers(&[("content-length", "4, 11")]);
        assert!(check(StatusCode::OK, &listed, false, Some(11)).is_err());
        let same = headers(&[("content-length", "4"), ("content-length", "4 , 4")]);
        assert_eq!(
            check(StatusCode::OK, &same, false, Some(4)).unwrap(),
            Framing::Readable
        );
    }

    #[test]
    fn rfc9112_s6_3_body_delimited_by_close() {
        let none = HeaderMap::new();
        assert_eq!(
            check(StatusCode::OK, &none, false, Some(0)).unwrap(),
            Framing::ByClose
        );
        let gzip = headers(&[("transfer-encoding", "gzip")]);
        assert_eq!(
            check(StatusCode::OK, &gzip, false, Some(0)).unwrap(),
            Framing::ByClose
        );
        // Readable: chunked, a length, a body of its own, or no content at all.
        let chunked = headers(&[("transfer-encoding", "gzip, Chunked")]);
        assert_eq!(
            check(StatusCode::OK, &chunked, false, None).unwrap(),
            Framing::Readable
        );
        let empty = headers(&[("content-length", "0")]);
        assert_eq!(
            check(StatusCode::OK, &empty, false, Some(0)).unwrap(),
            Framing::Readable
        );
        assert_eq!(
            check(StatusCode::OK, &none, false, Some(5)).unwrap(),
            Framing::Readable
        );
        for status in [StatusCode::NO_CONTENT, StatusCode::NOT_MODIFIED] {
            assert_eq!(
                check(status, &none, false, Some(0)).unwrap(),
                Framing::Readable
            );
        }
        assert_eq!(
            check(StatusCode::OK, &none, true, Some(0)).unwrap(),
            Framing::Readable
        );
    }
}
