//! Writing one body into both tiers.

use std::sync::Arc;

use bytes::Bytes;
use hcache_core::{CacheKey, StoreError, StoreWriter, VariantId};

use crate::memo::BackIds;

/// Streams a body into the back tier and, while it keeps up, the front tier.
#[derive(Debug)]
pub struct TieredWriter<FW, BW> {
    front: Option<FW>,
    back: BW,
    id: VariantId,
    /// Where the back's id for the committed variant is remembered.
    memo: (CacheKey, Arc<BackIds>),
}

impl<FW, BW> TieredWriter<FW, BW> {
    pub(crate) fn new(
        front: Option<FW>,
        back: BW,
        id: VariantId,
        memo: (CacheKey, Arc<BackIds>),
    ) -> Self {
        TieredWriter {
            front,
            back,
            id,
            memo,
        }
    }
}

impl<FW: StoreWriter, BW: StoreWriter> StoreWriter for TieredWriter<FW, BW> {
    async fn write(self, chunk: Bytes) -> Result<Self, StoreError> {
        // The back tier is authoritative: its failure fails the write. The front only
        // drops out (too large for memory, say).
        let back = self.back.write(chunk.clone()).await?;
        let front = match self.front {
            Some(f) => f.write(chunk).await.ok(),
            None => None,
        };
        Ok(TieredWriter {
            front,
            back,
            id: self.id,
            memo: self.memo,
        })
    }

    async fn commit(self) -> Result<VariantId, StoreError> {
        let back_id = self.back.commit().await?;
        let (key, ids) = &self.memo;
        ids.learn(key, self.id, back_id);
        if let Some(f) = self.front {
            // Visible in the back first: the front is a copy, never ahead of it.
            let _ = f.commit().await;
        }
        Ok(self.id)
    }
}
