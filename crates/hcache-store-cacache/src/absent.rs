//! Keys known to have no entry file, so that asking again and again for a URL whose responses
//! are never stored (`no-store`, an uncacheable status) does not look its entry file up each
//! time: on some file systems a failed `open` costs more than the rest of such a miss.
//!
//! Other processes sharing the directory (and other stores opened on it in this one) may
//! create an entry at any moment, and a key remembered as absent must not hide it. So every
//! store writes a new value into the directory's generation file after it creates an entry
//! file, and a key is trusted absent only while the generation still holds the value read
//! before the lookup that found it absent — a lookup racing a creation either sees the file
//! or sees the value change afterwards. The value is read only for keys already found absent
//! once: reading it before every lookup would tax hits. Whatever the generation says, a key
//! is trusted for at most [`TRUST`], which bounds what a writer that does not keep the
//! generation (an older version of this store, a deleted generation file) can hide: a miss
//! for that long, never a wrong response.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::index::{KeyHash, KeyMap};

/// The generation file, in the store's directory.
pub(crate) const GENERATION: &str = "generation";
/// How long a key found absent is trusted, generation unchanged.
pub(crate) const TRUST: Duration = Duration::from_secs(1);
/// Keys remembered at most; past it the memo starts over.
const MAX_KEYS: usize = 4_096;

/// What is known of a key's absence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Its last lookup found nothing; the generation then is unknown.
    Once,
    /// Its last lookup found nothing while the generation held `generation`, at `at`.
    Since { generation: u64, at: Instant },
}

/// What to do about a lookup, from [`Absent::before`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Before {
    /// The key is known absent: skip the lookup.
    Skip,
    /// Look up; should the key be absent, remember it without a generation.
    Unknown,
    /// Look up; the generation held this value just before.
    Read(u64),
}

/// The store's memo of absent keys and its handle on the generation file.
#[derive(Debug, Default)]
pub(crate) struct Absent {
    /// `None` (never set) when the file could not be opened: nothing is remembered then.
    file: OnceLock<File>,
    keys: Mutex<KeyMap<Seen>>,
}

impl Absent {
    /// Opens (creating it if needed) the generation file of the store in `root`. Without it
    /// (a read-only directory, a platform without positioned reads) every lookup goes to the
    /// file system, as it would without this memo.
    pub(crate) fn open(&self, root: &Path) {
        if !cfg!(unix) {
            return;
        }
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(root.join(GENERATION));
        if let Ok(f) = opened {
            let _ = self.file.set(f);
        }
    }

    fn keys(&self) -> MutexGuard<'_, KeyMap<Seen>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Before looking `kh` up at `now`.
    pub(crate) fn before(&self, kh: &KeyHash, now: Instant) -> Before {
        let Some(file) = self.file.get() else {
            return Before::Unknown;
        };
        let Some(seen) = self.keys().get(kh).copied() else {
            return Before::Unknown;
        };
        let Some(current) = read(file) else {
            // Unreadable: forget the key, so that a later lookup finding it cannot leave it
            // remembered as absent.
            self.keys().remove(kh);
            return Before::Unknown;
        };
        match seen {
            Seen::Since { generation, at }
                if generation == current && now.saturating_duration_since(at) < TRUST =>
            {
                Before::Skip
            }
            _ => Before::Read(current),
        }
    }

    /// The lookup of `kh` that [`Absent::before`] allowed found nothing, at `now`.
    pub(crate) fn missing(&self, kh: KeyHash, before: Before, now: Instant) {
        let seen = match before {
            Before::Skip => return,
            Before::Unknown => Seen::Once,
            Before::Read(generation) => Seen::Since {
                generation,
                at: now,
            },
        };
        if self.file.get().is_none() {
            return;
        }
        let mut keys = self.keys();
        if keys.len() >= MAX_KEYS && !keys.contains_key(&kh) {
            keys.clear();
        }
        keys.insert(kh, seen);
    }

    /// `kh` has an entry (found, or just created by this store).
    pub(crate) fn present(&self, kh: &KeyHash) {
        if self.file.get().is_some() {
            self.keys().remove(kh);
        }
    }

    /// This store has just created an entry file: every store sharing the directory, this
    /// one included, stops trusting what it found absent. `value` is the new generation, a
    /// value no other writer picks (a fresh variant id).
    pub(crate) fn created(&self, value: u64) {
        if let Some(file) = self.file.get() {
            // Unwritten, other stores keep trusting absences for at most `TRUST`.
            let _ = write(file, value);
        }
    }
}

#[cfg(unix)]
fn read(file: &File) -> Option<u64> {
    use std::os::unix::fs::FileExt;
    let mut buf = [0; 8];
    // A file never written reads as zeros, like the value 0.
    file.read_at(&mut buf, 0).ok()?;
    Some(u64::from_le_bytes(buf))
}

#[cfg(unix)]
fn write(file: &File, value: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(&value.to_le_bytes(), 0)
}

#[cfg(not(unix))]
fn read(_: &File) -> Option<u64> {
    None
}

#[cfg(not(unix))]
fn write(_: &File, _: u64) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn memo() -> (tempfile::TempDir, Absent) {
        let dir = tempfile::TempDir::new().unwrap();
        let a = Absent::default();
        a.open(dir.path());
        (dir, a)
    }

    const K: KeyHash = [7; 32];

    /// Looks `K` up at `now`, finding nothing unless skipped; returns what `before` said.
    fn miss(a: &Absent, now: Instant) -> Before {
        let b = a.before(&K, now);
        a.missing(K, b, now);
        b
    }

    /// `K` found absent twice at `t`: trusted absent from then on.
    fn trusted(a: &Absent, t: Instant) {
        miss(a, t);
        miss(a, t);
    }

    #[test]
    fn a_key_is_skipped_from_its_third_lookup_while_nothing_is_created() {
        let (_dir, a) = memo();
        let t = Instant::now();
        assert_eq!(miss(&a, t), Before::Unknown);
        assert!(matches!(miss(&a, t), Before::Read(_)));
        assert_eq!(miss(&a, t), Before::Skip);
        assert_eq!(miss(&a, t + TRUST / 2), Before::Skip);
    }

    #[test]
    fn a_creation_anywhere_ends_the_trust() {
        let (dir, a) = memo();
        let other = Absent::default();
        other.open(dir.path());
        let t = Instant::now();
        trusted(&a, t);
        other.created(42);
        // Looked up again (not skipped), then trusted again at the new generation.
        assert_eq!(miss(&a, t), Before::Read(42));
        assert_eq!(miss(&a, t), Before::Skip);
        a.created(43);
        assert_eq!(miss(&a, t), Before::Read(43));
    }

    #[test]
    fn trust_lasts_at_most_its_bound() {
        let (_dir, a) = memo();
        let t = Instant::now();
        trusted(&a, t);
        assert!(matches!(miss(&a, t + TRUST), Before::Read(_)));
        assert_eq!(miss(&a, t + TRUST), Before::Skip);
    }

    #[test]
    fn a_key_found_present_starts_over() {
        let (_dir, a) = memo();
        let t = Instant::now();
        trusted(&a, t);
        a.present(&K);
        assert_eq!(a.before(&K, t), Before::Unknown);
    }

    #[test]
    fn without_a_generation_file_nothing_is_remembered() {
        let a = Absent::default();
        a.open(Path::new("/nonexistent/hcache"));
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(miss(&a, t), Before::Unknown);
        }
    }

    #[test]
    fn the_memo_is_bounded() {
        let (_dir, a) = memo();
        let t = Instant::now();
        for i in 0..(MAX_KEYS + 10) {
            let mut kh = [0; 32];
            kh[..8].copy_from_slice(&(i as u64).to_le_bytes());
            a.missing(kh, Before::Unknown, t);
        }
        assert!(a.keys().len() <= MAX_KEYS);
    }
}
