//! A full disk: the store's directory on a 1 MiB tmpfs, filled to the last byte by another
//! file while the engine runs. The store's own size limit (256 MiB) cannot see it coming.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// A tmpfs mounted on a directory, unmounted when dropped (also when the test panics).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).expect("mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mount a tmpfs on {}: {status}",
            at.display()
        );
        Tmpfs(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Fills the file system holding `dir` with one file, to the last byte it takes (bounded:
/// 64 MiB at most); returns the file.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = File::create(&path).expect("create the filler");
    let chunk = vec![0x5a; 64 << 10];
    for _ in 0..1024 {
        if f.write_all(&chunk).is_err() {
            break;
        }
    }
    // The last partial chunk: byte by byte until nothing more fits.
    for _ in 0..(64 << 10) {
        if f.write_all(&[0x5a]).is_err() {
            return path;
        }
    }
    panic!("{} never filled up", dir.display());
}

#[test]
fn a_full_disk_is_a_pass_through_that_never_serves_wrong_bytes_and_recovers() {
    let name = test_name(
        module_path!(),
        "a_full_disk_is_a_pass_through_that_never_serves_wrong_bytes_and_recovers",
    );
    isolated(&name, Isolation::MountNamespace, || {
        runtime().block_on(full_disk());
    });
}

async fn full_disk() {
    let tmp = tempfile::TempDir::new().expect("temporary directory");
    let mnt = tmp.path().join("mnt");
    let _tmpfs = Tmpfs::mount(&mnt, "1m");
    let dir = mnt.join("cache");
    let h = site(&dir).await;

    // Before: a small and a large response stored and served from disk.
    for path in ["/small/kept", "/large/kept"] {
        assert!(fetch(&h, path).await.0, "{path}: first fetch is a miss");
        assert!(!fetch(&h, path).await.0, "{path}: then a hit");
    }
    assert_eq!(store_errors(&h), 0);
    let stored = h.engine.stats().store;

    let filler = fill(&mnt);

    // New responses, small (written at commit) or large (streamed to a temporary file),
    // cannot be stored: each is served whole from the origin and counted, every time.
    for (i, path) in ["/small/new", "/large/new"].into_iter().enumerate() {
        for round in 0..2 {
            let errors = store_errors(&h);
            let (origin, stats) = fetch(&h, path).await;
            assert!(origin, "{path} #{round}: from the origin");
            assert!(
                stats.engine.store_errors > errors,
                "{path} #{round}: the failed write is counted ({i})"
            );
        }
    }
    assert_eq!(
        h.engine.stats().store,
        stored,
        "nothing half-written is counted"
    );
    assert!(
        files(&dir.join("tmp")).is_empty(),
        "no temporary file left: {:?}",
        files(&dir.join("tmp"))
    );

    // What was stored before is still served from disk: reading needs no space.
    for path in ["/small/kept", "/large/kept"] {
        assert!(
            !fetch(&h, path).await.0,
            "{path}: still a hit on a full disk"
        );
    }

    // A 304 cannot rewrite the entry file: the stored body is served (validated), the failed
    // update is counted, and the next request validates again.
    h.advance(61);
    assert!(
        fetch(&h, "/small/kept").await.0,
        "validated with the origin"
    );
    assert_lost_update(&h, "/small/kept").await;
    assert_eq!(h.engine.stats().engine.not_modified, 2);

    // Space again: the cache stores and serves as before.
    std::fs::remove_file(&filler).expect("remove the filler");
    let errors = store_errors(&h);
    for path in ["/small/new", "/large/new", "/small/kept"] {
        assert!(fetch(&h, path).await.0, "{path}: fetched and stored");
        assert!(
            !fetch(&h, path).await.0,
            "{path}: a hit once there is space"
        );
    }
    assert_eq!(store_errors(&h), errors, "no more errors");
}
