//! The `Cache-Status` response field (RFC 9211): what this cache did with a request.

use std::fmt;

use http::HeaderMap;
use http::header::{Entry, HeaderName, HeaderValue};

mod recurring;

pub(crate) use recurring::Recurring;

/// The standard `Cache-Status` field name.
pub const CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");

/// Why the cache forwarded a request (RFC 9211 §2.2, `fwd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForwardReason {
    /// Configured not to handle this request (e.g. [`CacheMode::NoStore`](crate::CacheMode)).
    Bypass,
    /// The request method is not cacheable.
    Method,
    /// Nothing is stored for the URI.
    UriMiss,
    /// Responses are stored for the URI, but none matches the request's selecting fields.
    VaryMiss,
    /// Not otherwise specified.
    Miss,
    /// A stored response could have been used, but the request's semantics forbade it.
    Request,
    /// The stored response was stale and needed validation.
    Stale,
    /// Only part of the response was stored.
    Partial,
}

impl ForwardReason {
    /// The token used in the field.
    pub fn as_str(self) -> &'static str {
        match self {
            ForwardReason::Bypass => "bypass",
            ForwardReason::Method => "method",
            ForwardReason::UriMiss => "uri-miss",
            ForwardReason::VaryMiss => "vary-miss",
            ForwardReason::Miss => "miss",
            ForwardReason::Request => "request",
            ForwardReason::Stale => "stale",
            ForwardReason::Partial => "partial",
        }
    }
}

/// One `Cache-Status` member: this cache's account of one request.
///
/// ```
/// use hcache_core::{CacheStatus, ForwardReason};
/// let s = CacheStatus::forward(ForwardReason::Stale).fwd_status(304).stored(true);
/// assert_eq!(s.to_field_value("hcache"), "hcache; fwd=stale; fwd-status=304; stored");
/// assert_eq!(CacheStatus::hit().ttl(376).to_field_value("hcache"), "hcache; hit; ttl=376");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheStatus {
    hit: bool,
    fwd: Option<ForwardReason>,
    fwd_status: Option<u16>,
    ttl: Option<i64>,
    stored: bool,
    collapsed: bool,
    key: Option<String>,
    detail: Option<String>,
}

impl CacheStatus {
    /// Served from the cache without going forward.
    pub fn hit() -> Self {
        CacheStatus {
            hit: true,
            ..Default::default()
        }
    }
    /// Forwarded, for `reason`.
    pub fn forward(reason: ForwardReason) -> Self {
        CacheStatus {
            fwd: Some(reason),
            ..Default::default()
        }
    }
    /// Neither hit nor forwarded (e.g. a 504 for `only-if-cached`).
    pub fn none() -> Self {
        CacheStatus::default()
    }
    /// The status the next hop answered with.
    pub fn fwd_status(mut self, status: u16) -> Self {
        self.fwd_status = Some(status);
        self
    }
    /// Remaining freshness in seconds (negative when stale).
    pub fn ttl(mut self, ttl: i64) -> Self {
        self.ttl = Some(ttl);
        self
    }
    /// Whether the forwarded response was stored.
    pub fn stored(mut self, stored: bool) -> Self {
        self.stored = stored;
        self
    }
    /// Whether the request was collapsed with another.
    pub fn collapsed(mut self, collapsed: bool) -> Self {
        self.collapsed = collapsed;
        self
    }
    /// The cache key used (for debugging).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
    /// Free-form detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    /// Whether this is a hit.
    pub fn is_hit(&self) -> bool {
        self.hit
    }
    /// The forward reason, if forwarded.
    pub fn forward_reason(&self) -> Option<ForwardReason> {
        self.fwd
    }

    /// The member as field text, with `name` as the cache's identifier.
    pub fn to_field_value(&self, name: &str) -> String {
        let mut s = String::with_capacity(48);
        self.write_member(&mut s, name);
        s
    }

    /// Writes the member (no `fmt` machinery: this runs on every response).
    fn write_member(&self, out: &mut impl Sink, name: &str) {
        write_sf_token_or_string(out, name);
        if self.hit {
            out.push_str("; hit");
        }
        if let Some(f) = self.fwd {
            out.push_str("; fwd=");
            out.push_str(f.as_str());
        }
        if let Some(st) = self.fwd_status {
            out.push_str("; fwd-status=");
            push_status(out, st);
        }
        if let Some(t) = self.ttl {
            out.push_str("; ttl=");
            push_int(out, t.clamp(-999_999_999_999_999, 999_999_999_999_999));
        }
        if self.stored {
            out.push_str("; stored");
        }
        if self.collapsed {
            out.push_str("; collapsed");
        }
        if let Some(k) = &self.key {
            out.push_str("; key=");
            write_sf_string(out, k);
        }
        if let Some(d) = &self.detail {
            out.push_str("; detail=");
            write_sf_token_or_string(out, d);
        }
    }

    /// Appends this member to `field` in `headers` (RFC 9211 §2: a cache adds its member after
    /// any already present).
    pub fn append_to(&self, headers: &mut HeaderMap, field: &HeaderName, name: &str) {
        if let Some(v) = self.field_value(name) {
            append_member(headers, field, v);
        }
    }

    /// The member as a field value. (Always made: the text written is visible ASCII.)
    pub(crate) fn field_value(&self, name: &str) -> Option<HeaderValue> {
        // Built on the stack (one allocation: the field value's own).
        let mut text = Text::default();
        self.write_member(&mut text, name);
        HeaderValue::from_bytes(text.as_bytes()).ok()
    }
}

/// Appends the member `mine` to `field` in `headers`, after any already there (RFC 9211 §2).
pub(crate) fn append_member(headers: &mut HeaderMap, field: &HeaderName, mine: HeaderValue) {
    match headers.entry(field) {
        Entry::Vacant(e) => {
            e.insert(mine);
        }
        Entry::Occupied(mut e) => {
            let prev = e.get().as_bytes();
            if !prev.is_empty() && e.iter().count() == 1 {
                let ours = mine.as_bytes();
                let mut v = Vec::with_capacity(prev.len() + 2 + ours.len());
                v.extend_from_slice(prev);
                v.extend_from_slice(b", ");
                v.extend_from_slice(ours);
                e.insert(HeaderValue::from_bytes(&v).unwrap_or(mine));
            } else {
                // Several lines already: append a line of our own (lines combine as a list).
                e.append(mine);
            }
        }
    }
}

/// Where field text is written.
trait Sink {
    fn push_str(&mut self, s: &str);
}

impl Sink for String {
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s)
    }
}

/// Field text on the stack while it is short (as a member without `key` or `detail` is),
/// spilling to the heap when it grows longer.
struct Text {
    stack: [u8; 96],
    len: usize,
    heap: Vec<u8>,
}

impl Default for Text {
    fn default() -> Self {
        Text {
            stack: [0; 96],
            len: 0,
            heap: Vec::new(),
        }
    }
}

impl Text {
    fn as_bytes(&self) -> &[u8] {
        if self.heap.is_empty() {
            &self.stack[..self.len]
        } else {
            &self.heap
        }
    }
}

impl Sink for Text {
    fn push_str(&mut self, s: &str) {
        let s = s.as_bytes();
        if !self.heap.is_empty() {
            self.heap.extend_from_slice(s);
        } else if let Some(dst) = self.stack.get_mut(self.len..self.len + s.len()) {
            dst.copy_from_slice(s);
            self.len += s.len();
        } else {
            self.heap.reserve(self.len + s.len() + 32);
            self.heap.extend_from_slice(&self.stack[..self.len]);
            self.heap.extend_from_slice(s);
        }
    }
}

/// Writes a status code: three digits for any real one, without `push_int`'s general loop.
fn push_status(out: &mut impl Sink, st: u16) {
    const DIGITS: &[u8; 10] = b"0123456789";
    if (100..1000).contains(&st) {
        let d = |n: u16| DIGITS[usize::from(n % 10)];
        let three = [d(st / 100), d(st / 10), d(st)];
        out.push_str(std::str::from_utf8(&three).unwrap_or_default());
    } else {
        push_int(out, i64::from(st));
    }
}

/// Writes `n` in decimal.
fn push_int(out: &mut impl Sink, n: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    // Only ASCII digits and '-' were written.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

fn is_sf_token(s: &str) -> bool {
    let b = s.as_bytes();
    matches!(b.first(), Some(c) if c.is_ascii_alphabetic() || *c == b'*')
        && b.iter()
            .all(|&c| crate::directives::list::is_tchar(c) || c == b':' || c == b'/')
}

fn write_sf_token_or_string(out: &mut impl Sink, s: &str) {
    if is_sf_token(s) {
        out.push_str(s)
    } else {
        write_sf_string(out, s)
    }
}

fn write_sf_string(out: &mut impl Sink, s: &str) {
    out.push_str("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push_str("\\");
                out.push_str(c.encode_utf8(&mut [0; 4]));
            }
            ' '..='~' => out.push_str(c.encode_utf8(&mut [0; 4])),
            _ => out.push_str("?"),
        }
    }
    out.push_str("\"");
}

impl fmt::Display for CacheStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_field_value("hcache"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9211_s2_members() {
        assert_eq!(
            CacheStatus::hit().ttl(-5).to_field_value("hcache"),
            "hcache; hit; ttl=-5"
        );
        assert_eq!(
            CacheStatus::forward(ForwardReason::UriMiss)
                .fwd_status(200)
                .stored(true)
                .collapsed(true)
                .to_field_value("x"),
            "x; fwd=uri-miss; fwd-status=200; stored; collapsed"
        );
        assert_eq!(
            CacheStatus::none()
                .detail("only-if-cached")
                .to_field_value("a b"),
            "\"a b\"; detail=only-if-cached"
        );
        assert_eq!(
            CacheStatus::hit().key("GET \"x\"").to_field_value("c"),
            "c; hit; key=\"GET \\\"x\\\"\""
        );
    }

    #[test]
    fn integers_and_long_members() {
        for t in [
            0,
            7,
            -1,
            10,
            -10,
            376,
            i64::MAX,
            i64::MIN,
            999_999_999_999_999,
        ] {
            let clamped = t.clamp(-999_999_999_999_999, 999_999_999_999_999);
            assert_eq!(
                CacheStatus::hit().ttl(t).to_field_value("h"),
                format!("h; hit; ttl={clamped}")
            );
        }
        // Every status, three digits or not, written in full (RFC 9211 §2.3: an Integer).
        for st in [0, 7, 99, 100, 200, 304, 509, 999, 1000, 65535] {
            assert_eq!(
                CacheStatus::forward(ForwardReason::Stale)
                    .fwd_status(st)
                    .to_field_value("h"),
                format!("h; fwd=stale; fwd-status={st}")
            );
        }
        // Longer than the stack buffer: spills to the heap, whole.
        let detail = "d".repeat(300);
        let member = CacheStatus::hit().ttl(-3).detail(detail.clone());
        let mut h = HeaderMap::new();
        member.append_to(&mut h, &CACHE_STATUS, "hcache");
        let expected = format!("hcache; hit; ttl=-3; detail={detail}");
        assert_eq!(h.get(CACHE_STATUS).unwrap(), expected.as_str());
        assert_eq!(member.to_field_value("hcache"), expected);
    }

    #[test]
    fn rfc9211_s2_appends_as_a_new_line_after_several() {
        let mut h = HeaderMap::new();
        h.append(CACHE_STATUS, HeaderValue::from_static("a; hit"));
        h.append(CACHE_STATUS, HeaderValue::from_static("b; hit"));
        CacheStatus::hit().append_to(&mut h, &CACHE_STATUS, "hcache");
        let lines: Vec<_> = h.get_all(CACHE_STATUS).iter().collect();
        assert_eq!(lines, ["a; hit", "b; hit", "hcache; hit"]);
        // An empty line is not joined either.
        let mut h = HeaderMap::new();
        h.insert(CACHE_STATUS, HeaderValue::from_static(""));
        CacheStatus::hit().append_to(&mut h, &CACHE_STATUS, "hcache");
        let lines: Vec<_> = h.get_all(CACHE_STATUS).iter().collect();
        assert_eq!(lines, ["", "hcache; hit"]);
    }

    #[test]
    fn rfc9211_s2_appends_after_existing_members() {
        let mut h = HeaderMap::new();
        h.insert(CACHE_STATUS, HeaderValue::from_static("origin-cache; hit"));
        CacheStatus::forward(ForwardReason::Miss).append_to(&mut h, &CACHE_STATUS, "hcache");
        assert_eq!(
            h.get(CACHE_STATUS).unwrap(),
            "origin-cache; hit, hcache; fwd=miss"
        );
    }
}
