//! [`MemoryOptions`]: the store's limits.

/// Limits of a [`MemoryStore`](crate::MemoryStore). Start from [`MemoryOptions::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryOptions {
    pub(crate) max_bytes: u64,
    pub(crate) max_entries: usize,
    pub(crate) max_entry_size: u64,
    pub(crate) shards: usize,
}

impl Default for MemoryOptions {
    /// 64 MiB in all, 10,000 entries, 8 MiB per entry, 16 shards.
    fn default() -> Self {
        MemoryOptions {
            max_bytes: 64 << 20,
            max_entries: 10_000,
            max_entry_size: 8 << 20,
            shards: 16,
        }
    }
}

impl MemoryOptions {
    /// Total bytes held (bodies plus an estimate of their metadata). Default 64 MiB.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Total number of entries (primary keys). Default 10,000.
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries.max(1);
        self
    }

    /// The largest body stored, in bytes; larger ones pass through unstored. Default 8 MiB.
    /// Never more than one shard's share of `max_bytes`.
    pub fn max_entry_size(mut self, bytes: u64) -> Self {
        self.max_entry_size = bytes;
        self
    }

    /// Number of independently locked shards (default 16; at least 1, at most
    /// `max_entries`). More shards, less contention; each shard gets an equal part of the
    /// limits.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards.max(1);
        self
    }
}
