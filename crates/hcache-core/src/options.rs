//! Cache configuration: shared or private (RFC 9111 §1), what may be stored (§3), heuristic
//! freshness (§4.2.2), limits on freshness and staleness, the cache key (§2) and targeted
//! fields (RFC 9213).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::HeaderName;
use http::{Method, StatusCode};

use crate::key::CacheKey;

/// A set of HTTP status codes (100–999), as a bitset.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StatusSet {
    bits: [u64; 16],
}

impl StatusSet {
    /// The empty set.
    pub const fn empty() -> Self {
        StatusSet { bits: [0; 16] }
    }

    /// The heuristically cacheable status codes of RFC 9110 §15.1 (200, 203, 204, 300, 301,
    /// 308, 404, 405, 410, 414, 501), without 206: hcache does not store partial content
    /// (RFC 9111 §3.3).
    pub fn heuristically_cacheable() -> Self {
        [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]
            .into_iter()
            .collect()
    }

    /// Every final status code (200–999) except 206 (partial content, §3.3) and 304 (not a
    /// response that can be stored on its own).
    pub fn final_except_partial() -> Self {
        let mut s: StatusSet = (200..1000).collect();
        s.remove(206);
        s.remove(304);
        s
    }

    /// The status codes whose caching rules hcache implements in full, for `must-understand`
    /// (RFC 9111 §5.2.2.3).
    pub fn understood() -> Self {
        [
            200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 451, 501,
        ]
        .into_iter()
        .collect()
    }

    /// Adds a status code; values outside 100–999 are ignored.
    pub fn insert(&mut self, code: u16) {
        if (100..1000).contains(&code) {
            self.bits[usize::from(code / 64)] |= 1 << (code % 64);
        }
    }

    /// Removes a status code.
    pub fn remove(&mut self, code: u16) {
        if code < 1024 {
            self.bits[usize::from(code / 64)] &= !(1 << (code % 64));
        }
    }

    /// Whether the set holds `status`.
    pub fn contains(&self, status: StatusCode) -> bool {
        let c = status.as_u16();
        c < 1024 && self.bits[usize::from(c / 64)] & (1 << (c % 64)) != 0
    }
}

impl FromIterator<u16> for StatusSet {
    fn from_iter<I: IntoIterator<Item = u16>>(iter: I) -> Self {
        let mut s = StatusSet::empty();
        for c in iter {
            s.insert(c);
        }
        s
    }
}

impl fmt::Debug for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(
                (100u16..1000).filter(|&c| self.bits[usize::from(c / 64)] & (1 << (c % 64)) != 0),
            )
            .finish()
    }
}

/// A function computing the primary cache key of a request, replacing method + target URI.
pub type KeyFn = Arc<dyn Fn(&http::request::Parts) -> CacheKey + Send + Sync>;

/// How the cache treats one request, after the fetch standard's `RequestCache` modes.
///
/// Put one in the request's `http::Extensions` to override the default for that request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CacheMode {
    /// Follow RFC 9111: reuse fresh responses, validate stale ones, store what may be stored.
    #[default]
    Default,
    /// Bypass the cache entirely: no lookup, nothing stored.
    NoStore,
    /// Go to the network without using a stored response, then store the result.
    Reload,
    /// Validate any stored response with the origin before using it.
    NoCache,
    /// Use a stored response even if stale (unless a directive forbids serving it stale);
    /// go to the network only when nothing is stored.
    ForceCache,
    /// Like [`CacheMode::ForceCache`], but answer 504 instead of going to the network.
    OnlyIfCached,
}

/// Cache configuration. Build it with [`CacheOptions::default`] and the chained setters.
///
/// ```
/// use std::time::Duration;
/// use hcache_core::CacheOptions;
///
/// let opts = CacheOptions::default()
///     .shared(true)
///     .heuristic_fraction(0.05)
///     .max_ttl(Some(Duration::from_secs(86_400)));
/// assert!(opts.is_shared());
/// ```
#[derive(Clone)]
pub struct CacheOptions {
    pub(crate) shared: bool,
    pub(crate) cacheable_methods: Vec<Method>,
    pub(crate) cacheable_statuses: StatusSet,
    pub(crate) heuristic_statuses: StatusSet,
    pub(crate) understood_statuses: StatusSet,
    pub(crate) heuristic_fraction: f64,
    pub(crate) heuristic_max: Duration,
    pub(crate) default_ttl: Option<Duration>,
    pub(crate) max_ttl: Option<Duration>,
    pub(crate) max_stale: Option<Duration>,
    pub(crate) stale_if_error: Option<Duration>,
    pub(crate) honor_immutable: bool,
    pub(crate) targeted_fields: Vec<HeaderName>,
    pub(crate) surrogate_token: Option<Arc<str>>,
    pub(crate) key_fn: Option<KeyFn>,
    pub(crate) cache_status_name: Option<Arc<str>>,
    pub(crate) mode: CacheMode,
}

impl Default for CacheOptions {
    /// The defaults:
    ///
    /// | option | default |
    /// |---|---|
    /// | `shared` | `false` (a private, client-side cache) |
    /// | `cacheable_methods` | `GET` (HEAD is answered from and freshens stored GETs) |
    /// | `cacheable_statuses` | every final status except 206 and 304 |
    /// | `heuristic_statuses` | RFC 9110 §15.1's list, without 206 |
    /// | `heuristic_fraction` | 0.1 of the time since `Last-Modified` |
    /// | `heuristic_max` | 1 day |
    /// | `default_ttl`, `max_ttl`, `max_stale`, `stale_if_error` | none |
    /// | `honor_immutable` | `true` |
    /// | `targeted_fields` | none |
    /// | `surrogate_control` | off |
    /// | `cache_status_name` | `"hcache"` |
    /// | `mode` | [`CacheMode::Default`] |
    fn default() -> Self {
        CacheOptions {
            shared: false,
            cacheable_methods: vec![Method::GET],
            cacheable_statuses: StatusSet::final_except_partial(),
            heuristic_statuses: StatusSet::heuristically_cacheable(),
            understood_statuses: StatusSet::understood(),
            heuristic_fraction: 0.1,
            heuristic_max: Duration::from_secs(86_400),
            default_ttl: None,
            max_ttl: None,
            max_stale: None,
            stale_if_error: None,
            honor_immutable: true,
            targeted_fields: Vec::new(),
            surrogate_token: None,
            key_fn: None,
            cache_status_name: Some(Arc::from("hcache")),
            mode: CacheMode::Default,
        }
    }
}

impl fmt::Debug for CacheOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheOptions")
            .field("shared", &self.shared)
            .field("cacheable_methods", &self.cacheable_methods)
            .field("cacheable_statuses", &self.cacheable_statuses)
            .field("heuristic_statuses", &self.heuristic_statuses)
            .field("understood_statuses", &self.understood_statuses)
            .field("heuristic_fraction", &self.heuristic_fraction)
            .field("heuristic_max", &self.heuristic_max)
            .field("default_ttl", &self.default_ttl)
            .field("max_ttl", &self.max_ttl)
            .field("max_stale", &self.max_stale)
            .field("stale_if_error", &self.stale_if_error)
            .field("honor_immutable", &self.honor_immutable)
            .field("targeted_fields", &self.targeted_fields)
            .field("surrogate_token", &self.surrogate_token)
            .field("key_fn", &self.key_fn.as_ref().map(|_| "Fn"))
            .field("cache_status_name", &self.cache_status_name)
            .field("mode", &self.mode)
            .finish()
    }
}

impl CacheOptions {
    /// A shared cache (a proxy or CDN: `s-maxage`, `proxy-revalidate`, `private` and
    /// `Authorization` rules apply) or a private one (the default). RFC 9111 §1, §3, §3.5.
    pub fn shared(mut self, shared: bool) -> Self {
        self.shared = shared;
        self
    }

    /// The request methods whose responses may be stored (default: `GET`). RFC 9111 §3.
    pub fn cacheable_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.cacheable_methods = methods.into_iter().collect();
        self
    }

    /// The status codes that may be stored at all (default: every final status except 206
    /// and 304). Responses also need explicit freshness or a heuristic status. RFC 9111 §3.
    pub fn cacheable_statuses(mut self, statuses: StatusSet) -> Self {
        self.cacheable_statuses = statuses;
        self
    }

    /// The status codes that may be stored and given heuristic freshness without explicit
    /// freshness (default: [`StatusSet::heuristically_cacheable`]). RFC 9111 §4.2.2.
    pub fn heuristic_statuses(mut self, statuses: StatusSet) -> Self {
        self.heuristic_statuses = statuses;
        self
    }

    /// The status codes whose caching requirements the cache understands, for responses
    /// marked `must-understand` (default: [`StatusSet::understood`]). RFC 9111 §5.2.2.3.
    pub fn understood_statuses(mut self, statuses: StatusSet) -> Self {
        self.understood_statuses = statuses;
        self
    }

    /// The fraction of the time since `Last-Modified` used as heuristic freshness (default
    /// 0.1; clamped to 0–1, NaN meaning 0). RFC 9111 §4.2.2.
    pub fn heuristic_fraction(mut self, fraction: f64) -> Self {
        self.heuristic_fraction = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self
    }

    /// The upper bound of a heuristic freshness lifetime (default 1 day).
    pub fn heuristic_max(mut self, max: Duration) -> Self {
        self.heuristic_max = max;
        self
    }

    /// A freshness lifetime for responses that may have heuristic freshness but carry no
    /// explicit one; when set it replaces the `Last-Modified` heuristic (default: none).
    pub fn default_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.default_ttl = ttl;
        self
    }

    /// An upper bound on every freshness lifetime, explicit or heuristic (default: none).
    pub fn max_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.max_ttl = ttl;
        self
    }

    /// An upper bound on how stale a response the cache ever serves, whatever allows it
    /// (`max-stale`, `stale-while-revalidate`, `stale-if-error`; default: none).
    pub fn max_stale(mut self, max: Option<Duration>) -> Self {
        self.max_stale = max;
        self
    }

    /// Serve a stale response for at most this long past its expiry when the origin cannot
    /// be reached or answers 500/502/503/504, even without `stale-if-error` from the origin
    /// (default: none). Directives that forbid stale use still win (RFC 9111 §4.2.4).
    pub fn stale_if_error(mut self, window: Option<Duration>) -> Self {
        self.stale_if_error = window;
        self
    }

    /// Whether a fresh `immutable` response (RFC 8246) is reused even when the request asks
    /// for revalidation with `max-age`/`min-fresh` (default `true`; private caches only).
    pub fn honor_immutable(mut self, honor: bool) -> Self {
        self.honor_immutable = honor;
        self
    }

    /// Targeted Cache-Control fields, in order of preference (RFC 9213), e.g.
    /// `CDN-Cache-Control`. The first one present and valid in a response replaces its
    /// `Cache-Control` and `Expires` (default: none).
    pub fn targeted_fields(mut self, fields: impl IntoIterator<Item = HeaderName>) -> Self {
        self.targeted_fields = fields.into_iter().collect();
        self
    }

    /// Acts as a surrogate named `token` (W3C Edge Architecture 1.0): requests sent upstream
    /// advertise `Surrogate-Capability: token="Surrogate/1.0"`, and `Surrogate-Control`
    /// directives addressed to every surrogate or to `token` replace `Cache-Control` and
    /// `Expires` (after any valid targeted field). For caches operated with the origin, such
    /// as a reverse proxy (default: off).
    pub fn surrogate_control(mut self, token: Option<&str>) -> Self {
        self.surrogate_token = token.filter(|t| !t.is_empty()).map(Arc::from);
        self
    }

    /// Replaces the primary cache key (method + target URI) with `f` (default: none).
    pub fn key_fn(
        mut self,
        f: impl Fn(&http::request::Parts) -> CacheKey + Send + Sync + 'static,
    ) -> Self {
        self.key_fn = Some(Arc::new(f));
        self
    }

    /// The cache's name in `Cache-Status` (RFC 9211), or `None` to add no `Cache-Status`
    /// (default `"hcache"`).
    pub fn cache_status_name(mut self, name: Option<&str>) -> Self {
        self.cache_status_name = name.map(Arc::from);
        self
    }

    /// The mode used for requests that carry no [`CacheMode`] of their own.
    pub fn mode(mut self, mode: CacheMode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether the cache is shared.
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// The name used in `Cache-Status`, if any.
    pub fn cache_status(&self) -> Option<&str> {
        self.cache_status_name.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9110_s15_1_heuristic_statuses() {
        let s = StatusSet::heuristically_cacheable();
        for c in [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501] {
            assert!(s.contains(StatusCode::from_u16(c).unwrap()), "{c}");
        }
        for c in [201, 206, 302, 307, 400, 500, 503] {
            assert!(!s.contains(StatusCode::from_u16(c).unwrap()), "{c}");
        }
    }

    #[test]
    fn status_set_bounds() {
        let mut s = StatusSet::empty();
        s.insert(5000);
        s.insert(99);
        s.remove(5000);
        assert_eq!(s, StatusSet::empty());
        let all = StatusSet::final_except_partial();
        assert!(all.contains(StatusCode::from_u16(999).unwrap()));
        assert!(!all.contains(StatusCode::PARTIAL_CONTENT));
        assert!(!all.contains(StatusCode::NOT_MODIFIED));
        assert!(!all.contains(StatusCode::CONTINUE));
    }

    #[test]
    fn s4_2_2_fraction_clamped() {
        assert_eq!(
            CacheOptions::default()
                .heuristic_fraction(f64::NAN)
                .heuristic_fraction,
            0.0
        );
        assert_eq!(
            CacheOptions::default()
                .heuristic_fraction(7.0)
                .heuristic_fraction,
            1.0
        );
    }
}
