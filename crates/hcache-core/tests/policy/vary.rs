//! Selecting stored responses with `Vary` (RFC 9111 §4.1): the selecting request fields of the
//! original and the presented request must match, after the normalisations §4.1 allows.

use hcache_core::{
    CacheOptions, CachePolicy, Decision, ForwardReason, NotStorable, StoredResponse, VaryKey,
};
use http::{HeaderName, Method};

use crate::outcomes;
use crate::support::*;

/// A response fresh for 100 s with `Vary: {vary}`, to a request with `orig` lines, presented
/// again with `next` lines.
fn vary(vary: &str, orig: &[&str], next: &[&str]) -> Case {
    let mut c = Case::new()
        .res("cache-control: max-age=100")
        .res(&format!("vary: {vary}"));
    for l in orig {
        c = c.req(l);
    }
    for l in next {
        c = c.next(l);
    }
    c
}

const MISS: Outcome = Forward(ForwardReason::VaryMiss);

// "it MUST NOT use that response unless all the selecting header fields nominated by the
// Vary header field match"; without Vary every request matches.
outcomes! {
    s4_1_no_vary_matches_any_request:
        Case::new().res("cache-control: max-age=100").req("accept-encoding: gzip")
            .next("accept-encoding: br").next("accept-language: fr"), at 0 => Fresh;
    s4_1_same_value_matches:
        vary("accept-encoding", &["accept-encoding: gzip"], &["accept-encoding: gzip"]), at 0
            => Fresh;
    s4_1_other_value_misses:
        vary("accept-encoding", &["accept-encoding: gzip"], &["accept-encoding: br"]), at 0 => MISS;
    s4_1_unrelated_field_ignored:
        vary("accept-encoding", &["accept-encoding: gzip", "x-a: 1"],
            &["accept-encoding: gzip", "x-a: 2"]), at 0 => Fresh;
    s4_1_subset_value_misses:
        vary("accept-encoding", &["accept-encoding: gzip, br"], &["accept-encoding: gzip"]), at 0
            => MISS;
}

// "reordering field values when order is not significant": the Accept family weighs its
// members with qvalues (RFC 9110 §12.4.2), so their order carries no meaning; a missing
// weight is q=1. Other fields keep their order, as does a list whose order might matter.
outcomes! {
    s4_1_accept_language_order_ignored:
        vary("accept-language", &["accept-language: en, de"], &["accept-language: de, en"]),
            at 0 => Fresh;
    s4_1_accept_encoding_order_ignored:
        vary("accept-encoding", &["accept-encoding: gzip, br"], &["accept-encoding: br, gzip"]),
            at 0 => Fresh;
    s4_1_accept_order_ignored:
        vary("accept", &["accept: text/html, application/json;q=0.9, */*;q=0.1"],
            &["accept: */*;q=0.1, Application/JSON; q=0.9, text/html"]), at 0 => Fresh;
    s4_1_accept_charset_order_ignored:
        vary("accept-charset", &["accept-charset: utf-8, iso-8859-1;q=0.5"],
            &["accept-charset: iso-8859-1;q=0.5, utf-8"]), at 0 => Fresh;
    s4_1_reordered_across_field_lines:
        vary("accept-language", &["accept-language: en", "accept-language: de"],
            &["accept-language: de, en"]), at 0 => Fresh;
    s4_1_weight_one_same_as_none:
        vary("accept-language", &["accept-language: fr;q=0.5, de"],
            &["accept-language: de;q=1.0, fr;q=0.500"]), at 0 => Fresh;
    s4_1_repeated_member_same_as_once:
        vary("accept-encoding", &["accept-encoding: gzip, br, gzip"],
            &["accept-encoding: br, gzip"]), at 0 => Fresh;
    s4_1_reordered_members_other_weights_miss:
        vary("accept-language", &["accept-language: en, de;q=0.5"],
            &["accept-language: de, en;q=0.5"]), at 0 => MISS;
    s4_1_reordered_member_weighted_twice_miss:
        vary("accept-language", &["accept-language: en;q=0.5, en"],
            &["accept-language: en, en;q=0.5"]), at 0 => MISS;
    s4_1_reordered_with_invalid_weight_miss:
        vary("accept-language", &["accept-language: en;q=2, de"],
            &["accept-language: de, en;q=2"]), at 0 => MISS;
    s4_1_custom_field_order_significant:
        vary("x-foo", &["x-foo: a, b"], &["x-foo: b, a"]), at 0 => MISS;
    // Choosing by preference is not matching: `de` is what the second request prefers and what
    // was stored, but the origin may hold `fr` or read list order (RFC 9110 §12.1, §12.5.4),
    // and §4.1 reuses only on selecting fields of identical meaning.
    s4_1_preferred_content_language_of_other_request_misses:
        vary("accept-language", &["accept-language: en, de"],
            &["accept-language: fr;q=0.5, de;q=1.0"]).res("content-language: de"), at 0 => MISS;
}

// "If ... a header field is absent from a request, it can only match another request if it
// is also absent there."
outcomes! {
    s4_1_absent_matches_absent:
        vary("accept-encoding", &[], &[]), at 0 => Fresh;
    s4_1_absent_does_not_match_present:
        vary("accept-encoding", &[], &["accept-encoding: gzip"]), at 0 => MISS;
    s4_1_present_does_not_match_absent:
        vary("accept-encoding", &["accept-encoding: gzip"], &[]), at 0 => MISS;
    s4_1_empty_value_does_not_match_absent:
        vary("x-foo", &["x-foo: "], &[]), at 0 => MISS;
}

// Normalisation: "adding or removing whitespace, where allowed in the header field's syntax".
outcomes! {
    s4_1_whitespace_after_comma_ignored:
        vary("accept-encoding", &["accept-encoding: gzip,br"], &["accept-encoding: gzip, br"]),
            at 0 => Fresh;
    s4_1_whitespace_before_comma_ignored:
        vary("accept-encoding", &["accept-encoding: gzip , br"], &["accept-encoding: gzip,br"]),
            at 0 => Fresh;
    s4_1_leading_trailing_whitespace_ignored:
        vary("accept-encoding", &["accept-encoding: gzip"], &["accept-encoding: \tgzip  "]), at 0
            => Fresh;
    s4_1_whitespace_around_parameters_ignored_for_accept:
        vary("accept", &["accept: text/html;q=0.9"], &["accept: text/html ; q=0.9"]), at 0 => Fresh;
    s4_1_whitespace_around_comma_ignored_for_custom_list:
        vary("x-foo", &["x-foo: a,b"], &["x-foo: a , b"]), at 0 => Fresh;
    s4_1_whitespace_inside_member_significant:
        vary("x-foo", &["x-foo: a b"], &["x-foo: ab"]), at 0 => MISS;
}

// "case-normalization, where values are defined to be case-insensitive": the Accept family;
// other fields (e.g. a custom X-Foo) compare exactly.
outcomes! {
    s4_1_accept_encoding_case_ignored:
        vary("accept-encoding", &["accept-encoding: GZIP"], &["accept-encoding: gzip"]), at 0
            => Fresh;
    s4_1_accept_language_case_ignored:
        vary("accept-language", &["accept-language: en-US"], &["accept-language: en-us"]), at 0
            => Fresh;
    s4_1_accept_case_ignored:
        vary("accept", &["accept: Text/HTML"], &["accept: text/html"]), at 0 => Fresh;
    s4_1_accept_charset_case_ignored:
        vary("accept-charset", &["accept-charset: UTF-8"], &["accept-charset: utf-8"]), at 0
            => Fresh;
    s4_1_custom_field_case_significant:
        vary("x-foo", &["x-foo: abc"], &["x-foo: ABC"]), at 0 => MISS;
}

// "combining multiple header field lines with the same field name"; empty list members are
// not members (RFC 9110 §5.6.1).
outcomes! {
    s4_1_field_lines_combine:
        vary("accept-encoding", &["accept-encoding: gzip", "accept-encoding: br"],
            &["accept-encoding: gzip, br"]), at 0 => Fresh;
    s4_1_combined_value_matches_field_lines:
        vary("accept-encoding", &["accept-encoding: gzip, br"],
            &["accept-encoding: gzip", "accept-encoding: br"]), at 0 => Fresh;
    s4_1_field_lines_custom_field_combine:
        vary("x-foo", &["x-foo: a", "x-foo: b"], &["x-foo: a,b"]), at 0 => Fresh;
    s4_1_empty_members_ignored:
        vary("accept-encoding", &["accept-encoding: gzip,,br"], &["accept-encoding: gzip, br"]),
            at 0 => Fresh;
    s4_1_leading_and_trailing_empty_members_ignored:
        vary("accept-encoding", &["accept-encoding: , gzip ,"], &["accept-encoding: gzip"]), at 0
            => Fresh;
}

// Vary naming several fields: all must match. Field names are case-insensitive
// (RFC 9110 §5.1), and several Vary lines combine.
outcomes! {
    s4_1_several_fields_all_match:
        vary("accept-encoding, accept-language",
            &["accept-encoding: gzip", "accept-language: en"],
            &["accept-encoding: gzip", "accept-language: en"]), at 0 => Fresh;
    s4_1_several_fields_one_differs:
        vary("accept-encoding, accept-language",
            &["accept-encoding: gzip", "accept-language: en"],
            &["accept-encoding: gzip", "accept-language: fr"]), at 0 => MISS;
    s4_1_several_fields_one_absent:
        vary("accept-encoding, accept-language",
            &["accept-encoding: gzip", "accept-language: en"],
            &["accept-encoding: gzip"]), at 0 => MISS;
    s4_1_several_vary_lines_combine:
        vary("accept-encoding", &["accept-encoding: gzip", "accept-language: en"],
            &["accept-encoding: gzip", "accept-language: fr"])
            .res("vary: accept-language"), at 0 => MISS;
    s4_1_vary_field_names_case_insensitive:
        vary("ACCEPT-encoding", &["accept-encoding: gzip"], &["accept-encoding: gzip"]), at 0
            => Fresh;
    s4_1_duplicate_vary_names_harmless:
        vary("accept-encoding, Accept-Encoding", &["accept-encoding: gzip"],
            &["accept-encoding: gzip"]), at 0 => Fresh;
}

// "A Vary header field value containing a member "*" always fails to match": not stored.
outcomes! {
    s4_1_vary_star_not_stored:
        vary("*", &[], &[]), at 0 => NotStored(NotStorable::VaryStar);
    s4_1_vary_star_among_fields_not_stored:
        vary("accept-encoding, *", &[], &[]), at 0 => NotStored(NotStorable::VaryStar);
    s4_1_vary_star_on_second_line_not_stored:
        vary("accept-encoding", &[], &[]).res("vary: *"), at 0 => NotStored(NotStorable::VaryStar);
    s4_1_vary_member_not_a_field_name_not_stored:
        vary("accept encoding", &[], &[]), at 0 => NotStored(NotStorable::VaryStar);
}

#[test]
fn s4_1_vary_star_not_storable() {
    let case = vary("*", &[], &[]);
    assert_eq!(
        case.policy()
            .storable(&case.original_request(), &case.response()),
        Err(NotStorable::VaryStar)
    );
}

/// A fresh response with `Vary: accept-encoding` to a request with `accept-encoding: {ae}`,
/// received at `T0 + at`.
fn variant(ae: &str, at: i64) -> StoredResponse {
    vary("accept-encoding", &[&format!("accept-encoding: {ae}")], &[])
        .timing(at, at)
        .stored()
}

/// What `decide` does with a request carrying `lines` against `stored`.
fn decide(stored: &[StoredResponse], lines: &[&str]) -> Decision {
    let r = req(Method::GET, "http://example.com/r", lines);
    CachePolicy::new(CacheOptions::default()).decide(&r, stored, t(10))
}

fn fresh_index(d: Decision) -> usize {
    match d {
        Decision::Fresh(r) => r.index,
        other => panic!("not fresh: {other:?}"),
    }
}

// "The stored response with matching selecting header fields is known as the selected
// response": each request selects its own variant.
#[test]
fn s4_1_two_variants_each_request_selects_its_own() {
    let stored = [variant("gzip", 0), variant("br", 1)];
    assert_eq!(fresh_index(decide(&stored, &["accept-encoding: gzip"])), 0);
    assert_eq!(fresh_index(decide(&stored, &["accept-encoding: br"])), 1);
    assert_eq!(fresh_index(decide(&stored, &["accept-encoding: BR"])), 1);
}

#[test]
fn s4_1_two_variants_unmatched_request_is_vary_miss() {
    let stored = [variant("gzip", 0), variant("br", 1)];
    assert!(matches!(
        decide(&stored, &["accept-encoding: zstd"]),
        Decision::Forward(ForwardReason::VaryMiss)
    ));
    assert!(matches!(
        decide(&stored, &[]),
        Decision::Forward(ForwardReason::VaryMiss)
    ));
}

#[test]
fn s4_1_matching_variant_chosen_over_more_recent_other() {
    // The most recent rule (§4) applies only among selected responses.
    let stored = [variant("gzip", 0), variant("br", 5)];
    assert_eq!(fresh_index(decide(&stored, &["accept-encoding: gzip"])), 0);
}

#[test]
fn s4_1_vary_key_captures_normalised_values() {
    let stored = vary(
        "Accept-Encoding, x-foo, accept-language",
        &[
            "accept-encoding: GZIP , br",
            "accept-encoding: zstd",
            "x-foo: A",
        ],
        &[],
    )
    .stored();
    let fields: Vec<(String, Option<Vec<u8>>)> = stored
        .vary()
        .fields()
        .map(|(n, v)| (n.as_str().to_owned(), v.map(<[u8]>::to_vec)))
        .collect();
    assert_eq!(
        fields,
        [
            // The Accept family in canonical order: members sorted.
            ("accept-encoding".into(), Some(b"br,gzip,zstd".to_vec())),
            ("x-foo".into(), Some(b"A".to_vec())),
            ("accept-language".into(), None),
        ]
    );
}

#[test]
fn s4_1_no_vary_gives_empty_key() {
    let stored = Case::new()
        .res("cache-control: max-age=100")
        .req("accept-encoding: gzip")
        .stored();
    assert!(stored.vary().is_empty());
    assert!(VaryKey::default().matches(&headers(&["accept-encoding: br"])));
}

#[test]
fn s4_1_vary_key_from_fields_round_trip() {
    let case = vary(
        "accept-encoding, accept-language, x-foo",
        &["accept-encoding: gzip, br", "x-foo: v"],
        &[],
    );
    let stored = case.stored();
    let parts: Vec<(HeaderName, Option<Vec<u8>>)> = stored
        .vary()
        .fields()
        .map(|(n, v)| (n.clone(), v.map(<[u8]>::to_vec)))
        .collect();
    let rebuilt = VaryKey::from_fields(parts);
    assert_eq!(&rebuilt, stored.vary());
    for (lines, expected) in [
        (&["accept-encoding: gzip,br", "x-foo: v"][..], true),
        (&["accept-encoding: GZIP, BR", "x-foo: v"][..], true),
        (&["accept-encoding: gzip", "x-foo: v"][..], false),
        (&["accept-encoding: gzip, br", "x-foo: V"][..], false),
        (
            &[
                "accept-encoding: gzip, br",
                "x-foo: v",
                "accept-language: en",
            ][..],
            false,
        ),
        (&["x-foo: v"][..], false),
    ] {
        let h = headers(lines);
        assert_eq!(rebuilt.matches(&h), expected, "{lines:?}");
        assert_eq!(stored.vary().matches(&h), expected, "{lines:?}");
    }
}

#[test]
fn s4_1_stored_response_rebuilt_from_parts_selects_same_requests() {
    let case = vary("accept-encoding", &["accept-encoding: gzip"], &[]);
    let stored = case.stored();
    let key = VaryKey::from_fields(
        stored
            .vary()
            .fields()
            .map(|(n, v)| (n.clone(), v.map(<[u8]>::to_vec))),
    );
    let rebuilt = StoredResponse::from_parts(
        stored.status(),
        stored.version(),
        stored.headers().clone(),
        key,
        stored.request_time(),
        stored.response_time(),
        &case.opts,
    );
    assert_eq!(
        fresh_index(decide(
            std::slice::from_ref(&rebuilt),
            &["accept-encoding: gzip"]
        )),
        0
    );
    assert!(matches!(
        decide(&[rebuilt], &["accept-encoding: br"]),
        Decision::Forward(ForwardReason::VaryMiss)
    ));
}

#[test]
fn s4_1_key_rebuilt_from_ordered_fields_matches_reordered() {
    // A store may hold values normalised before members were reordered, or with weights
    // written another way: rebuilt, the key is the one captured now, and matches the same.
    let captured = vary(
        "accept-language",
        &["accept-language: de;q=1.0, en;q=0.50"],
        &[],
    )
    .stored();
    for persisted in [&b"de;q=1.0,en;q=0.50"[..], b"en;q=0.5,de", b"EN;Q=0.5,DE"] {
        let rebuilt = VaryKey::from_fields([(
            HeaderName::from_static("accept-language"),
            Some(persisted.to_vec()),
        )]);
        assert_eq!(&rebuilt, captured.vary(), "{persisted:?}");
        for (lines, expected) in [
            (&["accept-language: en;q=0.5, de"][..], true),
            (
                &["accept-language: de", "accept-language: en;q=0.500"][..],
                true,
            ),
            (&["accept-language: en, de"][..], false),
        ] {
            let h = headers(lines);
            assert_eq!(rebuilt.matches(&h), expected, "{persisted:?} {lines:?}");
            assert_eq!(captured.vary().matches(&h), expected, "{lines:?}");
        }
    }
}
