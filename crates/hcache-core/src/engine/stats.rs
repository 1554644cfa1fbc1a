//! What the engine did, counted. Cheap relaxed atomics: they are statistics, not
//! synchronisation.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

macro_rules! counters {
    ($( $(#[$doc:meta])* $name:ident ),* $(,)?) => {
        #[derive(Debug, Default)]
        pub(crate) struct Counters { $( pub(crate) $name: AtomicU64, )* }

        /// A snapshot of the engine's counters (see [`Engine::stats`](crate::Engine::stats)).
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Stats { $( $(#[$doc])* pub $name: u64, )* }

        impl Counters {
            pub(crate) fn snapshot(&self) -> Stats {
                Stats { $( $name: self.$name.load(Relaxed), )* }
            }
        }
    };
}

counters! {
    /// Requests handled.
    requests,
    /// Served from the cache without contacting the origin (fresh or stale).
    hits,
    /// Forwarded without a usable stored response.
    misses,
    /// Validations answered 304 (stored response reused).
    not_modified,
    /// Validations answered with a new full response.
    changed,
    /// Stale responses served (max-stale, stale-while-revalidate, stale-if-error, modes).
    stale,
    /// Requests that waited for another request's origin fetch instead of making their own.
    coalesced,
    /// Responses written into the store (committed).
    stored,
    /// Responses that were not stored because they were larger than the store allows.
    too_large,
    /// Invalidations: each key invalidated after an unsafe method (counted whether or not
    /// anything was stored under it: the store is not read first), and each stored GET
    /// response invalidated by a HEAD response that contradicts it.
    invalidated,
    /// Store operations that failed: a lookup, read, write or update (the request still
    /// succeeded from the origin), or a stored body found damaged while it streamed (the
    /// response then fails rather than end with wrong bytes).
    store_errors,
    /// Upstream exchanges that failed (connection errors, broken bodies).
    upstream_errors,
    /// Background revalidations started (stale-while-revalidate).
    background_revalidations,
}

impl Counters {
    pub(crate) fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }
}
