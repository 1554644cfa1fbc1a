//! [`CacacheWriter`]: streams a new variant's body into the store.
//!
//! A body is kept in memory while it is small (up to the inline limit) and written in one go
//! at commit; past that it streams through cacache's writer into a temporary file, so a large
//! body is never held whole. Either way cacache renames the complete content into place, and
//! only then does the entry file name it: an abandoned or interrupted write leaves at most a
//! temporary or unreferenced file, which is deleted (at once on abort, at the next scan after
//! a crash).

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use cacache::Integrity;
use hcache_core::{CacheKey, StoreError, StoreWriter, StoredResponse, VariantId};

use crate::body::INLINE_LIMIT;
use crate::disk::{Disk, PREFIX_LEN, backend, io, prefix};
use crate::rt;

/// Streams one new variant's body into a [`CacacheStore`](crate::CacacheStore); see
/// [`StoreWriter`]. Dropping it before commit abandons the write.
pub struct CacacheWriter {
    pub(crate) disk: Arc<Disk>,
    pub(crate) key: CacheKey,
    pub(crate) response: Arc<StoredResponse>,
    pub(crate) id: u64,
    pub(crate) len: u64,
    pub(crate) state: State,
}

pub(crate) enum State {
    /// Small so far: the chunks, in memory.
    Buffered(Vec<Bytes>),
    /// Streaming into cacache's temporary file (boxed: the writer is large, and moved with
    /// every chunk).
    Streaming(Box<cacache::Writer>),
}

impl fmt::Debug for CacacheWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacacheWriter")
            .field("key", &self.key)
            .field("len", &self.len)
            .field("streaming", &matches!(self.state, State::Streaming(_)))
            .finish_non_exhaustive()
    }
}

impl CacacheWriter {
    async fn push(mut self, chunk: Bytes) -> Result<Self, StoreError> {
        let limit = self.disk.opts.entry_limit();
        self.len += chunk.len() as u64;
        if self.len > limit {
            return Err(StoreError::TooLarge { limit });
        }
        match &mut self.state {
            State::Buffered(chunks) if self.len <= INLINE_LIMIT => {
                if !chunk.is_empty() {
                    chunks.push(chunk);
                }
            }
            State::Buffered(chunks) => {
                let chunks = std::mem::take(chunks);
                let mut w = cacache::WriteOpts::new()
                    .algorithm(cacache::Algorithm::Sha256)
                    .open_hash(&self.disk.root)
                    .await
                    .map_err(backend)?;
                rt::write_all(&mut w, &prefix(self.id)).await.map_err(io)?;
                for c in chunks.iter().chain([&chunk]) {
                    rt::write_all(&mut w, c).await.map_err(io)?;
                }
                self.state = State::Streaming(Box::new(w));
            }
            State::Streaming(w) => rt::write_all(w, &chunk).await.map_err(io)?,
        }
        Ok(self)
    }

    async fn finish(self) -> Result<VariantId, StoreError> {
        let sri: Integrity = match self.state {
            State::Buffered(chunks) => {
                let mut data = Vec::with_capacity((PREFIX_LEN + self.len) as usize);
                data.extend_from_slice(&prefix(self.id));
                for c in &chunks {
                    data.extend_from_slice(c);
                }
                cacache::write_hash_sync(&self.disk.root, &data).map_err(backend)?
            }
            State::Streaming(w) => w.commit().await.map_err(backend)?,
        };
        if self.disk.opts.sync {
            let synced =
                std::fs::File::open(self.disk.content_path(&sri)).and_then(|f| f.sync_all());
            if let Err(e) = synced {
                self.disk.remove_content(&sri.to_string());
                return Err(io(e));
            }
        }
        self.disk
            .commit(&self.key, self.id, &self.response, &sri, self.len)?;
        Ok(VariantId(self.id))
    }
}

impl StoreWriter for CacacheWriter {
    fn write(
        self,
        chunk: Bytes,
    ) -> impl Future<Output = Result<Self, StoreError>> + Send + 'static {
        self.push(chunk)
    }

    fn commit(self) -> impl Future<Output = Result<VariantId, StoreError>> + Send + 'static {
        self.finish()
    }
}
