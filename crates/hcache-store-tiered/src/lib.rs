#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod memo;
mod writer;

use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use hcache_core::{
    CacheKey, CacheStore, StoreError, StoreStats, StoreTee, StoredBody, StoredResponse, TeeOutcome,
    Variant, VariantId, VaryKey,
};
use http_body::Body as _;
use http_body_util::BodyExt;

pub use writer::TieredWriter;

use memo::BackIds;

/// A front store over a back store. Cheap to clone if both tiers are.
#[derive(Debug, Clone)]
pub struct TieredStore<F, B> {
    front: F,
    back: B,
    counters: Arc<Counters>,
    back_ids: Arc<BackIds>,
    ids: Ids,
}

#[derive(Debug, Default)]
struct Counters {
    front_hits: AtomicU64,
    back_hits: AtomicU64,
    promotions: AtomicU64,
    front_errors: AtomicU64,
}

/// Statistics per tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TierStats {
    /// The front tier's own statistics.
    pub front: StoreStats,
    /// The back tier's own statistics.
    pub back: StoreStats,
    /// Lookups answered by the front tier.
    pub front_hits: u64,
    /// Lookups that fell through and were answered by the back tier.
    pub back_hits: u64,
    /// Bodies copied from the back tier into the front tier.
    pub promotions: u64,
    /// Front-tier operations that failed (the back tier answered instead).
    pub front_errors: u64,
}

/// Where a variant's body lives.
#[derive(Debug, Clone)]
pub enum TieredHandle<FH, BH> {
    /// In the front tier.
    Front(Variant<FH>),
    /// In the back tier only.
    Back(Variant<BH>),
}

/// Gives a variant the id it has in every tier: the hash of its secondary key, which
/// identifies it within its entry (a commit replaces the variant with the same key), so it
/// is the same whichever tier the variant is read from. Seeded at random for each store
/// (the clones of a store share the seed): the `Vary` values that make up a secondary key
/// come from requests, and with a hash known in advance two of them could be chosen to
/// collide, so that a 304 for one variant would update the other.
#[derive(Debug, Clone, Default)]
struct Ids(foldhash::quality::RandomState);

impl Ids {
    fn of(&self, vary: &VaryKey) -> VariantId {
        VariantId(self.0.hash_one(vary))
    }

    fn variant<H>(&self, response: Arc<StoredResponse>, body: H) -> Variant<H> {
        Variant {
            id: self.of(response.vary()),
            response,
            body,
        }
    }
}

impl<F: CacheStore, B: CacheStore> TieredStore<F, B> {
    /// `front` (small and fast) over `back` (large, authoritative).
    pub fn new(front: F, back: B) -> Self {
        TieredStore {
            front,
            back,
            counters: Arc::default(),
            back_ids: Arc::default(),
            ids: Ids::default(),
        }
    }

    /// The front tier.
    pub fn front(&self) -> &F {
        &self.front
    }

    /// The back tier.
    pub fn back(&self) -> &B {
        &self.back
    }

    /// Statistics per tier.
    pub fn tier_stats(&self) -> TierStats {
        let c = &self.counters;
        TierStats {
            front: self.front.stats(),
            back: self.back.stats(),
            front_hits: c.front_hits.load(Relaxed),
            back_hits: c.back_hits.load(Relaxed),
            promotions: c.promotions.load(Relaxed),
            front_errors: c.front_errors.load(Relaxed),
        }
    }

    fn front_failed(&self) {
        self.counters.front_errors.fetch_add(1, Relaxed);
    }

    /// The variant of `store` under `key` whose tiered id is `id`, looked up in that store.
    async fn find<S: CacheStore>(
        &self,
        store: &S,
        key: &CacheKey,
        id: VariantId,
    ) -> Result<Option<Variant<S::Handle>>, StoreError> {
        Ok(store
            .get(key)
            .await?
            .into_iter()
            .find(|v| self.ids.of(v.response.vary()) == id))
    }
}

impl<F: CacheStore, B: CacheStore> CacheStore for TieredStore<F, B> {
    type Handle = TieredHandle<F::Handle, B::Handle>;
    type Writer = TieredWriter<F::Writer, B::Writer>;

    async fn get(&self, key: &CacheKey) -> Result<Vec<Variant<Self::Handle>>, StoreError> {
        match self.front.get(key).await {
            Ok(vs) if !vs.is_empty() => {
                self.counters.front_hits.fetch_add(1, Relaxed);
                return Ok(vs
                    .into_iter()
                    .map(|v| self.ids.variant(v.response.clone(), TieredHandle::Front(v)))
                    .collect());
            }
            Ok(_) => {}
            Err(_) => self.front_failed(),
        }
        let vs = self.back.get(key).await?;
        if !vs.is_empty() {
            self.counters.back_hits.fetch_add(1, Relaxed);
        }
        Ok(vs
            .into_iter()
            .map(|v| {
                let back_id = v.id;
                let tiered = self.ids.variant(v.response.clone(), TieredHandle::Back(v));
                self.back_ids.learn(key, tiered.id, back_id);
                tiered
            })
            .collect())
    }

    async fn open(
        &self,
        key: &CacheKey,
        variant: &Variant<Self::Handle>,
    ) -> Result<StoredBody, StoreError> {
        let v = match &variant.body {
            TieredHandle::Front(v) => match self.front.open(key, v).await {
                Ok(body) => return Ok(body),
                Err(_) => {
                    // A front entry that cannot be read is the front's loss, not the
                    // reader's: drop it and read from the back.
                    self.front_failed();
                    let _ = self.front.remove_variant(key, v.id).await;
                    match self.find(&self.back, key, variant.id).await? {
                        Some(v) => v,
                        None => {
                            return Err(StoreError::Backend("variant gone from both tiers".into()));
                        }
                    }
                }
            },
            TieredHandle::Back(v) => v.clone(),
        };
        let body = self.back.open(key, &v).await?;
        // Promote while streaming, if the front takes a body of this size.
        let hint = body.size_hint().exact();
        match self.front.begin(key, v.response.clone(), hint).await {
            Ok(Some(writer)) => {
                let counters = self.counters.clone();
                let tee = StoreTee::new(body, writer, move |outcome| {
                    if let TeeOutcome::Committed(_) = outcome {
                        counters.promotions.fetch_add(1, Relaxed);
                    }
                });
                Ok(tee.boxed())
            }
            Ok(None) => Ok(body),
            Err(_) => {
                self.front_failed();
                Ok(body)
            }
        }
    }

    async fn begin(
        &self,
        key: &CacheKey,
        response: Arc<StoredResponse>,
        size_hint: Option<u64>,
    ) -> Result<Option<Self::Writer>, StoreError> {
        let Some(back) = self.back.begin(key, response.clone(), size_hint).await? else {
            return Ok(None);
        };
        let front = match self.front.begin(key, response.clone(), size_hint).await {
            Ok(w) => w,
            Err(_) => {
                self.front_failed();
                None
            }
        };
        Ok(Some(TieredWriter::new(
            front,
            back,
            self.ids.of(response.vary()),
            (key.clone(), self.back_ids.clone()),
        )))
    }

    async fn update(
        &self,
        key: &CacheKey,
        id: VariantId,
        response: Arc<StoredResponse>,
    ) -> Result<(), StoreError> {
        // The back's id for it, remembered, or else looked up (see `memo`).
        let back_id = match self.back_ids.get(key, id) {
            Some(b) => Some(b),
            None => self.find(&self.back, key, id).await?.map(|v| {
                self.back_ids.learn(key, id, v.id);
                v.id
            }),
        };
        if let Some(b) = back_id {
            self.back.update(key, b, response.clone()).await?;
        }
        match self.find(&self.front, key, id).await {
            Ok(Some(v)) => {
                if self.front.update(key, v.id, response).await.is_err() {
                    self.front_failed();
                }
            }
            Ok(None) => {}
            Err(_) => self.front_failed(),
        }
        Ok(())
    }

    async fn remove_variant(&self, key: &CacheKey, id: VariantId) -> Result<(), StoreError> {
        // Front first: a reader must never find in memory what the back no longer holds.
        match self.find(&self.front, key, id).await {
            Ok(Some(v)) => {
                if self.front.remove_variant(key, v.id).await.is_err() {
                    // Fail closed: drop the whole key from the front.
                    let _ = self.front.remove(key).await;
                }
            }
            Ok(None) => {}
            Err(_) => {
                self.front_failed();
                let _ = self.front.remove(key).await;
            }
        }
        self.back_ids.forget(key, id);
        if let Some(v) = self.find(&self.back, key, id).await? {
            self.back.remove_variant(key, v.id).await?;
        }
        Ok(())
    }

    async fn remove(&self, key: &CacheKey) -> Result<(), StoreError> {
        let front = self.front.remove(key).await;
        self.back.remove(key).await?;
        front
    }

    async fn clear(&self) -> Result<(), StoreError> {
        self.back_ids.clear();
        let front = self.front.clear().await;
        self.back.clear().await?;
        front
    }

    fn stats(&self) -> StoreStats {
        let (front, mut back) = (self.front.stats(), self.back.stats());
        back.evictions += front.evictions;
        back.failed_writes += front.failed_writes;
        back
    }

    fn max_entry_size(&self) -> Option<u64> {
        self.back.max_entry_size()
    }
}
