//! Constructing responses from the cache: may a stored response be reused for a request?
//! RFC 9111 §4 (with §4.1 selection, §4.2 freshness, §4.2.4 serving stale, §5.2.1 request
//! directives), RFC 5861 (`stale-while-revalidate`, `stale-if-error`) and RFC 8246
//! (`immutable`).
//!
//! [`CachePolicy::decide`] answers with a [`Decision`]; the caller does the IO it names.

use std::borrow::Borrow;
use std::time::{Duration, SystemTime};

use http::header::{
    CACHE_CONTROL, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE,
    PRAGMA, RANGE,
};
use http::{HeaderMap, Method, request};

use crate::directives::{MaxStale, RequestDirectives, Seconds};
use crate::options::CacheMode;
use crate::overrides::RequestOverrides;
use crate::policy::CachePolicy;
use crate::status::{CacheStatus, ForwardReason};
use crate::stored::StoredResponse;

/// A stored response chosen for reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reuse {
    /// Index of the chosen response in the slice given to [`CachePolicy::decide`].
    pub index: usize,
    /// Its current age in seconds, to send as `Age` (§4, §5.1).
    pub age: u64,
    /// Remaining freshness in seconds; negative when stale.
    pub ttl: i64,
    /// The request was conditional and its precondition matches the stored response: answer
    /// 304 instead of the stored response (§4.3.2).
    pub not_modified: bool,
}

/// Why a stale response may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StaleReason {
    /// The request's `max-stale` allows it (§5.2.1.2).
    MaxStale,
    /// `stale-while-revalidate` (RFC 5861 §3): serve now, revalidate in the background.
    WhileRevalidate,
    /// The request's mode ([`CacheMode::ForceCache`] / [`CacheMode::OnlyIfCached`]) asks
    /// for any stored response.
    Mode,
}

/// A request to send to validate a stored response (§4.3.1).
#[derive(Debug)]
#[non_exhaustive]
pub struct Validation {
    /// Index of the stored response being validated.
    pub index: usize,
    /// The request to send: the caller's, with `If-None-Match` / `If-Modified-Since` added
    /// from the stored validators where it had none.
    pub request: request::Parts,
    /// Whether validators were added (false when the stored response had none, or the caller
    /// sent preconditions of its own).
    pub conditional: bool,
    /// Why the request goes forward (`stale`, or `request` when the request asked for it).
    pub reason: ForwardReason,
    /// Whether, if validation fails (connection error or 500/502/503/504), the stale response
    /// may be served instead (RFC 5861 §4, §4.2.4).
    pub stale_if_error: bool,
}

/// What to do with a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum Decision {
    /// Serve the stored response: it is fresh (§4.2).
    Fresh(Reuse),
    /// Serve the stored response although it is stale (§4.2.4); when `revalidate` is set,
    /// send that request in the background to refresh it (RFC 5861 §3).
    Stale {
        /// The response to serve.
        reuse: Reuse,
        /// Why serving stale is allowed.
        reason: StaleReason,
        /// The background revalidation request, for `stale-while-revalidate`.
        revalidate: Option<Box<request::Parts>>,
    },
    /// Validate a stored response with the origin (§4.3). Boxed, as is the background
    /// revalidation request of [`Decision::Stale`]: a decision is mostly `Fresh`, and it is
    /// moved with every request's state, so it stays small.
    Validate(Box<Validation>),
    /// Send the request as is: nothing stored can be used.
    Forward(ForwardReason),
    /// `only-if-cached` and nothing usable: answer 504 without contacting the origin
    /// (§5.2.1.7).
    Unsatisfiable,
}

impl Decision {
    /// The `Cache-Status` member (RFC 9211) this decision implies; the caller adds
    /// `fwd-status`, `stored` and `collapsed` once it knows them.
    pub fn cache_status(&self) -> CacheStatus {
        match self {
            Decision::Fresh(r) => CacheStatus::hit().ttl(r.ttl),
            Decision::Stale { reuse, reason, .. } => {
                let s = CacheStatus::hit().ttl(reuse.ttl);
                match reason {
                    StaleReason::WhileRevalidate => s.detail("stale-while-revalidate"),
                    StaleReason::MaxStale => s.detail("max-stale"),
                    StaleReason::Mode => s.detail("mode"),
                }
            }
            Decision::Validate(v) => CacheStatus::forward(v.reason),
            Decision::Forward(r) => CacheStatus::forward(*r),
            Decision::Unsatisfiable => CacheStatus::none().detail("only-if-cached"),
        }
    }
}

/// Whether a method is safe (RFC 9110 §9.2.1); unsafe ones invalidate (§4.4).
pub(crate) fn is_safe(method: &Method) -> bool {
    *method == Method::GET
        || *method == Method::HEAD
        || *method == Method::OPTIONS
        || *method == Method::TRACE
}

/// Remaining freshness: lifetime − age, saturating.
fn ttl(lifetime: u64, age: u64) -> i64 {
    // Exact in i128, then clamped: an age beyond i64::MAX must not shift the result.
    let d = i128::from(lifetime) - i128::from(age);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

fn secs(d: Duration) -> u64 {
    d.as_secs()
}

impl CachePolicy {
    /// Decides how to answer `req` given the responses stored under its key (all variants;
    /// pass an empty slice when there are none). `now` is the current time.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use hcache_core::{CachePolicy, CacheOptions, Decision};
    ///
    /// let policy = CachePolicy::new(CacheOptions::default());
    /// let req = http::Request::get("https://example.com/").body(()).unwrap().into_parts().0;
    /// let res = http::Response::builder()
    ///     .header("cache-control", "max-age=60")
    ///     .body(()).unwrap().into_parts().0;
    /// let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let stored = [policy.store(&req, &res, t0, t0).unwrap()];
    ///
    /// match policy.decide(&req, &stored, t0 + Duration::from_secs(10)) {
    ///     Decision::Fresh(reuse) => assert_eq!((reuse.age, reuse.ttl), (10, 50)),
    ///     other => panic!("{other:?}"),
    /// }
    /// assert!(matches!(
    ///     policy.decide(&req, &stored, t0 + Duration::from_secs(60)),
    ///     Decision::Validate(_)
    /// ));
    /// ```
    pub fn decide<S: Borrow<StoredResponse>>(
        &self,
        req: &request::Parts,
        stored: &[S],
        now: SystemTime,
    ) -> Decision {
        let o = &*self.opts;
        let mode = self.request_mode(req);
        // §4: unsafe methods are written through; other uncacheable methods are forwarded.
        // Only whether the method is answered from the cache matters here: the caller
        // already looked `stored` up by key, so building the key again would be wasted work.
        if self.lookup_method(req).is_none() {
            return Decision::Forward(ForwardReason::Method);
        }
        match mode {
            CacheMode::NoStore => return Decision::Forward(ForwardReason::Bypass),
            CacheMode::Reload => return Decision::Forward(ForwardReason::Request),
            _ => {}
        }
        let fields = RequestFields::scan(&req.headers);
        let rd = if fields.cache_directives {
            RequestDirectives::parse(&req.headers)
        } else {
            RequestDirectives::default()
        };
        let only_if_cached = rd.only_if_cached() || mode == CacheMode::OnlyIfCached;
        let forward = |reason| {
            if only_if_cached {
                Decision::Unsatisfiable
            } else {
                Decision::Forward(reason)
            }
        };
        // §4.3.2: preconditions meant for the origin, and range requests (§3.3: we hold no
        // partial content), go forward untouched.
        if fields.origin_preconditions {
            return forward(ForwardReason::Request);
        }
        if fields.range {
            return forward(ForwardReason::Partial);
        }

        let Some(index) = select(stored, req) else {
            return forward(if stored.is_empty() {
                ForwardReason::UriMiss
            } else {
                ForwardReason::VaryMiss
            });
        };
        let s: &StoredResponse = stored[index].borrow();
        let cc = &s.facts.cc;
        let lifetime = s.freshness_lifetime(o).secs;
        let age = s.current_age(now);
        let ttl = ttl(lifetime, age);
        let fresh = lifetime > age;
        let staleness = age.saturating_sub(lifetime);
        // §4.3.2: without `If-None-Match` or `If-Modified-Since` there is no precondition to
        // evaluate, and `precondition_matches` would only look both up to answer false.
        let reuse = || Reuse {
            index,
            age,
            ttl,
            not_modified: fields.conditional && self.precondition_matches(req, s),
        };

        // §4.2.4: directives that forbid serving this response stale.
        let stale_forbidden = cc.no_cache()
            || cc.must_revalidate()
            || (o.shared && (cc.proxy_revalidate() || cc.s_maxage().is_some()));
        // RFC 8246: a fresh immutable response is not revalidated on a (soft) reload.
        let immutable = fresh && o.honor_immutable && !o.shared && cc.immutable();

        // Validation the request or the response demands even of a fresh response.
        let request_forces = mode == CacheMode::NoCache
            || rd.no_cache() // §5.2.1.4, §5.4
            // §5.2.1.1; `age` is rounded down, so only `age < m` proves the true age is ≤ m.
            || (!immutable && matches!(rd.max_age(), Some(Seconds::Valid(m)) if age >= u64::from(m)))
            || (!immutable && matches!(rd.min_fresh(), Some(Seconds::Valid(m)) if ttl < i64::from(m))); // §5.2.1.3
        let forced = if cc.no_cache() {
            Some(ForwardReason::Stale) // §5.2.2.4
        } else if request_forces {
            Some(ForwardReason::Request)
        } else {
            None
        };

        if forced.is_none() {
            if fresh {
                return Decision::Fresh(reuse());
            }
            if !stale_forbidden {
                let cap = o.max_stale.map_or(u64::MAX, secs);
                let max_stale_ok = match rd.max_stale() {
                    Some(MaxStale::Any) => true,
                    Some(MaxStale::Seconds(n)) => staleness <= u64::from(n),
                    None => false,
                };
                if max_stale_ok && staleness <= cap {
                    return Decision::Stale {
                        reuse: reuse(),
                        reason: StaleReason::MaxStale,
                        revalidate: None,
                    };
                }
                if matches!(mode, CacheMode::ForceCache | CacheMode::OnlyIfCached) {
                    return Decision::Stale {
                        reuse: reuse(),
                        reason: StaleReason::Mode,
                        revalidate: None,
                    };
                }
                if !only_if_cached
                    && matches!(cc.stale_while_revalidate(), Some(Seconds::Valid(w)) if staleness <= u64::from(w))
                    && staleness <= cap
                {
                    let (revalidate, _) = self.conditional_request(req, s);
                    return Decision::Stale {
                        reuse: reuse(),
                        reason: StaleReason::WhileRevalidate,
                        revalidate: Some(Box::new(revalidate)),
                    };
                }
            }
        }
        if only_if_cached {
            return Decision::Unsatisfiable;
        }
        let (request, conditional) = self.conditional_request(req, s);
        Decision::Validate(Box::new(Validation {
            index,
            request,
            conditional,
            reason: forced.unwrap_or(ForwardReason::Stale),
            stale_if_error: self.stale_if_error_allowed(req, s, now),
        }))
    }

    /// A [`Reuse`] of `stored` (at `index`) as of `now`, for serving it outside
    /// [`CachePolicy::decide`]: after a 304, or in place of an error.
    pub(crate) fn reuse_of(
        &self,
        stored: &StoredResponse,
        index: usize,
        now: SystemTime,
        req: &request::Parts,
    ) -> Reuse {
        let lifetime = stored.freshness_lifetime(&self.opts).secs;
        let age = stored.current_age(now);
        Reuse {
            index,
            age,
            ttl: ttl(lifetime, age),
            not_modified: self.precondition_matches(req, stored),
        }
    }

    /// The validation of the stored response at `index`, for when serving it stale with a
    /// background refresh is not possible.
    pub(crate) fn decide_validation<S: Borrow<StoredResponse>>(
        &self,
        req: &request::Parts,
        stored: &[S],
        index: usize,
        now: SystemTime,
    ) -> Validation {
        let s = stored[index].borrow();
        let (request, conditional) = self.conditional_request(req, s);
        Validation {
            index,
            request,
            conditional,
            reason: ForwardReason::Stale,
            stale_if_error: self.stale_if_error_allowed(req, s, now),
        }
    }

    /// Whether `stored` may be served stale now because the origin failed (a connection error
    /// or a 500, 502, 503 or 504): `stale-if-error` from the response or the request (RFC 5861
    /// §4), or the configured / per-request window, unless a directive forbids serving it
    /// stale (§4.2.4). A fresh response may always be served.
    pub fn stale_if_error_allowed(
        &self,
        req: &request::Parts,
        stored: &StoredResponse,
        now: SystemTime,
    ) -> bool {
        let o = &*self.opts;
        let cc = &stored.facts.cc;
        let lifetime = stored.freshness_lifetime(o).secs;
        let age = stored.current_age(now);
        if lifetime > age && !cc.no_cache() {
            return true;
        }
        if cc.no_cache()
            || cc.must_revalidate()
            || (o.shared && (cc.proxy_revalidate() || cc.s_maxage().is_some()))
        {
            return false;
        }
        let staleness = age.saturating_sub(lifetime);
        let overrides = RequestOverrides::from_extensions(&req.extensions);
        let configured = overrides.stale_if_error.or(o.stale_if_error).map(secs);
        let window = [
            cc.stale_if_error().and_then(Seconds::valid).map(u64::from),
            RequestDirectives::parse(&req.headers)
                .stale_if_error()
                .and_then(Seconds::valid)
                .map(u64::from),
            configured,
        ]
        .into_iter()
        .flatten()
        .max();
        let cap = o.max_stale.map_or(u64::MAX, secs);
        matches!(window, Some(w) if staleness <= w && staleness <= cap)
    }
}

/// The request fields [`CachePolicy::decide`] looks for, found in one pass over the request's
/// field names: a request carries a handful of fields, and comparing each name with a few
/// standard ones costs less than one hash lookup per field looked for.
#[derive(Default)]
struct RequestFields {
    /// `Cache-Control` or `Pragma`.
    cache_directives: bool,
    /// `If-Match`, `If-Unmodified-Since` or `If-Range`.
    origin_preconditions: bool,
    /// `Range`.
    range: bool,
    /// `If-None-Match` or `If-Modified-Since`.
    conditional: bool,
}

impl RequestFields {
    fn scan(headers: &HeaderMap) -> Self {
        let mut f = RequestFields::default();
        for name in headers.keys() {
            if name == CACHE_CONTROL || name == PRAGMA {
                f.cache_directives = true;
            } else if name == IF_MATCH || name == IF_UNMODIFIED_SINCE || name == IF_RANGE {
                f.origin_preconditions = true;
            } else if name == RANGE {
                f.range = true;
            } else if name == IF_NONE_MATCH || name == IF_MODIFIED_SINCE {
                f.conditional = true;
            }
        }
        f
    }
}

/// §4.1 and §4: among the stored responses whose selecting fields match, the most recent by
/// `Date` (ties: the later received).
fn select<S: Borrow<StoredResponse>>(stored: &[S], req: &request::Parts) -> Option<usize> {
    let mut best: Option<(usize, SystemTime, SystemTime)> = None;
    for (i, s) in stored.iter().enumerate() {
        let s = s.borrow();
        if !s.vary().matches(&req.headers) {
            continue;
        }
        let key = (s.date_or_received(), s.response_time());
        if best.is_none_or(|(_, d, r)| key > (d, r)) {
            best = Some((i, key.0, key.1));
        }
    }
    best.map(|(i, _, _)| i)
}
