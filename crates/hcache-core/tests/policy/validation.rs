//! Validation (RFC 9111 §4.3): the conditional request the cache sends (§4.3.1), the caller's
//! own conditional requests (§4.3.2), choosing the stored responses a 304 freshens (§4.3.3,
//! §4.3.4, in `select`), applying it (§3.2, in `freshen`) and freshening with HEAD (§4.3.5,
//! in `head`).

mod freshen;
mod head;
mod select;

use hcache_core::{Decision, ForwardReason, StaleReason, Validation};
use http::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH};
use http::{HeaderMap, Method};

use crate::outcomes;
use crate::support::*;

/// The validation decided for the later request at `T0 + secs` (panics on anything else).
fn validation_at(case: &Case, secs: i64) -> Validation {
    match case.decide_at(secs) {
        Decision::Validate(v) => *v,
        other => panic!("expected Validate, got {other:?}"),
    }
}

/// Every member of the `If-None-Match` field lines of `h`, in order.
fn inm(h: &HeaderMap) -> Vec<String> {
    h.get_all(IF_NONE_MATCH)
        .iter()
        .flat_map(|v| {
            v.to_str()
                .expect("ascii")
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Every `If-Modified-Since` field line of `h`.
fn ims(h: &HeaderMap) -> Vec<String> {
    h.get_all(IF_MODIFIED_SINCE)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

/// A response fresh for 60 s with `ETag: etag`, stored at T0.
fn etagged(etag: &str) -> Case {
    Case::new()
        .res("Cache-Control: max-age=60")
        .res(&format!("ETag: {etag}"))
}

/// A response fresh for 60 s with `Last-Modified: {T-3600}`, stored at T0.
fn last_modified() -> Case {
    Case::new().res_all(&["Cache-Control: max-age=60", "Last-Modified: {T-3600}"])
}

// ---- §4.3.1 Sending a validation request ----

// §4.3.1: a cache "MUST send the relevant entity tags (using If-Match, If-None-Match, or
// If-Range) if the entity tags were provided in the stored response(s) being validated".
#[test]
fn s4_3_1_strong_etag_sent_as_if_none_match() {
    let v = validation_at(&etagged(r#""v1""#), 120);
    assert!(v.conditional);
    assert_eq!(inm(&v.request.headers), [r#""v1""#]);
}

#[test]
fn s4_3_1_weak_etag_sent_as_if_none_match() {
    let v = validation_at(&etagged(r#"W/"v1""#), 120);
    assert!(v.conditional);
    assert_eq!(inm(&v.request.headers), [r#"W/"v1""#]);
}

// Documented choice: the entity-tag, when there is one, is the only validator added (the
// origin ignores If-Modified-Since beside If-None-Match, RFC 9110 §13.1.3).
#[test]
fn s4_3_1_etag_preferred_over_last_modified() {
    let v = validation_at(&etagged(r#""v1""#).res("Last-Modified: {T-3600}"), 120);
    assert_eq!(inm(&v.request.headers), [r#""v1""#]);
    assert!(ims(&v.request.headers).is_empty());
}

// §4.3.1: a cache "SHOULD send the Last-Modified value (using If-Modified-Since) if ... a
// single stored response is being validated, and that response contains a Last-Modified value".
#[test]
fn s4_3_1_last_modified_sent_as_if_modified_since() {
    let v = validation_at(&last_modified(), 120);
    assert!(v.conditional);
    assert_eq!(ims(&v.request.headers), [date(-3600)]);
    assert!(inm(&v.request.headers).is_empty());
}

#[test]
fn s4_3_1_no_validator_sends_no_precondition() {
    let v = validation_at(&Case::new().res("Cache-Control: max-age=60"), 120);
    assert!(!v.conditional);
    assert!(!v.request.headers.contains_key(IF_NONE_MATCH));
    assert!(!v.request.headers.contains_key(IF_MODIFIED_SINCE));
    assert_eq!(v.reason, ForwardReason::Stale);
}

// §4.3.1: a stale stored response is validated, conditionally when it has a validator.
outcomes! {
    s4_3_1_stale_with_etag_is_validated: etagged(r#""v1""#), at 120 => Validate;
    s4_3_1_stale_with_weak_etag_is_validated: etagged(r#"W/"v1""#), at 120 => Validate;
    s4_3_1_stale_with_last_modified_is_validated: last_modified(), at 120 => Validate;
    s4_3_1_stale_without_validator_is_forwarded_unconditionally:
        Case::new().res("Cache-Control: max-age=60"), at 120 => ValidateUnconditional;
}

// §4.3.2: "the cache MAY combine the received list with a list of entity-tags from its own
// stored set of responses ... and send the union of the two lists".
#[test]
fn s4_3_2_callers_if_none_match_list_kept_and_stored_etag_added() {
    let case = etagged(r#""v1""#).next(r#"If-None-Match: "a", "b""#);
    let v = validation_at(&case, 120);
    assert!(v.conditional);
    assert_eq!(inm(&v.request.headers), [r#""a""#, r#""b""#, r#""v1""#]);
}

#[test]
fn s4_3_2_callers_if_none_match_lines_all_kept() {
    let case = etagged(r#""v1""#)
        .next(r#"If-None-Match: "a""#)
        .next(r#"If-None-Match: W/"b""#);
    let v = validation_at(&case, 120);
    assert_eq!(inm(&v.request.headers), [r#""a""#, r#"W/"b""#, r#""v1""#]);
}

#[test]
fn s4_3_2_stored_etag_not_repeated_when_caller_sent_it() {
    let case = etagged(r#""v1""#).next(r#"If-None-Match: "v1", "a""#);
    let v = validation_at(&case, 120);
    assert!(v.conditional);
    assert_eq!(inm(&v.request.headers), [r#""v1""#, r#""a""#]);
}

// `If-None-Match: *` is the caller's own precondition on any representation: not ours to
// extend.
#[test]
fn s4_3_2_callers_if_none_match_star_left_alone() {
    let v = validation_at(&etagged(r#""v1""#).next("If-None-Match: *"), 120);
    assert!(!v.conditional);
    assert_eq!(inm(&v.request.headers), ["*"]);
}

#[test]
fn s4_3_1_callers_if_modified_since_left_alone() {
    let v = validation_at(&last_modified().next("If-Modified-Since: {T-10}"), 120);
    assert!(!v.conditional);
    assert_eq!(ims(&v.request.headers), [date(-10)]);
}

#[test]
fn s4_3_1_callers_if_modified_since_kept_beside_stored_etag() {
    let case = etagged(r#""v1""#).next("If-Modified-Since: {T-10}");
    let v = validation_at(&case, 120);
    assert!(v.conditional);
    assert_eq!(inm(&v.request.headers), [r#""v1""#]);
    assert_eq!(ims(&v.request.headers), [date(-10)]);
}

// The caller's If-None-Match takes precedence over any If-Modified-Since at the origin
// (RFC 9110 §13.1.3), so none is added beside it.
#[test]
fn s4_3_1_callers_if_none_match_gets_no_if_modified_since() {
    let v = validation_at(&last_modified().next(r#"If-None-Match: "x""#), 120);
    assert!(!v.conditional);
    assert_eq!(inm(&v.request.headers), [r#""x""#]);
    assert!(ims(&v.request.headers).is_empty());
}

// §4.3.1: the conditional request is the presented request with validators added; nothing
// else of it changes.
#[test]
fn s4_3_1_other_request_fields_kept() {
    let case = etagged(r#""v1""#)
        .next("Accept: text/html")
        .next("X-Trace: 7")
        .next("Authorization: Bearer t");
    let v = validation_at(&case, 120);
    let h = &v.request.headers;
    assert_eq!(h["accept"], "text/html");
    assert_eq!(h["x-trace"], "7");
    assert_eq!(h["authorization"], "Bearer t");
    assert_eq!(h.len(), 4);
}

#[test]
fn s4_3_1_method_and_target_kept() {
    let case = Case {
        uri: "http://example.com/r?q=1".into(),
        ..etagged(r#""v1""#)
    };
    let v = validation_at(&case, 120);
    assert_eq!(v.request.method, Method::GET);
    assert_eq!(v.request.uri, "http://example.com/r?q=1");
}

#[test]
fn s4_3_1_head_request_validated_with_head() {
    let v = validation_at(&etagged(r#""v1""#).next_method(Method::HEAD), 120);
    assert_eq!(v.request.method, Method::HEAD);
    assert!(v.conditional);
    assert_eq!(inm(&v.request.headers), [r#""v1""#]);
}

#[test]
fn s4_3_1_head_request_without_validators_keeps_head() {
    let case = Case::new()
        .res("Cache-Control: max-age=60")
        .next_method(Method::HEAD);
    let v = validation_at(&case, 120);
    assert_eq!(v.request.method, Method::HEAD);
    assert!(!v.conditional);
}

// A fresh response the request asks to revalidate (§5.2.1.4) is validated conditionally too.
#[test]
fn s4_3_1_request_no_cache_validates_conditionally() {
    let v = validation_at(&etagged(r#""v1""#).next("Cache-Control: no-cache"), 10);
    assert!(v.conditional);
    assert_eq!(v.reason, ForwardReason::Request);
    assert_eq!(inm(&v.request.headers), [r#""v1""#]);
}

// The background revalidation of stale-while-revalidate is a §4.3.1 validation request.
#[test]
fn rfc5861_s3_background_revalidation_is_conditional() {
    let case = etagged(r#""v1""#).res("Cache-Control: stale-while-revalidate=60");
    match case.decide_at(90) {
        Decision::Stale {
            reason: StaleReason::WhileRevalidate,
            revalidate: Some(r),
            ..
        } => assert_eq!(inm(&r.headers), [r#""v1""#]),
        other => panic!("{other:?}"),
    }
}

// §4.3.1: the validators are those of "the stored response(s) being validated": the one
// selected (§4: the most recent).
#[test]
fn s4_3_1_validators_come_from_the_selected_response() {
    let older = etagged(r#""old""#).res("Date: {T}");
    let newer = Case::new().res_all(&[
        "Cache-Control: max-age=60",
        "Date: {T+10}",
        r#"ETag: "new""#,
    ]);
    let policy = older.policy();
    let stored = [older.stored(), newer.timing(10, 10).stored()];
    match policy.decide(&older.next_request(), &stored, t(200)) {
        Decision::Validate(v) => {
            assert_eq!(v.index, 1);
            assert_eq!(inm(&v.request.headers), [r#""new""#]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn s4_3_1_conditional_request_called_directly() {
    let case = etagged(r#""v1""#).next("Accept: */*");
    let (request, conditional) = case
        .policy()
        .conditional_request(&case.next_request(), &case.stored());
    assert!(conditional);
    assert_eq!(inm(&request.headers), [r#""v1""#]);
    assert_eq!(request.headers["accept"], "*/*");
}

// ---- §4.3.2 Handling a received validation request ----

/// `name: case => whether the later request's precondition matches the stored response;`
macro_rules! preconditions {
    ($( $name:ident : $case:expr => $expect:expr; )*) => {
        $(
            #[test]
            fn $name() {
                let case: Case = $case;
                let matched = case
                    .policy()
                    .precondition_matches(&case.next_request(), &case.stored());
                assert_eq!(matched, $expect);
            }
        )*
    };
}

// §4.3.2: If-None-Match is evaluated against the selected stored response with the weak
// comparison (RFC 9110 §13.1.2); `*` matches any.
preconditions! {
    s4_3_2_if_none_match_same_tag_matches:
        etagged(r#""v1""#).next(r#"If-None-Match: "v1""#) => true;
    s4_3_2_if_none_match_weak_tag_matches_strong_stored_tag:
        etagged(r#""v1""#).next(r#"If-None-Match: W/"v1""#) => true;
    s4_3_2_if_none_match_strong_tag_matches_weak_stored_tag:
        etagged(r#"W/"v1""#).next(r#"If-None-Match: "v1""#) => true;
    s4_3_2_if_none_match_other_tag_does_not_match:
        etagged(r#""v1""#).next(r#"If-None-Match: "v2""#) => false;
    s4_3_2_if_none_match_any_list_member_matches:
        etagged(r#""v1""#).next(r#"If-None-Match: "a", "v1", "b""#) => true;
    s4_3_2_if_none_match_member_on_second_line_matches:
        etagged(r#""v1""#).next(r#"If-None-Match: "a""#).next(r#"If-None-Match: "v1""#) => true;
    s4_3_2_if_none_match_star_matches_any:
        etagged(r#""v1""#).next("If-None-Match: *") => true;
    s4_3_2_if_none_match_without_stored_etag_does_not_match:
        last_modified().next(r#"If-None-Match: "v1""#) => false;
}

// §4.3.2: "If-None-Match takes precedence over If-Modified-Since".
preconditions! {
    s4_3_2_if_none_match_takes_precedence_over_if_modified_since:
        etagged(r#""v1""#).res("Last-Modified: {T-3600}")
            .next(r#"If-None-Match: "v2""#).next("If-Modified-Since: {T}") => false;
}

// §4.3.2: If-Modified-Since compares with Last-Modified, else with Date, else with the time
// the response was received.
preconditions! {
    s4_3_2_if_modified_since_after_last_modified_matches:
        last_modified().next("If-Modified-Since: {T-100}") => true;
    s4_3_2_if_modified_since_equal_to_last_modified_matches:
        last_modified().next("If-Modified-Since: {T-3600}") => true;
    s4_3_2_if_modified_since_before_last_modified_does_not_match:
        last_modified().next("If-Modified-Since: {T-3601}") => false;
    s4_3_2_if_modified_since_uses_date_without_last_modified:
        Case::new().res_all(&["Cache-Control: max-age=60", "Date: {T-10}"])
            .next("If-Modified-Since: {T-10}") => true;
    s4_3_2_if_modified_since_before_date_does_not_match:
        Case::new().res_all(&["Cache-Control: max-age=60", "Date: {T-10}"])
            .next("If-Modified-Since: {T-11}") => false;
    s4_3_2_if_modified_since_uses_receipt_time_without_date:
        Case::new().res("Cache-Control: max-age=60").timing(0, 5)
            .next("If-Modified-Since: {T+5}") => true;
    s4_3_2_if_modified_since_before_receipt_time_does_not_match:
        Case::new().res("Cache-Control: max-age=60").timing(0, 5)
            .next("If-Modified-Since: {T+4}") => false;
    s4_3_2_invalid_if_modified_since_does_not_match:
        last_modified().next("If-Modified-Since: yesterday") => false;
    s4_3_2_if_modified_since_on_head_is_evaluated:
        last_modified().next_method(Method::HEAD).next("If-Modified-Since: {T}") => true;
}

// §4.3.2: only "stored 200 (OK) or 206 (Partial Content) responses" answer a precondition
// with 304 (hcache stores no 206).
preconditions! {
    s4_3_2_non_200_stored_response_does_not_match:
        etagged(r#""v1""#).status(404).next(r#"If-None-Match: "v1""#) => false;
}

// §4.3.2 through `decide`: a fresh response matching the caller's precondition is answered
// with 304; preconditions that "only apply to an origin server" go forward untouched.
outcomes! {
    s4_3_2_fresh_match_answers_not_modified:
        etagged(r#""v1""#).next(r#"If-None-Match: "v1""#), at 10 => FreshNotModified;
    s4_3_2_fresh_mismatch_answers_the_stored_response:
        etagged(r#""v1""#).next(r#"If-None-Match: "v0""#), at 10 => Fresh;
    s4_3_2_if_match_goes_to_the_origin:
        etagged(r#""v1""#).next(r#"If-Match: "v1""#), at 10 => Forward(ForwardReason::Request);
    s4_3_2_if_unmodified_since_goes_to_the_origin:
        last_modified().next("If-Unmodified-Since: {T}"), at 10 => Forward(ForwardReason::Request);
}
