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
    max_bytes: u64,
    max_entries: usize,
    evictions: u64,
}

impl Shard {
    pub(crate) fn new(max_bytes: u64, max_entries: usize) -> Self {
        Shard {
            lru: LruCache::unbounded(),
            bytes: 0,
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
    pub(crate) fn insert(
        &mut self,
        key: &CacheKey,
        id: VariantId,
        response: Arc<StoredResponse>,
        body: Bytes,
    ) {
        let cost = cost(&response, &body);
        let variants = self.lru.get_or_insert_mut(key.clone(), Vec::new);
        let before: u64 = variants.iter().map(|s| s.cost).sum();
        variants.retain(|s| s.response.vary() != response.vary());
        let after: u64 = variants.iter().map(|s| s.cost).sum();
        variants.push(Stored {
            id,
            response,
            body,
            cost,
        });
        self.bytes = self.bytes - (before - after) + cost;
        self.evict();
    }

    fn evict(&mut self) {
        while self.bytes > self.max_bytes || self.lru.len() > self.max_entries {
            let Some((_, vs)) = self.lru.pop_lru() else {
                break;
            };
            self.bytes -= vs.iter().map(|s| s.cost).sum::<u64>();
            self.evictions += vs.len() as u64;
        }
    }

    pub(crate) fn update(&mut self, key: &CacheKey, id: VariantId, response: Arc<StoredResponse>) {
        if let Some(s) = self
            .lru
            .peek_mut(key)
            .and_then(|vs| vs.iter_mut().find(|s| s.id == id))
        {
            let cost = cost(&response, &s.body);
            self.bytes = self.bytes - s.cost + cost;
            s.cost = cost;
            s.response = response;
        }
        self.evict();
    }

    pub(crate) fn remove_variant(&mut self, key: &CacheKey, id: VariantId) {
        let Some(vs) = self.lru.peek_mut(key) else {
            return;
        };
        if let Some(pos) = vs.iter().position(|s| s.id == id) {
            let s = vs.swap_remove(pos);
            self.bytes -= s.cost;
            if vs.is_empty() {
                self.lru.pop(key);
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &CacheKey) {
        if let Some(vs) = self.lru.pop(key) {
            self.bytes -= vs.iter().map(|s| s.cost).sum::<u64>();
        }
    }

    pub(crate) fn clear(&mut self) {
        self.lru.clear();
        self.bytes = 0;
    }

    pub(crate) fn stats(&self) -> StoreStats {
        let mut s = StoreStats::default();
        s.size_bytes = self.bytes;
        s.entries = self.lru.len() as u64;
        s.variants = self.lru.iter().map(|(_, vs)| vs.len() as u64).sum();
        s.evictions = self.evictions;
        s
    }
}
