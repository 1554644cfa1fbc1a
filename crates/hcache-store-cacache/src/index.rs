//! What the store knows about the directory: each entry's size, variant count and last use,
//! for the size limit and least-recently-used eviction.
//!
//! The index lives in memory and is rebuilt from the directory when the store opens (entry
//! files carry their sizes; their modification times carry the last use), so the accounting
//! survives restarts without a file of its own that every write would have to rewrite.

use std::collections::{BTreeSet, HashMap};

use hcache_core::StoreStats;

/// An entry's name on disk: the SHA-256 of its primary key.
pub(crate) type KeyHash = [u8; 32];

/// A map by entry, hashed with foldhash (randomly seeded per map, as the memory store's maps
/// are) rather than SipHash: a lookup, a hit or a 304 goes through two or three of these
/// maps, and SipHash over the 32 bytes was a visible part of a disk revalidation. The bytes
/// are not used as the hash directly: keys come from URLs, which others may choose.
pub(crate) type KeyMap<V> = HashMap<KeyHash, V, foldhash::quality::RandomState>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Info {
    /// Bytes on disk: the entry file and every variant's content file.
    pub(crate) bytes: u64,
    pub(crate) variants: u64,
    /// Last use, in nanoseconds since the UNIX epoch (also the entry file's mtime).
    pub(crate) stamp: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Index {
    entries: KeyMap<Info>,
    /// Entries by last use, oldest first.
    lru: BTreeSet<(u64, KeyHash)>,
    bytes: u64,
    variants: u64,
    evictions: u64,
}

impl Index {
    /// Records `key`'s current state (replacing what was known).
    pub(crate) fn set(&mut self, key: KeyHash, info: Info) {
        self.forget(&key);
        self.entries.insert(key, info);
        self.lru.insert((info.stamp, key));
        self.bytes += info.bytes;
        self.variants += info.variants;
    }

    /// Marks `key` used at `stamp` (if known, and if that is later than its last use).
    pub(crate) fn touch(&mut self, key: &KeyHash, stamp: u64) {
        if let Some(info) = self.entries.get(key).copied()
            && info.stamp < stamp
        {
            self.set(*key, Info { stamp, ..info });
        }
    }

    /// `key`'s last use, if known.
    pub(crate) fn stamp(&self, key: &KeyHash) -> Option<u64> {
        self.entries.get(key).map(|i| i.stamp)
    }

    /// Forgets `key` (removed, or found missing); returns what was known.
    pub(crate) fn forget(&mut self, key: &KeyHash) -> Option<Info> {
        let old = self.entries.remove(key)?;
        self.lru.remove(&(old.stamp, *key));
        self.bytes -= old.bytes;
        self.variants -= old.variants;
        Some(old)
    }

    pub(crate) fn evicted(&mut self, variants: u64) {
        self.evictions += variants;
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether `key` is the most recently used entry (a use would not change the order).
    pub(crate) fn is_newest(&self, key: &KeyHash) -> bool {
        self.lru.last().is_some_and(|(_, k)| k == key)
    }

    /// The least recently used entry other than `except`.
    pub(crate) fn oldest_except(&self, except: &KeyHash) -> Option<KeyHash> {
        self.lru.iter().map(|(_, k)| *k).find(|k| k != except)
    }

    /// Empties the index, keeping the eviction count.
    pub(crate) fn clear(&mut self) {
        let evictions = self.evictions;
        *self = Index {
            evictions,
            ..Index::default()
        };
    }

    pub(crate) fn stats(&self) -> StoreStats {
        let mut s = StoreStats::default();
        s.size_bytes = self.bytes;
        s.entries = self.entries.len() as u64;
        s.variants = self.variants;
        s.evictions = self.evictions;
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(bytes: u64, stamp: u64) -> Info {
        Info {
            bytes,
            variants: 1,
            stamp,
        }
    }

    #[test]
    fn counters_and_order_follow_every_change() {
        let mut ix = Index::default();
        ix.set([1; 32], info(10, 3));
        ix.set([2; 32], info(20, 1));
        ix.set([3; 32], info(30, 2));
        assert_eq!(
            (ix.bytes(), ix.stats().entries, ix.stats().variants),
            (60, 3, 3)
        );
        assert_eq!(ix.oldest_except(&[0; 32]), Some([2; 32]));
        assert_eq!(ix.oldest_except(&[2; 32]), Some([3; 32]));
        assert!(ix.is_newest(&[1; 32]) && !ix.is_newest(&[2; 32]));
        // A use moves an entry to the back; a size change is accounted.
        ix.set([2; 32], info(25, 4));
        assert_eq!(ix.oldest_except(&[0; 32]), Some([3; 32]));
        assert_eq!(ix.bytes(), 65);
        assert_eq!(ix.forget(&[3; 32]), Some(info(30, 2)));
        assert_eq!(ix.forget(&[3; 32]), None);
        // An update marks an entry used without changing its size; an older use does not.
        ix.touch(&[1; 32], 9);
        ix.touch(&[2; 32], 1);
        ix.touch(&[7; 32], 9);
        assert_eq!(ix.oldest_except(&[0; 32]), Some([2; 32]));
        assert_eq!((ix.stamp(&[1; 32]), ix.stamp(&[2; 32])), (Some(9), Some(4)));
        assert_eq!((ix.bytes(), ix.stats().entries), (35, 2));
        ix.evicted(2);
        ix.clear();
        let s = ix.stats();
        assert_eq!(
            (s.size_bytes, s.entries, s.variants, s.evictions),
            (0, 0, 0, 2)
        );
        assert_eq!(ix.oldest_except(&[0; 32]), None);
    }
}
