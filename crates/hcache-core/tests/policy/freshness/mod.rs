//! Freshness (RFC 9111 §4.2): when a stored response is fresh (§4.2), its freshness lifetime
//! (§4.2.1) and heuristic freshness (§4.2.2), with the configured `default_ttl` / `max_ttl`.
//! The age calculation (§4.2.3) and RFC 8246 `immutable` are in the submodules.

use std::time::Duration;

use hcache_core::{CacheOptions, Lifetime, LifetimeSource, StatusSet, StoredResponse, VaryKey};
use http::{StatusCode, Version};

use crate::outcomes;
use crate::support::*;

mod age;
mod immutable;

/// `n` seconds.
fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A stored 200 with a validator, so that a stale reuse shows up as `Validate`.
fn base() -> Case {
    Case::new().res("etag: \"v1\"")
}

/// One named test per row: `name: case => (lifetime secs, LifetimeSource variant);`.
macro_rules! lifetimes {
    ($( $(#[$meta:meta])* $name:ident : $case:expr => ($secs:expr, $source:ident); )*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                let case: Case = $case;
                let l = case.stored().freshness_lifetime(&case.opts);
                assert_eq!((l.secs, l.source), ($secs, LifetimeSource::$source));
            }
        )*
    };
}

// §4.2: "response_is_fresh = (freshness_lifetime > current_age)" — fresh up to lifetime-1,
// stale from lifetime on, whatever the source of the lifetime.
outcomes! {
    s4_2_max_age_fresh_one_second_before_lifetime:
        base().res("cache-control: max-age=100"), at 99 => Fresh;
    s4_2_max_age_stale_at_lifetime:
        base().res("cache-control: max-age=100"), at 100 => Validate;
    s4_2_max_age_zero_is_stale_at_once:
        base().res("cache-control: max-age=0"), at 0 => Validate;
    s4_2_expires_fresh_one_second_before_lifetime:
        base().res_all(&["date: {T}", "expires: {T+60}"]), at 59 => Fresh;
    s4_2_expires_stale_at_lifetime:
        base().res_all(&["date: {T}", "expires: {T+60}"]), at 60 => Validate;
    s4_2_heuristic_fresh_one_second_before_lifetime:
        base().res_all(&["date: {T}", "last-modified: {T-1000}"]), at 99 => Fresh;
    s4_2_heuristic_stale_at_lifetime:
        base().res_all(&["date: {T}", "last-modified: {T-1000}"]), at 100 => Validate;
    s4_2_stale_without_validator_forwards_unconditionally:
        Case::new().res("cache-control: max-age=10"), at 10 => ValidateUnconditional;
}

// §4.2.1: the lifetime is the first match of: (shared) s-maxage, max-age, Expires − Date,
// heuristic.
lifetimes! {
    s4_2_1_shared_s_maxage_beats_max_age_and_expires:
        Case::new().shared().res_all(&[
            "cache-control: s-maxage=10, max-age=20",
            "date: {T}",
            "expires: {T+30}",
            "last-modified: {T-1000}",
        ]) => (10, SMaxage);
    s4_2_1_shared_s_maxage_zero_beats_max_age:
        Case::new().shared().res("cache-control: max-age=100, s-maxage=0") => (0, SMaxage);
    s4_2_1_shared_s_maxage_beats_expires_without_max_age:
        Case::new().shared()
            .res_all(&["cache-control: s-maxage=10", "date: {T}", "expires: {T+30}"])
            => (10, SMaxage);
    s4_2_1_max_age_beats_expires:
        Case::new().res_all(&["cache-control: max-age=20", "date: {T}", "expires: {T+30}"])
            => (20, MaxAge);
    s4_2_1_max_age_zero_beats_future_expires:
        Case::new().res_all(&["cache-control: max-age=0", "date: {T}", "expires: {T+30}"])
            => (0, MaxAge);
    s4_2_1_expires_beats_heuristic:
        Case::new().res_all(&["date: {T}", "expires: {T+30}", "last-modified: {T-1000}"])
            => (30, Expires);
    s4_2_1_no_explicit_lifetime_and_no_last_modified_is_zero:
        Case::new().res("date: {T}") => (0, None);
    // "If the cache is shared and the s-maxage response directive is present": a private
    // cache ignores it.
    s4_2_1_private_cache_ignores_s_maxage_for_max_age:
        Case::new().res("cache-control: s-maxage=10, max-age=20") => (20, MaxAge);
    s4_2_1_private_cache_ignores_s_maxage_for_heuristic:
        Case::new().res_all(&["cache-control: s-maxage=10", "date: {T}", "last-modified: {T-1000}"])
            => (100, Heuristic);
    // Expires minus Date; "using the time the message was received if it is not present".
    s4_2_1_expires_relative_to_date_not_response_time:
        Case::new().timing(5, 5).res_all(&["date: {T-50}", "expires: {T+100}"]) => (150, Expires);
    s4_2_1_expires_without_date_relative_to_response_time:
        Case::new().timing(10, 10).res("expires: {T+100}") => (90, Expires);
    s4_2_1_expires_before_date_is_zero:
        Case::new().res_all(&["date: {T}", "expires: {T-10}"]) => (0, Expires);
    s4_2_1_expires_equal_to_date_is_zero:
        Case::new().res_all(&["date: {T}", "expires: {T}"]) => (0, Expires);
    // §5.3: "invalid date formats, especially the value 0" mean already expired; §4.2.1:
    // invalid freshness information makes the response stale, not heuristically fresh.
    s4_2_1_invalid_expires_is_zero_not_heuristic:
        Case::new().res_all(&["date: {T}", "expires: 0", "last-modified: {T-1000}"])
            => (0, Invalid);
    s4_2_1_invalid_max_age_is_zero_not_expires:
        Case::new().res_all(&["cache-control: max-age=abc", "date: {T}", "expires: {T+100}"])
            => (0, Invalid);
    s4_2_1_shared_invalid_s_maxage_is_zero_not_max_age:
        Case::new().shared().res("cache-control: s-maxage=x, max-age=100") => (0, Invalid);
    // §1.3: delta-seconds beyond 2^31 saturate instead of overflowing.
    s4_2_1_huge_max_age_saturates_at_2_pow_31:
        Case::new().res("cache-control: max-age=99999999999999999999") => (2_147_483_648, MaxAge);
}

#[test]
fn s4_2_1_expires_relative_to_date_gives_remaining_freshness() {
    // Date 50 s in the past: lifetime 150, apparent age 50, so 100 s remain.
    let case = base().res_all(&["date: {T-50}", "expires: {T+100}"]);
    assert_eq!(case.age_ttl_at(0), (50, 100));
    assert_eq!(case.outcome_at(99), Fresh);
    assert_eq!(case.outcome_at(100), Validate);
}

#[test]
fn s4_2_1_expires_before_date_is_stale_at_once() {
    let case = base().res_all(&["date: {T}", "expires: {T-10}"]);
    assert_eq!(case.outcome_at(0), Validate);
}

// §4.2.2: "no more than some fraction of the interval since [Last-Modified]. A typical
// setting of this fraction might be 10%" — measured from Date (else the response time).
lifetimes! {
    s4_2_2_heuristic_is_ten_percent_of_date_minus_last_modified:
        Case::new().res_all(&["date: {T}", "last-modified: {T-1000}"]) => (100, Heuristic);
    s4_2_2_heuristic_measured_from_date_not_response_time:
        Case::new().res_all(&["date: {T-500}", "last-modified: {T-1500}"]) => (100, Heuristic);
    s4_2_2_heuristic_without_date_measured_from_response_time:
        Case::new().timing(20, 20).res("last-modified: {T-980}") => (100, Heuristic);
    s4_2_2_heuristic_rounds_down:
        Case::new().res_all(&["date: {T}", "last-modified: {T-1009}"]) => (100, Heuristic);
    s4_2_2_heuristic_last_modified_after_date_is_zero:
        Case::new().res_all(&["date: {T}", "last-modified: {T+1000}"]) => (0, Heuristic);
    s4_2_2_heuristic_capped_by_default_heuristic_max_of_one_day:
        Case::new().res_all(&["date: {T}", "last-modified: {T-10000000}"]) => (86_400, Heuristic);
    s4_2_2_heuristic_capped_by_configured_heuristic_max:
        Case::new()
            .options(|o| o.heuristic_max(secs(50)))
            .res_all(&["date: {T}", "last-modified: {T-1000}"]) => (50, Heuristic);
    s4_2_2_heuristic_max_raised:
        Case::new()
            .options(|o| o.heuristic_max(secs(20 * 86_400)))
            .res_all(&["date: {T}", "last-modified: {T-10000000}"]) => (1_000_000, Heuristic);
    s4_2_2_heuristic_fraction_configurable:
        Case::new()
            .options(|o| o.heuristic_fraction(0.5))
            .res_all(&["date: {T}", "last-modified: {T-1000}"]) => (500, Heuristic);
    s4_2_2_heuristic_fraction_zero_disables:
        Case::new()
            .options(|o| o.heuristic_fraction(0.0))
            .res_all(&["date: {T}", "last-modified: {T-1000}"]) => (0, Heuristic);
    s4_2_2_last_modified_before_1970_is_ignored:
        Case::new().res_all(&["date: {T}", "last-modified: Thu, 01 Jan 1960 00:00:00 GMT"])
            => (0, None);
    // Heuristics apply to heuristically cacheable statuses, and to responses marked
    // cacheable with `public` (or `private`, in a private cache).
    s4_2_2_heuristic_for_heuristically_cacheable_404:
        Case::new().status(404).res_all(&["date: {T}", "last-modified: {T-1000}"])
            => (100, Heuristic);
    s4_2_2_heuristic_for_public_302:
        Case::new().status(302)
            .res_all(&["cache-control: public", "date: {T}", "last-modified: {T-1000}"])
            => (100, Heuristic);
    s4_2_2_private_cache_heuristic_for_private_302:
        Case::new().status(302)
            .res_all(&["cache-control: private", "date: {T}", "last-modified: {T-1000}"])
            => (100, Heuristic);
    // "A cache MUST NOT use heuristics to determine freshness when an explicit expiration
    // time is present in the stored response."
    s4_2_2_no_heuristic_with_max_age_zero:
        Case::new().res_all(&["cache-control: max-age=0", "date: {T}", "last-modified: {T-1000}"])
            => (0, MaxAge);
    s4_2_2_no_heuristic_with_expires_in_the_past:
        Case::new().res_all(&["date: {T}", "expires: {T-1}", "last-modified: {T-1000}"])
            => (0, Expires);
    s4_2_2_shared_no_heuristic_with_s_maxage:
        Case::new().shared()
            .res_all(&["cache-control: s-maxage=3", "date: {T}", "last-modified: {T-1000}"])
            => (3, SMaxage);
}

// §3 / §4.2.2: without explicit freshness, only heuristically cacheable statuses (or
// `public`/`private`) may be stored at all.
outcomes! {
    s4_2_2_non_heuristic_status_302_without_marking_not_stored:
        Case::new().status(302).res_all(&["date: {T}", "last-modified: {T-1000}"]), at 0
            => NotStored(hcache_core::NotStorable::NoFreshness);
    s4_2_2_heuristic_statuses_configurable:
        Case::new()
            .options(|o| o.heuristic_statuses([200].into_iter().collect::<StatusSet>()))
            .status(404)
            .res_all(&["date: {T}", "last-modified: {T-1000}"]), at 0
            => NotStored(hcache_core::NotStorable::NoFreshness);
    s4_2_2_public_302_heuristically_fresh:
        base().status(302)
            .res_all(&["cache-control: public", "date: {T}", "last-modified: {T-1000}"]),
            at 99 => Fresh;
}

// `default_ttl` replaces the Last-Modified heuristic, for heuristically eligible responses only.
lifetimes! {
    s4_2_2_default_ttl_without_last_modified:
        Case::new().options(|o| o.default_ttl(Some(secs(300)))).res("date: {T}")
            => (300, Heuristic);
    s4_2_2_default_ttl_replaces_last_modified_heuristic:
        Case::new()
            .options(|o| o.default_ttl(Some(secs(300))))
            .res_all(&["date: {T}", "last-modified: {T-1000}"]) => (300, Heuristic);
    s4_2_2_default_ttl_not_over_max_age:
        Case::new()
            .options(|o| o.default_ttl(Some(secs(300))))
            .res("cache-control: max-age=10") => (10, MaxAge);
    s4_2_2_default_ttl_not_over_expires:
        Case::new()
            .options(|o| o.default_ttl(Some(secs(300))))
            .res_all(&["date: {T}", "expires: {T+20}"]) => (20, Expires);
    s4_2_2_default_ttl_for_public_302:
        Case::new()
            .options(|o| o.default_ttl(Some(secs(300))))
            .status(302)
            .res("cache-control: public") => (300, Heuristic);
}

#[test]
fn s4_2_2_default_ttl_not_for_ineligible_status() {
    // A 302 without `public`/`private` and without explicit freshness is not heuristically
    // cacheable: rebuilt from its parts (as a store would), it gets no default lifetime.
    let opts = CacheOptions::default().default_ttl(Some(secs(300)));
    let stored = StoredResponse::from_parts(
        StatusCode::FOUND,
        Version::HTTP_11,
        headers(&["date: {T}", "last-modified: {T-1000}"]),
        VaryKey::default(),
        t(0),
        t(0),
        &opts,
    );
    assert_eq!(
        stored.freshness_lifetime(&opts),
        Lifetime {
            secs: 0,
            source: LifetimeSource::None
        }
    );
}

// `max_ttl` caps every lifetime, explicit or heuristic, and never raises one.
lifetimes! {
    s4_2_1_max_ttl_caps_max_age:
        Case::new().options(|o| o.max_ttl(Some(secs(60)))).res("cache-control: max-age=1000")
            => (60, MaxAge);
    s4_2_1_max_ttl_caps_expires:
        Case::new().options(|o| o.max_ttl(Some(secs(60))))
            .res_all(&["date: {T}", "expires: {T+1000}"]) => (60, Expires);
    s4_2_1_max_ttl_does_not_raise_max_age:
        Case::new().options(|o| o.max_ttl(Some(secs(60)))).res("cache-control: max-age=10")
            => (10, MaxAge);
    s4_2_2_max_ttl_caps_heuristic:
        Case::new().options(|o| o.max_ttl(Some(secs(60))))
            .res_all(&["date: {T}", "last-modified: {T-1000}"]) => (60, Heuristic);
    s4_2_2_max_ttl_caps_default_ttl:
        Case::new().options(|o| o.max_ttl(Some(secs(60))).default_ttl(Some(secs(300))))
            .res("date: {T}") => (60, Heuristic);
}

outcomes! {
    // `max_ttl` shortens freshness in decisions too.
    s4_2_1_max_ttl_makes_response_stale_earlier:
        base().options(|o| o.max_ttl(Some(secs(60)))).res("cache-control: max-age=1000"), at 60
            => Validate;
}
