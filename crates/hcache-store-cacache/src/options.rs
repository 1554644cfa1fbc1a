//! [`CacacheOptions`]: the store's limits and how it treats the disk.

use std::time::Duration;

use hcache_core::CacheOptions;

/// Settings of a [`CacacheStore`](crate::CacacheStore). Start from
/// [`CacacheOptions::default`].
#[derive(Debug, Clone)]
pub struct CacacheOptions {
    pub(crate) max_bytes: u64,
    pub(crate) max_entry_size: u64,
    pub(crate) cache_options: CacheOptions,
    pub(crate) orphan_grace: Duration,
    pub(crate) removal_delay: Duration,
    pub(crate) sync: bool,
    pub(crate) write_behind: bool,
}

impl Default for CacacheOptions {
    /// 256 MiB in all, 32 MiB per entry, the default [`CacheOptions`], a 10-minute grace
    /// before unreferenced files are collected, bodies deleted 2 seconds after their variant
    /// goes, no `fsync`, metadata updates written behind.
    fn default() -> Self {
        CacacheOptions {
            max_bytes: 256 << 20,
            max_entry_size: 32 << 20,
            cache_options: CacheOptions::default(),
            orphan_grace: Duration::from_secs(600),
            removal_delay: Duration::from_secs(2),
            sync: false,
            write_behind: true,
        }
    }
}

impl CacacheOptions {
    /// Total bytes held: bodies plus entry files. Past it, least recently used entries are
    /// evicted. Default 256 MiB.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// The largest body stored, in bytes (never more than `max_bytes`); larger ones pass
    /// through unstored. Default 32 MiB.
    pub fn max_entry_size(mut self, bytes: u64) -> Self {
        self.max_entry_size = bytes;
        self
    }

    /// The caching options of the engine that uses this store. Stored response heads are
    /// parsed again when read, and how (for example which targeted `Cache-Control` fields
    /// count) depends on them. Default [`CacheOptions::default`].
    pub fn cache_options(mut self, options: CacheOptions) -> Self {
        self.cache_options = options;
        self
    }

    /// How old an unreferenced body or temporary file must be before the store deletes it
    /// when it scans the directory (at open). Another process sharing the directory may be
    /// about to reference a body it has just written, so this should exceed the longest write.
    /// Default 10 minutes.
    pub fn orphan_grace(mut self, grace: Duration) -> Self {
        self.orphan_grace = grace;
        self
    }

    /// How long a body stays on disk after its variant was replaced, removed or evicted, so
    /// that a request which looked the variant up just before can still read it (rather
    /// than miss and go to the origin). Such bodies are deleted by the next change to the
    /// store after the delay, when the store is dropped, or by the next scan. Default 2
    /// seconds. A corrupt body is deleted at once.
    pub fn removal_delay(mut self, delay: Duration) -> Self {
        self.removal_delay = delay;
        self
    }

    /// Whether entry files are `fsync`ed before they replace the old ones, so that an entry
    /// survives a power loss. Without it (the default) a power loss may lose recent entries —
    /// they read as misses, never as wrong bytes, since every file is checksummed — and each
    /// write saves a disk flush.
    pub fn sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// Whether a metadata update (a `304` or `HEAD` freshening a stored response) returns
    /// before its entry file is rewritten, which a thread of the store then does. Default
    /// `true`.
    ///
    /// Rewriting the file crash-safely costs more than the revalidation round trip itself on
    /// most filesystems, and losing the update costs little: the stored response then looks
    /// as old as before the `304` and is revalidated once more — the body is never affected.
    /// Lookups in this process see the update at once; other processes sharing the directory
    /// see it once it is written, usually within a millisecond. Dropping the store, or
    /// [`CacacheStore::flush`](crate::CacacheStore::flush), writes what is pending. With
    /// `false`, [`CacheStore::update`](hcache_core::CacheStore::update) rewrites the file
    /// before it returns.
    pub fn write_behind(mut self, write_behind: bool) -> Self {
        self.write_behind = write_behind;
        self
    }

    /// The effective entry-size limit.
    pub(crate) fn entry_limit(&self) -> u64 {
        self.max_entry_size.min(self.max_bytes)
    }
}
