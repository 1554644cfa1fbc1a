//! Invalidation (RFC 9111 §4.4): a non-error response to an unsafe method invalidates the
//! target URI and, when they share its origin, the `Location` and `Content-Location` URIs.

use http::header::{CONTENT_LOCATION, HOST, LOCATION};
use http::{Method, Uri, request, response};

use crate::key::{CacheKey, Origin};
use crate::policy::{CachePolicy, clone_parts};
use crate::reuse::is_safe;

impl CachePolicy {
    /// The primary keys to invalidate after `res` answered `req` (§4.4): none for a safe
    /// method or an error status (only 2xx and 3xx invalidate); else the request target and
    /// the same-origin `Location` / `Content-Location` targets, each under every cacheable
    /// method.
    ///
    /// ```
    /// use hcache_core::{CachePolicy, CacheOptions};
    ///
    /// let policy = CachePolicy::new(CacheOptions::default());
    /// let req = http::Request::post("https://example.com/items").body(()).unwrap().into_parts().0;
    /// let res = http::Response::builder()
    ///     .status(201)
    ///     .header("location", "/items/7")
    ///     .header("content-location", "https://other.example/x") // another origin: ignored
    ///     .body(()).unwrap().into_parts().0;
    /// let keys: Vec<_> = policy.invalidations(&req, &res).iter().map(|k| k.to_string()).collect();
    /// assert_eq!(keys, ["GET https://example.com/items", "GET https://example.com/items/7"]);
    /// ```
    pub fn invalidations(&self, req: &request::Parts, res: &response::Parts) -> Vec<CacheKey> {
        if is_safe(&req.method) || !(res.status.is_success() || res.status.is_redirection()) {
            return Vec::new();
        }
        let host = req.headers.get(HOST).map(|h| h.as_bytes());
        let Some(origin) = Origin::of(&req.uri, host) else {
            return Vec::new();
        };
        let mut targets = vec![req.uri.clone()];
        for name in [LOCATION, CONTENT_LOCATION] {
            let Some(v) = res.headers.get(&name) else {
                continue;
            };
            let Some(uri) = std::str::from_utf8(v.as_bytes())
                .ok()
                .and_then(|s| resolve(&req.uri, host, s))
            else {
                continue;
            };
            if Origin::of(&uri, None).as_ref() == Some(&origin) {
                targets.push(uri);
            }
        }
        let mut keys = Vec::new();
        for uri in targets {
            let mut p = clone_parts(req);
            p.uri = uri;
            for m in &self.opts.cacheable_methods {
                let k = self.key_for(m, &p);
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        keys
    }
}

/// Resolves a URI reference against the request target (RFC 3986 §5.2, for the absolute,
/// network-path and absolute-path forms servers send; relative paths merge with the base
/// path's directory).
pub(crate) fn resolve(base: &Uri, host: Option<&[u8]>, reference: &str) -> Option<Uri> {
    let reference = reference.trim();
    if let Ok(u) = reference.parse::<Uri>()
        && u.scheme().is_some()
    {
        return Some(u);
    }
    // RFC 3986 §4.2: a reference that starts with `scheme:` is absolute, never relative; one
    // `Uri` cannot read names no resolvable target.
    if let Some((s, _)) = reference.split_once(':') {
        let mut chars = s.bytes();
        if chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        {
            return None;
        }
    }
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = match base.authority() {
        Some(a) => a.as_str().to_owned(),
        None => std::str::from_utf8(host?).ok()?.to_owned(),
    };
    let target = if let Some(rest) = reference.strip_prefix("//") {
        return format!("{scheme}://{rest}").parse().ok();
    } else if reference.starts_with('/') {
        reference.to_owned()
    } else if reference.starts_with('?') {
        format!("{}{reference}", base.path())
    } else {
        let dir = base.path().rsplit_once('/').map_or("", |(d, _)| d);
        format!("{dir}/{reference}")
    };
    format!("{scheme}://{authority}{target}").parse().ok()
}

/// Whether a method invalidates on success (unsafe, §4.4).
pub fn invalidates(method: &Method) -> bool {
    !is_safe(method)
}
