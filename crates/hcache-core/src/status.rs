//! The `Cache-Status` response field (RFC 9211): what this cache did with a request.

use std::fmt::{self, Write as _};

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};

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
        write_sf_token_or_string(&mut s, name);
        if self.hit {
            s.push_str("; hit");
        }
        if let Some(f) = self.fwd {
            let _ = write!(s, "; fwd={}", f.as_str());
        }
        if let Some(st) = self.fwd_status {
            let _ = write!(s, "; fwd-status={st}");
        }
        if let Some(t) = self.ttl {
            let _ = write!(
                s,
                "; ttl={}",
                t.clamp(-999_999_999_999_999, 999_999_999_999_999)
            );
        }
        if self.stored {
            s.push_str("; stored");
        }
        if self.collapsed {
            s.push_str("; collapsed");
        }
        if let Some(k) = &self.key {
            s.push_str("; key=");
            write_sf_string(&mut s, k);
        }
        if let Some(d) = &self.detail {
            s.push_str("; detail=");
            write_sf_token_or_string(&mut s, d);
        }
        s
    }

    /// Appends this member to `field` in `headers` (RFC 9211 §2: a cache adds its member after
    /// any already present).
    pub fn append_to(&self, headers: &mut HeaderMap, field: &HeaderName, name: &str) {
        let mine = self.to_field_value(name);
        let combined = match headers.get(field).map(HeaderValue::as_bytes) {
            Some(prev) if !prev.is_empty() && headers.get_all(field).iter().count() == 1 => {
                let mut v = prev.to_vec();
                v.extend_from_slice(b", ");
                v.extend_from_slice(mine.as_bytes());
                HeaderValue::from_bytes(&v).ok()
            }
            Some(_) => {
                // Several lines already: append a line of our own (lines combine as a list).
                if let Ok(v) = HeaderValue::from_str(&mine) {
                    headers.append(field.clone(), v);
                }
                return;
            }
            None => None,
        };
        let v = combined.or_else(|| HeaderValue::from_str(&mine).ok());
        if let Some(v) = v {
            headers.insert(field.clone(), v);
        }
    }
}

fn is_sf_token(s: &str) -> bool {
    let b = s.as_bytes();
    matches!(b.first(), Some(c) if c.is_ascii_alphabetic() || *c == b'*')
        && b.iter()
            .all(|&c| crate::directives::list::is_tchar(c) || c == b':' || c == b'/')
}

fn write_sf_token_or_string(out: &mut String, s: &str) {
    if is_sf_token(s) {
        out.push_str(s)
    } else {
        write_sf_string(out, s)
    }
}

fn write_sf_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push('"');
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
