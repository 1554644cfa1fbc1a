//! The cross-adapter scenario set: each scenario is written once, generic over the way into
//! the cache ([`Client`](crate::support::adapters::Client)) and the store, and runs through
//! the engine, hcache-hyper, hcache-reqwest and hcache-surf with the memory, cacache and
//! tiered stores, against a real origin on 127.0.0.1 — `scenario::<adapter>_<store>`.
//!
//! What each adapter adds is type conversion: so every adapter must give the caller exactly
//! what the engine gives, `Cache-Status` included, and must carry headers, markers, bodies
//! and errors both ways unchanged.

mod bodies;
mod fields;
mod flow;
mod stale;

use bodies::{engine_streamed_64_mib_body, engine_streamed_large_body};
use fields::{s3_1_duplicate_header_lines, s4_1_vary_two_variants_each_served_third_misses};
use flow::{
    s4_2_fresh_hit, s4_3_3_changed_on_revalidation, s4_3_revalidation_304, s4_4_post_invalidates,
    s4_miss, s5_2_1_7_only_if_cached_504, s5_2_2_5_no_store,
};
use stale::{rfc5861_s3_stale_while_revalidate_background, rfc5861_s4_stale_if_error};

crate::for_each_adapter!(
    s4_2_fresh_hit,
    s4_3_revalidation_304,
    s4_3_3_changed_on_revalidation,
    s4_miss,
    s5_2_2_5_no_store,
    s4_1_vary_two_variants_each_served_third_misses,
    rfc5861_s3_stale_while_revalidate_background,
    rfc5861_s4_stale_if_error,
    s4_4_post_invalidates,
    s5_2_1_7_only_if_cached_504,
    engine_streamed_large_body[large],
    s3_1_duplicate_header_lines,
);

// 64 MiB through each adapter; the disk stores take the 16 MiB one (hashing and writing 64 MiB
// per test in an unoptimised build would make this set several times slower).
crate::for_each_adapter!(stores(memory): engine_streamed_64_mib_body[large]);
