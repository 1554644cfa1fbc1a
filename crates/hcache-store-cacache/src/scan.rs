//! The scan at open: rebuilds the index from the entry files, removes corrupt ones, and
//! collects garbage — bodies no entry names and temporary files, once older than the grace
//! period (another process may be about to name a body it has just written).

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use cacache::Integrity;
use hcache_core::StoreError;

use crate::disk::{CONTENT, Disk, PREFIX_LEN, io, nanos, remove_file};
use crate::index::{Index, Info};

impl Disk {
    /// Rebuilds the index from the directory, removing corrupt entry files, and collects
    /// garbage older than the grace period: content no entry names, and temporary files.
    pub(crate) fn scan(&self) -> Result<(), StoreError> {
        fs::create_dir_all(&self.entries).map_err(io)?;
        let grace_start = SystemTime::now()
            .checked_sub(self.opts.orphan_grace)
            .unwrap_or(UNIX_EPOCH);
        let stale = |p: &Path| {
            fs::symlink_metadata(p)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t <= grace_start)
        };
        let mut index = Index::default();
        let mut referenced = HashSet::new();
        for bucket in read_dir(&self.entries)? {
            let Some(bname) = bucket
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_owned)
            else {
                continue;
            };
            for file in read_dir(&bucket)? {
                let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if name.starts_with(".tmp-") {
                    if stale(&file) {
                        let _ = remove_file(&file);
                    }
                    continue;
                }
                let mut kh = [0; 32];
                if unhex(&format!("{bname}{name}"), &mut kh).is_none() {
                    continue; // not ours
                }
                let stamp = fs::metadata(&file).and_then(|m| m.modified()).map(nanos);
                let loaded = {
                    let _guard = self.stripe(&kh);
                    self.load_for_change(&kh)
                };
                let Ok(Some((entry, len))) = loaded else {
                    continue;
                };
                for v in &entry.variants {
                    if let Ok(sri) = Integrity::from_str(&v.integrity) {
                        referenced.insert(self.content_path(&sri));
                    }
                }
                let bodies: u64 = entry.variants.iter().map(|v| PREFIX_LEN + v.body_len).sum();
                index.set(
                    kh,
                    Info {
                        bytes: len + bodies,
                        variants: entry.variants.len() as u64,
                        stamp: stamp.unwrap_or(0),
                    },
                );
            }
        }
        // cacache's layout: content-v2/<algorithm>/<2 hex>/<2 hex>/<rest>.
        for algo in read_dir(&self.root.join(CONTENT))? {
            for a in read_dir(&algo)? {
                for b in read_dir(&a)? {
                    for file in read_dir(&b)? {
                        if !referenced.contains(&file) && stale(&file) {
                            let _ = remove_file(&file);
                        }
                    }
                }
            }
        }
        for file in read_dir(&self.root.join("tmp"))? {
            if stale(&file) {
                let _ = remove_file(&file);
            }
        }
        let mut live = self.index();
        let evictions = live.stats().evictions;
        *live = index;
        live.evicted(evictions);
        Ok(())
    }
}

fn unhex(s: &str, out: &mut [u8]) -> Option<()> {
    let s = s.as_bytes();
    if s.len() != out.len() * 2 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *o = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(())
}

/// The paths in `dir` (none when it does not exist).
fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    match fs::read_dir(dir) {
        Ok(rd) => Ok(rd.filter_map(|e| e.ok().map(|e| e.path())).collect()),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(Vec::new())
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disk::hex;

    #[test]
    fn hex_round_trips() {
        let kh: [u8; 32] = std::array::from_fn(|i| (i * 37) as u8);
        let mut back = [0; 32];
        unhex(&hex(&kh), &mut back).unwrap();
        assert_eq!(back, kh);
        assert!(unhex("zz", &mut [0; 1]).is_none());
        assert!(unhex("abc", &mut [0; 1]).is_none());
        assert!(
            unhex("AB", &mut [0; 1]).is_none(),
            "only lower case is ours"
        );
    }
}
