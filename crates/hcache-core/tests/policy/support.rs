//! Shared support for the policy tests: a `Case` builder describing one exchange (the
//! request that produced a stored response, the response, and a later request), an
//! injected clock (`T0` + seconds, never the system clock), and the `outcomes!` table macro
//! that turns each row into its own named test.

#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hcache_core::{
    CacheMode, CacheOptions, CachePolicy, Decision, ForwardReason, NotStorable, StaleReason,
    StoredResponse,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, request, response};

/// The epoch of every test: 2023-11-14T22:13:20Z.
pub const T0: u64 = 1_700_000_000;

/// `T0 + secs` (secs may be negative).
pub fn t(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(T0 + secs as u64)
    } else {
        UNIX_EPOCH + Duration::from_secs(T0 - secs.unsigned_abs())
    }
}

/// The IMF-fixdate of `T0 + secs`.
pub fn date(secs: i64) -> String {
    httpdate::fmt_http_date(t(secs))
}

/// Expands `{T+N}` / `{T-N}` / `{T}` in a header value to the HTTP-date of `T0 ± N`.
pub fn expand(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("{T") {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find('}').expect("closing brace");
        let spec = &rest[start + 2..end];
        let secs: i64 = if spec.is_empty() {
            0
        } else {
            spec.trim_start_matches('+').parse().expect("offset")
        };
        out.push_str(&date(secs));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Parses `"name: value"` lines into a header map (values expanded, repeated names appended).
pub fn headers(lines: &[&str]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for l in lines {
        add(&mut h, l);
    }
    h
}

fn add(h: &mut HeaderMap, line: &str) {
    let (n, v) = line.split_once(':').expect("name: value");
    h.append(
        HeaderName::from_bytes(n.trim().as_bytes()).expect("field name"),
        HeaderValue::from_str(&expand(v.trim_start())).expect("field value"),
    );
}

/// A request head.
pub fn req(method: Method, uri: &str, lines: &[&str]) -> request::Parts {
    let mut p = http::Request::builder()
        .method(method)
        .uri(uri)
        .body(())
        .unwrap()
        .into_parts()
        .0;
    p.headers = headers(lines);
    p
}

/// A response head.
pub fn res(status: u16, lines: &[&str]) -> response::Parts {
    let mut p = http::Response::builder()
        .status(status)
        .body(())
        .unwrap()
        .into_parts()
        .0;
    p.headers = headers(lines);
    p
}

/// What a decision amounted to, simplified for table assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The response was not stored at all.
    NotStored(NotStorable),
    /// Served fresh.
    Fresh,
    /// Served fresh as a 304 to the caller's own conditional request.
    FreshNotModified,
    /// Served stale, for this reason.
    Stale(StaleReason),
    /// Validated with a conditional request.
    Validate,
    /// Sent forward without validators although a stored response was selected.
    ValidateUnconditional,
    /// Forwarded, nothing usable.
    Forward(ForwardReason),
    /// 504 for only-if-cached.
    Unsatisfiable,
}
pub use Outcome::*;

/// One exchange: the original request, the response it got (stored at `stored_at`), and a
/// later request presented at some time.
#[derive(Clone)]
pub struct Case {
    pub opts: CacheOptions,
    pub method: Method,
    pub uri: String,
    pub req_lines: Vec<String>,
    pub status: u16,
    pub res_lines: Vec<String>,
    pub next_method: Option<Method>,
    pub next_uri: Option<String>,
    pub next_lines: Vec<String>,
    pub next_mode: Option<CacheMode>,
    /// When the original request was sent and its response received (seconds after T0).
    pub request_at: i64,
    pub response_at: i64,
}

impl Default for Case {
    fn default() -> Self {
        Case::new()
    }
}

impl Case {
    /// `GET http://example.com/r` answered 200 at T0, presented again as the same GET.
    pub fn new() -> Self {
        Case {
            opts: CacheOptions::default(),
            method: Method::GET,
            uri: "http://example.com/r".into(),
            req_lines: Vec::new(),
            status: 200,
            res_lines: Vec::new(),
            next_method: None,
            next_uri: None,
            next_lines: Vec::new(),
            next_mode: None,
            request_at: 0,
            response_at: 0,
        }
    }
    /// A shared cache.
    pub fn shared(mut self) -> Self {
        self.opts = self.opts.shared(true);
        self
    }
    /// Adjusts the options.
    pub fn options(mut self, f: impl FnOnce(CacheOptions) -> CacheOptions) -> Self {
        self.opts = f(self.opts);
        self
    }
    /// A header line of the original request.
    pub fn req(mut self, line: &str) -> Self {
        self.req_lines.push(line.into());
        self
    }
    /// A header line of the response.
    pub fn res(mut self, line: &str) -> Self {
        self.res_lines.push(line.into());
        self
    }
    /// Several response header lines.
    pub fn res_all(mut self, lines: &[&str]) -> Self {
        self.res_lines.extend(lines.iter().map(|l| l.to_string()));
        self
    }
    /// The response status.
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
    /// The method of both requests.
    pub fn method(mut self, m: Method) -> Self {
        self.method = m.clone();
        self
    }
    /// The method of the later request only.
    pub fn next_method(mut self, m: Method) -> Self {
        self.next_method = Some(m);
        self
    }
    /// The URI of the later request only.
    pub fn next_uri(mut self, uri: &str) -> Self {
        self.next_uri = Some(uri.into());
        self
    }
    /// A header line of the later request.
    pub fn next(mut self, line: &str) -> Self {
        self.next_lines.push(line.into());
        self
    }
    /// A cache mode on the later request (as an `http::Extensions` marker).
    pub fn mode(mut self, mode: CacheMode) -> Self {
        self.next_mode = Some(mode);
        self
    }
    /// The original exchange's request and response times, seconds after T0.
    pub fn timing(mut self, request_at: i64, response_at: i64) -> Self {
        self.request_at = request_at;
        self.response_at = response_at;
        self
    }

    pub fn policy(&self) -> CachePolicy {
        CachePolicy::new(self.opts.clone())
    }
    pub fn original_request(&self) -> request::Parts {
        let lines: Vec<&str> = self.req_lines.iter().map(String::as_str).collect();
        req(self.method.clone(), &self.uri, &lines)
    }
    pub fn response(&self) -> response::Parts {
        let lines: Vec<&str> = self.res_lines.iter().map(String::as_str).collect();
        res(self.status, &lines)
    }
    pub fn next_request(&self) -> request::Parts {
        let lines: Vec<&str> = self.next_lines.iter().map(String::as_str).collect();
        let mut p = req(
            self.next_method.clone().unwrap_or(self.method.clone()),
            self.next_uri.as_deref().unwrap_or(&self.uri),
            &lines,
        );
        if let Some(m) = self.next_mode {
            p.extensions.insert(m);
        }
        p
    }
    /// Stores the response (or says why not).
    pub fn store(&self) -> Result<StoredResponse, NotStorable> {
        self.policy().store(
            &self.original_request(),
            &self.response(),
            t(self.request_at),
            t(self.response_at),
        )
    }
    /// The stored response; panics if it was not storable.
    pub fn stored(&self) -> StoredResponse {
        self.store().expect("storable")
    }
    /// The decision for the later request at `T0 + secs`.
    pub fn decide_at(&self, secs: i64) -> Decision {
        let stored = self.stored();
        self.policy()
            .decide(&self.next_request(), &[stored], t(secs))
    }
    /// The simplified outcome at `T0 + secs` (including "not stored").
    pub fn outcome_at(&self, secs: i64) -> Outcome {
        let stored = match self.store() {
            Ok(s) => s,
            Err(e) => return NotStored(e),
        };
        outcome(
            self.policy()
                .decide(&self.next_request(), &[stored], t(secs)),
        )
    }
    /// Age and remaining freshness of a reuse at `T0 + secs` (panics if not a reuse).
    pub fn age_ttl_at(&self, secs: i64) -> (u64, i64) {
        match self.decide_at(secs) {
            Decision::Fresh(r) | Decision::Stale { reuse: r, .. } => (r.age, r.ttl),
            other => panic!("not a reuse: {other:?}"),
        }
    }
    /// Freshness lifetime in seconds.
    pub fn lifetime(&self) -> u64 {
        self.stored().freshness_lifetime(&self.opts).secs
    }
}

/// Simplifies a decision.
pub fn outcome(d: Decision) -> Outcome {
    match d {
        Decision::Fresh(r) if r.not_modified => FreshNotModified,
        Decision::Fresh(_) => Fresh,
        Decision::Stale { reason, .. } => Stale(reason),
        Decision::Validate(v) if v.conditional => Validate,
        Decision::Validate(_) => ValidateUnconditional,
        Decision::Forward(r) => Forward(r),
        Decision::Unsatisfiable => Unsatisfiable,
        _ => unreachable!("unknown decision"),
    }
}

/// One named test per row: `name: case, at secs => expected outcome;`.
#[macro_export]
macro_rules! outcomes {
    ($( $(#[$meta:meta])* $name:ident : $case:expr, at $secs:expr => $expect:expr; )*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                let case: $crate::support::Case = $case;
                assert_eq!(case.outcome_at($secs), $expect);
            }
        )*
    };
}
