//! Parsing of `Cache-Control` (RFC 9111 §5.2, list syntax §1.2 and RFC 9110 §5.6.1), checked
//! both through the parser API (`RequestDirectives::parse`, `ResponseDirectives::parse`) and
//! through end-to-end outcomes. `Pragma`, `Expires`, `Age`, `Date` and HTTP-date are in
//! `parsing/fields.rs`.

mod fields;

use hcache_core::{
    CachePolicy, MaxStale, NotStorable, RequestDirectives, ResponseDirectives, Seconds,
};
use http::header::{CACHE_CONTROL, HeaderName};
use http::{HeaderMap, HeaderValue};

use crate::outcomes;
use crate::support::*;

/// Response directives from raw `Cache-Control` field lines (bytes, so obs-text can be sent).
fn res_cc(lines: &[&[u8]]) -> ResponseDirectives {
    let mut h = HeaderMap::new();
    for l in lines {
        h.append(
            CACHE_CONTROL,
            HeaderValue::from_bytes(l).expect("field value"),
        );
    }
    ResponseDirectives::parse(&h, &CACHE_CONTROL)
}

/// Request directives from `Cache-Control` field lines.
fn req_cc(lines: &[&str]) -> RequestDirectives {
    let mut h = HeaderMap::new();
    for l in lines {
        h.append(
            CACHE_CONTROL,
            HeaderValue::from_str(l).expect("field value"),
        );
    }
    RequestDirectives::parse(&h)
}

fn names(list: &[HeaderName]) -> Vec<&str> {
    list.iter().map(HeaderName::as_str).collect()
}

fn extensions(d: &ResponseDirectives) -> Vec<(&str, Option<&str>)> {
    d.extensions()
        .iter()
        .map(|e| (e.name(), e.value()))
        .collect()
}

/// A 200 with a validator and a `Last-Modified` long enough ago that heuristics alone would
/// keep it fresh for hours: only the `Cache-Control` under test can make it stale.
fn with_cc(cc: &str) -> Case {
    Case::new()
        .res_all(&["etag: \"v1\"", "last-modified: {T-100000}"])
        .res(&format!("cache-control: {cc}"))
}

// ---- quoted strings and quoted-pair (§5.2: "recipients ought to accept both forms") ----

#[test]
fn s5_2_quoted_max_age_accepted() {
    assert_eq!(
        res_cc(&[br#"max-age="60""#]).max_age(),
        Some(Seconds::Valid(60))
    );
    assert_eq!(
        res_cc(&[br#"s-maxage="7""#]).s_maxage(),
        Some(Seconds::Valid(7))
    );
    assert_eq!(
        req_cc(&[r#"max-age="5""#]).max_age(),
        Some(Seconds::Valid(5))
    );
}

#[test]
fn s5_2_quoted_pair_unescaped_in_extension_value() {
    let d = res_cc(&[br#"ext="a\"b\\c", max-age=1"#]);
    assert_eq!(extensions(&d), vec![("ext", Some(r#"a"b\c"#))]);
    assert_eq!(d.max_age(), Some(Seconds::Valid(1)));
}

#[test]
fn s5_2_quoted_pair_unescaped_in_delta_seconds() {
    // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ): `\6\0` is "60".
    assert_eq!(
        res_cc(&[br#"max-age="\6\0""#]).max_age(),
        Some(Seconds::Valid(60))
    );
}

#[test]
fn s5_2_comma_inside_quoted_string_does_not_split_the_list() {
    let d = res_cc(&[br#"ext="a, no-store, max-age=5", max-age=60"#]);
    assert!(!d.no_store());
    assert_eq!(d.max_age(), Some(Seconds::Valid(60)));
    assert_eq!(
        extensions(&d),
        vec![("ext", Some("a, no-store, max-age=5"))]
    );
}

#[test]
fn s5_2_unterminated_quoted_max_age_is_invalid() {
    assert_eq!(
        res_cc(&[br#"max-age="60"#]).max_age(),
        Some(Seconds::Invalid)
    );
}

// ---- names compare case-insensitively (§5.2) ----

#[test]
fn s5_2_response_directive_names_case_insensitive() {
    let d =
        res_cc(&[b"MAX-AGE=5, No-Store, PUBLIC, Must-Revalidate, S-MaxAge=9, Private, NO-CACHE"]);
    assert_eq!(d.max_age(), Some(Seconds::Valid(5)));
    assert_eq!(d.s_maxage(), Some(Seconds::Valid(9)));
    assert!(d.no_store() && d.public() && d.must_revalidate() && d.private() && d.no_cache());
    assert!(d.extensions().is_empty());
}

#[test]
fn s5_2_request_directive_names_case_insensitive() {
    let d = req_cc(&["NO-CACHE, Max-Stale=5, MIN-FRESH=2, Only-If-Cached, No-Store, MAX-AGE=3"]);
    assert!(d.no_cache() && d.only_if_cached() && d.no_store());
    assert_eq!(d.max_stale(), Some(MaxStale::Seconds(5)));
    assert_eq!(d.min_fresh(), Some(Seconds::Valid(2)));
    assert_eq!(d.max_age(), Some(Seconds::Valid(3)));
}

outcomes! {
    // §5.2: directive names are "compared case-insensitively", end to end.
    s5_2_upper_case_max_age_gives_freshness: with_cc("MAX-AGE=60"), at 70 => Validate;
    s5_2_upper_case_no_store_prevents_storing: with_cc("No-Store"), at 0 => NotStored(NotStorable::ResponseNoStore);
}

// ---- whitespace: OWS around commas, and (tolerated) around `=` ----

#[test]
fn s5_2_whitespace_around_commas_ignored() {
    let d = res_cc(&[b" \tmax-age=60 \t,\tpublic\t , no-transform "]);
    assert_eq!(d.max_age(), Some(Seconds::Valid(60)));
    assert!(d.public() && d.no_transform());
    assert!(d.extensions().is_empty());
}

#[test]
fn s5_2_whitespace_around_equals_makes_argument_untrusted() {
    // `cache-directive = token [ "=" ( token / quoted-string ) ]` has no OWS around "=":
    // hcache does not trust such an argument (documented in `directives/list.rs`).
    for line in [
        &b"max-age = 60"[..],
        b"max-age\t=\t60",
        b"max-age =60",
        b"max-age= 60",
    ] {
        assert_eq!(
            res_cc(&[line]).max_age(),
            Some(Seconds::Invalid),
            "{line:?}"
        );
    }
    assert_eq!(
        req_cc(&["min-fresh = 5"]).min_fresh(),
        Some(Seconds::Invalid)
    );
    let d = res_cc(&[br#"private = "x-a""#]);
    assert!(
        d.private() && d.private_fields().is_empty(),
        "fails closed to unqualified"
    );
}

outcomes! {
    // An untrusted argument is invalid freshness information: stale (§4.2.1).
    s5_2_spaced_max_age_is_stale: with_cc("max-age = 600"), at 10 => Validate;
    s5_2_spaced_private_not_stored_by_shared_cache: with_cc("private= \"x-a\", max-age=600").shared(), at 0 => NotStored(NotStorable::Private);
}

// ---- empty list members (RFC 9110 §5.6.1.2: recipients ignore them) ----

#[test]
fn rfc9110_s5_6_1_empty_list_members_ignored() {
    let d = res_cc(&[b",, max-age=60,, ,public,"]);
    assert_eq!(d.max_age(), Some(Seconds::Valid(60)));
    assert!(d.public());
    assert!(d.extensions().is_empty());
}

#[test]
fn rfc9110_s5_6_1_empty_field_value_is_no_directive() {
    assert_eq!(res_cc(&[b""]), ResponseDirectives::default());
    assert_eq!(res_cc(&[b" , ,"]), ResponseDirectives::default());
    assert_eq!(req_cc(&[""]), RequestDirectives::default());
}

// ---- duplicates: "the first occurrence should be used" (§4.2.1) ----

#[test]
fn s4_2_1_duplicate_max_age_first_wins() {
    assert_eq!(
        res_cc(&[b"max-age=10, max-age=100"]).max_age(),
        Some(Seconds::Valid(10))
    );
    assert_eq!(
        res_cc(&[b"max-age=100", b"max-age=10"]).max_age(),
        Some(Seconds::Valid(100))
    );
}

#[test]
fn s4_2_1_duplicate_with_invalid_first_keeps_invalid() {
    assert_eq!(
        res_cc(&[b"max-age=abc, max-age=60"]).max_age(),
        Some(Seconds::Invalid)
    );
}

#[test]
fn s4_2_1_duplicate_s_maxage_and_stale_directives_first_wins() {
    let d =
        res_cc(&[b"s-maxage=5, stale-while-revalidate=1, s-maxage=50, stale-while-revalidate=9"]);
    assert_eq!(d.s_maxage(), Some(Seconds::Valid(5)));
    assert_eq!(d.stale_while_revalidate(), Some(Seconds::Valid(1)));
}

#[test]
fn s4_2_1_duplicate_request_directives_first_wins() {
    let d = req_cc(&[
        "max-age=5, min-fresh=1",
        "max-age=50, min-fresh=10, max-stale=3, max-stale",
    ]);
    assert_eq!(d.max_age(), Some(Seconds::Valid(5)));
    assert_eq!(d.min_fresh(), Some(Seconds::Valid(1)));
    assert_eq!(d.max_stale(), Some(MaxStale::Seconds(3)));
}

outcomes! {
    // §4.2.1: duplicates — the first occurrence is used, across field lines too.
    s4_2_1_duplicate_max_age_first_used_end_to_end: with_cc("max-age=10, max-age=1000"), at 20 => Validate;
    s4_2_1_duplicate_max_age_across_lines_first_used: with_cc("max-age=1000").res("cache-control: max-age=10"), at 20 => Fresh;
    // §4.2.1: "If directives conflict ..., the most restrictive directive should be honored."
    s4_2_1_conflict_max_age_and_no_cache_validates: with_cc("max-age=60, no-cache"), at 10 => Validate;
    s4_2_1_conflict_no_cache_before_max_age_validates: with_cc("no-cache, max-age=60"), at 10 => Validate;
    s4_2_1_conflict_max_age_and_no_store_not_stored: with_cc("max-age=60, no-store"), at 0 => NotStored(NotStorable::ResponseNoStore);
    s4_2_1_conflict_public_and_private_shared_not_stored: with_cc("public, max-age=60, private").shared(), at 0 => NotStored(NotStorable::Private);
    s4_2_1_conflict_qualified_then_unqualified_no_cache_validates: with_cc("no-cache=\"x-a\", max-age=60, no-cache"), at 10 => Validate;
    s4_2_1_conflict_unqualified_then_qualified_no_cache_validates: with_cc("no-cache, max-age=60, no-cache=\"x-a\""), at 10 => Validate;
}

// ---- invalid and extreme delta-seconds (§1.3, §4.2.1: invalid freshness is stale) ----

outcomes! {
    // §4.2.1: invalid freshness information is stale (see `s4_2_1_invalid_max_age_is_stale`).
    s4_2_1_invalid_s_maxage_in_shared_cache_is_stale: with_cc("max-age=600, s-maxage=x").shared(), at 10 => Validate;
    // §5.2: the quoted form is accepted, and leading zeros are still digits.
    s5_2_max_age_quoted_fresh: with_cc("max-age=\"60\""), at 50 => Fresh;
    s5_2_max_age_quoted_expires: with_cc("max-age=\"60\""), at 70 => Validate;
    s1_3_max_age_leading_zeros: with_cc("max-age=0060"), at 50 => Fresh;
    // §1.3: a delta-seconds past 2^31 is sent as 2147483648: fresh for decades, not stale.
    s1_3_huge_max_age_fresh_for_ten_years: with_cc("max-age=99999999999999999999"), at 315_360_000 => Fresh;
    s1_3_huge_s_maxage_fresh_in_shared_cache: with_cc("s-maxage=99999999999999999999").shared(), at 315_360_000 => Fresh;
}

#[test]
fn s4_2_1_invalid_max_age_is_stale() {
    // §4.2.1: "Caches are encouraged to consider responses that have invalid freshness
    // information (e.g., a max-age directive with non-integer content) to be stale" — even
    // though Last-Modified would have given hours of heuristic freshness.
    for cc in [
        "max-age=abc",
        "max-age=-1",
        "max-age=1.5",
        "max-age=+60",
        "max-age=",
        "max-age",
        "max-age=60 junk",
        "max-age=\"60",
    ] {
        assert_eq!(with_cc(cc).outcome_at(10), Validate, "{cc}");
    }
}

#[test]
fn s1_3_huge_max_age_saturates_to_2_pow_31() {
    assert_eq!(
        res_cc(&[b"max-age=99999999999999999999"]).max_age(),
        Some(Seconds::Valid(1 << 31))
    );
    assert_eq!(
        res_cc(&[b"max-age=2147483648"]).max_age(),
        Some(Seconds::Valid(1 << 31))
    );
    assert_eq!(
        res_cc(&[b"max-age=2147483647"]).max_age(),
        Some(Seconds::Valid((1 << 31) - 1))
    );
    assert_eq!(with_cc("max-age=99999999999999999999").lifetime(), 1 << 31);
}

#[test]
fn s1_3_invalid_delta_seconds_parsed_as_invalid() {
    for v in ["abc", "-1", "1.5", "", "+1", "1e3", "0x10", "6 0"] {
        let line = format!("max-age={v}");
        assert_eq!(
            res_cc(&[line.as_bytes()]).max_age(),
            Some(Seconds::Invalid),
            "{line}"
        );
        assert_eq!(req_cc(&[&line]).max_age(), Some(Seconds::Invalid), "{line}");
    }
    assert_eq!(res_cc(&[b"max-age"]).max_age(), Some(Seconds::Invalid));
    assert_eq!(Seconds::Invalid.valid(), None);
    assert_eq!(Seconds::Valid(3).valid(), Some(3));
}

#[test]
fn s5_2_1_2_max_stale_argument_forms() {
    assert_eq!(req_cc(&["max-stale"]).max_stale(), Some(MaxStale::Any));
    assert_eq!(
        req_cc(&["max-stale=30"]).max_stale(),
        Some(MaxStale::Seconds(30))
    );
    assert_eq!(
        req_cc(&["max-stale=\"30\""]).max_stale(),
        Some(MaxStale::Seconds(30))
    );
    // An unreadable argument is read as the most restrictive valid one: not stale at all.
    assert_eq!(
        req_cc(&["max-stale=abc"]).max_stale(),
        Some(MaxStale::Seconds(0))
    );
    assert_eq!(
        req_cc(&["max-stale="]).max_stale(),
        Some(MaxStale::Seconds(0))
    );
}

// ---- qualified no-cache / private (§5.2.2.4, §5.2.2.7) ----

#[test]
fn s5_2_2_4_qualified_no_cache_lists_field_names() {
    let d = res_cc(&[br#"no-cache="Set-Cookie, X-A""#]);
    assert!(!d.no_cache());
    assert_eq!(names(d.no_cache_fields()), ["set-cookie", "x-a"]);
}

#[test]
fn s5_2_2_7_qualified_private_lists_field_names() {
    let d = res_cc(&[b"private=\" X-Secret ,\tx-other \""]);
    assert!(!d.private() && d.any_private());
    assert_eq!(names(d.private_fields()), ["x-secret", "x-other"]);
}

#[test]
fn s5_2_2_7_qualified_token_form_accepted() {
    // Senders SHOULD NOT generate the token form, but it is a readable list of one name.
    let d = res_cc(&[b"private=x-a, no-cache=x-b"]);
    assert_eq!(names(d.private_fields()), ["x-a"]);
    assert_eq!(names(d.no_cache_fields()), ["x-b"]);
}

#[test]
fn s4_2_1_unqualified_form_wins_over_a_qualified_one_in_either_order() {
    // §4.2.1: with conflicting directives the most restrictive applies; the unqualified form
    // covers every field, so no list remains.
    for lines in [
        &[&br#"private="x-a", private"#[..]][..],
        &[&b"private"[..], br#"private="x-a""#],
        &[&br#"no-cache="x-b""#[..], b"no-cache"],
        &[&b"no-cache, no-cache=x-b"[..]],
    ] {
        let d = res_cc(lines);
        assert!(d.private() || d.no_cache(), "{lines:?}");
        assert!(d.private_fields().is_empty(), "{lines:?}");
        assert!(d.no_cache_fields().is_empty(), "{lines:?}");
    }
    // Unrelated: a qualified `private` leaves an unqualified `no-cache` alone, and the reverse.
    let d = res_cc(&[br#"private="x-a", no-cache"#]);
    assert!(d.no_cache() && !d.private());
    assert_eq!(names(d.private_fields()), ["x-a"]);
}

#[test]
fn s5_2_2_7_qualified_occurrences_accumulate() {
    let d = res_cc(&[br#"private="x-a""#, br#"private="x-b""#]);
    assert_eq!(names(d.private_fields()), ["x-a", "x-b"]);
}

#[test]
fn s5_2_2_7_malformed_qualified_private_fails_closed() {
    for line in [
        &br#"private="a b""#[..],
        br#"private="""#,
        br#"private="x-a"#,
        br#"private="bad(name)""#,
        b"private=\"\xff\"",
        b"private=",
    ] {
        let d = res_cc(&[line]);
        assert!(d.private(), "{line:?} must read as unqualified private");
        assert!(d.private_fields().is_empty());
    }
}

#[test]
fn s5_2_2_4_malformed_qualified_no_cache_fails_closed() {
    for line in [
        &br#"no-cache="a b""#[..],
        br#"no-cache="""#,
        br#"no-cache="x-a"#,
        b"no-cache=",
    ] {
        let d = res_cc(&[line]);
        assert!(d.no_cache(), "{line:?} must read as unqualified no-cache");
        assert!(d.no_cache_fields().is_empty());
    }
}

outcomes! {
    // §5.2.2.4: qualified no-cache allows reuse (without the named fields); a malformed one
    // fails closed to validation. §5.2.2.7: a malformed qualified private fails closed too.
    s5_2_2_4_qualified_no_cache_reused_while_fresh: with_cc("no-cache=\"set-cookie\", max-age=60"), at 10 => Fresh;
    s5_2_2_4_malformed_qualified_no_cache_validates: with_cc("no-cache=\"a b\", max-age=60"), at 10 => Validate;
    s5_2_2_7_qualified_private_stored_by_shared_cache: with_cc("private=\"x-secret\", max-age=60").shared(), at 10 => Fresh;
    s5_2_2_7_malformed_qualified_private_not_stored_by_shared_cache: with_cc("private=\"a b\", max-age=60").shared(), at 0 => NotStored(NotStorable::Private);
    s5_2_2_7_unterminated_qualified_private_not_stored_by_shared_cache: with_cc("max-age=60, private=\"x-a").shared(), at 0 => NotStored(NotStorable::Private);
}

#[test]
fn s5_2_2_4_qualified_no_cache_fields_omitted_on_reuse() {
    let case = with_cc("no-cache=\"Set-Cookie\", max-age=60")
        .res("set-cookie: a=1")
        .res("x-other: kept");
    let (age, _) = case.age_ttl_at(10);
    let head = case.stored().response_head(age);
    assert!(!head.headers.contains_key("set-cookie"));
    assert_eq!(head.headers["x-other"], "kept");
}

// ---- unknown extensions are kept, and ignored by the cache (§5.2.3) ----

#[test]
fn s5_2_3_unknown_extensions_kept_in_order() {
    let d = res_cc(&[br#"foo, Bar=Baz, max-age=60, qux="a, b", community="UCI""#]);
    assert_eq!(
        extensions(&d),
        vec![
            ("foo", None),
            ("bar", Some("Baz")),
            ("qux", Some("a, b")),
            ("community", Some("UCI")),
        ]
    );
}

#[test]
fn s5_2_3_known_directives_are_not_extensions() {
    let d = res_cc(&[
        b"max-age=1, s-maxage=2, no-cache, no-store, no-transform, must-revalidate, \
        proxy-revalidate, must-understand, public, private, immutable, \
        stale-while-revalidate=3, stale-if-error=4",
    ]);
    assert!(d.extensions().is_empty(), "{:?}", d.extensions());
    assert!(d.immutable() && d.must_understand() && d.proxy_revalidate());
    assert_eq!(d.stale_if_error(), Some(Seconds::Valid(4)));
}

outcomes! {
    // §5.2.3: "A cache MUST ignore unrecognized cache directives."
    s5_2_3_unknown_extension_does_not_change_freshness: with_cc("x-unknown=7, max-age=60, community=\"UCI\""), at 50 => Fresh;
    s5_2_3_unknown_extension_does_not_allow_private_in_shared_cache: with_cc("private, community=\"UCI\", max-age=60").shared(), at 0 => NotStored(NotStorable::Private);
}

// ---- several field lines combine as one list (RFC 9110 §5.3) ----

#[test]
fn rfc9110_s5_3_several_response_lines_one_list() {
    let d = res_cc(&[b"max-age=60", b"no-cache", b"public, x-ext=1"]);
    assert_eq!(d.max_age(), Some(Seconds::Valid(60)));
    assert!(d.no_cache() && d.public());
    assert_eq!(extensions(&d), vec![("x-ext", Some("1"))]);
}

#[test]
fn rfc9110_s5_3_several_request_lines_one_list() {
    let d = req_cc(&["no-cache", "max-stale=5", "only-if-cached"]);
    assert!(d.no_cache() && d.only_if_cached());
    assert_eq!(d.max_stale(), Some(MaxStale::Seconds(5)));
}

outcomes! {
    // RFC 9110 §5.3: a directive in a second field line counts as much as one in the first.
    rfc9110_s5_3_no_store_in_second_line_not_stored: with_cc("max-age=60").res("cache-control: no-store"), at 0 => NotStored(NotStorable::ResponseNoStore);
    rfc9110_s5_3_no_cache_in_second_line_validates: with_cc("max-age=60").res("cache-control: no-cache"), at 10 => Validate;
    rfc9110_s5_3_request_no_cache_in_second_line_validates: with_cc("max-age=60").next("cache-control: max-stale=5").next("cache-control: no-cache"), at 10 => Validate;
}

// ---- obs-text and non-UTF-8 bytes never break the other directives ----

#[test]
fn rfc9110_s5_5_obs_text_in_value_keeps_other_directives() {
    let d = res_cc(&[b"x-a=\xff\xfe, max-age=60, no-store"]);
    assert_eq!(d.max_age(), Some(Seconds::Valid(60)));
    assert!(d.no_store());
    assert_eq!(d.extensions().len(), 1);
    assert_eq!(d.extensions()[0].name(), "x-a");
    assert!(d.extensions()[0].value().is_some());
}

#[test]
fn rfc9110_s5_5_obs_text_in_quoted_string_and_name() {
    let d = res_cc(&[
        b"x=\"\xe9t\xe9, no-store\", \xff\xfe, public",
        b"max-age=\xb5, s-maxage=3",
    ]);
    assert!(d.public() && !d.no_store());
    assert_eq!(d.max_age(), Some(Seconds::Invalid));
    assert_eq!(d.s_maxage(), Some(Seconds::Valid(3)));
    assert_eq!(d.extensions().len(), 2);
}

#[test]
fn rfc9110_s5_5_obs_text_response_still_stored_and_fresh() {
    let case = Case::new();
    let policy: CachePolicy = case.policy();
    let mut res = case.response();
    res.headers.append(
        CACHE_CONTROL,
        HeaderValue::from_bytes(b"x-\xff=\"\xfe\"").unwrap(),
    );
    res.headers
        .append(CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
    let stored = policy
        .store(&case.original_request(), &res, t(0), t(0))
        .expect("storable");
    let d = policy.decide(&case.next_request(), &[stored], t(30));
    assert_eq!(outcome(d), Fresh);
}

#[test]
fn rfc9110_s5_5_obs_text_in_request_keeps_other_directives() {
    let mut h = HeaderMap::new();
    h.append(
        CACHE_CONTROL,
        HeaderValue::from_bytes(b"\xff, no-cache, x=\"\xfe").unwrap(),
    );
    h.append(
        CACHE_CONTROL,
        HeaderValue::from_bytes(b"max-age=\xff, min-fresh=4").unwrap(),
    );
    let d = RequestDirectives::parse(&h);
    assert!(d.no_cache());
    assert_eq!(d.max_age(), Some(Seconds::Invalid));
    assert_eq!(d.min_fresh(), Some(Seconds::Valid(4)));
}
