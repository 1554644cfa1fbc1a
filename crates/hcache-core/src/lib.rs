//! # hcache-core
//!
//! The caching rules of RFC 9111 (HTTP Caching), with RFC 5861 (`stale-while-revalidate`,
//! `stale-if-error`), RFC 8246 (`immutable`), RFC 9211 (`Cache-Status`) and RFC 9213
//! (targeted Cache-Control), as pure functions on [`http`] types.
//!
//! This crate is the policy half of [hcache]: every decision a cache makes, with no network
//! and no storage of its own. Adapters for hyper, reqwest and surf, and the stores, build on
//! it; a custom client can use it directly.
//!
//! ## What this crate does not do
//!
//! hcache-core does not take care of network IO, storage or time. It never opens a socket,
//! reads a file, spawns a task or calls `SystemTime::now()` in a decision. You hand it the
//! request head, the stored responses and `now`; it answers with a [`Decision`] — serve this
//! stored response ([`Decision::Fresh`], [`Decision::Stale`]), send this conditional request
//! ([`Decision::Validate`]), forward as is ([`Decision::Forward`]) or answer 504
//! ([`Decision::Unsatisfiable`]) — and you do the IO. When a response arrives you ask
//! [`CachePolicy::store`] whether and what to store, [`CachePolicy::freshen`] what a 304 does
//! to a stored response, and [`CachePolicy::invalidations`] what an unsafe method
//! invalidates. Time comes in as an argument, from a [`Clock`] you choose, so tests run on a
//! [`ManualClock`] exactly and instantly.
//!
//! ## Example
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use hcache_core::{CachePolicy, CacheOptions, Decision};
//!
//! let policy = CachePolicy::new(CacheOptions::default());
//! let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//!
//! // A response arrives for a GET: may we store it?
//! let req = http::Request::get("https://example.com/a").body(()).unwrap().into_parts().0;
//! let res = http::Response::builder()
//!     .header("cache-control", "max-age=60")
//!     .header("etag", "\"v1\"")
//!     .body(()).unwrap().into_parts().0;
//! let stored = vec![policy.store(&req, &res, t0, t0).expect("storable")];
//!
//! // 30 s later: fresh, serve it with Age: 30.
//! let Decision::Fresh(hit) = policy.decide(&req, &stored, t0 + Duration::from_secs(30)) else {
//!     unreachable!()
//! };
//! assert_eq!(stored[hit.index].response_head(hit.age).headers["age"], "30");
//!
//! // 2 minutes later: stale, validate with If-None-Match.
//! let Decision::Validate(v) = policy.decide(&req, &stored, t0 + Duration::from_secs(120)) else {
//!     unreachable!()
//! };
//! assert_eq!(v.request.headers["if-none-match"], "\"v1\"");
//! ```
//!
//! [hcache]: https://github.com/hcache/hcache
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod clock;
mod directives;
mod fields;
mod freshness;
mod invalidate;
mod key;
mod options;
mod overrides;
mod policy;
mod reuse;
mod status;
mod storable;
mod stored;
mod validate;
mod vary;

pub use clock::{Clock, ManualClock, SystemClock};
pub use directives::{Extension, MaxStale, RequestDirectives, ResponseDirectives, Seconds};
pub use fields::{AgeValue, ExpiresValue, parse_http_date};
pub use freshness::{Lifetime, LifetimeSource};
pub use invalidate::invalidates;
pub use key::CacheKey;
pub use options::{CacheMode, CacheOptions, KeyFn, StatusSet};
pub use overrides::{RequestOverrides, StaleIfErrorWindow};
pub use policy::{CachePolicy, clone_parts};
pub use reuse::{Decision, Reuse, StaleReason, Validation};
pub use status::{CACHE_STATUS, CacheStatus, ForwardReason};
pub use storable::NotStorable;
pub use stored::StoredResponse;
pub use validate::HeadOutcome;
pub use vary::VaryKey;
