//! `Surrogate-Control` (W3C Edge Architecture Specification 1.0, §3) for a cache acting as a
//! surrogate (`CacheOptions::surrogate_control(Some("hcache"))`): directives addressed to all
//! surrogates or to this one replace `Cache-Control` and `Expires`; ones addressed to another
//! surrogate are ignored; without the option the field means nothing.

use hcache_core::{CacheOptions, CachePolicy, NotStorable};

use crate::outcomes;
use crate::support::*;

/// A shared cache acting as the surrogate `hcache`.
fn surrogate() -> Case {
    Case::new()
        .shared()
        .options(|o| o.surrogate_control(Some("hcache")))
}

outcomes! {
    // §3: `no-store` in Surrogate-Control wins over a fresh Cache-Control and Expires.
    edge_arch_s3_surrogate_no_store_beats_fresh_cache_control:
        surrogate().res_all(&["cache-control: max-age=10000", "surrogate-control: no-store", "expires: {T+10000}", "date: {T}"]),
        at 1 => NotStored(NotStorable::ResponseNoStore);
    // §3: a max-age addressed to this surrogate makes a `Cache-Control: no-store` response
    // storable and fresh.
    edge_arch_s3_targeted_max_age_beats_cache_control_no_store:
        surrogate().res_all(&["cache-control: no-store", "surrogate-control: max-age=10000;hcache"]),
        at 5000 => Fresh;
    edge_arch_s3_untargeted_max_age_used:
        surrogate().res_all(&["cache-control: max-age=1", "surrogate-control: max-age=3600"]),
        at 60 => Fresh;
    edge_arch_s3_surrogate_max_age_expires:
        surrogate().res_all(&["surrogate-control: max-age=60", "etag: \"a\""]),
        at 60 => Validate;
    // §3: directives addressed to another device are not for us: Cache-Control applies.
    edge_arch_s3_other_target_ignored:
        surrogate().res_all(&["cache-control: max-age=1", "surrogate-control: max-age=3600;not-for-you", "etag: \"a\""]),
        at 60 => Validate;
    // Age still counts against a Surrogate-Control lifetime (RFC 9111 §4.2.3).
    edge_arch_s3_age_counts_against_surrogate_max_age:
        surrogate().res_all(&["surrogate-control: max-age=3600", "age: 7200", "etag: \"a\""]),
        at 0 => Validate;
    // Without the option, Surrogate-Control is just another field.
    edge_arch_s3_ignored_unless_configured:
        Case::new().shared().res_all(&["cache-control: no-store", "surrogate-control: max-age=10000"]),
        at 0 => NotStored(NotStorable::ResponseNoStore);
}

#[test]
fn edge_arch_s4_capability_advertised_upstream() {
    let policy = CachePolicy::new(CacheOptions::default().surrogate_control(Some("hcache")));
    let mut req = req(
        http::Method::GET,
        "http://example.com/",
        &["surrogate-capability: cdn=\"Surrogate/1.0\""],
    );
    policy.prepare_upstream(&mut req);
    let values: Vec<_> = req.headers.get_all("surrogate-capability").iter().collect();
    assert_eq!(
        values,
        ["cdn=\"Surrogate/1.0\"", "hcache=\"Surrogate/1.0\""]
    );

    let mut plain = crate::support::req(http::Method::GET, "http://example.com/", &[]);
    CachePolicy::new(CacheOptions::default()).prepare_upstream(&mut plain);
    assert!(plain.headers.get("surrogate-capability").is_none());
}
