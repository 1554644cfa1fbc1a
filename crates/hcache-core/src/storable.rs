//! May a response be stored? RFC 9111 §3 (with §3.1 field exclusions, §3.3 partial content,
//! §3.5 authenticated requests, §5.2.2.3 must-understand), in private or shared mode.

use std::time::SystemTime;

use http::header::AUTHORIZATION;
use http::{Method, request, response};

use crate::directives::RequestDirectives;
use crate::options::CacheMode;
use crate::overrides::RequestOverrides;
use crate::policy::CachePolicy;
use crate::stored::{Facts, StoredResponse};
use crate::vary::VaryKey;

/// Why a response was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum NotStorable {
    /// The request method is not cacheable (§3: "the request method is understood").
    #[error("request method is not cacheable")]
    Method,
    /// The per-request mode forbids storing ([`CacheMode::NoStore`]).
    #[error("the request's cache mode forbids storing")]
    Mode,
    /// The request carried `Cache-Control: no-store` (§5.2.1.5).
    #[error("request has Cache-Control: no-store")]
    RequestNoStore,
    /// Interim (1xx) responses are never stored as the final response (§3).
    #[error("status code is not final")]
    NotFinal,
    /// Partial content is not stored: hcache does not combine ranges (§3.3, §3.4).
    #[error("partial content (206) is not stored")]
    Partial,
    /// The status code is not configured as cacheable.
    #[error("status code is not cacheable")]
    Status,
    /// `must-understand` on a status code whose caching rules the cache does not implement
    /// (§5.2.2.3).
    #[error("must-understand with a status code the cache does not understand")]
    MustUnderstand,
    /// The response carried `no-store` (§5.2.2.5).
    #[error("response has Cache-Control: no-store")]
    ResponseNoStore,
    /// A shared cache may not store a `private` response (§5.2.2.7).
    #[error("shared cache and response is private")]
    Private,
    /// A shared cache may not store a response to a request with `Authorization` unless a
    /// directive allows it (§3.5).
    #[error("shared cache and request has Authorization")]
    Authorization,
    /// No explicit freshness, no `public`/`private` marking and no heuristically cacheable
    /// status (§3, last bullet).
    #[error("response has no freshness information and is not heuristically cacheable")]
    NoFreshness,
    /// `Vary: *` (or an unreadable `Vary`): the response could never be selected (§4.1).
    #[error("Vary: * never matches")]
    VaryStar,
}

impl CachePolicy {
    /// Decides whether a response may be stored (§3) and, if so, captures its metadata: the
    /// header section minus what §3.1 excludes, the selecting request fields (§4.1), and the
    /// request and response times for the age calculation (§4.2.3).
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use hcache_core::{CachePolicy, CacheOptions};
    ///
    /// let policy = CachePolicy::new(CacheOptions::default());
    /// let req = http::Request::get("https://example.com/").body(()).unwrap().into_parts().0;
    /// let res = http::Response::builder()
    ///     .header("cache-control", "max-age=60")
    ///     .body(()).unwrap().into_parts().0;
    /// let now = SystemTime::now();
    /// let stored = policy.store(&req, &res, now, now).unwrap();
    /// assert_eq!(stored.freshness_lifetime(policy.options()).secs, 60);
    /// ```
    pub fn store(
        &self,
        req: &request::Parts,
        res: &response::Parts,
        request_time: SystemTime,
        response_time: SystemTime,
    ) -> Result<StoredResponse, NotStorable> {
        let facts = self.check_storable(req, res)?;
        let vary =
            VaryKey::capture(&res.headers, &req.headers).map_err(|_| NotStorable::VaryStar)?;
        Ok(StoredResponse::capture(
            res,
            request_time,
            response_time,
            vary,
            facts,
            &self.opts,
        ))
    }

    /// Whether a response may be stored (§3), without capturing it.
    pub fn storable(&self, req: &request::Parts, res: &response::Parts) -> Result<(), NotStorable> {
        self.check_storable(req, res)?;
        if VaryKey::is_unmatchable(&res.headers) {
            return Err(NotStorable::VaryStar);
        }
        Ok(())
    }

    fn check_storable(
        &self,
        req: &request::Parts,
        res: &response::Parts,
    ) -> Result<Facts, NotStorable> {
        let o = &self.opts;
        // HEAD responses have no content: they only freshen stored GETs (§4.3.5).
        if req.method == Method::HEAD || !o.cacheable_methods.contains(&req.method) {
            return Err(NotStorable::Method);
        }
        let overrides = RequestOverrides::from_extensions(&req.extensions);
        if matches!(self.mode(&overrides), CacheMode::NoStore) {
            return Err(NotStorable::Mode);
        }
        if RequestDirectives::parse(&req.headers).no_store() {
            return Err(NotStorable::RequestNoStore);
        }
        let status = res.status;
        if status.is_informational() {
            return Err(NotStorable::NotFinal);
        }
        if status == http::StatusCode::PARTIAL_CONTENT {
            return Err(NotStorable::Partial);
        }
        let facts = Facts::parse(&res.headers, o);
        let cc = &facts.cc;
        if cc.must_understand() {
            // §5.2.2.3: storable only with a status whose rules we implement; then no-store
            // is ignored.
            if !o.understood_statuses.contains(status) {
                return Err(NotStorable::MustUnderstand);
            }
        } else if cc.no_store() {
            return Err(NotStorable::ResponseNoStore);
        }
        // §3: a 304 may be stored only by a cache that understands it; hcache uses a 304 to
        // freshen a stored response (§4.3.4), never as a response of its own.
        if !o.cacheable_statuses.contains(status) || status == http::StatusCode::NOT_MODIFIED {
            return Err(NotStorable::Status);
        }
        if o.shared {
            if cc.private() {
                return Err(NotStorable::Private);
            }
            if req.headers.contains_key(AUTHORIZATION)
                && !(cc.public() || cc.must_revalidate() || cc.s_maxage().is_some())
            {
                return Err(NotStorable::Authorization);
            }
        }
        let explicit = cc.public()
            || (!o.shared && cc.any_private())
            || facts.expires.is_some()
            || cc.max_age().is_some()
            || (o.shared && cc.s_maxage().is_some())
            || o.heuristic_statuses.contains(status);
        if !explicit {
            return Err(NotStorable::NoFreshness);
        }
        Ok(facts)
    }
}
