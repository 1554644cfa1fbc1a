//! Locks around the read-modify-write of entry files: one per stripe of keys, held within the
//! process by a mutex and across processes by an advisory lock on a file of its own.
//!
//! Without them, two processes changing one entry at once could each write back what they
//! read: a variant one of them had removed (and whose body it had deleted) would come back,
//! listed without a body. Readers take no lock: entry files are replaced atomically.
//! A lock is held for one small file's read and rewrite; a process that dies holding it
//! releases it with its file descriptors.

use std::fs::{self, File, OpenOptions};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use crate::index::KeyHash;

const STRIPES: usize = 64;
pub(crate) const LOCKS: &str = "locks";

#[derive(Debug)]
struct Stripe {
    local: Mutex<()>,
    /// Opened once, on first use.
    file: OnceLock<File>,
}

#[derive(Debug)]
pub(crate) struct Locks {
    stripes: Box<[Stripe]>,
}

/// Held while an entry is changed; releases both locks on drop.
pub(crate) struct Guard<'a> {
    _local: MutexGuard<'a, ()>,
    file: Option<&'a File>,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if let Some(f) = self.file {
            let _ = f.unlock();
        }
    }
}

impl Locks {
    pub(crate) fn new() -> Locks {
        Locks {
            stripes: (0..STRIPES)
                .map(|_| Stripe {
                    local: Mutex::new(()),
                    file: OnceLock::new(),
                })
                .collect(),
        }
    }

    /// Locks the stripe of `kh`. Should the lock file be unusable (a read-only directory,
    /// a file system without locks), the change goes ahead under the process's own lock
    /// alone: a lost update is then possible across processes, a wrong body still is not.
    pub(crate) fn lock(&self, root: &Path, kh: &KeyHash) -> Guard<'_> {
        let i = usize::from(kh[1]) % STRIPES;
        let stripe = &self.stripes[i];
        let local = stripe.local.lock().unwrap_or_else(PoisonError::into_inner);
        if stripe.file.get().is_none()
            && let Ok(f) = open(root, i)
        {
            let _ = stripe.file.set(f);
        }
        let file = stripe.file.get().filter(|f| f.lock().is_ok());
        Guard {
            _local: local,
            file,
        }
    }
}

fn open(root: &Path, i: usize) -> std::io::Result<File> {
    let dir = root.join(LOCKS);
    fs::create_dir_all(&dir)?;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(format!("{i:02x}")))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn a_stripe_is_held_by_one_thread_at_a_time() {
        let dir = tempfile::TempDir::new().unwrap();
        let locks = Arc::new(Locks::new());
        let inside = Arc::new(AtomicU32::new(0));
        std::thread::scope(|s| {
            for _ in 0..4 {
                let (locks, inside, root) = (locks.clone(), inside.clone(), dir.path());
                s.spawn(move || {
                    for _ in 0..200 {
                        let _g = locks.lock(root, &[0; 32]);
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert!(dir.path().join(LOCKS).join("00").exists());
    }
}
