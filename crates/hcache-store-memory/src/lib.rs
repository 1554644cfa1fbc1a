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
    hasher: std::hash::RandomState,
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
        let n = options.shards;
        let per_bytes = (options.max_bytes / n as u64).max(1);
        let per_entries = options.max_entries.div_ceil(n).max(1);
        MemoryStore {
            inner: Arc::new(Inner {
                shards: (0..n)
                    .map(|_| Mutex::new(Shard::new(per_bytes, per_entries)))
                    .collect(),
                hasher: std::hash::RandomState::new(),
                next_id: AtomicU64::new(1),
                // An entry must fit in its shard, or storing it would evict it at once.
                max_entry_size: options.max_entry_size.min(per_bytes),
            }),
        }
    }

    fn shard(&self, key: &CacheKey) -> MutexGuard<'_, Shard> {
        let i = (self.inner.hasher.hash_one(key) % self.inner.shards.len() as u64) as usize;
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
    chunks: Vec<Bytes>,
    len: u64,
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
            if !chunk.is_empty() {
                self.chunks.push(chunk);
            }
            Ok(self)
        })
    }

    fn commit(self) -> impl Future<Output = Result<VariantId, StoreError>> + Send + 'static {
        // One copy at fill time (none for a single chunk) buys zero-copy hits.
        let body = match self.chunks.len() {
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
