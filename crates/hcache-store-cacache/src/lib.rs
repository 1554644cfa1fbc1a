#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod absent;
mod body;
mod disk;
mod entry;
mod index;
mod lock;
mod options;
mod rt;
mod scan;
mod writeback;
mod writer;

use std::future::{Future, ready};
use std::path::Path;
use std::sync::Arc;

use hcache_core::{
    CacheKey, CacheStore, StoreError, StoreStats, StoredBody, StoredResponse, Variant, VariantId,
};

pub use body::BodyRef;
pub use options::CacacheOptions;
pub use writer::CacacheWriter;

use disk::Disk;
use writer::State;

/// A size-bounded disk store in a directory, on cacache's content-addressed bodies. Cheap to
/// clone (clones share everything). Several processes may open the same directory.
#[derive(Clone, Debug)]
pub struct CacacheStore {
    disk: Arc<Disk>,
    /// Shared by the clones: the last one dropped writes what is pending.
    _owner: Arc<Owner>,
}

/// Writes the pending metadata updates when the last clone of a store goes. (The directory
/// state itself may outlive it, in body streams still being read.)
#[derive(Debug)]
struct Owner(Arc<Disk>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.behind.close_and_write(&self.0);
    }
}

impl CacacheStore {
    /// Opens (creating it if needed) the store in `dir`.
    ///
    /// Opening scans the directory: it rebuilds the size accounting and the order of use
    /// from the entry files, removes corrupt ones, deletes bodies and temporary files that
    /// nothing references (older than [`CacacheOptions::orphan_grace`]), and evicts if the
    /// directory is over [`CacacheOptions::max_bytes`]. It blocks while it does: open the
    /// store at startup, or on a blocking thread.
    pub fn open(dir: impl AsRef<Path>, options: CacacheOptions) -> Result<Self, StoreError> {
        let disk = Arc::new(Disk::new(dir.as_ref().to_path_buf(), options));
        disk.scan()?;
        disk.evict_now();
        disk.absent.open(&disk.root);
        Ok(CacacheStore {
            _owner: Arc::new(Owner(disk.clone())),
            disk,
        })
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.disk.root
    }

    /// Writes the metadata updates still pending (see [`CacacheOptions::write_behind`]) and
    /// returns once those made before the call are on disk, with the first write that failed
    /// since the last flush, if any (that update is lost: the entry keeps its previous head).
    /// Blocks while it runs. Dropping the store writes what is pending too.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.disk.behind.flush(&self.disk)
    }

    /// Scans the directory again, as [`CacacheStore::open`] does: picks up entries written
    /// by other processes (for the size limit) and collects garbage. Blocks while it runs.
    pub fn rescan(&self) -> Result<(), StoreError> {
        self.disk.scan()?;
        self.disk.evict_now();
        Ok(())
    }
}

impl CacheStore for CacacheStore {
    type Handle = BodyRef;
    type Writer = CacacheWriter;

    fn get(
        &self,
        key: &CacheKey,
    ) -> impl Future<Output = Result<Vec<Variant<BodyRef>>, StoreError>> + Send {
        ready(self.disk.get(key))
    }

    fn open(
        &self,
        key: &CacheKey,
        variant: &Variant<BodyRef>,
    ) -> impl Future<Output = Result<StoredBody, StoreError>> + Send {
        body::open(&self.disk, key, &variant.body)
    }

    fn begin(
        &self,
        key: &CacheKey,
        response: Arc<StoredResponse>,
        size_hint: Option<u64>,
    ) -> impl Future<Output = Result<Option<CacacheWriter>, StoreError>> + Send {
        let fits = size_hint.is_none_or(|n| n <= self.disk.opts.entry_limit());
        ready(Ok(fits.then(|| CacacheWriter {
            disk: self.disk.clone(),
            key: key.clone(),
            response,
            id: self.disk.new_id(),
            len: 0,
            state: State::Buffered(Vec::new()),
        })))
    }

    fn update(
        &self,
        key: &CacheKey,
        id: VariantId,
        response: Arc<StoredResponse>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.disk.update(key, id, response))
    }

    fn remove_variant(
        &self,
        key: &CacheKey,
        id: VariantId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.disk.remove_variant(key, id))
    }

    fn remove(&self, key: &CacheKey) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.disk.remove(key))
    }

    fn clear(&self) -> impl Future<Output = Result<(), StoreError>> + Send {
        let disk = self.disk.clone();
        async move {
            rt::blocking(move || disk.clear())
                .await
                .map_err(StoreError::Io)?
        }
    }

    fn stats(&self) -> StoreStats {
        let mut stats = self.disk.index().stats();
        stats.failed_writes = self.disk.behind.failed();
        stats
    }

    fn max_entry_size(&self) -> Option<u64> {
        Some(self.disk.opts.entry_limit())
    }
}
