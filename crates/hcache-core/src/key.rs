//! The primary cache key (RFC 9111 §2, §4): the request method and the target URI.
//!
//! The target URI is normalised so that equivalent spellings share one entry (RFC 9110
//! §4.2.3): scheme and host lower-cased, default ports dropped, an empty path read as `/`,
//! and percent-encodings of unreserved characters decoded, with hex digits upper-cased
//! elsewhere. An origin-form target takes its authority from `Host`.

use std::fmt;
use std::sync::Arc;

use http::header::HOST;
use http::request::Parts;
use http::{Method, Uri};

/// A primary cache key. Cheap to clone.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey(Arc<str>);

impl CacheKey {
    /// A key from any string (for key functions and stores).
    pub fn new(key: impl Into<Arc<str>>) -> Self {
        CacheKey(key.into())
    }

    /// The key of `method` on `uri`, the URI normalised; `host` supplies the authority of an
    /// origin-form URI.
    pub fn from_method_uri(method: &Method, uri: &Uri, host: Option<&[u8]>) -> Self {
        let mut s = String::with_capacity(method.as_str().len() + 1 + uri_len_hint(uri));
        s.push_str(method.as_str());
        s.push(' ');
        write_normalized_uri(&mut s, uri, host);
        CacheKey(s.into())
    }

    /// The key of a request: method and normalised target URI.
    pub fn for_request(parts: &Parts) -> Self {
        Self::from_method_uri(
            &parts.method,
            &parts.uri,
            parts.headers.get(HOST).map(|h| h.as_bytes()),
        )
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn uri_len_hint(uri: &Uri) -> usize {
    uri.authority().map_or(16, |a| a.as_str().len())
        + uri.path_and_query().map_or(1, |p| p.as_str().len())
        + 8
}

/// The origin of a URI (RFC 9110 §4.3.1): scheme, host and port, with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    pub(crate) fn of(uri: &Uri, host_header: Option<&[u8]>) -> Option<Origin> {
        let scheme = uri.scheme_str().unwrap_or("http").to_ascii_lowercase();
        let (host, port) = match uri.authority() {
            Some(a) => (a.host().to_ascii_lowercase(), a.port_u16()),
            None => {
                let h: http::uri::Authority =
                    std::str::from_utf8(host_header?).ok()?.parse().ok()?;
                (h.host().to_ascii_lowercase(), h.port_u16())
            }
        };
        let default = match scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        };
        let port = if port == default { None } else { port };
        Some(Origin { scheme, host, port })
    }
}

fn write_normalized_uri(out: &mut String, uri: &Uri, host_header: Option<&[u8]>) {
    match Origin::of(uri, host_header) {
        Some(o) => {
            out.push_str(&o.scheme);
            out.push_str("://");
            out.push_str(&o.host);
            if let Some(p) = o.port {
                use std::fmt::Write;
                let _ = write!(out, ":{p}");
            }
        }
        None => out.push_str("http://"),
    }
    let pq = uri.path_and_query().map_or("/", |p| p.as_str());
    let pq = if pq.is_empty() || pq.starts_with('?') {
        out.push('/');
        pq
    } else {
        pq
    };
    normalize_percent(out, pq);
}

/// Decodes `%XX` of unreserved characters and upper-cases the hex of the others
/// (RFC 3986 §6.2.2.1–2); `http::Uri` has already rejected bytes that need encoding.
fn normalize_percent(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let (h, l) = (b[i + 1], b[i + 2]);
            if let (Some(hv), Some(lv)) = (hex(h), hex(l)) {
                let c = hv * 16 + lv;
                if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(c));
                } else {
                    out.push('%');
                    out.push(char::from(h.to_ascii_uppercase()));
                    out.push(char::from(l.to_ascii_uppercase()));
                }
                i += 3;
                continue;
            }
        }
        out.push(char::from(b[i]));
        i += 1;
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(m: Method, u: &str) -> String {
        CacheKey::from_method_uri(&m, &u.parse().unwrap(), None)
            .as_str()
            .to_owned()
    }

    #[test]
    fn s2_key_is_method_and_target_uri() {
        assert_eq!(
            key(Method::GET, "http://example.com/a?b=1"),
            "GET http://example.com/a?b=1"
        );
        assert_ne!(
            key(Method::GET, "http://e.com/a"),
            key(Method::HEAD, "http://e.com/a")
        );
        assert_ne!(
            key(Method::GET, "http://e.com/a?x"),
            key(Method::GET, "http://e.com/a?y")
        );
    }

    #[test]
    fn rfc9110_s4_2_3_equivalent_uris_share_a_key() {
        let k = key(Method::GET, "http://example.com/~a");
        assert_eq!(key(Method::GET, "HTTP://EXAMPLE.COM:80/~a"), k);
        assert_eq!(key(Method::GET, "http://example.com/%7Ea"), k);
        assert_eq!(key(Method::GET, "http://example.com:80/%7ea"), k);
        assert_eq!(key(Method::GET, "https://e.com:443"), "GET https://e.com/");
        assert_eq!(
            key(Method::GET, "https://e.com:8443/"),
            "GET https://e.com:8443/"
        );
        assert_eq!(key(Method::GET, "http://e.com?q"), "GET http://e.com/?q");
        assert_eq!(
            key(Method::GET, "http://e.com/a%2fb"),
            "GET http://e.com/a%2Fb"
        );
        assert_ne!(
            key(Method::GET, "http://e.com/a%2Fb"),
            key(Method::GET, "http://e.com/a/b")
        );
        assert_ne!(
            key(Method::GET, "http://e.com/A"),
            key(Method::GET, "http://e.com/a")
        );
    }

    #[test]
    fn rfc9110_s7_2_origin_form_uses_host() {
        let uri: Uri = "/path".parse().unwrap();
        let k = CacheKey::from_method_uri(&Method::GET, &uri, Some(b"Example.COM:80"));
        assert_eq!(k.as_str(), "GET http://example.com/path");
    }

    #[test]
    fn truncated_percent_is_kept() {
        assert_eq!(key(Method::GET, "http://e.com/a%2"), "GET http://e.com/a%2");
        assert_eq!(key(Method::GET, "http://e.com/a%"), "GET http://e.com/a%");
    }
}
