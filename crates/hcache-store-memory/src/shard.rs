//! One shard: an LRU of entries with its own byte and entry budgets.

use std::sync::Arc;

use bytes::Bytes;
use hcache_core::{CacheKey, StoreStats, StoredResponse, Variant, VariantId};
use lru::LruCache;

#[derive(Debug)]
struct Stored {
    id: VariantId,
    response: Arc<StoredResponse>,
    body: Bytes,
    cost: u64,
}

/// What a variant costs against the byte budget: its body plus its header section (names,
/// values and a per-field allowance for the map's own bookkeeping).
fn cost(response: &StoredResponse, body: &Bytes) -> u64 {
    let headers: usize = response
        .headers()
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 32)
        .sum();
    (body.len() + headers + 256) as u64
}

#[derive(Debug)]
pub(crate) struct Shard {
    lru: LruCache<CacheKey, Vec<Stored>>,
    bytes: u64,
    variants: u64,
    max_bytes: u64,
    max_entries: usize,
    evictions: u64,
}

impl Shard {
    pub(crate) fn new(max_bytes: u64, max_entries: usize) -> Self {
        Shard {
            lru: LruCache::unbounded(),
            bytes: 0,
            variants: 0,
            max_bytes,
            max_entries,
            evictions: 0,
        }
    }

    pub(crate) fn get(&mut self, key: &CacheKey) -> Vec<Variant<Bytes>> {
        self.lru.get(key).map_or_else(Vec::new, |vs| {
            vs.iter()
                .map(|s| Variant {
                    id: s.id,
                    response: s.response.clone(),
                    body: s.body.clone(),
                })
                .collect()
        })
    }

    /// Adds a variant, replacing any with the same secondary key (the same `Vary` values),
    /// then evicts least recently used entries until the shard is within budget.
    ///
    /// A variant that could never fit (its metadata pushes it past the shard's whole budget)
    /// still replaces its predecessor but is itself dropped at once, counted as an eviction,
    /// without evicting anything else on its way.
    pub(crate) fn insert(
        &mut self,
        key: &CacheKey,
        id: VariantId,
        response: Arc<StoredResponse>,
        body: Bytes,
    ) {
        let cost = cost(&response, &body);
        let fits = cost <= self.max_bytes;
        let variants = if fits {
            self.lru.get_or_insert_mut(key.clone(), Vec::new)
        } else {
            self.evictions += 1;
            match self.lru.peek_mut(key) {
                Some(vs) => vs,
                None => return,
            }
        };
        let mut freed = 0;
        let mut dropped = 0;
        variants.retain(|s| {
            let keep = s.response.vary() != response.vary();
            if !keep {
                freed += s.cost;
                dropped += 1;
            }
            keep
        });
        self.bytes -= freed;
        self.variants -= dropped;
        if fits {
            variants.push(Stored {
                id,
                response,
                body,
                cost,
            });
            self.bytes += cost;
            self.variants += 1;
            self.evict();
        } else if variants.is_empty() {
            self.lru.pop(key);
        }
    }

    fn evict(&mut self) {
        while self.bytes > self.max_bytes || self.lru.len() > self.max_entries {
            let Some((_, vs)) = self.lru.pop_lru() else {
                break;
            };
            self.bytes -= vs.iter().map(|s| s.cost).sum::<u64>();
            self.variants -= vs.len() as u64;
            self.evictions += vs.len() as u64;
        }
    }

    /// Replaces a variant's metadata. If that makes the variant too big for the whole shard,
    /// it is dropped (counted as an eviction) rather than evicting everything else first.
    pub(crate) fn update(&mut self, key: &CacheKey, id: VariantId, response: Arc<StoredResponse>) {
        let Some(s) = self
            .lru
            .peek_mut(key)
            .and_then(|vs| vs.iter_mut().find(|s| s.id == id))
        else {
            return;
        };
        let cost = cost(&response, &s.body);
        if cost > self.max_bytes {
            self.remove_variant(key, id);
            self.evictions += 1;
            return;
        }
        self.bytes = self.bytes - s.cost + cost;
        s.cost = cost;
        s.response = response;
        self.evict();
    }

    pub(crate) fn remove_variant(&mut self, key: &CacheKey, id: VariantId) {
        let Some(vs) = self.lru.peek_mut(key) else {
            return;
        };
        if let Some(pos) = vs.iter().position(|s| s.id == id) {
            let s = vs.swap_remove(pos);
            self.bytes -= s.cost;
            self.variants -= 1;
            if vs.is_empty() {
                self.lru.pop(key);
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &CacheKey) {
        if let Some(vs) = self.lru.pop(key) {
            self.bytes -= vs.iter().map(|s| s.cost).sum::<u64>();
            self.variants -= vs.len() as u64;
        }
    }

    pub(crate) fn clear(&mut self) {
        self.lru.clear();
        self.bytes = 0;
        self.variants = 0;
    }

    pub(crate) fn stats(&self) -> StoreStats {
        let mut s = StoreStats::default();
        s.size_bytes = self.bytes;
        s.entries = self.lru.len() as u64;
        s.variants = self.variants;
        s.evictions = self.evictions;
        s
    }
}

#[cfg(test)]
impl Shard {
    /// The shard's byte and entry budgets.
    pub(crate) fn budget(&self) -> (u64, usize) {
        (self.max_bytes, self.max_entries)
    }

    /// Recomputes the counters from the contents and checks them against the running ones,
    /// and the shard against its budgets.
    pub(crate) fn assert_consistent(&self) {
        let bytes: u64 = self.lru.iter().flat_map(|(_, vs)| vs).map(|s| s.cost).sum();
        let variants: u64 = self.lru.iter().map(|(_, vs)| vs.len() as u64).sum();
        assert_eq!(self.bytes, bytes, "byte accounting drifted");
        assert_eq!(self.variants, variants, "variant count drifted");
        assert!(self.bytes <= self.max_bytes, "over the byte budget");
        assert!(self.lru.len() <= self.max_entries, "over the entry budget");
        for (key, vs) in self.lru.iter() {
            assert!(!vs.is_empty(), "entry {key} kept with no variant");
            for (i, a) in vs.iter().enumerate() {
                assert_eq!(a.cost, cost(&a.response, &a.body));
                assert!(
                    vs[i + 1..]
                        .iter()
                        .all(|b| b.response.vary() != a.response.vary()),
                    "two variants of {key} with one secondary key"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use hcache_core::{CacheOptions, CachePolicy};

    use super::*;

    /// Metadata of a `200` with `max-age=60`, `extra` more response fields, and `Vary` on
    /// `accept-language` captured as `lang` when given.
    fn meta(lang: Option<&str>, extra: usize) -> Arc<StoredResponse> {
        let mut req = http::Request::get("http://example.com/");
        let mut res = http::Response::builder().header("cache-control", "max-age=60");
        if let Some(l) = lang {
            req = req.header("accept-language", l);
            res = res.header("vary", "accept-language");
        }
        for i in 0..extra {
            res = res.header(format!("x-extra-{i}"), "value");
        }
        let req = req.body(()).unwrap().into_parts().0;
        let res = res.body(()).unwrap().into_parts().0;
        let t = SystemTime::now();
        Arc::new(
            CachePolicy::new(CacheOptions::default())
                .store(&req, &res, t, t)
                .unwrap(),
        )
    }

    fn key(i: usize) -> CacheKey {
        CacheKey::new(format!("GET http://example.com/{i}"))
    }

    fn body(n: usize) -> Bytes {
        Bytes::from(vec![b'x'; n])
    }

    fn keys(shard: &Shard) -> Vec<String> {
        // Most recently used first.
        shard
            .lru
            .iter()
            .map(|(k, _)| k.as_str().to_owned())
            .collect()
    }

    #[test]
    fn cost_counts_body_and_header_section() {
        let m = meta(None, 0);
        let m2 = meta(None, 2);
        assert_eq!(cost(&m, &body(1000)) - cost(&m, &body(0)), 1000);
        // Each `x-extra-N: value` field: name, value and the per-field allowance.
        assert_eq!(cost(&m2, &body(0)) - cost(&m, &body(0)), 2 * (9 + 5 + 32));
    }

    #[test]
    fn counters_follow_every_operation() {
        let mut s = Shard::new(1 << 20, 100);
        let mut next = 0;
        let mut id = || {
            next += 1;
            VariantId(next)
        };
        s.insert(&key(1), id(), meta(Some("en"), 0), body(10));
        s.insert(&key(1), id(), meta(Some("fr"), 0), body(20));
        s.insert(&key(1), id(), meta(Some("en"), 1), body(30)); // replaces "en"
        s.insert(&key(2), id(), meta(None, 0), body(40));
        s.assert_consistent();
        assert_eq!((s.stats().entries, s.stats().variants), (2, 3));
        let en = s
            .get(&key(1))
            .into_iter()
            .find(|v| v.body.len() == 30)
            .unwrap();
        s.update(&key(1), en.id, meta(Some("en"), 5));
        s.assert_consistent();
        s.remove_variant(&key(1), en.id);
        s.assert_consistent();
        assert_eq!(s.stats().variants, 2);
        s.remove(&key(2));
        s.assert_consistent();
        let fr = s.get(&key(1)).pop().unwrap();
        s.remove_variant(&key(1), fr.id);
        s.assert_consistent();
        assert_eq!(s.stats(), StoreStats::default());
    }

    #[test]
    fn evicts_least_recently_used_entry_by_bytes() {
        let c = cost(&meta(None, 0), &body(100));
        let mut s = Shard::new(3 * c + c / 2, 100);
        for i in 1..=3 {
            s.insert(&key(i), VariantId(i as u64), meta(None, 0), body(100));
        }
        assert!(!s.get(&key(1)).is_empty()); // 1 becomes the most recently used
        s.insert(&key(4), VariantId(4), meta(None, 0), body(100));
        s.assert_consistent();
        assert_eq!(
            keys(&s),
            [
                "GET http://example.com/4",
                "GET http://example.com/1",
                "GET http://example.com/3"
            ]
        );
        assert_eq!(s.stats().evictions, 1);
    }

    #[test]
    fn evicts_least_recently_used_entry_by_count_with_all_its_variants() {
        let mut s = Shard::new(1 << 20, 2);
        s.insert(&key(1), VariantId(1), meta(Some("en"), 0), body(1));
        s.insert(&key(1), VariantId(2), meta(Some("fr"), 0), body(1));
        s.insert(&key(2), VariantId(3), meta(None, 0), body(1));
        s.insert(&key(3), VariantId(4), meta(None, 0), body(1));
        s.assert_consistent();
        assert!(s.get(&key(1)).is_empty());
        assert_eq!(s.stats().evictions, 2, "one entry of two variants");
        assert_eq!((s.stats().entries, s.stats().variants), (2, 2));
    }

    #[test]
    fn update_that_outgrows_the_budget_evicts_older_entries() {
        let small = cost(&meta(None, 0), &body(100));
        let mut s = Shard::new(2 * small + 40, 100);
        s.insert(&key(1), VariantId(1), meta(None, 0), body(100));
        s.insert(&key(2), VariantId(2), meta(None, 0), body(100));
        s.update(&key(2), VariantId(2), meta(None, 1));
        s.assert_consistent();
        assert!(s.get(&key(1)).is_empty());
        assert_eq!(s.get(&key(2))[0].body.len(), 100);
    }

    #[test]
    fn variant_that_can_never_fit_evicts_nothing_else() {
        let mut s = Shard::new(cost(&meta(None, 0), &body(1000)), 100);
        s.insert(&key(1), VariantId(1), meta(Some("en"), 0), body(10));
        s.insert(&key(2), VariantId(2), meta(None, 0), body(10));
        // Too big even for an empty shard: stored nowhere, and key 2 survives.
        s.insert(&key(3), VariantId(3), meta(None, 0), body(2000));
        s.assert_consistent();
        assert!(s.get(&key(3)).is_empty());
        assert_eq!(s.get(&key(2)).len(), 1);
        // It still supersedes the variant it would have replaced.
        s.insert(&key(1), VariantId(4), meta(Some("en"), 0), body(2000));
        s.assert_consistent();
        assert!(s.get(&key(1)).is_empty());
        assert_eq!(s.stats().evictions, 2);
        assert_eq!((s.stats().entries, s.stats().variants), (1, 1));
    }

    #[test]
    fn update_that_can_never_fit_drops_only_that_variant() {
        let mut s = Shard::new(cost(&meta(None, 0), &body(2000)), 100);
        s.insert(&key(1), VariantId(1), meta(None, 0), body(10));
        s.insert(&key(2), VariantId(2), meta(Some("en"), 0), body(900));
        s.insert(&key(2), VariantId(3), meta(Some("fr"), 0), body(10));
        s.assert_consistent();
        // 40 more fields push variant 2 past the whole budget.
        s.update(&key(2), VariantId(2), meta(Some("en"), 40));
        s.assert_consistent();
        assert_eq!(s.get(&key(1)).len(), 1);
        let left = s.get(&key(2));
        assert_eq!((left.len(), left[0].id), (1, VariantId(3)));
        assert_eq!(s.stats().evictions, 1);
    }

    #[test]
    fn operations_on_missing_keys_and_ids_change_nothing() {
        let mut s = Shard::new(1 << 20, 10);
        s.insert(&key(1), VariantId(1), meta(None, 0), body(10));
        let before = s.stats();
        s.update(&key(1), VariantId(99), meta(None, 3));
        s.update(&key(2), VariantId(1), meta(None, 3));
        s.remove_variant(&key(1), VariantId(99));
        s.remove_variant(&key(2), VariantId(1));
        s.remove(&key(2));
        s.assert_consistent();
        assert_eq!(s.stats(), before);
    }

    #[test]
    fn clear_resets_size_but_keeps_the_eviction_count() {
        let mut s = Shard::new(1 << 20, 1);
        s.insert(&key(1), VariantId(1), meta(None, 0), body(10));
        s.insert(&key(2), VariantId(2), meta(None, 0), body(10));
        s.clear();
        s.assert_consistent();
        let stats = s.stats();
        assert_eq!(
            (
                stats.size_bytes,
                stats.entries,
                stats.variants,
                stats.evictions
            ),
            (0, 0, 0, 1)
        );
    }
}
