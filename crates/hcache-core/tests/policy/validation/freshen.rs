//! §3.2 / §4.3.4: what a 304 does to the stored response it freshens (`freshen`).

use hcache_core::{Decision, StoredResponse};
use http::StatusCode;

use super::validation_at;
use crate::support::*;

/// `case`'s stored response freshened by a 304 carrying `lines`, received at `T0 + at` for a
/// request sent then.
fn freshened(case: &Case, lines: &[&str], at: i64) -> StoredResponse {
    case.policy()
        .freshen(&case.stored(), &res(304, lines), t(at), t(at))
}

/// The values of `name` in the stored header section.
fn values(s: &StoredResponse, name: &str) -> Vec<String> {
    s.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

/// A response fresh for 60 s (`Date: {T}`, `ETag: "v1"`) with the extra fields `lines`.
fn stored_with(lines: &[&str]) -> Case {
    Case::new()
        .res_all(&["Cache-Control: max-age=60", "Date: {T}", r#"ETag: "v1""#])
        .res_all(lines)
}

/// The decision for `case`'s later request against `stored` at `T0 + secs`.
fn decide(case: &Case, stored: StoredResponse, secs: i64) -> Decision {
    case.policy()
        .decide(&case.next_request(), &[stored], t(secs))
}

// §3.2: the cache "MUST add each header field in the provided response to the stored
// response, replacing field values that are already present".
#[test]
fn s3_2_304_field_replaces_stored_field() {
    let s = freshened(&stored_with(&["X-A: 1"]), &["X-A: 2"], 100);
    assert_eq!(values(&s, "x-a"), ["2"]);
}

#[test]
fn s3_2_304_adds_new_field() {
    let s = freshened(&stored_with(&[]), &["X-New: yes"], 100);
    assert_eq!(values(&s, "x-new"), ["yes"]);
}

#[test]
fn s3_2_304_repeated_lines_replace_all_stored_lines() {
    let case = stored_with(&["Link: <a>", "Link: <b>", "Link: <c>"]);
    let s = freshened(&case, &["Link: <d>", "Link: <e>"], 100);
    assert_eq!(values(&s, "link"), ["<d>", "<e>"]);
}

#[test]
fn s3_2_fields_absent_from_304_kept() {
    let case = stored_with(&["Content-Type: text/html", "X-A: 1", "X-A: 2"]);
    let s = freshened(&case, &["X-B: 3"], 100);
    assert_eq!(values(&s, "content-type"), ["text/html"]);
    assert_eq!(values(&s, "x-a"), ["1", "2"]);
    assert_eq!(values(&s, "etag"), [r#""v1""#]);
}

#[test]
fn s3_2_stored_status_kept() {
    let s = freshened(&stored_with(&[]), &[], 100);
    assert_eq!(s.status(), StatusCode::OK);
}

#[test]
fn s3_2_selecting_fields_kept() {
    let case = stored_with(&["Vary: Accept"]).req("Accept: text/html");
    let before = case.stored();
    let s = freshened(&case, &["Vary: Accept"], 100);
    assert_eq!(s.vary(), before.vary());
}

// §3.2: except "the Content-Length header field" (the 304 has no content; its length would
// describe nothing stored). Documented choice: Content-Range likewise.
#[test]
fn s3_2_304_content_length_not_applied() {
    let s = freshened(
        &stored_with(&["Content-Length: 100"]),
        &["Content-Length: 0"],
        100,
    );
    assert_eq!(values(&s, "content-length"), ["100"]);
}

#[test]
fn s3_2_304_content_length_not_added() {
    let s = freshened(&stored_with(&[]), &["Content-Length: 0"], 100);
    assert!(values(&s, "content-length").is_empty());
}

#[test]
fn s3_2_304_content_range_not_applied() {
    let s = freshened(&stored_with(&[]), &["Content-Range: bytes 0-9/10"], 100);
    assert!(values(&s, "content-range").is_empty());
}

// §3.2: except "Header fields excepted from storage in Section 3.1": the Connection field,
// the fields it names, and the other connection-specific fields (RFC 9110 §7.6.1).
#[test]
fn s3_2_304_connection_and_named_fields_not_applied() {
    let case = stored_with(&["X-Hop: stored"]);
    let s = freshened(&case, &["Connection: close, x-hop", "X-Hop: new"], 100);
    assert!(values(&s, "connection").is_empty());
    assert_eq!(values(&s, "x-hop"), ["stored"]);
}

/// Asserts that a 304 carrying `line` leaves no field of that name in the stored response.
fn assert_not_applied(line: &str) {
    let name = line
        .split_once(':')
        .expect("name: value")
        .0
        .to_ascii_lowercase();
    let s = freshened(&stored_with(&[]), &[line, "X-Other: 1"], 100);
    assert!(values(&s, &name).is_empty(), "{name} applied");
    assert_eq!(values(&s, "x-other"), ["1"]);
}

#[test]
fn s3_2_304_keep_alive_not_applied() {
    assert_not_applied("Keep-Alive: timeout=5");
}

#[test]
fn s3_2_304_te_not_applied() {
    assert_not_applied("TE: trailers");
}

#[test]
fn s3_2_304_transfer_encoding_not_applied() {
    assert_not_applied("Transfer-Encoding: chunked");
}

#[test]
fn s3_2_304_upgrade_not_applied() {
    assert_not_applied("Upgrade: h2c");
}

#[test]
fn s3_2_304_proxy_authenticate_not_applied() {
    assert_not_applied("Proxy-Authenticate: Basic realm=\"p\"");
}

// §3.1 / §5.2.2.7: a shared cache does not store the fields a qualified `private` names,
// whether they come with the response or with a 304 that updates it.
#[test]
fn s3_2_shared_cache_does_not_apply_private_qualified_fields() {
    let case = stored_with(&[]).shared();
    let s = freshened(
        &case,
        &[
            r#"Cache-Control: max-age=60, private="x-user""#,
            "X-User: bob",
        ],
        100,
    );
    assert!(values(&s, "x-user").is_empty());
}

#[test]
fn s3_2_private_cache_applies_private_qualified_fields() {
    let case = stored_with(&[]);
    let s = freshened(
        &case,
        &[
            r#"Cache-Control: max-age=60, private="x-user""#,
            "X-User: bob",
        ],
        100,
    );
    assert_eq!(values(&s, "x-user"), ["bob"]);
}

// §4.3.4 / §4.2.3: the validation's request and response times replace the stored ones, so
// age is counted from the validation.
#[test]
fn s4_3_4_freshened_times_are_the_validations() {
    let case = stored_with(&[]);
    let s = case
        .policy()
        .freshen(&case.stored(), &res(304, &[]), t(99), t(100));
    assert_eq!((s.request_time(), s.response_time()), (t(99), t(100)));
}

#[test]
fn s4_3_4_freshened_response_is_fresh_again() {
    let case = stored_with(&[]);
    assert!(matches!(case.decide_at(100), Decision::Validate(_)));
    let s = freshened(&case, &["Date: {T+100}", "Cache-Control: max-age=60"], 100);
    match decide(&case, s, 130) {
        Decision::Fresh(r) => assert_eq!((r.age, r.ttl), (30, 30)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn s4_3_4_not_modified_without_cache_control_keeps_stored_lifetime() {
    let case = stored_with(&[]);
    let s = freshened(&case, &["Date: {T+100}"], 100);
    assert_eq!(s.freshness_lifetime(&case.opts).secs, 60);
    assert!(matches!(decide(&case, s, 150), Decision::Fresh(_)));
}

#[test]
fn s4_3_4_not_modified_cache_control_changes_lifetime() {
    let case = stored_with(&[]);
    let s = freshened(&case, &["Date: {T+100}", "Cache-Control: max-age=5"], 100);
    assert_eq!(s.freshness_lifetime(&case.opts).secs, 5);
    assert!(matches!(decide(&case, s.clone(), 104), Decision::Fresh(_)));
    assert!(matches!(decide(&case, s, 106), Decision::Validate(_)));
}

#[test]
fn s4_3_4_not_modified_age_contributes_to_age() {
    let case = stored_with(&[]);
    let s = freshened(&case, &["Date: {T+100}", "Age: 10"], 100);
    assert_eq!(s.current_age(t(100)), 10);
    assert_eq!(s.current_age(t(130)), 40);
    assert_eq!(values(&s, "age"), ["10"]);
}

// The whole exchange: stale → conditional request → 304 → select → freshen → fresh hit.
#[test]
fn s4_3_4_validation_round_trip_refreshes_the_entry() {
    let case = stored_with(&["X-Version: 1"]);
    let policy = case.policy();
    let mut stored = vec![case.stored()];
    let v = validation_at(&case, 100);
    let not_modified = res(304, &[r#"ETag: "v1""#, "Date: {T+100}", "X-Version: 2"]);
    let selected = policy.select_for_freshening(&stored, Some(v.index), &not_modified.headers);
    assert_eq!(selected, [0]);
    stored[0] = policy.freshen(&stored[0], &not_modified, t(100), t(100));
    match policy.decide(&case.next_request(), &stored, t(110)) {
        Decision::Fresh(r) => {
            assert_eq!(r.age, 10);
            assert_eq!(stored[0].response_head(r.age).headers["x-version"], "2");
        }
        other => panic!("{other:?}"),
    }
}
