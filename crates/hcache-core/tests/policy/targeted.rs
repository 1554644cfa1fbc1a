//! Targeted Cache-Control fields (RFC 9213), e.g. `CDN-Cache-Control`, configured with
//! `CacheOptions::targeted_fields`: the first present, valid and non-empty field on the
//! target list replaces `Cache-Control` and `Expires` for that response (§2.2); an empty or
//! invalid one is ignored (§2.1).

use hcache_core::{NotStorable, Seconds};
use http::header::HeaderName;

use crate::outcomes;
use crate::support::*;

const CDN: HeaderName = HeaderName::from_static("cdn-cache-control");
const EDGE: HeaderName = HeaderName::from_static("x-edge-cache-control");

/// A shared cache targeting `CDN-Cache-Control`, and a response with a validator.
fn cdn() -> Case {
    Case::new()
        .shared()
        .options(|o| o.targeted_fields([CDN]))
        .res("etag: \"v1\"")
}

/// A shared cache targeting `[X-Edge-Cache-Control, CDN-Cache-Control]`, in that order.
fn edge_then_cdn() -> Case {
    cdn().options(|o| o.targeted_fields([EDGE, CDN]))
}

outcomes! {
    // §2.2: a valid targeted field is used "and it MUST ignore the Cache-Control and Expires
    // header fields in that response".
    rfc9213_s2_2_targeted_max_age_overrides_cc_no_store: cdn().res("cache-control: no-store").res("cdn-cache-control: max-age=60"), at 30 => Fresh;
    rfc9213_s2_2_targeted_shorter_max_age_wins: cdn().res("cache-control: max-age=600").res("cdn-cache-control: max-age=10"), at 20 => Validate;
    rfc9213_s2_2_targeted_longer_max_age_wins: cdn().res("cache-control: max-age=10").res("cdn-cache-control: max-age=600"), at 300 => Fresh;
    rfc9213_s2_2_cc_s_maxage_ignored: cdn().res("cache-control: s-maxage=600").res("cdn-cache-control: max-age=10"), at 20 => Validate;
    rfc9213_s2_2_cc_private_ignored: cdn().res("cache-control: private").res("cdn-cache-control: max-age=60"), at 30 => Fresh;
    rfc9213_s2_2_cc_no_cache_ignored: cdn().res("cache-control: no-cache").res("cdn-cache-control: max-age=60"), at 30 => Fresh;
    rfc9213_s2_2_expires_ignored: cdn().res("expires: {T+600}").res("cdn-cache-control: max-age=10"), at 20 => Validate;
    rfc9213_s2_2_expires_ignored_without_targeted_max_age: cdn().res("expires: {T+600}").res("cdn-cache-control: must-revalidate"), at 20 => Validate;
    // §2.2: caches "MUST implement the semantics of" max-age, must-revalidate, no-store,
    // no-cache and private in a targeted field.
    rfc9213_s2_2_targeted_no_store_honoured: cdn().res("cache-control: max-age=600").res("cdn-cache-control: no-store"), at 0 => NotStored(NotStorable::ResponseNoStore);
    rfc9213_s2_2_targeted_private_honoured: cdn().res("cache-control: public, max-age=600").res("cdn-cache-control: private"), at 0 => NotStored(NotStorable::Private);
    rfc9213_s2_2_targeted_no_cache_honoured: cdn().res("cache-control: max-age=600").res("cdn-cache-control: no-cache, max-age=600"), at 10 => Validate;
    rfc9213_s2_2_targeted_must_revalidate_honoured: cdn().res("cdn-cache-control: max-age=10, must-revalidate").next("cache-control: max-stale=60"), at 20 => Validate;
    rfc9213_s2_2_unknown_targeted_directive_still_replaces_cc: cdn().res("cache-control: no-store").res("cdn-cache-control: none"), at 0 => Validate;
    // §2.1: several field lines combine into one Dictionary.
    rfc9213_s2_1_targeted_lines_combined: cdn().res("cdn-cache-control: max-age=600").res("cdn-cache-control: no-cache"), at 10 => Validate;
    // §2.1: "Parameters received on cache directives are to be ignored".
    rfc9213_s2_1_parameters_ignored: cdn().res("cache-control: no-store").res("cdn-cache-control: max-age=600;foo=bar"), at 300 => Fresh;
    rfc9213_s2_1_parameters_on_flag_ignored: cdn().res("cache-control: max-age=600").res("cdn-cache-control: no-cache;x=?1, max-age=600"), at 10 => Validate;
}

outcomes! {
    // §2.1: "If a targeted field in a given response is empty, or a parsing error is
    // encountered, that field MUST be ignored by the cache" — Cache-Control applies.
    rfc9213_s2_1_upper_case_key_ignored: cdn().res("cache-control: max-age=600").res("cdn-cache-control: Max-Age=10"), at 300 => Fresh;
    rfc9213_s2_1_invalid_second_line_invalidates_field: cdn().res("cache-control: max-age=600").res("cdn-cache-control: max-age=10").res("cdn-cache-control: Bad"), at 300 => Fresh;
    rfc9213_s2_1_invalid_targeted_falls_back_to_expires: cdn().res("expires: {T+600}").res("cdn-cache-control: max-age=10,"), at 300 => Fresh;
    rfc9213_s2_1_invalid_targeted_falls_back_to_cc_no_store: cdn().res("cache-control: no-store").res("cdn-cache-control: MAX-AGE=60"), at 0 => NotStored(NotStorable::ResponseNoStore);
    rfc9213_s2_1_empty_targeted_ignored: cdn().res("cache-control: max-age=600").res("cdn-cache-control: "), at 300 => Fresh;
    rfc9213_s2_1_empty_targeted_does_not_override_no_store: cdn().res("cache-control: no-store").res("cdn-cache-control: "), at 0 => NotStored(NotStorable::ResponseNoStore);
}

outcomes! {
    // §2.2: "the first (in target-list order) field with a valid, non-empty value".
    rfc9213_s2_2_first_on_target_list_wins: edge_then_cdn().res("x-edge-cache-control: max-age=10").res("cdn-cache-control: max-age=600"), at 20 => Validate;
    rfc9213_s2_2_first_wins_regardless_of_field_order: edge_then_cdn().res("cdn-cache-control: max-age=10").res("x-edge-cache-control: max-age=600"), at 300 => Fresh;
    rfc9213_s2_2_absent_first_uses_second: edge_then_cdn().res("cache-control: max-age=600").res("cdn-cache-control: max-age=10"), at 20 => Validate;
    rfc9213_s2_2_invalid_first_uses_second: edge_then_cdn().res("x-edge-cache-control: max-age=10,").res("cdn-cache-control: max-age=600").res("cache-control: no-store"), at 300 => Fresh;
    rfc9213_s2_2_empty_first_uses_second: edge_then_cdn().res("x-edge-cache-control: ").res("cdn-cache-control: max-age=600").res("cache-control: no-store"), at 300 => Fresh;
    rfc9213_s2_2_all_invalid_uses_cache_control: edge_then_cdn().res("x-edge-cache-control: A=1").res("cdn-cache-control: b=").res("cache-control: max-age=10"), at 20 => Validate;
    // §2.2: "Targeted fields that are not on a cache's target list MUST NOT change that
    // cache's behavior".
    rfc9213_s2_2_unconfigured_field_ignored: Case::new().shared().res_all(&["etag: \"v1\"", "cache-control: max-age=600", "cdn-cache-control: max-age=10"]), at 300 => Fresh;
    rfc9213_s2_2_unconfigured_field_does_not_override_no_store: Case::new().shared().res_all(&["cache-control: no-store", "cdn-cache-control: max-age=60"]), at 0 => NotStored(NotStorable::ResponseNoStore);
    rfc9213_s2_2_field_off_the_list_ignored: cdn().options(|o| o.targeted_fields([EDGE])).res("cache-control: max-age=600").res("cdn-cache-control: max-age=10"), at 300 => Fresh;
}

#[test]
fn rfc9213_s2_1_sf_syntax_errors_ignored() {
    for v in [
        "max-age=10,",
        "max-age=10 junk",
        "private=\"x",
        "no-store;",
        "max-age=1234567890123456",
        "=10",
        "max-age=10;;",
        "no-cache=\"a\\b\"",
    ] {
        let case = cdn()
            .res("cache-control: max-age=600")
            .res(&format!("cdn-cache-control: {v}"));
        assert_eq!(case.outcome_at(300), Fresh, "CDN-Cache-Control: {v}");
    }
}

#[test]
fn rfc9213_s2_2_stored_directives_come_from_targeted_field() {
    let case = cdn()
        .res("cache-control: max-age=600, public")
        .res("cdn-cache-control: max-age=10, must-revalidate");
    let stored = case.stored();
    let d = stored.directives();
    assert_eq!(d.max_age(), Some(Seconds::Valid(10)));
    assert!(d.must_revalidate() && !d.public());
    assert_eq!(case.lifetime(), 10);
}

#[test]
fn rfc9213_s2_2_targeted_field_stored_and_passed_through() {
    let case = cdn().res("cdn-cache-control: max-age=60");
    assert_eq!(case.stored().headers()["cdn-cache-control"], "max-age=60");
}
