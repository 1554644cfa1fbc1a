//! The directory: entry files (ours), content files (cacache's), and every change to them.
//!
//! ```text
//! <dir>/entries-v1/<2 hex>/<62 hex>   one entry file per primary key (SHA-256 of the key)
//! <dir>/content-v2/…                   bodies, content-addressed by cacache
//! <dir>/tmp/                           cacache's files being written
//! <dir>/locks/                         one lock file per stripe of keys (see `lock`)
//! <dir>/generation                     rewritten after each entry file created (see `absent`)
//! ```
//!
//! Order of writes, which is what keeps a crash harmless: a body's content file is complete
//! (cacache renames it into place) before an entry file names it, and a content file is
//! deleted only after the entry file that named it has been replaced. A crash in between
//! leaves an unreferenced file, which the next scan collects, never an entry naming a body
//! that is not there in full. Each content file starts with a short header naming its
//! variant, so no two variants share a file and deleting one never breaks another — not even
//! one written by another process.
//!
//! Entry files are small, so they are read and written inline rather than on a blocking pool:
//! handing them to a thread would cost more than the system calls themselves.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cacache::Integrity;
use hcache_core::codec::{decode_stored, encode_stored};
use hcache_core::{CacheKey, StoreError, StoredResponse, Variant, VariantId};
use sha2::{Digest, Sha256};

use crate::BodyRef;
use crate::absent::{Absent, Before};
use crate::entry::{EntryFile, Listed};
use crate::index::{Index, Info, KeyHash};
use crate::lock::{Guard, Locks};
use crate::options::CacacheOptions;
use crate::writeback::{Pending, WriteBehind};

/// Bytes before the body in every content file: a magic and the variant id.
pub(crate) const PREFIX_LEN: u64 = 12;
const PREFIX_MAGIC: &[u8; 4] = b"hcB1";
pub(crate) const ENTRIES: &str = "entries-v1";
pub(crate) const CONTENT: &str = "content-v2";

pub(crate) fn prefix(id: u64) -> [u8; PREFIX_LEN as usize] {
    let mut p = [0; PREFIX_LEN as usize];
    p[..4].copy_from_slice(PREFIX_MAGIC);
    p[4..].copy_from_slice(&id.to_be_bytes());
    p
}

pub(crate) fn io(e: io::Error) -> StoreError {
    StoreError::Io(e)
}

pub(crate) fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(e))
}

pub(crate) fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

pub(crate) fn key_hash(key: &CacheKey) -> KeyHash {
    Sha256::digest(key.as_str().as_bytes()).into()
}

/// The stamp after `prev` at time `now`.
fn next(prev: u64, now: u64) -> u64 {
    prev.max(now.saturating_sub(1)).saturating_add(1)
}

/// The store's state shared by the store, its writers and its body streams.
#[derive(Debug)]
pub(crate) struct Disk {
    pub(crate) root: PathBuf,
    pub(crate) entries: PathBuf,
    pub(crate) opts: CacacheOptions,
    /// Serialise the read-modify-write of an entry file, within and across processes.
    locks: Locks,
    pub(crate) index: Mutex<Index>,
    last_stamp: AtomicU64,
    counter: AtomicU64,
    seed: std::hash::RandomState,
    /// Bodies no entry names any more, deleted after the removal delay (oldest first).
    trash: Mutex<VecDeque<(Instant, String)>>,
    /// Metadata updates not yet written (see `writeback`).
    pub(crate) behind: Arc<WriteBehind>,
    /// Keys known to have no entry file.
    pub(crate) absent: Absent,
}

/// What a read of an entry file found.
enum Loaded {
    Missing,
    /// Corrupt, or of an unknown version.
    Corrupt,
    Found(EntryFile, u64),
}

impl Disk {
    pub(crate) fn new(root: PathBuf, opts: CacacheOptions) -> Disk {
        Disk {
            entries: root.join(ENTRIES),
            root,
            opts,
            locks: Locks::new(),
            index: Mutex::new(Index::default()),
            last_stamp: AtomicU64::new(0),
            counter: AtomicU64::new(0),
            seed: std::hash::RandomState::new(),
            trash: Mutex::default(),
            behind: Arc::default(),
            absent: Absent::default(),
        }
    }

    pub(crate) fn index(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn stripe(&self, kh: &KeyHash) -> Guard<'_> {
        self.locks.lock(&self.root, kh)
    }

    /// A time stamp for a use: now, but always after the previous one, so that uses within
    /// one process keep their order even within the clock's resolution.
    fn stamp(&self) -> u64 {
        let now = nanos(SystemTime::now());
        let prev = self
            .last_stamp
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| Some(next(p, now)))
            .unwrap_or(now);
        next(prev, now)
    }

    /// A fresh variant id: random, so ids from processes sharing the directory never meet.
    pub(crate) fn new_id(&self) -> u64 {
        let mut h = self.seed.build_hasher();
        h.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
        h.write_u32(std::process::id());
        h.write_u64(nanos(SystemTime::now()));
        h.finish().max(1)
    }

    fn entry_path(&self, kh: &KeyHash) -> PathBuf {
        let name = hex(kh);
        self.entries.join(&name[..2]).join(&name[2..])
    }

    /// Where cacache keeps the content `sri` (its layout, version 2).
    pub(crate) fn content_path(&self, sri: &Integrity) -> PathBuf {
        let (algo, hex) = sri.to_hex();
        let mut p = self.root.join(CONTENT);
        p.push(algo.to_string());
        p.push(&hex[..2]);
        p.push(&hex[2..4]);
        p.push(&hex[4..]);
        p
    }

    /// Reads `kh`'s entry file; with `touch`, marks it used (its mtime is the LRU stamp).
    fn load(&self, kh: &KeyHash, touch: Option<u64>) -> Result<Loaded, StoreError> {
        let path = self.entry_path(kh);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::Missing),
            Err(e) => return Err(io(e)),
        };
        // Entry files are small: read without asking their size first (one system call less
        // than `read_to_end`'s size probe).
        let mut bytes = vec![0; 2048];
        let mut len = 0;
        loop {
            if len == bytes.len() {
                bytes.resize(len * 2, 0);
            }
            match file.read(&mut bytes[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io(e)),
            }
        }
        bytes.truncate(len);
        if let Some(stamp) = touch {
            // Best effort: a file owned by another user cannot be touched, only read.
            let _ = file.set_modified(UNIX_EPOCH + Duration::from_nanos(stamp));
        }
        Ok(match EntryFile::decode(&bytes) {
            Ok(e) => Loaded::Found(e, bytes.len() as u64),
            Err(_) => Loaded::Corrupt,
        })
    }

    /// Reads `kh`'s entry file for a change (under its stripe lock): a corrupt file is
    /// removed and reads as missing.
    pub(crate) fn load_for_change(
        &self,
        kh: &KeyHash,
    ) -> Result<Option<(EntryFile, u64)>, StoreError> {
        match self.load(kh, None)? {
            Loaded::Found(e, len) => Ok(Some((e, len))),
            Loaded::Missing => Ok(None),
            Loaded::Corrupt => {
                remove_file(&self.entry_path(kh)).map_err(io)?;
                self.index().forget(kh);
                Ok(None)
            }
        }
    }

    /// Replaces `kh`'s entry file with `entry` (or removes it when it lists nothing), by
    /// writing a temporary file beside it and renaming it over. Returns the file's length.
    fn store(&self, kh: &KeyHash, entry: &EntryFile, stamp: u64) -> Result<u64, StoreError> {
        let path = self.entry_path(kh);
        if entry.variants.is_empty() {
            remove_file(&path).map_err(io)?;
            return Ok(0);
        }
        let bytes = entry.encode();
        let dir = path.parent().unwrap_or(&self.entries);
        let (tmp, mut file) = self.create_temp(dir).map_err(io)?;
        let written = (|| {
            file.write_all(&bytes)?;
            file.set_modified(UNIX_EPOCH + Duration::from_nanos(stamp))?;
            if self.opts.sync {
                file.sync_all()?;
            }
            drop(file);
            fs::rename(&tmp, &path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(bytes.len() as u64)
    }

    fn create_temp(&self, dir: &Path) -> io::Result<(PathBuf, File)> {
        for _ in 0..16 {
            let n = self.counter.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(".tmp-{}-{n}", std::process::id()));
            match File::create_new(&tmp) {
                Ok(f) => return Ok((tmp, f)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => fs::create_dir_all(dir)?,
                // A leftover of an earlier process with our pid: try the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other("no free temporary file name"))
    }

    /// Deletes a replaced, removed or evicted variant's body once the removal delay has
    /// passed (see [`CacacheOptions::removal_delay`]).
    fn discard(&self, integrity: String) {
        if self.opts.removal_delay.is_zero() {
            return self.remove_content(&integrity);
        }
        self.trash().push_back((Instant::now(), integrity));
    }

    fn trash(&self) -> MutexGuard<'_, VecDeque<(Instant, String)>> {
        self.trash.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Deletes the discarded bodies whose delay has passed.
    fn sweep(&self) {
        loop {
            let due = {
                let mut trash = self.trash();
                match trash.front() {
                    Some((t, _)) if t.elapsed() >= self.opts.removal_delay => trash.pop_front(),
                    _ => None,
                }
            };
            match due {
                Some((_, integrity)) => self.remove_content(&integrity),
                None => return,
            }
        }
    }

    /// Deletes a variant's content file (after the entry file stopped naming it).
    pub(crate) fn remove_content(&self, integrity: &str) {
        if let Ok(sri) = Integrity::from_str(integrity) {
            // Missing already is fine; any other failure leaves garbage for the next scan.
            let _ = remove_file(&self.content_path(&sri));
        }
    }

    fn account(&self, kh: KeyHash, entry: &EntryFile, file_len: u64, stamp: u64) {
        let mut index = self.index();
        if entry.variants.is_empty() {
            index.forget(&kh);
        } else {
            let bodies: u64 = entry.variants.iter().map(|v| PREFIX_LEN + v.body_len).sum();
            index.set(
                kh,
                Info {
                    bytes: file_len + bodies,
                    variants: entry.variants.len() as u64,
                    stamp,
                },
            );
        }
    }

    /// The variants stored under `key`, marking it used. Variants whose head or address does
    /// not decode are removed.
    pub(crate) fn get(&self, key: &CacheKey) -> Result<Vec<Variant<BodyRef>>, StoreError> {
        let kh = key_hash(key);
        let now = Instant::now();
        let before = self.absent.before(&kh, now);
        if before == Before::Skip {
            return Ok(Vec::new());
        }
        let stamp = self.stamp();
        // Marking the most recently used entry used again would not change the order: save
        // the system call (repeated hits on one entry are common).
        let touch = (!self.index().is_newest(&kh)).then_some(stamp);
        // Heads freshened in this process and not written yet replace those read. Taken
        // before the file is read: a head leaves the overlay only once the file holding it
        // is in place, so one missing here is in the file read below.
        let overlay = self.behind.overlay(&kh).unwrap_or_default();
        let (entry, file_len) = match self.load(&kh, touch)? {
            Loaded::Found(e, len) if e.key == key.as_str() => {
                if before != Before::Unknown {
                    self.absent.present(&kh);
                }
                (e, len)
            }
            Loaded::Found(..) => return Ok(Vec::new()), // another key with the same hash
            Loaded::Missing => {
                self.index().forget(&kh);
                self.absent.missing(kh, before, now);
                return Ok(Vec::new());
            }
            Loaded::Corrupt => {
                // Checked again under the lock: a writer may have just replaced the file.
                let _guard = self.stripe(&kh);
                self.load_for_change(&kh)?;
                return Ok(Vec::new());
            }
        };
        let mut out = Vec::with_capacity(entry.variants.len());
        let mut bad = Vec::new();
        for v in &entry.variants {
            let head = match overlay.iter().find(|(id, _)| *id == v.id) {
                Some((_, newer)) => Ok(newer.clone()),
                None => decode_stored(&v.head, &self.opts.cache_options).map(Arc::new),
            };
            let sri = Integrity::from_str(&v.integrity);
            match (head, sri) {
                (Ok(response), Ok(sri)) => out.push(Variant {
                    id: VariantId(v.id),
                    response,
                    body: BodyRef::new(sri, v.body_len, v.id),
                }),
                _ => bad.push(v.id),
            }
        }
        if bad.is_empty() {
            self.account(kh, &entry, file_len, stamp);
        } else {
            for id in bad {
                self.remove_variant(key, VariantId(id))?;
            }
        }
        Ok(out)
    }

    /// Lists a new variant whose body is complete in the content file `sri`, replacing any
    /// variant with the same secondary key, then evicts to honour the size limit.
    pub(crate) fn commit(
        &self,
        key: &CacheKey,
        id: u64,
        response: &StoredResponse,
        sri: &Integrity,
        body_len: u64,
    ) -> Result<(), StoreError> {
        self.sweep();
        let kh = key_hash(key);
        let guard = self.stripe(&kh);
        let mut created = false;
        let mut entry = match self.load_for_change(&kh) {
            Ok(Some((e, _))) if e.key == key.as_str() => e,
            Ok(_) => {
                created = true;
                EntryFile {
                    key: key.as_str().to_owned(),
                    variants: Vec::new(),
                }
            }
            Err(e) => {
                self.remove_content(&sri.to_string());
                return Err(e);
            }
        };
        let mut replaced = Vec::new();
        entry.variants.retain(|v| {
            let keep = decode_stored(&v.head, &self.opts.cache_options)
                .is_ok_and(|h| h.vary() != response.vary());
            if !keep {
                replaced.push(v.integrity.clone());
            }
            keep
        });
        entry.variants.push(Listed {
            id,
            body_len,
            integrity: sri.to_string(),
            head: encode_stored(response),
        });
        let stamp = self.stamp();
        match self.store(&kh, &entry, stamp) {
            Ok(len) => {
                self.account(kh, &entry, len, stamp);
                self.absent.present(&kh);
                if created {
                    // After the file is in place: a store that reads the new generation
                    // and then looks the key up finds it.
                    self.absent.created(self.new_id());
                }
            }
            Err(e) => {
                self.remove_content(&sri.to_string());
                return Err(e);
            }
        }
        for r in replaced {
            self.discard(r);
        }
        drop(guard);
        self.evict(&kh);
        Ok(())
    }

    /// Replaces one variant's head; the body is untouched. With write-behind (the default)
    /// the new head is recorded and written by the store's writer thread (see `writeback`);
    /// otherwise the entry file is rewritten before this returns.
    pub(crate) fn update(
        self: &Arc<Self>,
        key: &CacheKey,
        id: VariantId,
        response: Arc<StoredResponse>,
    ) -> Result<(), StoreError> {
        let kh = key_hash(key);
        let stamp = self.stamp();
        if self.opts.write_behind {
            self.index().touch(&kh, stamp);
            return self
                .behind
                .push(self, kh, key.as_str(), id.0, response, stamp);
        }
        self.persist(&kh, &Pending::one(key.as_str(), id.0, response, stamp))
    }

    /// Writes `pending`'s heads into the entry file `kh` (variants it no longer lists, or an
    /// entry gone or now of another key, are skipped), then evicts if it grew past the limit.
    pub(crate) fn persist(&self, kh: &KeyHash, pending: &Pending) -> Result<(), StoreError> {
        self.sweep();
        let guard = self.stripe(kh);
        let Some((mut entry, _)) = self.load_for_change(kh)? else {
            return Ok(());
        };
        if entry.key != pending.key {
            return Ok(());
        }
        let mut changed = false;
        for (id, head, _) in &pending.heads {
            if let Some(v) = entry.variants.iter_mut().find(|v| v.id == *id) {
                v.head = encode_stored(head);
                changed = true;
            }
        }
        if !changed {
            return Ok(());
        }
        // A lookup since the update may have marked the entry used later.
        let stamp = self
            .index()
            .stamp(kh)
            .map_or(pending.stamp, |s| s.max(pending.stamp));
        let len = self.store(kh, &entry, stamp)?;
        self.account(*kh, &entry, len, stamp);
        drop(guard);
        self.evict(kh);
        Ok(())
    }

    pub(crate) fn remove_variant(&self, key: &CacheKey, id: VariantId) -> Result<(), StoreError> {
        let kh = key_hash(key);
        let _guard = self.stripe(&kh);
        let Some((mut entry, _)) = self.load_for_change(&kh)? else {
            self.index().forget(&kh);
            return Ok(());
        };
        let Some(pos) = entry.variants.iter().position(|v| v.id == id.0) else {
            return Ok(());
        };
        let gone = entry.variants.remove(pos);
        let stamp = self.stamp();
        let len = self.store(&kh, &entry, stamp)?;
        self.account(kh, &entry, len, stamp);
        self.discard(gone.integrity);
        Ok(())
    }

    /// Removes the entry named `kh` with its bodies; returns how many variants it had.
    fn remove_hash(&self, kh: &KeyHash) -> Result<u64, StoreError> {
        let _guard = self.stripe(kh);
        let loaded = self.load_for_change(kh)?;
        self.index().forget(kh);
        let Some((entry, _)) = loaded else {
            return Ok(0);
        };
        remove_file(&self.entry_path(kh)).map_err(io)?;
        let n = entry.variants.len() as u64;
        for v in entry.variants {
            self.discard(v.integrity);
        }
        Ok(n)
    }

    pub(crate) fn remove(&self, key: &CacheKey) -> Result<(), StoreError> {
        self.sweep();
        self.remove_hash(&key_hash(key)).map(drop)
    }

    /// Evicts least recently used entries (never `keep`, the one just written) until the
    /// store is within its size limit.
    fn evict(&self, keep: &KeyHash) {
        // Bounded: each round removes an entry from the index, or stops.
        loop {
            let victim = {
                let index = self.index();
                if index.bytes() <= self.opts.max_bytes {
                    return;
                }
                match index.oldest_except(keep) {
                    Some(v) => v,
                    None => return,
                }
            };
            match self.remove_hash(&victim) {
                Ok(n) => self.index().evicted(n.max(1)),
                Err(_) => {
                    // Unreadable: forget it so that eviction moves on; a scan finds it again.
                    self.index().forget(&victim);
                }
            }
        }
    }

    /// Removes every entry and body.
    pub(crate) fn clear(&self) -> Result<(), StoreError> {
        // A pending head written after the removal would bring its entry back.
        self.behind.discard();
        for dir in [ENTRIES, CONTENT, "tmp"] {
            match fs::remove_dir_all(self.root.join(dir)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        self.index().clear();
        self.trash().clear();
        Ok(())
    }

    pub(crate) fn evict_now(&self) {
        self.evict(&[0xff; 32]);
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        // Not `flush`: this may run on the writer thread itself, holding the last reference.
        self.behind.write_pending(self);
        self.behind.close();
        // Nothing in this process can read them any more.
        for (_, integrity) in std::mem::take(&mut *self.trash()) {
            self.remove_content(&integrity);
        }
    }
}

/// Removes a file; one that is already gone is not an error.
pub(crate) fn remove_file(p: &Path) -> io::Result<()> {
    match fs::remove_file(p) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_increase_strictly() {
        let d = Disk::new(PathBuf::from("/nonexistent"), CacacheOptions::default());
        let mut last = 0;
        for _ in 0..1000 {
            let s = d.stamp();
            assert!(s > last);
            last = s;
        }
    }

    #[test]
    fn content_path_follows_cacache() {
        let d = Disk::new(PathBuf::from("/c"), CacacheOptions::default());
        let sri = Integrity::from(b"hello world");
        let p = d.content_path(&sri);
        assert_eq!(
            p,
            Path::new(
                "/c/content-v2/sha256/b9/4d/27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
            )
        );
    }
}
