//! RFC 8246 `immutable`: a fresh immutable response is not revalidated when the client asks
//! for a (soft) reload with request `max-age` / `min-fresh` (private caches, when
//! `honor_immutable` is on, the default). Stale responses, shared caches, `no-cache` and
//! explicit reload modes still validate.

use std::time::Duration;

use hcache_core::{CacheMode, ForwardReason};

use super::base;
use crate::outcomes;
use crate::support::*;

/// Fresh for 100 s, `immutable`.
fn immutable() -> Case {
    base().res("cache-control: max-age=100, immutable")
}

// RFC 8246 §2: "clients SHOULD NOT issue a conditional request during the response's
// freshness lifetime (e.g., upon a reload)".
outcomes! {
    rfc8246_s2_fresh_immutable_reused_despite_request_max_age_zero:
        immutable().next("cache-control: max-age=0"), at 10 => Fresh;
    rfc8246_s2_fresh_immutable_reused_despite_request_min_fresh:
        immutable().next("cache-control: min-fresh=1000"), at 10 => Fresh;
    rfc8246_s2_without_immutable_request_max_age_zero_validates:
        base().res("cache-control: max-age=100").next("cache-control: max-age=0"), at 10
            => Validate;
}

// Not in a shared cache, not when disabled.
outcomes! {
    rfc8246_s2_shared_cache_validates_immutable_on_max_age_zero:
        immutable().shared().next("cache-control: max-age=0"), at 10 => Validate;
    rfc8246_s2_honor_immutable_false_validates_on_max_age_zero:
        immutable().options(|o| o.honor_immutable(false)).next("cache-control: max-age=0"), at 10
            => Validate;
}

// Once stale, an immutable response is validated like any other; explicit `no-cache`
// (request, Pragma, mode) and reloads still go to the origin.
outcomes! {
    rfc8246_s2_stale_immutable_validated:
        immutable(), at 100 => Validate;
    rfc8246_s2_stale_immutable_validated_on_max_age_zero:
        immutable().next("cache-control: max-age=0"), at 100 => Validate;
    rfc8246_s2_immutable_request_no_cache_validates:
        immutable().next("cache-control: no-cache"), at 10 => Validate;
    rfc8246_s2_immutable_mode_no_cache_validates:
        immutable().mode(CacheMode::NoCache), at 10 => Validate;
    rfc8246_s2_immutable_mode_reload_forwards:
        immutable().mode(CacheMode::Reload), at 10 => Forward(ForwardReason::Request);
    rfc8246_s2_immutable_with_response_no_cache_validates:
        base().res("cache-control: max-age=100, immutable, no-cache")
            .next("cache-control: max-age=0"), at 10 => Validate;
    rfc8246_s2_immutable_does_not_lift_max_ttl:
        immutable().options(|o| o.max_ttl(Some(Duration::from_secs(5)))), at 5 => Validate;
}
