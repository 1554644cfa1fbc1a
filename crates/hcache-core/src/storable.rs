//! May a response be stored? RFC 9111 §3 (with §3.1 field exclusions, §3.3 partial content,
//! §3.5 authenticated requests, §5.2.2.3 must-understand), in private or shared mode.

use std::time::SystemTime;

use http::header::{AUTHORIZATION, CACHE_CONTROL};
use http::{Method, request, response};

use crate::directives::{RequestDirectives, ResponseDirectives};
use crate::options::CacheMode;
use crate::policy::CachePolicy;
use crate::stored::{Admitted, Facts, Scan, StoredResponse};
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
    /// A transfer coding other than one `chunked` was left on the body, or `Transfer-Encoding`
    /// came with `Content-Length` (RFC 9112 §6.1, §6.3): the bytes received are not plainly
    /// the content, or their length is in doubt.
    #[error("Transfer-Encoding other than chunked, or beside Content-Length")]
    Framing,
    /// A shared cache and a `Cache-Control` member outside the grammar (a name or argument
    /// that is not a token, an unterminated quoted-string, whitespace around `=`): it may be a
    /// mangled `private` or `no-store`, so the response is not stored (fail closed).
    #[error("shared cache and Cache-Control is malformed")]
    Malformed,
    /// A response to POST without one `Content-Location` naming the POST's target URI: it is
    /// no representation of the URI a later GET asks for (RFC 9110 §9.3.3, §8.7).
    #[error("response to POST without a Content-Location equal to its target URI")]
    PostContentLocation,
    /// A response to POST without explicit freshness (`max-age`, `s-maxage` in a shared
    /// cache, `Expires`): RFC 9110 §9.3.3 allows no heuristic freshness for it.
    #[error("response to POST without explicit freshness")]
    PostFreshness,
}

impl CachePolicy {
    /// Decides whether a response may be stored (§3) and, if so, captures its metadata: the
    /// header section minus what §3.1 excludes, the selecting request fields (§4.1), and the
    /// request and response times for the age calculation (§4.2.3).
    ///
    /// The stored metadata keeps a copy of `res`'s header section (one reference-count
    /// increment per field value, and the map's own allocations). A caller that owns the
    /// response head and has no further use for it should call
    /// [`CachePolicy::store_owned`] instead, which moves the header section in and so copies
    /// nothing; both decide and capture the same way.
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
        let mut vary = VaryKey::default();
        let (facts, unstored) = self.admit(req, res, &mut vary)?;
        Ok(StoredResponse::capture(
            res.status,
            res.version,
            res.headers.clone(),
            Admitted {
                facts,
                vary,
                unstored,
            },
            request_time,
            response_time,
            &self.opts,
        ))
    }

    /// [`CachePolicy::store`] for a caller that owns the response head and does not need it
    /// afterwards: the head's header section becomes the stored one, without a copy. On
    /// refusal the head is handed back untouched, with the reason.
    ///
    /// Both exist because the cost of storing is mostly that copy: an adapter that forwards
    /// the response to its client after storing it keeps the head and calls `store`; one
    /// that stores a response nobody else will see (a background revalidation) or that
    /// rebuilds the head to send from the stored metadata calls this. The decision and the
    /// stored metadata are the same either way. The head's extensions are dropped, as
    /// `store` never stores them.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use hcache_core::{CachePolicy, CacheOptions, NotStorable};
    ///
    /// let policy = CachePolicy::new(CacheOptions::default());
    /// let req = http::Request::get("https://example.com/").body(()).unwrap().into_parts().0;
    /// let res = http::Response::builder()
    ///     .header("cache-control", "max-age=60")
    ///     .body(()).unwrap().into_parts().0;
    /// let now = SystemTime::now();
    /// let stored = policy.store_owned(&req, res, now, now).unwrap();
    /// assert_eq!(stored.freshness_lifetime(policy.options()).secs, 60);
    ///
    /// let res = http::Response::builder()
    ///     .header("cache-control", "no-store")
    ///     .body(()).unwrap().into_parts().0;
    /// let (why, res) = policy.store_owned(&req, res, now, now).unwrap_err();
    /// assert_eq!(why, NotStorable::ResponseNoStore);
    /// assert_eq!(res.headers["cache-control"], "no-store");
    /// ```
    // Inlined where the caller keeps the result: fewer copies of the stored response.
    #[inline]
    pub fn store_owned(
        &self,
        req: &request::Parts,
        res: response::Parts,
        request_time: SystemTime,
        response_time: SystemTime,
    ) -> Result<StoredResponse, (NotStorable, response::Parts)> {
        let mut vary = VaryKey::default();
        match self.admit(req, &res, &mut vary) {
            Ok((facts, unstored)) => Ok(StoredResponse::capture(
                res.status,
                res.version,
                res.headers,
                Admitted {
                    facts,
                    vary,
                    unstored,
                },
                request_time,
                response_time,
                &self.opts,
            )),
            Err(why) => Err((why, res)),
        }
    }

    /// Whether a response may be stored (§3), without capturing it.
    pub fn storable(&self, req: &request::Parts, res: &response::Parts) -> Result<(), NotStorable> {
        let (scan, ..) = self.check_storable(req, res)?;
        if VaryKey::is_unmatchable(scan.vary, &res.headers) {
            return Err(NotStorable::VaryStar);
        }
        Ok(())
    }

    /// Everything [`CachePolicy::store`] and [`CachePolicy::store_owned`] decide and
    /// capture, except the header section itself: returns the facts and whether fields §3.1
    /// excludes are present, and captures the selecting request fields into `vary`, an empty
    /// key where the caller keeps it (see [`VaryKey::capture_into`]).
    #[inline]
    fn admit(
        &self,
        req: &request::Parts,
        res: &response::Parts,
        vary: &mut VaryKey,
    ) -> Result<(Facts, bool), NotStorable> {
        let (scan, cc, targeted) = self.check_storable(req, res)?;
        vary.capture_into(scan.vary, &res.headers, &req.headers)
            .map_err(|_| NotStorable::VaryStar)?;
        Ok((scan.facts_with(cc, targeted), scan.unstored))
    }

    /// Decides storability (§3), reading only what that needs: the scan of the response's
    /// fields, and the directives in force (with `true` when they came from a targeted field),
    /// which are returned. The dates and `Age` are parsed once the response is admitted.
    ///
    /// Always inlined: returned from a call, the directives and the scan would be copied right
    /// after they were written piece by piece, which stalls the processor.
    #[inline(always)]
    fn check_storable<'a>(
        &self,
        req: &request::Parts,
        res: &'a response::Parts,
    ) -> Result<(Scan<'a>, ResponseDirectives, bool), NotStorable> {
        let o = &self.opts;
        // HEAD responses have no content: they only freshen stored GETs (§4.3.5).
        if req.method == Method::HEAD || !o.cacheable_methods.contains(&req.method) {
            return Err(NotStorable::Method);
        }
        if matches!(self.request_mode(req), CacheMode::NoStore) {
            return Err(NotStorable::Mode);
        }
        // Only `Cache-Control` can say `no-store` (`Pragma` only means `no-cache`, §5.4):
        // parse the request's directives only when it has that field. A request has a few
        // fields: comparing their names costs less than a hash lookup.
        if req.headers.keys().any(|n| *n == CACHE_CONTROL)
            && RequestDirectives::parse(&req.headers).no_store()
        {
            return Err(NotStorable::RequestNoStore);
        }
        let status = res.status;
        if status.is_informational() {
            return Err(NotStorable::NotFinal);
        }
        if status == http::StatusCode::PARTIAL_CONTENT {
            return Err(NotStorable::Partial);
        }
        let scan = Scan::new(&res.headers);
        // `Transfer-Encoding` is one of the fields `scan.unstored` stands for.
        if scan.unstored && framing_in_doubt(&res.headers) {
            return Err(NotStorable::Framing);
        }
        let mut cc = ResponseDirectives::default();
        let targeted = scan.directives(&res.headers, o, &mut cc);
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
            if malformed_cache_control(&res.headers) {
                return Err(NotStorable::Malformed);
            }
            if req.headers.contains_key(AUTHORIZATION)
                && !(cc.public() || cc.must_revalidate() || cc.s_maxage().is_some())
            {
                return Err(NotStorable::Authorization);
            }
        }
        let explicit = cc.public()
            || (!o.shared && cc.any_private())
            || scan.expires_in_force(&cc, targeted)
            || cc.max_age().is_some()
            || (o.shared && cc.s_maxage().is_some())
            || o.heuristic_statuses.contains(status);
        if !explicit {
            return Err(NotStorable::NoFreshness);
        }
        Ok((scan, cc, targeted))
    }
}

/// Transfer codings of the IANA registry that change the bytes and that an HTTP/1.1 client
/// does not remove (it removes only `chunked`; `trailers` is not a coding of the body).
const APPLIED_CODINGS: [&[u8]; 5] = [b"gzip", b"x-gzip", b"deflate", b"compress", b"x-compress"];

/// Whether a response's `Transfer-Encoding` leaves its body in doubt (RFC 9112 §6.1, §6.3):
/// a registered coding other than `chunked` is still on the bytes (storing them without the
/// hop-by-hop field would serve coded bytes as the content), or a `Content-Length` beside it
/// describes something other than what was received (§6.3 item 3), or `chunked` came twice.
///
/// A name outside the registry is no coding any sender could have applied: the body arrived
/// delimited by the close as it was sent, so, like Apache httpd and Chrome (and as
/// http-cache-tests' required `headers-store-Transfer-Encoding` expects), it is stored
/// without the field (§3.1).
fn framing_in_doubt(headers: &http::HeaderMap) -> bool {
    let (mut any, mut chunked) = (false, 0);
    for element in headers
        .get_all(http::header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|line| crate::directives::list::elements(line.as_bytes()))
    {
        any = true;
        let name = element
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        if name.eq_ignore_ascii_case(b"chunked") {
            chunked += 1;
        }
        // Chunked twice: the client removes one layer, the other is still on the bytes.
        if chunked > 1 || APPLIED_CODINGS.iter().any(|c| name.eq_ignore_ascii_case(c)) {
            return true;
        }
    }
    any && headers.contains_key(http::header::CONTENT_LENGTH)
}

/// Whether a `Cache-Control` member is outside the grammar `token [ "=" ( token /
/// quoted-string ) ]` (RFC 9111 §5.2). Read leniently, such a member is ignored or its
/// argument distrusted; a shared cache cannot tell whether it was meant as `private`.
fn malformed_cache_control(headers: &http::HeaderMap) -> bool {
    use crate::directives::list::{self, Value};
    let token = |t: &[u8]| !t.is_empty() && t.iter().all(|&b| list::is_tchar(b));
    headers.get_all(CACHE_CONTROL).iter().any(|line| {
        list::members(line.as_bytes()).any(|m| {
            m.spaced
                || !token(m.name)
                || match m.value {
                    None => false,
                    Some(Value::Token(t)) => !token(t),
                    Some(Value::Quoted { terminated, .. }) => !terminated,
                }
        })
    })
}
