//! The age calculation (RFC 9111 §4.2.3) with exact arithmetic, and the `Age` a reuse sends
//! (§4, §5.1).
//!
//! ```text
//! apparent_age          = max(0, response_time - date_value)
//! corrected_age_value   = age_value + (response_time - request_time)
//! corrected_initial_age = max(apparent_age, corrected_age_value)
//! current_age           = corrected_initial_age + (now - response_time)
//! ```

use hcache_core::{CacheOptions, Decision, LifetimeSource};

use super::base;
use crate::outcomes;
use crate::support::*;

/// One named test per row: `name: case, at secs => (age, ttl);` (the reuse's `Age` and
/// remaining freshness).
macro_rules! ages {
    ($( $(#[$meta:meta])* $name:ident : $case:expr, at $secs:expr => ($age:expr, $ttl:expr); )*)
        => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                let case: Case = $case;
                assert_eq!(case.age_ttl_at($secs), ($age, $ttl));
            }
        )*
    };
}

/// A response fresh for 1000 s, with the extra header lines.
fn fresh_1000(lines: &[&str]) -> Case {
    base().res("cache-control: max-age=1000").res_all(lines)
}

/// 2^31: the largest delta-seconds a recipient keeps (§1.3).
const MAX_DELTA: u64 = 1 << 31;

/// `Fri, 31 Dec 9999 23:59:59 GMT` in seconds since the epoch.
const Y9999: u64 = 253_402_300_799;

// apparent_age = max(0, response_time − date_value), plus resident time.
ages! {
    s4_2_3_no_date_no_age_is_resident_time:
        fresh_1000(&[]), at 30 => (30, 970);
    s4_2_3_apparent_age_from_date:
        fresh_1000(&["date: {T-10}"]), at 0 => (10, 990);
    s4_2_3_apparent_age_plus_resident_time:
        fresh_1000(&["date: {T-10}"]), at 20 => (30, 970);
    s4_2_3_date_in_future_apparent_age_is_zero:
        fresh_1000(&["date: {T+60}"]), at 5 => (5, 995);
    s4_2_3_date_before_1970_is_invalid_and_ignored:
        fresh_1000(&["date: Thu, 01 Jan 1960 00:00:00 GMT"]), at 10 => (10, 990);
    s4_2_3_date_in_year_9999_apparent_age_is_zero:
        fresh_1000(&["date: Fri, 31 Dec 9999 23:59:59 GMT"]), at 3 => (3, 997);
}

// corrected_age_value = age_value + response_delay; the larger of the two estimates wins.
ages! {
    s4_2_3_age_header_larger_than_apparent_age:
        fresh_1000(&["date: {T-10}", "age: 50"]), at 0 => (50, 950);
    s4_2_3_apparent_age_larger_than_age_header:
        fresh_1000(&["date: {T-10}", "age: 5"]), at 0 => (10, 990);
    s4_2_3_response_delay_added_to_age_value:
        fresh_1000(&["date: {T+4}", "age: 10"]).timing(0, 4), at 4 => (14, 986);
    s4_2_3_response_delay_counted_without_age_header:
        fresh_1000(&["date: {T+4}"]).timing(0, 4), at 4 => (4, 996);
    s4_2_3_apparent_age_beats_response_delay:
        fresh_1000(&["date: {T-20}"]).timing(0, 4), at 4 => (24, 976);
}

// resident_time = now − response_time; a clock set back (now < response_time) adds nothing.
ages! {
    s4_2_3_clock_set_back_resident_time_is_zero:
        fresh_1000(&[]).timing(100, 100), at 50 => (0, 1000);
    s4_2_3_clock_set_back_keeps_initial_age:
        fresh_1000(&["age: 7"]).timing(100, 100), at 50 => (7, 993);
    s4_2_3_clock_set_back_keeps_apparent_age:
        fresh_1000(&["date: {T+90}"]).timing(100, 100), at 0 => (10, 990);
}

// Saturating arithmetic: huge ages and lifetimes never overflow.
outcomes! {
    s4_2_3_age_of_2_pow_31_is_stale:
        base().res_all(&["cache-control: max-age=31536000", "age: 2147483648"]), at 0 => Validate;
    s4_2_3_age_beyond_2_pow_31_saturates_and_is_stale:
        base().res_all(&["cache-control: max-age=31536000", "age: 99999999999999999999999"]), at 0
            => Validate;
    s4_2_3_age_of_2_pow_31_fresh_under_year_9999_expires:
        base().res_all(&["date: {T}", "expires: Fri, 31 Dec 9999 23:59:59 GMT", "age: 2147483648"]),
            at 0 => Fresh;
    s4_2_3_year_9999_expires_fresh_centuries_later:
        base().res_all(&["date: {T}", "expires: Fri, 31 Dec 9999 23:59:59 GMT"]),
            at 10_000_000_000 => Fresh;
    // §5.1: an invalid Age ("a list or something other than a non-negative integer")
    // makes the response stale.
    s5_1_invalid_age_is_stale:
        base().res_all(&["cache-control: max-age=1000", "age: abc"]), at 0 => Validate;
    s5_1_list_age_is_stale:
        base().res_all(&["cache-control: max-age=1000", "age: 10, 20"]), at 0 => Validate;
    // Documented choice: several Age lines are read as a list (RFC 9110 §5.3), hence invalid
    // and stale, rather than §5.1's suggested "use the first field line".
    s5_1_several_age_lines_are_stale:
        base().res_all(&["cache-control: max-age=1000", "age: 10", "age: 20"]), at 0 => Validate;
    // §5.3 / RFC 9110 §5.6.7: a date before 1970 is not a valid HTTP-date here: expired.
    s4_2_1_expires_before_1970_is_stale:
        base().res_all(&["date: {T}", "expires: Thu, 01 Jan 1960 00:00:00 GMT"]), at 0 => Validate;
}

#[test]
fn s4_2_3_age_of_2_pow_31_exact_when_served_stale() {
    let case = base()
        .res_all(&["cache-control: max-age=31536000", "age: 2147483648"])
        .next("cache-control: max-stale");
    assert_eq!(
        case.age_ttl_at(0),
        (MAX_DELTA, 31_536_000 - MAX_DELTA as i64)
    );
}

#[test]
fn s4_2_3_year_9999_expires_gives_huge_lifetime() {
    let case = base().res_all(&["date: {T}", "expires: Fri, 31 Dec 9999 23:59:59 GMT"]);
    let life = case.stored().freshness_lifetime(&case.opts);
    assert_eq!(life.secs, Y9999 - T0);
    assert_eq!(life.source, LifetimeSource::Expires);
    assert_eq!(case.age_ttl_at(0), (0, (Y9999 - T0) as i64));
}

#[test]
fn s4_2_1_expires_before_1970_is_invalid() {
    let case = Case::new().res_all(&["date: {T}", "expires: Thu, 01 Jan 1960 00:00:00 GMT"]);
    let life = case.stored().freshness_lifetime(&CacheOptions::default());
    assert_eq!((life.secs, life.source), (0, LifetimeSource::Invalid));
}

#[test]
fn s4_2_3_current_age_matches_decision() {
    let case = fresh_1000(&["date: {T-20}", "age: 30"]).timing(0, 5);
    // apparent 25, corrected age value 35: initial 35, plus 15 s resident.
    assert_eq!(case.stored().current_age(t(20)), 50);
    assert_eq!(case.age_ttl_at(20), (50, 950));
}

/// The `Age` field lines of the head a reuse at `T0 + secs` sends.
fn sent_age(case: &Case, secs: i64) -> Vec<String> {
    let stored = case.stored();
    let reuse =
        match case
            .policy()
            .decide(&case.next_request(), std::slice::from_ref(&stored), t(secs))
        {
            Decision::Fresh(r) | Decision::Stale { reuse: r, .. } => r,
            other => panic!("not a reuse: {other:?}"),
        };
    stored
        .response_head(reuse.age)
        .headers
        .get_all("age")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

// §4: "a cache MUST generate an Age header field, replacing any present in the response
// with a value equal to the stored response's current_age".
#[test]
fn s4_reuse_replaces_stored_age_with_current_age() {
    let case = fresh_1000(&["date: {T-10}", "age: 50"]);
    assert_eq!(sent_age(&case, 20), ["70"]);
}

#[test]
fn s4_reuse_adds_age_when_none_stored() {
    assert_eq!(sent_age(&fresh_1000(&[]), 0), ["0"]);
    assert_eq!(sent_age(&fresh_1000(&["date: {T-3}"]), 4), ["7"]);
}

#[test]
fn s4_reuse_replaces_several_stored_age_lines_with_one() {
    // Several Age lines make the response stale; served stale with max-stale, the head still
    // carries one recomputed Age (age_value counted as 0).
    let case = fresh_1000(&["age: 10", "age: 20"]).next("cache-control: max-stale");
    assert_eq!(sent_age(&case, 5), ["5"]);
}

#[test]
fn s4_stale_reuse_sends_current_age() {
    let case = base()
        .res_all(&["cache-control: max-age=10", "age: 5"])
        .next("cache-control: max-stale");
    assert_eq!(sent_age(&case, 100), ["105"]);
}

#[test]
fn s4_response_head_keeps_other_fields() {
    let case = fresh_1000(&["date: {T}", "age: 3", "x-custom: a"]);
    let head = case.stored().response_head(9);
    assert_eq!(head.status, 200);
    assert_eq!(head.headers["x-custom"], "a");
    assert_eq!(head.headers["etag"], "\"v1\"");
    assert_eq!(head.headers["age"], "9");
}
