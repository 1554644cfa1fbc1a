//! Write-behind of metadata updates (the 304 and HEAD freshening of RFC 9111 §4.3.4, §4.3.5).
//!
//! Replacing an entry file crash-safely (write a temporary file, set its time, rename it over)
//! costs hundreds of microseconds on common filesystems, several times the 304 round trip it
//! follows. A freshened head is only an optimisation, though: if it is lost, the stored
//! response looks as old as before and is revalidated again — never a wrong body, since the
//! body and its variant id do not change. So [`Disk::update`](crate::disk::Disk) records the
//! new head here and returns, and one thread per store persists it:
//!
//! - lookups in this process see the new head at once (the *overlay*, consulted after the
//!   entry file is read, by variant id);
//! - an update keeps its place in the order of use at once (the index is told directly);
//! - the writer waits [`LINGER`] before writing, and all the updates of one variant until then
//!   cost one write (the newest wins);
//! - a head stays in the overlay until the file holding it is in place, so a lookup never
//!   falls back to an older head in between;
//! - at most [`MAX_PENDING`] entries wait: past that, an update of another entry is written
//!   before it returns, so memory stays bounded and callers are held back while the disk is
//!   behind;
//! - other processes see the update once it is written; a crash before then loses it, which
//!   only means one more revalidation;
//! - a failed write is counted (`StoreStats::failed_writes`), the first one is kept for
//!   [`CacacheStore::flush`](crate::CacacheStore) to report, and the overlay forgets that
//!   head: the entry reads as before the update.
//!
//! Dropping the last clone of the store writes what is pending before it returns.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use hcache_core::{StoreError, StoredResponse};

use crate::disk::Disk;
use crate::index::{KeyHash, KeyMap};

/// How long the writer waits after an update before writing: the updates of an entry
/// revalidated again and again meanwhile cost one write, so a hot entry is rewritten at most
/// about a hundred times a second however often it is freshened.
const LINGER: Duration = Duration::from_millis(10);

/// How many entries may wait to be written; past it, an update of another entry is written
/// before it returns.
const MAX_PENDING: usize = 1024;

/// The heads of one entry waiting to be written.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// The entry's primary key (entry files name it; a hash collision must not be written).
    pub(crate) key: String,
    /// `(variant id, new head, generation)`: at most one head per variant, the newest.
    pub(crate) heads: Vec<(u64, Arc<StoredResponse>, u64)>,
    /// The use the newest update recorded (the entry file's modification time).
    pub(crate) stamp: u64,
}

impl Pending {
    /// One head, to be written at once.
    pub(crate) fn one(key: &str, id: u64, head: Arc<StoredResponse>, stamp: u64) -> Pending {
        Pending {
            key: key.to_owned(),
            heads: vec![(id, head, 0)],
            stamp,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    pending: KeyMap<Pending>,
    /// Whether the writer thread runs (started on the first update).
    started: bool,
    /// Whether the writer is between taking a batch and forgetting what it wrote.
    busy: bool,
    /// Set when the store is dropped: the writer ends.
    closed: bool,
    /// The first write that failed since the last flush.
    error: Option<StoreError>,
}

/// The pending updates of one store, shared with its writer thread.
#[derive(Debug, Default)]
pub(crate) struct WriteBehind {
    state: Mutex<State>,
    /// Signals work to the writer, and the end of its batches to `flush`, `discard` and
    /// `close_and_write`.
    signal: Condvar,
    /// How many entries have pending heads, read without the lock by every lookup.
    len: AtomicUsize,
    generation: AtomicU64,
    /// Writes that failed, since the store opened (`StoreStats::failed_writes`).
    failed: AtomicU64,
}

impl WriteBehind {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `head` as variant `id`'s new head in the entry `kh` (of primary key `key`),
    /// used at `stamp`; starts the writer of `disk` if it does not run yet. When
    /// [`MAX_PENDING`] other entries wait already, or no writer thread can be started, the
    /// head is written here instead: memory stays bounded whatever the rate of updates, and
    /// the caller is held back while the disk is behind.
    pub(crate) fn push(
        self: &Arc<Self>,
        disk: &Arc<Disk>,
        kh: KeyHash,
        key: &str,
        id: u64,
        head: Arc<StoredResponse>,
        stamp: u64,
    ) -> Result<(), StoreError> {
        let mut st = self.state();
        if st.pending.len() >= MAX_PENDING && !st.pending.contains_key(&kh) {
            drop(st);
            return disk.persist(&kh, &Pending::one(key, id, head, stamp));
        }
        if !st.started {
            let (me, weak) = (self.clone(), Arc::downgrade(disk));
            let spawned = std::thread::Builder::new()
                .name("hcache-cacache-writeback".into())
                .spawn(move || me.run(&weak));
            if spawned.is_err() {
                drop(st);
                return disk.persist(&kh, &Pending::one(key, id, head, stamp));
            }
            st.started = true;
        }
        // Only a writer with nothing to do waits for this signal.
        let idle = st.pending.is_empty() && !st.busy;
        // Under the lock, so that the newest head of a variant has the highest generation.
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let entry = st.pending.entry(kh).or_insert_with(|| Pending {
            key: key.to_owned(),
            heads: Vec::new(),
            stamp,
        });
        entry.stamp = stamp;
        match entry.heads.iter_mut().find(|(v, ..)| *v == id) {
            Some(slot) => *slot = (id, head, generation),
            None => entry.heads.push((id, head, generation)),
        }
        self.len.store(st.pending.len(), Ordering::Release);
        if idle {
            self.signal.notify_all();
        }
        Ok(())
    }

    /// The pending heads of `kh`, if any (what a lookup lays over the entry file it read).
    pub(crate) fn overlay(&self, kh: &KeyHash) -> Option<Vec<(u64, Arc<StoredResponse>)>> {
        if self.len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let st = self.state();
        let p = st.pending.get(kh)?;
        Some(p.heads.iter().map(|(id, h, _)| (*id, h.clone())).collect())
    }

    /// Forgets the heads of `kh` written as `written` (or that failed to be), keeping any
    /// that were replaced since.
    fn forget(&self, kh: &KeyHash, written: &Pending, failed: Option<StoreError>) {
        let mut st = self.state();
        if let Some(p) = st.pending.get_mut(kh) {
            p.heads.retain(|(id, _, g)| {
                !written
                    .heads
                    .iter()
                    .any(|(wid, _, wg)| wid == id && wg == g)
            });
            if p.heads.is_empty() {
                st.pending.remove(kh);
            }
        }
        if let Some(e) = failed {
            self.failed.fetch_add(1, Ordering::Relaxed);
            st.error.get_or_insert(e);
        }
        self.len.store(st.pending.len(), Ordering::Release);
    }

    /// Writes everything pending now, in the calling thread.
    pub(crate) fn write_pending(&self, disk: &Disk) {
        let batch: Vec<(KeyHash, Pending)> = {
            let st = self.state();
            st.pending.iter().map(|(k, p)| (*k, p.clone())).collect()
        };
        for (kh, p) in batch {
            let failed = disk.persist(&kh, &p).err();
            self.forget(&kh, &p, failed);
        }
    }

    /// Writes what was pending when called (the writer thread may be writing some of it,
    /// and more may come meanwhile), then returns the first write that failed since the last
    /// flush.
    pub(crate) fn flush(&self, disk: &Disk) -> Result<(), StoreError> {
        let start = self.generation.load(Ordering::Relaxed);
        let older = |st: &State| {
            st.pending
                .values()
                .any(|p| p.heads.iter().any(|(_, _, g)| *g < start))
        };
        let mut st = self.state();
        // Bounded: each pass writes every head older than `start`, or waits for the writer
        // to finish its batch (a head stays pending until it is written, and the writer
        // lingers before it takes another). Waiting for that batch also keeps its writes from
        // landing after this returns.
        while older(&st) || st.busy {
            if st.busy {
                st = self.signal.wait(st).unwrap_or_else(PoisonError::into_inner);
            } else {
                drop(st);
                self.write_pending(disk);
                st = self.state();
            }
        }
        st.error.take().map_or(Ok(()), Err)
    }

    /// Forgets every pending head and waits until the writer is not writing (for `clear`).
    pub(crate) fn discard(&self) {
        let mut st = self.state();
        st.pending.clear();
        self.len.store(0, Ordering::Release);
        while st.busy {
            st = self.signal.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// How many writes failed since the store opened.
    pub(crate) fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Ends the writer (the store is being dropped).
    pub(crate) fn close(&self) {
        self.state().closed = true;
        self.signal.notify_all();
    }

    /// Ends the writer, waits for the batch it may be writing, and writes the rest here: what
    /// is pending is on disk when this returns.
    pub(crate) fn close_and_write(&self, disk: &Disk) {
        let mut st = self.state();
        st.closed = true;
        self.signal.notify_all();
        while st.busy {
            st = self.signal.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
        drop(st);
        self.write_pending(disk);
    }

    /// The writer thread: waits for updates and writes them, until the store is dropped.
    fn run(&self, disk: &Weak<Disk>) {
        loop {
            {
                let mut st = self.state();
                st.busy = false;
                self.signal.notify_all();
                while st.pending.is_empty() && !st.closed {
                    st = self.signal.wait(st).unwrap_or_else(PoisonError::into_inner);
                }
                // Let the updates of a busy entry gather: one write then stands for all of
                // them. A flush meanwhile writes them itself.
                let deadline = Instant::now() + LINGER;
                while !st.closed {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    st = self
                        .signal
                        .wait_timeout(st, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                if st.closed {
                    return;
                }
                if st.pending.is_empty() {
                    continue;
                }
                st.busy = true;
            }
            // The store is gone once this fails: its drop wrote what was pending.
            let Some(disk) = disk.upgrade() else {
                self.state().busy = false;
                return;
            };
            self.write_pending(&disk);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use hcache_core::{CacheOptions, CachePolicy};

    use super::*;
    use crate::CacacheOptions;

    fn head() -> Arc<StoredResponse> {
        let req = http::Request::get("http://e.com/").body(()).unwrap();
        let res = http::Response::builder()
            .header("cache-control", "max-age=60")
            .body(())
            .unwrap();
        let t = SystemTime::now();
        Arc::new(
            CachePolicy::new(CacheOptions::default())
                .store(&req.into_parts().0, &res.into_parts().0, t, t)
                .unwrap(),
        )
    }

    #[test]
    fn pending_entries_are_bounded_and_updates_of_a_pending_entry_coalesce() {
        let dir = tempfile::TempDir::new().unwrap();
        let disk = Arc::new(Disk::new(dir.path().into(), CacacheOptions::default()));
        let behind = disk.behind.clone();
        // As if the writer ran but fell behind: nothing drains the queue.
        behind.state().started = true;
        let h = head();
        for i in 0..MAX_PENDING + 100 {
            let mut kh = [0u8; 32];
            kh[..8].copy_from_slice(&(i as u64).to_be_bytes());
            behind
                .push(&disk, kh, &format!("k{i}"), 1, h.clone(), 1)
                .unwrap();
        }
        assert_eq!(behind.state().pending.len(), MAX_PENDING);
        // A pending entry still takes updates (the newest head wins, one per variant).
        let first = [0u8; 32];
        for id in [1, 1, 2] {
            behind.push(&disk, first, "k0", id, h.clone(), 2).unwrap();
        }
        let st = behind.state();
        assert_eq!(st.pending.len(), MAX_PENDING);
        let p = &st.pending[&first];
        assert_eq!(
            p.heads.iter().map(|(id, ..)| *id).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(p.stamp, 2);
    }
}
