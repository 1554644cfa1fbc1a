//! The primary cache key (RFC 9111 §2, §4): the request method and the target URI.
//!
//! The target URI is normalised so that equivalent spellings share one entry (RFC 9110
//! §4.2.3): scheme and host lower-cased, default ports dropped, an empty path read as `/`,
//! and percent-encodings of unreserved characters decoded, with hex digits upper-cased
//! elsewhere. An origin-form target takes its authority from `Host`.

use std::cell::RefCell;
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
        thread_local! {
            /// Where keys are built, so that making one allocates once (the `Arc`), not twice.
            static BUF: RefCell<String> = const { RefCell::new(String::new()) };
        }
        let build = |s: &mut String| {
            s.clear();
            if s.capacity() > 4096 {
                // A rare huge URI: do not hold on to its buffer.
                *s = String::new();
            }
            s.reserve(method.as_str().len() + 1 + uri_len_hint(uri));
            s.push_str(method.as_str());
            s.push(' ');
            write_normalized_uri(s, uri, host);
            CacheKey(Arc::from(s.as_str()))
        };
        // (Without the buffer — during thread teardown — a fresh string does.)
        BUF.try_with(|b| b.try_borrow_mut().ok().map(|mut s| build(&mut s)))
            .ok()
            .flatten()
            .unwrap_or_else(|| build(&mut String::new()))
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
    match uri.authority() {
        // The usual case, an absolute URI: written straight into the key, as `Origin::of`
        // would normalise it but without its allocations.
        Some(a) => {
            let scheme = uri.scheme_str().unwrap_or("http");
            push_lowercase(out, scheme);
            out.push_str("://");
            let (host, port) = host_port(a.as_str());
            push_lowercase(out, host);
            let default = if scheme.eq_ignore_ascii_case("http") {
                Some(80)
            } else if scheme.eq_ignore_ascii_case("https") {
                Some(443)
            } else {
                None
            };
            match port {
                Some(p) if Some(p) != default => push_port(out, a.as_str(), p),
                _ => {}
            }
        }
        None => match Origin::of(uri, host_header) {
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
        },
    }
    let pq = uri.path_and_query().map_or("/", |p| p.as_str());
    if pq.is_empty() || pq.starts_with('?') {
        out.push('/');
    }
    normalize_percent(out, pq);
    if let (Some(authority), Some(host)) = (uri.authority(), host_header) {
        push_disagreeing_host(out, uri.scheme_str(), authority.as_str(), host);
    }
}

/// An absolute URI with a `Host` naming another authority. A proxy would ignore that `Host`
/// (RFC 9112 §3.2.2), but a client sends it, and the origin answers for the host it names: the
/// response is not the URI's own, so the key says which `Host` it answered (RFC 9111 §7.1,
/// cache poisoning). Nothing is added when both name the same authority.
fn push_disagreeing_host(out: &mut String, scheme: Option<&str>, authority: &str, host: &[u8]) {
    // The usual case, a `Host` naming the authority as the URI writes it: nothing to parse.
    if host.eq_ignore_ascii_case(authority.as_bytes()) {
        return;
    }
    let default = match scheme.unwrap_or("http") {
        s if s.eq_ignore_ascii_case("http") => Some(80),
        s if s.eq_ignore_ascii_case("https") => Some(443),
        _ => None,
    };
    let (uri_host, uri_port) = host_port(authority);
    let same = std::str::from_utf8(host)
        .ok()
        .and_then(|h| h.parse::<http::uri::Authority>().ok())
        .is_some_and(|h| {
            h.host().eq_ignore_ascii_case(uri_host)
                && h.port_u16().or(default) == uri_port.or(default)
        });
    if !same {
        // A space never occurs in a URI: this cannot collide with another target's key.
        out.push_str(" host=");
        push_lowercase(out, &String::from_utf8_lossy(host));
    }
}

/// The host and port of an authority, exactly as `Authority::host` and
/// `Authority::port_u16` read them, in one pass over its bytes.
fn host_port(authority: &str) -> (&str, Option<u16>) {
    let b = authority.as_bytes();
    let port = b
        .iter()
        .rposition(|&c| c == b':')
        .and_then(|i| authority[i + 1..].parse::<u16>().ok());
    let start = b.iter().rposition(|&c| c == b'@').map_or(0, |i| i + 1);
    let hp = &authority[start..];
    let end = if hp.starts_with('[') {
        hp.find(']').map_or(hp.len(), |i| i + 1)
    } else {
        hp.find(':').unwrap_or(hp.len())
    };
    (&hp[..end], port)
}

/// Writes `:port`: as the authority spells it when that is already how the key writes it
/// (digits only, no leading zero), which saves formatting the number.
fn push_port(out: &mut String, authority: &str, port: u16) {
    match authority.rsplit_once(':') {
        Some((_, text))
            if text.bytes().all(|b| b.is_ascii_digit())
                && (!text.starts_with('0') || text == "0") =>
        {
            out.push(':');
            out.push_str(text);
        }
        _ => {
            use std::fmt::Write;
            let _ = write!(out, ":{port}");
        }
    }
}

fn push_lowercase(out: &mut String, s: &str) {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        out.push_str(s);
    }
}

/// Decodes `%XX` of unreserved characters and upper-cases the hex of the others
/// (RFC 3986 §6.2.2.1–2); `http::Uri` has already rejected bytes that need encoding.
fn normalize_percent(out: &mut String, s: &str) {
    // Runs without `%` are copied whole (`find` scans fast; a `%` is ASCII, so every cut is
    // on a char boundary).
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        let b = rest.as_bytes();
        if i + 2 < b.len()
            && let (Some(hv), Some(lv)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push_str(&rest[..i]);
            let c = hv * 16 + lv;
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(c));
            } else {
                out.push('%');
                out.push(char::from(b[i + 1].to_ascii_uppercase()));
                out.push(char::from(b[i + 2].to_ascii_uppercase()));
            }
            rest = &rest[i + 3..];
        } else {
            out.push_str(&rest[..=i]);
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
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
        // A port is written as a number: leading zeros dropped, however the URI spells it.
        for spelled in ["8443", "08443", "008443"] {
            let uri = format!("https://e.com:{spelled}/");
            assert_eq!(key(Method::GET, &uri), "GET https://e.com:8443/", "{uri}");
        }
        assert_eq!(key(Method::GET, "http://e.com:0/"), "GET http://e.com:0/");
        assert_eq!(key(Method::GET, "http://e.com:00/"), "GET http://e.com:0/");
        assert_eq!(key(Method::GET, "http://e.com:080/"), "GET http://e.com/");
        // `http` reads `+81` as port 81 (`u16`'s parse takes a sign): written as the number.
        assert_eq!(
            key(Method::GET, "http://e.com:+81/"),
            "GET http://e.com:81/"
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
    fn s7_1_host_naming_another_authority_is_part_of_the_key() {
        let key_with = |uri: &str, host: &[u8]| {
            CacheKey::from_method_uri(&Method::GET, &uri.parse().unwrap(), Some(host))
                .as_str()
                .to_owned()
        };
        let plain = key(Method::GET, "http://a.test/x");
        for same in [&b"a.test"[..], b"A.Test:80", b"a.test:80"] {
            assert_eq!(key_with("http://a.test/x", same), plain);
        }
        // The same authority in other case, written as the URI writes it.
        assert_eq!(key_with("http://A.Test/x", b"a.TEST"), plain);
        assert_eq!(
            key_with("http://a.test:8080/x", b"A.test:8080"),
            key(Method::GET, "http://a.test:8080/x")
        );
        assert_eq!(
            key_with("https://a.test/x", b"a.test:443"),
            "GET https://a.test/x"
        );
        assert_eq!(
            key_with("http://a.test/x", b"Evil.test"),
            "GET http://a.test/x host=evil.test"
        );
        assert_ne!(key_with("http://a.test/x", b"a.test:8080"), plain);
        assert_ne!(
            key_with("http://a.test:8080/x", b"a.test"),
            key(Method::GET, "http://a.test:8080/x")
        );
        assert_ne!(key_with("http://a.test/x", b"not a host"), plain);
    }

    #[test]
    fn host_port_reads_authorities_as_http_does() {
        for a in [
            "example.com",
            "Example.COM:8080",
            "e.com:80",
            "e.com:",
            "e.com:99999",
            "user@e.com",
            "user:pw@e.com",
            "user:pw@E.com:81",
            "u@v@e.com:82",
            "[::1]",
            "[::1]:8443",
            "u:p@[fe80::1]:9",
            "127.0.0.1:0",
        ] {
            let parsed: http::uri::Authority = a.parse().unwrap();
            assert_eq!(host_port(a), (parsed.host(), parsed.port_u16()), "{a}");
        }
    }

    #[test]
    fn keys_of_absolute_uris_match_the_origin_rules() {
        for u in [
            "http://e.com/",
            "HTTPS://User:Pw@E.com:443/x?y",
            "https://e.com:80/",
            "http://[::1]:80/a",
            "http://[::1]:8080/a",
            "ftp://E.com:21/f",
            "http://e.com:/a",
        ] {
            let uri: Uri = u.parse().unwrap();
            let o = Origin::of(&uri, None).unwrap();
            let port = o.port.map(|p| format!(":{p}")).unwrap_or_default();
            let pq = uri.path_and_query().unwrap().as_str();
            let expected = format!("GET {}://{}{port}{pq}", o.scheme, o.host);
            assert_eq!(key(Method::GET, u), expected, "{u}");
        }
    }

    #[test]
    fn a_huge_key_is_built_whole() {
        let long = format!("http://e.com/{}", "a".repeat(10_000));
        assert_eq!(key(Method::GET, &long), format!("GET {long}"));
        assert_eq!(key(Method::GET, "http://e.com/b"), "GET http://e.com/b");
    }

    /// The byte-at-a-time decoder `normalize_percent` replaced, as the reference.
    fn reference_normalize(s: &str) -> String {
        let (b, mut out, mut i) = (s.as_bytes(), String::new(), 0);
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
        out
    }

    #[test]
    fn percent_decoding_matches_the_reference() {
        let parts = [
            "%", "%%", "%2", "%2f", "%2F", "%41", "%7e", "%zz", "a", "/", "?q=",
        ];
        // Every sequence of up to four parts.
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = inputs
                .iter()
                .flat_map(|p| parts.iter().map(move |q| format!("{p}{q}")))
                .collect();
            inputs.extend(longer);
        }
        for input in inputs {
            let mut out = String::new();
            normalize_percent(&mut out, &input);
            assert_eq!(out, reference_normalize(&input), "{input:?}");
        }
    }

    #[test]
    fn truncated_percent_is_kept() {
        assert_eq!(key(Method::GET, "http://e.com/a%2"), "GET http://e.com/a%2");
        assert_eq!(key(Method::GET, "http://e.com/a%"), "GET http://e.com/a%");
    }
}
