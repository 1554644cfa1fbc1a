//! §4.3.5: freshening (or invalidating) a stored GET response with a HEAD response
//! (`head_outcome`).

use hcache_core::{Decision, HeadOutcome, StoredResponse};

use crate::support::*;

/// A stored GET response fresh for 60 s from T0 with the extra fields `lines`.
fn stored_with(lines: &[&str]) -> Case {
    Case::new()
        .res_all(&["Cache-Control: max-age=60", "Date: {T}"])
        .res_all(lines)
}

/// What a HEAD response with `status` and `lines`, received at `T0 + at`, means for `case`'s
/// stored response.
fn head(case: &Case, status: u16, lines: &[&str], at: i64) -> HeadOutcome {
    case.policy()
        .head_outcome(&case.stored(), &res(status, lines), t(at), t(at))
}

/// The updated response of an `Update` outcome (panics on anything else).
fn updated(outcome: HeadOutcome) -> StoredResponse {
    match outcome {
        HeadOutcome::Update(s) => *s,
        other => panic!("expected Update, got {other:?}"),
    }
}

// §4.3.5: "if the stored response and HEAD response have matching values for any received
// validator fields (ETag and Last-Modified) and, if the HEAD response has a Content-Length
// header field, the value of Content-Length matches that of the stored response, the cache
// SHOULD update the stored response ...; otherwise, the cache SHOULD consider the stored
// response to be stale."
#[test]
fn s4_3_5_same_etag_updates() {
    let case = stored_with(&[r#"ETag: "v1""#]);
    assert!(matches!(
        head(&case, 200, &[r#"ETag: "v1""#], 100),
        HeadOutcome::Update(_)
    ));
}

#[test]
fn s4_3_5_different_etag_invalidates() {
    let case = stored_with(&[r#"ETag: "v1""#]);
    assert!(matches!(
        head(&case, 200, &[r#"ETag: "v2""#], 100),
        HeadOutcome::Invalidate
    ));
}

#[test]
fn s4_3_5_etag_where_stored_has_none_invalidates() {
    let case = stored_with(&["Last-Modified: {T-100}"]);
    let outcome = head(
        &case,
        200,
        &[r#"ETag: "v1""#, "Last-Modified: {T-100}"],
        100,
    );
    assert!(matches!(outcome, HeadOutcome::Invalidate));
}

#[test]
fn s4_3_5_same_last_modified_updates() {
    let case = stored_with(&["Last-Modified: {T-100}"]);
    assert!(matches!(
        head(&case, 200, &["Last-Modified: {T-100}"], 100),
        HeadOutcome::Update(_)
    ));
}

#[test]
fn s4_3_5_different_last_modified_invalidates() {
    let case = stored_with(&[r#"ETag: "v1""#, "Last-Modified: {T-100}"]);
    let outcome = head(&case, 200, &[r#"ETag: "v1""#, "Last-Modified: {T-50}"], 100);
    assert!(matches!(outcome, HeadOutcome::Invalidate));
}

#[test]
fn s4_3_5_content_length_mismatch_invalidates() {
    let case = stored_with(&[r#"ETag: "v1""#, "Content-Length: 10"]);
    let outcome = head(&case, 200, &[r#"ETag: "v1""#, "Content-Length: 11"], 100);
    assert!(matches!(outcome, HeadOutcome::Invalidate));
}

#[test]
fn s4_3_5_without_validators_same_content_length_updates() {
    let case = stored_with(&["Content-Length: 10"]);
    assert!(matches!(
        head(&case, 200, &["Content-Length: 10"], 100),
        HeadOutcome::Update(_)
    ));
}

#[test]
fn s4_3_5_without_validators_or_content_length_updates() {
    let case = stored_with(&[r#"ETag: "v1""#, "Content-Length: 10"]);
    assert!(matches!(
        head(&case, 200, &["X-A: 1"], 100),
        HeadOutcome::Update(_)
    ));
}

// §4.3.5: "the cache MUST use the header fields provided in the HEAD response to update the
// stored response (see Section 3.2)", and the HEAD exchange's times become the stored ones.
#[test]
fn s4_3_5_update_applies_head_fields() {
    let case = stored_with(&[r#"ETag: "v1""#, "X-A: old", "X-Kept: 1"]);
    let s = updated(head(
        &case,
        200,
        &[r#"ETag: "v1""#, "X-A: new", "X-B: 2"],
        100,
    ));
    assert_eq!(s.headers()["x-a"], "new");
    assert_eq!(s.headers()["x-b"], "2");
    assert_eq!(s.headers()["x-kept"], "1");
}

#[test]
fn s4_3_5_update_takes_the_head_exchange_times() {
    let case = stored_with(&[r#"ETag: "v1""#]);
    let s = updated(case.policy().head_outcome(
        &case.stored(),
        &res(200, &[r#"ETag: "v1""#]),
        t(98),
        t(100),
    ));
    assert_eq!((s.request_time(), s.response_time()), (t(98), t(100)));
}

#[test]
fn s4_3_5_update_makes_stale_response_fresh() {
    let case = stored_with(&[r#"ETag: "v1""#]);
    let s = updated(head(&case, 200, &[r#"ETag: "v1""#, "Date: {T+100}"], 100));
    match case.policy().decide(&case.next_request(), &[s], t(110)) {
        Decision::Fresh(r) => assert_eq!((r.age, r.ttl), (10, 50)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn s4_3_5_update_does_not_apply_connection_fields() {
    let case = stored_with(&[r#"ETag: "v1""#]);
    let s = updated(head(
        &case,
        200,
        &[r#"ETag: "v1""#, "Connection: x-hop", "X-Hop: 1"],
        100,
    ));
    assert!(!s.headers().contains_key("connection"));
    assert!(!s.headers().contains_key("x-hop"));
}

// §4.3.5: only "a 200 (OK) response" to HEAD says anything about the stored GET response.
#[test]
fn s4_3_5_not_modified_head_response_ignored() {
    let case = stored_with(&[r#"ETag: "v1""#]);
    assert!(matches!(
        head(&case, 304, &[r#"ETag: "v1""#], 100),
        HeadOutcome::Ignore
    ));
}

#[test]
fn s4_3_5_error_head_response_ignored() {
    let case = stored_with(&[r#"ETag: "v1""#]);
    assert!(matches!(
        head(&case, 404, &[r#"ETag: "v2""#], 100),
        HeadOutcome::Ignore
    ));
}
