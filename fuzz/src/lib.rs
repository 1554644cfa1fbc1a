//! Input decoding shared by hcache's fuzz targets.
//!
//! The policy targets read their input as a few control bytes, decoded with `arbitrary`
//! ([`Control`]: options, times, an index), then text in HTTP's own shape: sections separated
//! by an empty line, each a start line followed by `name: value` field lines. Seeds are then
//! readable files (`fuzz/corpus/<target>/`), and libFuzzer's mutations of them stay close to
//! real messages while still reaching every byte value. Lines that `http` refuses (a bad
//! name, a value with control characters) are skipped, as a client library would never hand
//! them to the cache.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arbitrary::{Arbitrary, Unstructured};
use hcache_core::{CacheMode, CacheOptions, CachePolicy, StoredResponse};
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, request, response};

/// The control bytes at the start of a policy target's input (12 bytes; missing bytes read
/// as zero).
#[derive(Debug, Arbitrary)]
pub struct Control {
    /// Option switches, one per bit (see [`Control::options`]).
    pub switches: u16,
    /// When the first request was sent, in seconds from the UNIX epoch.
    pub request_secs: u32,
    /// Seconds between sending the request and receiving the response.
    pub response_delay: u8,
    /// When the later decision is taken, in seconds after the response (negative: before).
    pub now_offset: i32,
    /// The index of the validated response (`validate` targets); 255 and up: none.
    pub validated: u8,
}

/// Splits `data` into its control bytes and the text that follows.
pub fn split(data: &[u8]) -> (Control, &[u8]) {
    const LEN: usize = 12;
    let (head, rest) = data.split_at(data.len().min(LEN));
    let mut u = Unstructured::new(head);
    let control = Control::arbitrary(&mut u).unwrap_or(Control {
        switches: 0,
        request_secs: 0,
        response_delay: 0,
        now_offset: 0,
        validated: 255,
    });
    (control, rest)
}

impl Control {
    /// The cache options the switches select.
    pub fn options(&self) -> CacheOptions {
        let bit = |n: u32| self.switches & (1 << n) != 0;
        let mut o = CacheOptions::default().shared(bit(0));
        if bit(1) {
            o = o.targeted_fields([HeaderName::from_static("cdn-cache-control")]);
        }
        if bit(2) {
            o = o.surrogate_control(Some("edge"));
        }
        if bit(3) {
            o = o.honor_immutable(false);
        }
        if bit(4) {
            o = o.default_ttl(Some(Duration::from_secs(60)));
        }
        if bit(5) {
            o = o.max_ttl(Some(Duration::from_secs(3600)));
        }
        if bit(6) {
            o = o.max_stale(Some(Duration::from_secs(30)));
        }
        if bit(7) {
            o = o.stale_if_error(Some(Duration::from_secs(300)));
        }
        if bit(8) {
            o = o.heuristic_fraction(0.5);
        }
        o
    }

    /// The policy for [`Control::options`].
    pub fn policy(&self) -> CachePolicy {
        CachePolicy::new(self.options())
    }

    /// The per-request mode the switches select, if any (bits 9–11).
    pub fn mode(&self) -> Option<CacheMode> {
        Some(match (self.switches >> 9) & 7 {
            1 => CacheMode::NoStore,
            2 => CacheMode::Reload,
            3 => CacheMode::NoCache,
            4 => CacheMode::ForceCache,
            5 => CacheMode::OnlyIfCached,
            _ => return None,
        })
    }

    /// When the first request was sent.
    pub fn request_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(u64::from(self.request_secs))
    }

    /// When its response was received.
    pub fn response_time(&self) -> SystemTime {
        self.request_time() + Duration::from_secs(u64::from(self.response_delay))
    }

    /// When the later decision is taken: `now_offset` seconds after the response, scaled by
    /// 2^20 when bit 12 is set (to reach far past and future), kept within what `SystemTime`
    /// holds.
    pub fn now(&self) -> SystemTime {
        let mut secs = i64::from(self.now_offset);
        if self.switches & (1 << 12) != 0 {
            secs <<= 20;
        }
        let d = Duration::from_secs(secs.unsigned_abs());
        let t = self.response_time();
        let moved = if secs >= 0 {
            t.checked_add(d)
        } else {
            t.checked_sub(d)
        };
        moved.unwrap_or(t)
    }

    /// The validated index, if any.
    pub fn validated(&self) -> Option<usize> {
        (self.validated < 255).then_some(usize::from(self.validated))
    }
}

/// The sections of `text`, separated by an empty line (`\n\n` or `\r\n\r\n`).
pub fn sections(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = find_blank_line(rest) {
        out.push(&rest[..i.0]);
        rest = &rest[i.1..];
    }
    out.push(rest);
    out
}

/// Where the first empty line starts and where the text after it starts.
fn find_blank_line(text: &[u8]) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(p) = text[from..].iter().position(|&b| b == b'\n') {
        let i = from + p;
        match &text[i + 1..] {
            [b'\n', ..] => return Some((i, i + 2)),
            [b'\r', b'\n', ..] => return Some((i, i + 3)),
            _ => from = i + 1,
        }
    }
    None
}

/// The lines of `section`, without their line ends.
pub fn lines(section: &[u8]) -> impl Iterator<Item = &[u8]> {
    section
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// Field lines `name: value` (leading whitespace of the value dropped); lines `http` would
/// refuse are skipped. Repeated names stay repeated lines, in order.
pub fn fields<'a>(lines: impl Iterator<Item = &'a [u8]>) -> HeaderMap {
    let mut h = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = match value.iter().position(|&b| b != b' ' && b != b'\t') {
            Some(i) => &value[i..],
            None => &[],
        };
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            // A map holds at most 32,768 lines; the input is far smaller than that.
            let _ = h.try_append(n, v);
        }
    }
    h
}

/// A request head from a section: `METHOD target` then field lines. A missing or invalid
/// method is GET; a missing or invalid target is `http://example.com/`.
pub fn request(section: &[u8]) -> request::Parts {
    let mut lines = lines(section);
    let start = lines.next().unwrap_or_default();
    let mut words = start.splitn(2, |&b| b == b' ');
    let method = words
        .next()
        .and_then(|m| Method::from_bytes(m).ok())
        .unwrap_or(Method::GET);
    let uri = words
        .next()
        .and_then(|u| Uri::try_from(u).ok())
        .unwrap_or_else(|| Uri::from_static("http://example.com/"));
    let mut parts = http::Request::new(()).into_parts().0;
    parts.method = method;
    parts.uri = uri;
    parts.headers = fields(lines);
    parts
}

/// A response head from a section: a status code then field lines (an invalid status is
/// 200).
pub fn response(section: &[u8]) -> response::Parts {
    let mut lines = lines(section);
    let start = lines.next().unwrap_or_default();
    let code = start.split(|&b| b == b' ').next().unwrap_or_default();
    let mut parts = http::Response::new(()).into_parts().0;
    parts.status = StatusCode::from_bytes(code).unwrap_or(StatusCode::OK);
    parts.headers = fields(lines);
    parts
}

/// The fields that a 304 or a HEAD response never changes in a stored response, because
/// they describe its stored content (RFC 9111 §3.2).
pub const INTEGRITY_FIELDS: [HeaderName; 3] = [CONTENT_LENGTH, CONTENT_ENCODING, CONTENT_RANGE];

/// Panics unless `after` keeps `before`'s status, selecting fields and content-describing
/// fields: freshening must never make stored metadata describe other bytes (§3.2).
pub fn assert_same_content(before: &StoredResponse, after: &StoredResponse) {
    assert_eq!(before.status(), after.status());
    assert_eq!(before.vary(), after.vary());
    for name in INTEGRITY_FIELDS {
        let a: Vec<_> = before.headers().get_all(&name).iter().collect();
        let b: Vec<_> = after.headers().get_all(&name).iter().collect();
        assert_eq!(a, b, "{name} changed");
    }
}

/// Exercises everything a caller reads from stored metadata at `now`.
pub fn read_stored(policy: &CachePolicy, stored: &StoredResponse, now: SystemTime) {
    let lifetime = stored.freshness_lifetime(policy.options());
    let age = stored.current_age(now);
    let head = stored.response_head(age);
    assert_eq!(head.status, stored.status());
    let d = stored.directives();
    let _ = (
        d.max_age(),
        d.s_maxage(),
        d.no_cache_fields(),
        d.extensions(),
    );
    let _ = (lifetime, stored.has_validator());
}
