//! Where each variant lives in the back tier, remembered so that a 304's update (RFC 9111
//! §4.3.4) reaches the back without reading it first.
//!
//! A tiered variant's id is its secondary key's hash (the same in both tiers); the back tier
//! knows the variant by its own id. Without this memo, every update of a variant served from
//! the front would list the back's variants to learn that id — for a disk back, a file read
//! on every revalidation. The memo learns ids where the tiered store sees them anyway: on
//! commit, on lookups and promotions from the back.
//!
//! A remembered id can only be out of date, never wrong: back ids are never reused, and one
//! whose variant was replaced (by another process sharing a disk back) names nothing, so the
//! update it addresses changes nothing in the back — the front is updated all the same, and
//! the next lookup that reaches the back learns the new id. Bounded, least recently used
//! first out; a forgotten id is looked up as before.

use std::hash::{BuildHasher, Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hcache_core::{CacheKey, VariantId};
use lru::LruCache;

/// How many back ids are remembered.
const CAPACITY: usize = 16_384;

/// Back-tier ids by primary key and tiered id (hashed together into a slot, with a seed of
/// this memo's own).
#[derive(Debug)]
pub(crate) struct BackIds {
    map: Mutex<LruCache<u64, VariantId>>,
    seed: foldhash::quality::RandomState,
}

impl Default for BackIds {
    fn default() -> Self {
        let cap = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        BackIds {
            map: Mutex::new(LruCache::new(cap)),
            seed: foldhash::quality::RandomState::default(),
        }
    }
}

impl BackIds {
    fn map(&self) -> MutexGuard<'_, LruCache<u64, VariantId>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The memo's key for the variant `id` under `key`. Two keys whose hashes meet would
    /// share a slot; the id then found names no variant under the other key, which makes
    /// that update a no-op, as for any out-of-date id.
    fn slot(&self, key: &CacheKey, id: VariantId) -> u64 {
        let mut h = self.seed.build_hasher();
        key.as_str().hash(&mut h);
        id.0.hash(&mut h);
        h.finish()
    }

    /// Remembers that the tiered variant `id` under `key` is `back` in the back tier.
    pub(crate) fn learn(&self, key: &CacheKey, id: VariantId, back: VariantId) {
        self.map().put(self.slot(key, id), back);
    }

    /// The back id of the tiered variant `id` under `key`, if remembered.
    pub(crate) fn get(&self, key: &CacheKey, id: VariantId) -> Option<VariantId> {
        self.map().get(&self.slot(key, id)).copied()
    }

    pub(crate) fn forget(&self, key: &CacheKey, id: VariantId) {
        self.map().pop(&self.slot(key, id));
    }

    pub(crate) fn clear(&self) {
        self.map().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_forgets_and_keeps_the_most_recent() {
        let ids = BackIds::default();
        let (a, b) = (CacheKey::new("GET a"), CacheKey::new("GET b"));
        ids.learn(&a, VariantId(1), VariantId(10));
        ids.learn(&b, VariantId(1), VariantId(20));
        ids.learn(&a, VariantId(1), VariantId(11));
        assert_eq!(ids.get(&a, VariantId(1)), Some(VariantId(11)));
        assert_eq!(ids.get(&b, VariantId(1)), Some(VariantId(20)));
        assert_eq!(ids.get(&a, VariantId(2)), None);
        ids.forget(&a, VariantId(1));
        assert_eq!(ids.get(&a, VariantId(1)), None);
        for i in 0..CAPACITY as u64 + 1 {
            ids.learn(&a, VariantId(100 + i), VariantId(i));
        }
        assert_eq!(
            ids.get(&b, VariantId(1)),
            None,
            "least recently used first out"
        );
        assert_eq!(ids.map().len(), CAPACITY);
        ids.clear();
        assert_eq!(ids.get(&a, VariantId(100 + CAPACITY as u64)), None);
    }
}
