//! Responses to POST, stored for later GET and HEAD requests (RFC 9110 §9.3.3, RFC 9111 §4).
//!
//! "Responses to POST requests are only cacheable when they include explicit freshness
//! information (see Section 4.2.1 of [CACHING]) and a Content-Location header field that has
//! the same value as the POST's target URI (Section 8.7). A cached POST response can be reused
//! to satisfy a later GET or HEAD request. In contrast, a POST request cannot be satisfied by a
//! cached POST response because POST is potentially unsafe" (RFC 9110 §9.3.3).
//!
//! Such a response is the target resource's current representation (§8.7: a 2xx whose
//! `Content-Location` is the target URI), exactly what a GET of that URI would have received:
//! it is stored under the GET key of the target URI, where GET and HEAD look it up, and POST,
//! which the cache never answers, never finds it. The POST still invalidates (RFC 9111 §4.4):
//! the caller applies [`CachePolicy::invalidations`] first, which removes what was stored
//! under that key before.

use std::time::SystemTime;

use http::header::{CONTENT_LOCATION, HOST};
use http::{HeaderMap, Method, StatusCode, request, response};

use crate::freshness::LifetimeSource;
use crate::invalidate::resolve;
use crate::key::CacheKey;
use crate::policy::{CachePolicy, clone_parts};
use crate::storable::NotStorable;
use crate::stored::StoredResponse;

impl CachePolicy {
    /// Stores a response to POST for later GET and HEAD requests of the same URI (RFC 9110
    /// §9.3.3), returning the primary key to store it under — the target URI's GET key — and
    /// its metadata; or why it may not be stored.
    ///
    /// Stored only when all of these hold:
    /// - the request is a POST, and GET is a [cacheable
    ///   method](crate::CacheOptions::cacheable_methods);
    /// - the status is 200: what a GET of the URI answers with its representation (§8.7 reads
    ///   the content as the resource's representation only in a 2xx, and 201, 202, 204 or 206
    ///   are no answer to a GET) — else [`NotStorable::Status`];
    /// - one `Content-Location` line that, resolved against the target URI, is the target URI
    ///   itself (normalised as keys are; hence also of the same origin) — else
    ///   [`NotStorable::PostContentLocation`];
    /// - every rule for storing the response to a GET of the URI with the POST's header
    ///   section (RFC 9111 §3: `no-store`, `private` and `Authorization` in a shared cache,
    ///   `Vary`, the mode...), as [`CachePolicy::store`] applies them;
    /// - explicit freshness (RFC 9111 §4.2.1): `max-age`, `s-maxage` in a shared cache, or
    ///   `Expires`; heuristic freshness does not count — else [`NotStorable::PostFreshness`].
    ///
    /// The key is the GET key of the target URI, computed by the configured key function if
    /// any; a [`CacheKey`] in the POST's extensions is not used (it named the POST, which is
    /// never looked up). Apply [`CachePolicy::invalidations`] before storing.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use hcache_core::{CachePolicy, CacheOptions, NotStorable};
    ///
    /// let policy = CachePolicy::new(CacheOptions::default());
    /// let post = http::Request::post("https://example.com/items/7").body(()).unwrap().into_parts().0;
    /// let res = |location: &str| http::Response::builder()
    ///     .header("cache-control", "max-age=60")
    ///     .header("content-location", location)
    ///     .body(()).unwrap().into_parts().0;
    /// let now = SystemTime::now();
    ///
    /// let (key, stored) = policy.store_post(&post, &res("/items/7"), now, now).unwrap();
    /// assert_eq!(key.as_str(), "GET https://example.com/items/7");
    /// let get = http::Request::get("https://example.com/items/7").body(()).unwrap().into_parts().0;
    /// assert!(matches!(policy.decide(&get, &[stored], now), hcache_core::Decision::Fresh(_)));
    ///
    /// let other = policy.store_post(&post, &res("/items/8"), now, now);
    /// assert_eq!(other.unwrap_err(), NotStorable::PostContentLocation);
    /// ```
    pub fn store_post(
        &self,
        req: &request::Parts,
        res: &response::Parts,
        request_time: SystemTime,
        response_time: SystemTime,
    ) -> Result<(CacheKey, StoredResponse), NotStorable> {
        if req.method != Method::POST || !self.opts.cacheable_methods.contains(&Method::GET) {
            return Err(NotStorable::Method);
        }
        if res.status != StatusCode::OK {
            return Err(NotStorable::Status);
        }
        if !names_target(req, &res.headers) {
            return Err(NotStorable::PostContentLocation);
        }
        let mut get = clone_parts(req);
        get.method = Method::GET;
        let stored = self.store(&get, res, request_time, response_time)?;
        match stored.freshness_lifetime(&self.opts).source {
            LifetimeSource::SMaxage | LifetimeSource::MaxAge | LifetimeSource::Expires => {}
            LifetimeSource::Heuristic | LifetimeSource::None | LifetimeSource::Invalid => {
                return Err(NotStorable::PostFreshness);
            }
        }
        Ok((self.key_for(&Method::GET, &get), stored))
    }
}

/// Whether `headers` hold one `Content-Location` that names `req`'s target URI (RFC 9110
/// §8.7, after conversion to absolute form), compared as normalised keys are.
fn names_target(req: &request::Parts, headers: &HeaderMap) -> bool {
    let mut lines = headers.get_all(CONTENT_LOCATION).iter();
    let (Some(line), None) = (lines.next(), lines.next()) else {
        return false;
    };
    let host = req.headers.get(HOST).map(|h| h.as_bytes());
    let Some(location) = std::str::from_utf8(line.as_bytes())
        .ok()
        .and_then(|s| resolve(&req.uri, host, s))
    else {
        return false;
    };
    CacheKey::from_method_uri(&Method::GET, &location, None)
        == CacheKey::from_method_uri(&Method::GET, &req.uri, host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(uri: &str, host: Option<&str>) -> request::Parts {
        let mut b = http::Request::post(uri);
        if let Some(h) = host {
            b = b.header("host", h);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn located(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(CONTENT_LOCATION, l.parse().unwrap());
        }
        h
    }

    #[test]
    fn rfc9110_s9_3_3_content_location_names_the_target() {
        let abs = post("http://example.com/a/b?x=1", None);
        let origin_form = post("/a/b?x=1", Some("Example.com:80"));
        for (req, lines, expected) in [
            (&abs, &["/a/b?x=1"][..], true),
            (&abs, &["http://example.com/a/b?x=1"], true),
            (&abs, &["HTTP://EXAMPLE.COM:80/a/%62?x=1"], true),
            (&abs, &["//example.com/a/b?x=1"], true),
            (&abs, &["b?x=1"], true),
            (&abs, &["?x=1"], true),
            (&origin_form, &["/a/b?x=1"], true),
            (&origin_form, &["http://example.com/a/b?x=1"], true),
            (&abs, &["/a/b"], false),
            (&abs, &["/a/b?x=2"], false),
            (&abs, &["/a/c?x=1"], false),
            (&abs, &["https://example.com/a/b?x=1"], false),
            (&abs, &["http://example.com:8080/a/b?x=1"], false),
            (&abs, &["http://other.example/a/b?x=1"], false),
            (&abs, &["mailto:a@example.com"], false),
            (&abs, &[], false),
            (&abs, &["/a/b?x=1", "/a/b?x=1"], false),
            (&post("/a/b?x=1", None), &["/a/b?x=1"], false),
        ] {
            assert_eq!(
                names_target(req, &located(lines)),
                expected,
                "{} {lines:?}",
                req.uri
            );
        }
    }
}
