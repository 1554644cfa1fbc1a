//! The single fields a cache reads besides Cache-Control: `Pragma` (RFC 9111 §5.4),
//! `Expires` (§5.3), `Age` (§5.1), `Date` (§4.2.3) and HTTP-date itself (RFC 9110 §5.6.7,
//! RFC 9111 §4.2).

use hcache_core::{RequestDirectives, parse_http_date};

use crate::outcomes;
use crate::support::*;

/// A response fresh for 600 s, with a validator.
fn fresh600() -> Case {
    Case::new().res_all(&["etag: \"v1\"", "cache-control: max-age=600"])
}

/// A response fresh for 100 s with the given extra field line.
fn max100(line: &str) -> Case {
    Case::new()
        .res_all(&["etag: \"v1\"", "cache-control: max-age=100"])
        .res(line)
}

/// A response with a validator, `Last-Modified` long ago (heuristics would give hours of
/// freshness) and the given `Expires` value.
fn expires(value: &str) -> Case {
    Case::new()
        .res_all(&["etag: \"v1\"", "last-modified: {T-100000}"])
        .res(&format!("expires: {value}"))
}

/// `date(secs)` (an IMF-fixdate) in the obsolete RFC 850 form.
fn rfc850(secs: i64) -> String {
    let imf = date(secs);
    let p: Vec<&str> = imf.split(' ').collect();
    let day = match p[0] {
        "Mon," => "Monday",
        "Tue," => "Tuesday",
        "Wed," => "Wednesday",
        "Thu," => "Thursday",
        "Fri," => "Friday",
        "Sat," => "Saturday",
        _ => "Sunday",
    };
    format!("{day}, {}-{}-{} {} GMT", p[1], p[2], &p[3][2..], p[4])
}

/// `date(secs)` in the obsolete asctime form.
fn asctime(secs: i64) -> String {
    let imf = date(secs);
    let p: Vec<&str> = imf.split(' ').collect();
    let dd: u8 = p[1].parse().unwrap();
    format!("{} {} {dd:>2} {} {}", &p[0][..3], p[2], p[4], p[3])
}

// ---- Pragma (§5.4): no-cache only in requests without Cache-Control ----

#[test]
fn s5_4_pragma_no_cache_read_without_cache_control() {
    let d = RequestDirectives::parse(&headers(&["pragma: no-cache"]));
    assert!(d.no_cache() && d.pragma_no_cache());
}

#[test]
fn s5_4_pragma_ignored_when_cache_control_present() {
    let d = RequestDirectives::parse(&headers(&[
        "pragma: no-cache",
        "cache-control: max-stale=5",
    ]));
    assert!(!d.no_cache() && !d.pragma_no_cache());
}

outcomes! {
    // §5.4: "Pragma: no-cache" in a request without Cache-Control means no-cache.
    s5_4_request_pragma_no_cache_validates: fresh600().next("pragma: no-cache"), at 10 => Validate;
    s5_4_request_pragma_case_insensitive: fresh600().next("pragma: NO-CACHE"), at 10 => Validate;
    s5_4_request_pragma_no_cache_in_a_list: fresh600().next("pragma: x-foo, no-cache"), at 10 => Validate;
    s5_4_request_pragma_other_directive_ignored: fresh600().next("pragma: x-foo"), at 10 => Fresh;
    // §5.4: "When the Cache-Control header field is present in a request, caches MUST ignore
    // the Pragma request header field."
    s5_4_request_pragma_ignored_with_cache_control: fresh600().next("pragma: no-cache").next("cache-control: max-stale=5"), at 10 => Fresh;
    // §5.4: Pragma is a request field; in a response it means nothing to a cache.
    s5_4_response_pragma_ignored_for_reuse: fresh600().res("pragma: no-cache"), at 10 => Fresh;
    s5_4_response_pragma_ignored_for_heuristics: Case::new().res_all(&["last-modified: {T-100000}", "pragma: no-cache"]), at 10 => Fresh;
}

// ---- Expires (§5.3) ----

outcomes! {
    // §5.3 / §4.2.1: Expires minus Date gives the freshness lifetime.
    s5_3_expires_in_future_fresh: expires("{T+60}"), at 30 => Fresh;
    s5_3_expires_reached_stale: expires("{T+60}"), at 60 => Validate;
    s5_3_expires_before_date_already_expired: expires("{T-60}").res("date: {T}"), at 0 => Validate;
    // §5.3: "A cache recipient MUST interpret invalid date formats, especially the value "0",
    // as representing a time in the past (i.e., "already expired")."
    s5_3_expires_zero_already_expired: expires("0"), at 0 => Validate;
    s5_3_expires_invalid_still_makes_201_storable: expires("0").status(201), at 0 => Validate;
    // §4.2.1: of two Expires field lines, the first is used.
    s5_3_multiple_expires_first_used_short: expires("{T+60}").res("expires: {T+600}"), at 100 => Validate;
    s5_3_multiple_expires_first_used_long: expires("{T+600}").res("expires: {T+60}"), at 100 => Fresh;
    // §5.3: "If a response includes ... the max-age directive, a recipient MUST ignore the
    // Expires header field."
    s5_3_expires_past_ignored_with_max_age: expires("{T-10}").res("cache-control: max-age=600"), at 300 => Fresh;
    s5_3_expires_invalid_ignored_with_max_age: expires("0").res("cache-control: max-age=600"), at 300 => Fresh;
    s5_3_expires_future_ignored_with_max_age: expires("{T+600}").res("cache-control: max-age=10"), at 20 => Validate;
    // §5.3: "if a response includes the s-maxage directive, a shared cache recipient MUST
    // ignore the Expires header field" — a private cache still uses it.
    s5_3_expires_ignored_with_s_maxage_in_shared_cache: expires("{T+10}").res("cache-control: s-maxage=600").shared(), at 300 => Fresh;
    s5_3_invalid_expires_ignored_with_s_maxage_in_shared_cache: expires("0").res("cache-control: s-maxage=600").shared(), at 300 => Fresh;
    s5_3_expires_used_with_s_maxage_in_private_cache: expires("{T+10}").res("cache-control: s-maxage=600"), at 20 => Validate;
}

#[test]
fn s5_3_invalid_expires_already_expired() {
    for v in [
        "-1",
        "tomorrow",
        "",
        "Tue, 14 Nov 2023 22:14:20",
        "{T+600}, {T+600}",
    ] {
        assert_eq!(expires(v).outcome_at(0), Validate, "Expires: {v}");
    }
}

// ---- Age (§5.1) ----

outcomes! {
    // §5.1 suggests using the first of several Age lines; hcache reads several lines as a list
    // (RFC 9110 §5.3), which is invalid, so the response is stale (documented in fields.rs).
    s5_1_several_age_lines_are_stale: max100("age: 10").res("age: 10"), at 0 => Validate;
    s5_1_several_age_lines_never_fresh_by_first: max100("age: 10").res("age: 500"), at 0 => Validate;
    // §5.1: an invalid value ("it contains a list or something other than a non-negative
    // integer") makes the response stale.
    s5_1_age_list_is_stale: max100("age: 10, 20"), at 0 => Validate;
    s5_1_age_non_numeric_is_stale: max100("age: abc"), at 0 => Validate;
    s5_1_invalid_age_stale_even_with_huge_max_age: Case::new().res_all(&["etag: \"v1\"", "cache-control: max-age=99999999999999999999", "age: x"]), at 0 => Validate;
    s5_1_huge_age_is_stale_not_overflowing: max100("age: 99999999999999999999"), at 0 => Validate;
}

#[test]
fn s5_1_age_not_a_non_negative_integer_is_stale() {
    for v in ["-5", "1.5", "", "+3", "0x10", "5s"] {
        assert_eq!(
            max100(&format!("age: {v}")).outcome_at(0),
            Validate,
            "Age: {v}"
        );
    }
}

#[test]
fn s5_1_age_value_counts_in_current_age() {
    assert_eq!(max100("age: 10").age_ttl_at(0), (10, 90));
    assert_eq!(max100("age: 10").age_ttl_at(5), (15, 85));
}

#[test]
fn s5_1_huge_age_saturates_at_2_pow_31() {
    let stored = max100("age: 99999999999999999999").stored();
    assert_eq!(stored.current_age(t(0)), 1 << 31);
    assert_eq!(stored.current_age(t(10)), (1 << 31) + 10);
}

// ---- Date (§4.2.3): missing or invalid → the time the response was received ----

#[test]
fn s4_2_3_missing_date_uses_response_time() {
    let s = Case::new().res("cache-control: max-age=60").stored();
    assert_eq!(s.current_age(t(10)), 10);
}

#[test]
fn s4_2_3_invalid_date_uses_response_time() {
    for v in ["garbage", "0", "", "Tue, 14 Nov 2023 21:56:40 PST"] {
        let s = Case::new()
            .res("cache-control: max-age=60")
            .res(&format!("date: {v}"))
            .stored();
        assert_eq!(s.current_age(t(10)), 10, "Date: {v}");
    }
}

#[test]
fn s4_2_3_valid_date_gives_apparent_age() {
    let s = Case::new().res("date: {T-1000}").stored();
    assert_eq!(s.current_age(t(10)), 1010);
    let lower = date(-1000).to_ascii_lowercase();
    let s = Case::new().res(&format!("date: {lower}")).stored();
    assert_eq!(s.current_age(t(10)), 1010, "dates match case-insensitively");
}

outcomes! {
    // §4.2.3 with RFC 9110 §6.6.1: an unusable Date never makes a response older.
    s4_2_3_invalid_date_fresh_by_max_age: max100("date: yesterday"), at 90 => Fresh;
    s4_2_3_old_date_makes_response_stale: max100("date: {T-1000}"), at 0 => Validate;
}

// ---- HTTP-date (RFC 9110 §5.6.7; RFC 9111 §4.2 on case and zones) ----

#[test]
fn rfc9110_s5_6_7_imf_fixdate() {
    assert_eq!(date(60), "Tue, 14 Nov 2023 22:14:20 GMT");
    assert_eq!(
        parse_http_date(b"Tue, 14 Nov 2023 22:14:20 GMT"),
        Some(t(60))
    );
}

#[test]
fn rfc9110_s5_6_7_rfc850_date() {
    assert_eq!(rfc850(60), "Tuesday, 14-Nov-23 22:14:20 GMT");
    assert_eq!(parse_http_date(rfc850(60).as_bytes()), Some(t(60)));
    assert_eq!(
        parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"),
        parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT")
    );
}

#[test]
fn rfc9110_s5_6_7_asctime_date() {
    assert_eq!(asctime(60), "Tue Nov 14 22:14:20 2023");
    assert_eq!(parse_http_date(asctime(60).as_bytes()), Some(t(60)));
    let padded = parse_http_date(b"Sun Nov  6 08:49:37 1994");
    assert!(padded.is_some());
    assert_eq!(padded, parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"));
}

#[test]
fn rfc9110_s5_6_7_surrounding_whitespace_ignored() {
    assert_eq!(
        parse_http_date(b"  Tue, 14 Nov 2023 22:14:20 GMT\t"),
        Some(t(60))
    );
}

#[test]
fn s4_2_dates_match_case_insensitively() {
    for s in [date(60), rfc850(60), asctime(60)] {
        for v in [s.to_ascii_lowercase(), s.to_ascii_uppercase()] {
            assert_eq!(parse_http_date(v.as_bytes()), Some(t(60)), "{v}");
        }
    }
}

#[test]
fn s4_2_non_gmt_zones_invalid() {
    for zone in ["UTC", "PST", "EST", "+0000", "Z", "GMT+1", "CET"] {
        let v = date(60).replace("GMT", zone);
        assert_eq!(parse_http_date(v.as_bytes()), None, "{v}");
        let v = rfc850(60).replace("GMT", zone);
        assert_eq!(parse_http_date(v.as_bytes()), None, "{v}");
    }
}

#[test]
fn rfc9110_s5_6_7_invalid_dates() {
    for v in [
        &b""[..],
        b"0",
        b"-1",
        b"garbage",
        b"\xff\xfe\xfd",
        b"Tue, 31 Nov 2023 22:14:20 GMT",
        b"Tue, 14 Nov 2023 24:14:20 GMT",
        b"Tue, 14 Nov 2023 22:14:20",
        b"Thu, 01 Jan 1960 00:00:00 GMT",
        b"Tue, 14 Nov 2023 22:14:20 GMT, Tue, 14 Nov 2023 22:14:20 GMT",
    ] {
        assert_eq!(parse_http_date(v), None, "{:?}", String::from_utf8_lossy(v));
    }
}

#[test]
fn rfc9110_s5_6_7_expires_in_all_three_forms() {
    // RFC 9110 §5.6.7: recipients accept all three forms; in Expires each gives the same
    // lifetime.
    for v in [date(60), rfc850(60), asctime(60)] {
        assert_eq!(expires(&v).outcome_at(30), Fresh, "{v}");
        assert_eq!(expires(&v).outcome_at(90), Validate, "{v}");
    }
}

#[test]
fn s4_2_expires_matched_case_insensitively() {
    // §4.2: "a cache recipient SHOULD match the field value case-insensitively".
    for v in [
        date(60).to_ascii_lowercase(),
        rfc850(60).to_ascii_uppercase(),
    ] {
        assert_eq!(expires(&v).outcome_at(30), Fresh, "{v}");
    }
}

outcomes! {
    // §4.2: "SHOULD consider a date with a zone abbreviation other than "GMT" to be invalid".
    s4_2_expires_non_gmt_zone_already_expired: expires(&date(600).replace("GMT", "UTC")), at 0 => Validate;
}
