//! Validation (RFC 9111 §4.3): synthesising the conditional request (§4.3.1), answering a
//! caller's own conditional request from the cache (§4.3.2), choosing and updating stored
//! responses on a 304 (§4.3.3, §4.3.4, §3.2), and freshening with HEAD (§4.3.5).

use std::borrow::Borrow;
use std::time::SystemTime;

use http::header::{
    CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use http::{HeaderMap, StatusCode, request, response};

use crate::fields::{EntityTag, entity_tag_list, parse_http_date};
use crate::policy::{CachePolicy, clone_parts};
use crate::stored::StoredResponse;

/// What a HEAD response means for a stored GET response (§4.3.5).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum HeadOutcome {
    /// The validators (and `Content-Length`) agree: replace the stored metadata with this.
    Update(Box<StoredResponse>),
    /// They disagree: the stored response is to be considered stale (invalidate it).
    Invalidate,
    /// The HEAD response says nothing about the stored response (not a 200).
    Ignore,
}

impl CachePolicy {
    /// The request to send to validate `stored` for `req` (§4.3.1), and whether it carries
    /// validators. `If-None-Match` is added from the stored `ETag` (joined to the caller's
    /// own list, §4.3.2), else `If-Modified-Since` from `Last-Modified`; a caller's
    /// `If-Modified-Since` is left alone.
    pub fn conditional_request(
        &self,
        req: &request::Parts,
        stored: &StoredResponse,
    ) -> (request::Parts, bool) {
        let mut out = clone_parts(req);
        let h = &mut out.headers;
        if let Some(etag) = stored.headers().get(ETAG) {
            let ours = EntityTag::parse(etag.as_bytes());
            let callers: Vec<_> = entity_tag_list(&req.headers, &IF_NONE_MATCH).collect();
            if callers.contains(&None) {
                // The caller sent `If-None-Match: *`: it is its precondition, not ours.
                return (out, false);
            }
            if callers.is_empty() {
                h.insert(IF_NONE_MATCH, etag.clone());
            } else if !callers.iter().flatten().any(|t| Some(t) == ours.as_ref()) {
                h.append(IF_NONE_MATCH, etag.clone());
            }
            return (out, true);
        }
        if h.contains_key(IF_NONE_MATCH) || h.contains_key(IF_MODIFIED_SINCE) {
            return (out, false);
        }
        if let Some(lm) = stored.last_modified_value() {
            h.insert(IF_MODIFIED_SINCE, lm.clone());
            return (out, true);
        }
        (out, false)
    }

    /// Whether the caller's own conditional request (`If-None-Match`, else
    /// `If-Modified-Since`) is satisfied by `stored`, so that the answer is 304 (§4.3.2).
    /// `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2); `If-Modified-Since`
    /// compares with `Last-Modified`, else `Date`, else the time the response was received.
    pub fn precondition_matches(&self, req: &request::Parts, stored: &StoredResponse) -> bool {
        // `decide` skips this call for requests with neither field: keep the two in step.
        if stored.status() != StatusCode::OK {
            return false;
        }
        let h = &req.headers;
        if h.contains_key(IF_NONE_MATCH) {
            let ours = stored.etag();
            return entity_tag_list(h, &IF_NONE_MATCH).any(|t| match (t, ours) {
                (None, _) => true, // `*` matches any current representation
                (Some(t), Some(o)) => t.weak_eq(&o),
                (Some(_), None) => false,
            });
        }
        if !(req.method == http::Method::GET || req.method == http::Method::HEAD) {
            return false;
        }
        let Some(ims) = h
            .get(IF_MODIFIED_SINCE)
            .and_then(|v| parse_http_date(v.as_bytes()))
        else {
            return false;
        };
        let modified = stored
            .last_modified()
            .or(stored.facts.date)
            .unwrap_or(stored.response_time());
        modified <= ims
    }

    /// The head of a 304 answering the caller's own conditional request from `stored`
    /// (§4.3.2): the stored fields with `Age` set (RFC 9110 §15.4.5 asks for `Date`, `ETag`,
    /// `Cache-Control`, `Expires`, `Vary` and `Content-Location` as a 200 would have them),
    /// minus the representation metadata that would describe content a 304 does not have.
    pub fn not_modified_head(&self, stored: &StoredResponse, age: u64) -> response::Parts {
        let mut head = stored.response_head(age);
        head.status = StatusCode::NOT_MODIFIED;
        for name in [
            CONTENT_LENGTH,
            CONTENT_TYPE,
            CONTENT_ENCODING,
            CONTENT_LANGUAGE,
            CONTENT_RANGE,
        ] {
            head.headers.remove(name);
        }
        head
    }

    /// Which stored responses a 304 freshens (§4.3.4), given all the responses stored under
    /// the key and the index of the one whose validators were sent (`validated`, if any):
    /// every response with one of the 304's strong validators; else the most recent with a
    /// matching weak validator; else, when the 304 has no validator at all, the response that
    /// was validated (its validators were what the origin compared) or a lone stored response
    /// without validators.
    pub fn select_for_freshening<S: Borrow<StoredResponse>>(
        &self,
        stored: &[S],
        validated: Option<usize>,
        not_modified: &HeaderMap,
    ) -> Vec<usize> {
        let new_etag = not_modified
            .get(ETAG)
            .and_then(|v| EntityTag::parse(v.as_bytes()));
        let new_lm = not_modified.get(LAST_MODIFIED);
        if let Some(t) = new_etag.filter(|t| !t.weak) {
            return (0..stored.len())
                .filter(|&i| stored[i].borrow().etag().is_some_and(|e| e.strong_eq(&t)))
                .collect();
        }
        if new_etag.is_some() || new_lm.is_some() {
            let matches = |s: &StoredResponse| {
                new_etag.is_some_and(|t| s.etag().is_some_and(|e| e.weak_eq(&t)))
                    || (new_etag.is_none() && new_lm.is_some() && s.last_modified_value() == new_lm)
            };
            return (0..stored.len())
                .filter(|&i| matches(stored[i].borrow()))
                .max_by_key(|&i| {
                    let s = stored[i].borrow();
                    (s.date_or_received(), s.response_time())
                })
                .into_iter()
                .collect();
        }
        if let Some(i) = validated.filter(|&i| i < stored.len()) {
            return vec![i];
        }
        if stored.len() == 1 && !stored[0].borrow().has_validator() {
            return vec![0];
        }
        Vec::new()
    }

    /// `stored` updated with a 304's fields (§3.2, §4.3.4), the validation's request and
    /// response times becoming its new times (§4.2.3).
    pub fn freshen(
        &self,
        stored: &StoredResponse,
        not_modified: &response::Parts,
        request_time: SystemTime,
        response_time: SystemTime,
    ) -> StoredResponse {
        stored.updated(
            &not_modified.headers,
            request_time,
            response_time,
            &self.opts,
        )
    }

    /// What a 200 response to HEAD means for a stored GET response that could have been
    /// selected for it (§4.3.5): update when every validator the HEAD response carries (and
    /// its `Content-Length`) matches the stored one, else invalidate.
    pub fn head_outcome(
        &self,
        stored: &StoredResponse,
        head: &response::Parts,
        request_time: SystemTime,
        response_time: SystemTime,
    ) -> HeadOutcome {
        if head.status != StatusCode::OK {
            return HeadOutcome::Ignore;
        }
        let same = |name| match head.headers.get(&name) {
            None => true,
            Some(v) => stored.headers().get(&name).map(HeaderValue::as_bytes) == Some(v.as_bytes()),
        };
        if same(ETAG) && same(LAST_MODIFIED) && same(CONTENT_LENGTH) {
            HeadOutcome::Update(Box::new(stored.updated(
                &head.headers,
                request_time,
                response_time,
                &self.opts,
            )))
        } else {
            HeadOutcome::Invalidate
        }
    }
}
