//! Permission denied: parts of the store's directory made unreadable or unwritable
//! (`chmod`) under the running engine, then given back.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

/// Gives every directory and file under `dir` back its usual mode (also when the test
/// panics, so that the temporary directory can be deleted).
struct Restore<'a>(&'a Path);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        restore(self.0);
    }
}

/// Gives `dir` and every directory under it mode 755 (top-down, so that each becomes
/// readable before its children are listed).
fn restore(dir: &Path) {
    set_dirs(dir, 0o755);
}

/// Sets the mode of `dir` and of every directory under it, parents first.
fn set_dirs(dir: &Path, mode: u32) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let _ = std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode));
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        stack.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
}

#[test]
fn permission_denied_is_a_pass_through_that_never_serves_wrong_bytes() {
    let name = test_name(
        module_path!(),
        "permission_denied_is_a_pass_through_that_never_serves_wrong_bytes",
    );
    isolated(&name, Isolation::Permissions, || {
        runtime().block_on(denied());
    });
}

async fn denied() {
    let tmp = tempfile::TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("cache");
    let h = site(&dir).await;
    let _restore = Restore(&dir);
    for path in ["/small/a", "/large/a"] {
        assert!(fetch(&h, path).await.0, "{path}: a miss");
        assert!(!fetch(&h, path).await.0, "{path}: then a hit");
    }
    assert_eq!(store_errors(&h), 0);

    // The entry files cannot be read: every lookup fails (counted) and goes to the origin,
    // whose response cannot be stored either (counted).
    chmod(&dir.join("entries-v1"), 0o000);
    for path in ["/small/a", "/large/a", "/small/b"] {
        let errors = store_errors(&h);
        let (origin, stats) = fetch(&h, path).await;
        assert!(origin, "{path}: entries unreadable, from the origin");
        assert!(
            stats.engine.store_errors >= errors + 2,
            "{path}: lookup and write counted"
        );
    }
    restore(&dir);
    for path in ["/small/a", "/large/a"] {
        assert!(!fetch(&h, path).await.0, "{path}: readable again, a hit");
    }

    // The bodies cannot be read: a hit's body fails to open (counted), the variant is
    // dropped, and the origin answers; its body cannot be written into place (counted).
    chmod(&dir.join("content-v2"), 0o000);
    for path in ["/small/a", "/large/a"] {
        let errors = store_errors(&h);
        let (origin, stats) = fetch(&h, path).await;
        assert!(origin, "{path}: body unreadable, from the origin");
        assert!(stats.engine.store_errors > errors, "{path}: counted");
    }
    restore(&dir);
    for path in ["/small/a", "/large/a"] {
        assert!(fetch(&h, path).await.0, "{path}: stored again");
        assert!(!fetch(&h, path).await.0, "{path}: a hit");
    }

    // The whole directory read-only: stored responses are still served, new ones pass
    // through unstored (counted), and a 304 cannot be recorded (counted).
    set_dirs(&dir, 0o555);
    for path in ["/small/a", "/large/a"] {
        assert!(!fetch(&h, path).await.0, "{path}: still a hit, read-only");
    }
    for path in ["/small/c", "/large/c"] {
        for round in 0..2 {
            let errors = store_errors(&h);
            let (origin, stats) = fetch(&h, path).await;
            assert!(origin, "{path} #{round}: read-only, from the origin");
            assert!(
                stats.engine.store_errors > errors,
                "{path} #{round}: counted"
            );
        }
    }
    h.advance(61);
    assert!(fetch(&h, "/small/a").await.0, "validated with the origin");
    assert_lost_update(&h, "/small/a").await;

    // The whole directory unreadable: everything comes from the origin.
    chmod(&dir, 0o000);
    for path in ["/small/a", "/large/a", "/small/d"] {
        let errors = store_errors(&h);
        let (origin, stats) = fetch(&h, path).await;
        assert!(origin, "{path}: from the origin");
        assert!(stats.engine.store_errors > errors, "{path}: counted");
    }

    // Permissions back: the cache works as before.
    restore(&dir);
    let errors = store_errors(&h);
    for path in ["/small/d", "/large/d"] {
        assert!(fetch(&h, path).await.0, "{path}: stored");
        assert!(!fetch(&h, path).await.0, "{path}: a hit");
    }
    assert_eq!(store_errors(&h), errors, "no more errors");
}
