#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod options;
mod shard;

use std::future::{Future, ready};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use hcache_core::{
    CacheKey, CacheStore, StoreError, StoreStats, StoreWriter, StoredBody, StoredResponse, Variant,
    VariantId,
};
use http_body_util::BodyExt;

pub use options::MemoryOptions;
use shard::Shard;

/// A byte-bounded, sharded LRU store. Cheap to clone (clones share the same memory).
#[derive(Clone, Debug)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    shards: Box<[Mutex<Shard>]>,
    /// Picks a key's shard: the same fast, randomly seeded hash the shards' maps use.
    hasher: lru::DefaultHasher,
    next_id: AtomicU64,
    max_entry_size: u64,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(MemoryOptions::default())
    }
}

impl MemoryStore {
    /// A store with `options`.
    pub fn new(options: MemoryOptions) -> Self {
        // Every shard holds at least one entry, so there are never more shards than entries.
        let n = options.shards.min(options.max_entries).max(1);
        // The budgets are split exactly (the first shards take the remainder): together the
        // shards never hold more than the configured totals.
        let split = |total: u64, i: usize| {
            let n = n as u64;
            total / n + u64::from((i as u64) < total % n)
        };
        let shards = (0..n)
            .map(|i| {
                let entries = split(options.max_entries as u64, i) as usize;
                Mutex::new(Shard::new(split(options.max_bytes, i), entries))
            })
            .collect();
        MemoryStore {
            inner: Arc::new(Inner {
                shards,
                hasher: lru::DefaultHasher::default(),
                next_id: AtomicU64::new(1),
                // An entry must fit in the smallest shard, or storing it would evict it at once.
                max_entry_size: options.max_entry_size.min(options.max_bytes / n as u64),
            }),
        }
    }

    fn shard(&self, key: &CacheKey) -> MutexGuard<'_, Shard> {
        // The high bits of the hash pick the shard (a multiply-shift, not a division).
        let h = self.inner.hasher.hash_one(key);
        let i = ((u128::from(h) * self.inner.shards.len() as u128) >> 64) as usize;
        self.inner.shards[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Streams a body into a [`MemoryStore`]; see [`StoreWriter`].
#[derive(Debug)]
pub struct MemoryWriter {
    store: MemoryStore,
    key: CacheKey,
    response: Arc<StoredResponse>,
    /// The chunks as they came, while the body is kept that way (see `filled`).
    chunks: Vec<Bytes>,
    /// A body of announced length in more than one chunk: one buffer of that length, filled
    /// as the chunks come, so that each chunk is dropped at once and a large body is never
    /// held twice (the chunks, then their concatenation).
    filled: Vec<u8>,
    /// The announced length (`Content-Length`), if any.
    hint: Option<u64>,
    len: u64,
}

impl MemoryWriter {
    fn push(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        if self.filled.capacity() > 0 {
            self.filled.extend_from_slice(&chunk);
        } else if let (Some(hint), false) = (self.hint, self.chunks.is_empty()) {
            // A second chunk: from here on, fill one buffer. The hint is at most the entry
            // limit (`begin` refused larger ones); a body longer than announced still fits,
            // the buffer growing as a `Vec` does.
            let mut filled = Vec::with_capacity(usize::try_from(hint).unwrap_or(0).max(1));
            for c in self.chunks.drain(..).chain([chunk]) {
                filled.extend_from_slice(&c);
            }
            self.filled = filled;
        } else {
            self.chunks.push(chunk);
        }
    }
}

impl StoreWriter for MemoryWriter {
    fn write(
        mut self,
        chunk: Bytes,
    ) -> impl Future<Output = Result<Self, StoreError>> + Send + 'static {
        let limit = self.store.inner.max_entry_size;
        self.len += chunk.len() as u64;
        ready(if self.len > limit {
            Err(StoreError::TooLarge { limit })
        } else {
            self.push(chunk);
            Ok(self)
        })
    }

    fn commit(self) -> impl Future<Output = Result<VariantId, StoreError>> + Send + 'static {
        // One copy at fill time (none for a single chunk) buys zero-copy hits.
        let body = match self.chunks.len() {
            _ if self.filled.capacity() > 0 => Bytes::from(self.filled),
            0 => Bytes::new(),
            1 => self.chunks.into_iter().next().unwrap_or_default(),
            _ => {
                let mut buf = Vec::with_capacity(self.len as usize);
                for c in &self.chunks {
                    buf.extend_from_slice(c);
                }
                Bytes::from(buf)
            }
        };
        let id = VariantId(self.store.inner.next_id.fetch_add(1, Ordering::Relaxed));
        self.store
            .shard(&self.key)
            .insert(&self.key, id, self.response, body);
        ready(Ok(id))
    }
}

impl CacheStore for MemoryStore {
    type Handle = Bytes;
    type Writer = MemoryWriter;

    fn get(
        &self,
        key: &CacheKey,
    ) -> impl Future<Output = Result<Vec<Variant<Bytes>>, StoreError>> + Send {
        ready(Ok(self.shard(key).get(key)))
    }

    fn open(
        &self,
        _key: &CacheKey,
        variant: &Variant<Bytes>,
    ) -> impl Future<Output = Result<StoredBody, StoreError>> + Send {
        let body = http_body_util::Full::new(variant.body.clone())
            .map_err(|never| match never {})
            .boxed();
        ready(Ok(body))
    }

    fn begin(
        &self,
        key: &CacheKey,
        response: Arc<StoredResponse>,
        size_hint: Option<u64>,
    ) -> impl Future<Output = Result<Option<MemoryWriter>, StoreError>> + Send {
        let fits = size_hint.is_none_or(|n| n <= self.inner.max_entry_size);
        ready(Ok(fits.then(|| MemoryWriter {
            store: self.clone(),
            key: key.clone(),
            response,
            chunks: Vec::new(),
            filled: Vec::new(),
            hint: size_hint,
            len: 0,
        })))
    }

    fn update(
        &self,
        key: &CacheKey,
        id: VariantId,
        response: Arc<StoredResponse>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.shard(key).update(key, id, response);
        ready(Ok(()))
    }

    fn remove_variant(
        &self,
        key: &CacheKey,
        id: VariantId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.shard(key).remove_variant(key, id);
        ready(Ok(()))
    }

    fn remove(&self, key: &CacheKey) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.shard(key).remove(key);
        ready(Ok(()))
    }

    fn clear(&self) -> impl Future<Output = Result<(), StoreError>> + Send {
        for s in self.inner.shards.iter() {
            s.lock().unwrap_or_else(PoisonError::into_inner).clear();
        }
        ready(Ok(()))
    }

    fn stats(&self) -> StoreStats {
        let mut total = StoreStats::default();
        for s in self.inner.shards.iter() {
            let s = s.lock().unwrap_or_else(PoisonError::into_inner).stats();
            total.size_bytes += s.size_bytes;
            total.entries += s.entries;
            total.variants += s.variants;
            total.evictions += s.evictions;
        }
        total
    }

    fn max_entry_size(&self) -> Option<u64> {
        Some(self.inner.max_entry_size)
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    use std::time::SystemTime;

    use hcache_core::{CacheOptions, CachePolicy};

    use super::*;

    /// Runs a memory-store future, which never waits.
    fn now<F: Future>(f: F) -> F::Output {
        match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("a memory store future was pending"),
        }
    }

    impl MemoryStore {
        fn assert_consistent(&self) {
            for s in self.inner.shards.iter() {
                s.lock().unwrap().assert_consistent();
            }
        }

        fn budgets(&self) -> Vec<(u64, usize)> {
            let shards = self.inner.shards.iter();
            shards.map(|s| s.lock().unwrap().budget()).collect()
        }
    }

    fn meta() -> Arc<StoredResponse> {
        let req = http::Request::get("http://example.com/").body(()).unwrap();
        let res = http::Response::builder().header("cache-control", "max-age=60");
        let res = res.body(()).unwrap();
        let t = SystemTime::now();
        let policy = CachePolicy::new(CacheOptions::default());
        Arc::new(
            policy
                .store(&req.into_parts().0, &res.into_parts().0, t, t)
                .unwrap(),
        )
    }

    /// Whatever the chunking and whether the length was announced, the stored body is the
    /// bytes written; with an announced length, several chunks fill one buffer of that
    /// length rather than being kept and then copied.
    #[test]
    fn bodies_in_chunks_are_stored_whole() {
        let store = MemoryStore::default();
        let body: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        for (n, hint) in [
            (1, None),
            (1, Some(10_000)),
            (3, None),
            (3, Some(10_000)),
            (3, Some(4)),
        ] {
            let key = CacheKey::new(format!("GET http://example.com/{n}-{hint:?}"));
            let mut w = now(store.begin(&key, meta(), hint)).unwrap().unwrap();
            for part in body.chunks(body.len().div_ceil(n)) {
                w = now(w.write(Bytes::copy_from_slice(part))).unwrap();
            }
            assert_eq!(
                w.filled.capacity() > 0,
                n > 1 && hint.is_some(),
                "{n} {hint:?}"
            );
            now(w.commit()).unwrap();
            let v = now(store.get(&key)).unwrap();
            assert_eq!(
                v[0].body.as_ref(),
                body.as_slice(),
                "{n} chunks, hint {hint:?}"
            );
        }
    }

    #[test]
    fn budgets_are_split_exactly_across_shards() {
        let s = MemoryStore::new(
            MemoryOptions::default()
                .max_bytes(1000)
                .max_entries(10)
                .shards(3),
        );
        assert_eq!(s.budgets(), [(334, 4), (333, 3), (333, 3)]);
        // The smallest shard's share bounds the entry size.
        assert_eq!(s.max_entry_size(), Some(333));
    }

    #[test]
    fn never_more_shards_than_entries() {
        let s = MemoryStore::new(MemoryOptions::default().max_entries(10).shards(16));
        let budgets = s.budgets();
        assert_eq!(budgets.len(), 10);
        assert!(budgets.iter().all(|&(_, entries)| entries == 1));
        assert_eq!(budgets.iter().map(|&(b, _)| b).sum::<u64>(), 64 << 20);
    }

    #[test]
    fn default_budgets() {
        let s = MemoryStore::default();
        let budgets = s.budgets();
        assert_eq!(budgets.len(), 16);
        assert_eq!(budgets.iter().map(|&(b, _)| b).sum::<u64>(), 64 << 20);
        assert_eq!(budgets.iter().map(|&(_, e)| e).sum::<usize>(), 10_000);
        // 8 MiB asked, but a shard's share of 64 MiB is 4 MiB.
        assert_eq!(s.max_entry_size(), Some(4 << 20));
    }

    #[test]
    fn concurrent_operations_keep_exact_accounting() {
        let store = MemoryStore::new(
            MemoryOptions::default()
                .max_bytes(64 << 10)
                .max_entries(200)
                .shards(4),
        );
        let m = meta();
        std::thread::scope(|scope| {
            for t in 0..4u64 {
                let (store, m) = (store.clone(), m.clone());
                scope.spawn(move || {
                    let mut x = 0x9E37_79B9_7F4A_7C15 ^ (t + 1);
                    for _ in 0..5_000 {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let key = CacheKey::new(format!("GET http://e.com/{}", x % 500));
                        match x % 10 {
                            0 => now(store.remove(&key)).unwrap(),
                            1 => {
                                if let Some(v) = now(store.get(&key)).unwrap().pop() {
                                    now(store.update(&key, v.id, m.clone())).unwrap();
                                }
                            }
                            2..=4 => {
                                let w = now(store.begin(&key, m.clone(), None)).unwrap().unwrap();
                                let w =
                                    now(w.write(Bytes::from(vec![1; (x % 700) as usize]))).unwrap();
                                now(w.commit()).unwrap();
                            }
                            _ => drop(now(store.get(&key)).unwrap()),
                        }
                    }
                });
            }
        });
        store.assert_consistent();
        let stats = store.stats();
        assert!(stats.evictions > 0, "the budget was meant to be exceeded");
        assert!(stats.size_bytes <= 64 << 10 && stats.entries <= 200);
        for i in 0..500 {
            now(store.remove(&CacheKey::new(format!("GET http://e.com/{i}")))).unwrap();
        }
        store.assert_consistent();
        assert_eq!(
            (
                store.stats().size_bytes,
                store.stats().entries,
                store.stats().variants
            ),
            (0, 0, 0)
        );
    }
}
