//! The size limit: least-recently-used eviction, accounting that survives reopening, and
//! garbage collection of files nothing references.

use std::time::Duration;

use hcache_core::CacheStore;
use hcache_store_cacache::{CacacheOptions, CacacheStore};
use tempfile::TempDir;

use crate::support::*;

const BODY: usize = 10_000;

/// Keys present, of `0..n`.
async fn present(s: &CacacheStore, n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for i in 0..n {
        if !s.get(&key(i)).await.unwrap().is_empty() {
            out.push(i);
        }
    }
    out
}

#[tokio::test]
async fn evicts_least_recently_used_entries_and_remembers_order_across_reopen() {
    let dir = TempDir::new().unwrap();
    // Room for three entries of ~10 KB, not four.
    let limit = 3 * (BODY as u64 + 400) + 200;
    let s = store(dir.path(), limit);
    for i in 0..3 {
        put(
            &s,
            &key(i),
            meta(None, 1),
            &body_for(&key(i), 1, BODY),
            4096,
        )
        .await
        .unwrap();
    }
    assert_eq!(s.stats().evictions, 0);
    // 0 becomes the most recently used: 1 is now the oldest.
    assert!(only(&s, &key(0)).await.is_some());
    put(
        &s,
        &key(3),
        meta(None, 1),
        &body_for(&key(3), 1, BODY),
        4096,
    )
    .await
    .unwrap();
    assert_eq!(s.stats().evictions, 1);
    assert!(s.stats().size_bytes <= limit);
    let stats = s.stats();
    drop(s);

    // Reopened: the same size and count, and the same order (2 is now the oldest, then 0).
    let s = store(dir.path(), limit);
    assert_eq!(
        (s.stats().size_bytes, s.stats().entries, s.stats().variants),
        (stats.size_bytes, stats.entries, stats.variants)
    );
    // Looking 0, 2, 3 up in `present` would reorder them: check the files instead.
    assert_eq!(entry_files(dir.path()).len(), 3);
    put(
        &s,
        &key(4),
        meta(None, 1),
        &body_for(&key(4), 1, BODY),
        4096,
    )
    .await
    .unwrap();
    assert_eq!(present(&s, 5).await, [0, 3, 4]);
    assert_eq!(
        content_files(dir.path()).len(),
        3,
        "evicted bodies are deleted"
    );
    for i in [0, 3, 4] {
        let v = only(&s, &key(i)).await.unwrap();
        assert_eq!(
            read(&s, &key(i), &v).await.unwrap(),
            body_for(&key(i), 1, BODY)
        );
    }
}

#[tokio::test]
async fn updates_count_as_use() {
    let dir = TempDir::new().unwrap();
    let limit = 3 * (BODY as u64 + 400) + 200;
    let s = store(dir.path(), limit);
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            put(
                &s,
                &key(i),
                meta(None, 1),
                &body_for(&key(i), 1, BODY),
                4096,
            )
            .await
            .unwrap(),
        );
    }
    s.update(&key(0), ids[0], meta(None, 2)).await.unwrap();
    put(
        &s,
        &key(3),
        meta(None, 1),
        &body_for(&key(3), 1, BODY),
        4096,
    )
    .await
    .unwrap();
    assert_eq!(present(&s, 4).await, [0, 2, 3]);
}

#[tokio::test]
async fn a_smaller_limit_at_open_evicts_at_once() {
    let dir = TempDir::new().unwrap();
    {
        let s = store(dir.path(), 1 << 20);
        for i in 0..10 {
            put(
                &s,
                &key(i),
                meta(None, 1),
                &body_for(&key(i), 1, BODY),
                4096,
            )
            .await
            .unwrap();
        }
    }
    let limit = 4 * (BODY as u64 + 400);
    let s = store(dir.path(), limit);
    assert!(s.stats().size_bytes <= limit);
    assert_eq!(s.stats().entries, 4);
    assert_eq!(s.stats().evictions, 6);
    // The most recently written survive.
    assert_eq!(present(&s, 10).await, [6, 7, 8, 9]);
}

#[tokio::test]
async fn unreferenced_bodies_and_temporary_files_are_collected_at_open() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 1 << 20);
    for i in 0..3 {
        put(&s, &key(i), meta(None, 1), &body_for(&key(i), 1, 1000), 100)
            .await
            .unwrap();
    }
    drop(s);
    // What a crash leaves behind: an entry file gone with its bodies still there (a crash
    // between writing a body and listing it), and temporary files.
    let entries = entry_files(dir.path());
    std::fs::remove_file(&entries[0]).unwrap();
    let bucket = entries[1].parent().unwrap();
    std::fs::write(bucket.join(".tmp-1-1"), b"half an entry").unwrap();
    std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
    std::fs::write(dir.path().join("tmp").join("half-a-body"), b"half a body").unwrap();
    assert_eq!(content_files(dir.path()).len(), 3);

    // Within the grace period nothing is touched: another process may be about to list it.
    let s = CacacheStore::open(dir.path(), CacacheOptions::default()).unwrap();
    assert_eq!(content_files(dir.path()).len(), 3);
    assert_eq!(s.stats().entries, 2);
    drop(s);
    let s = CacacheStore::open(
        dir.path(),
        CacacheOptions::default().orphan_grace(Duration::ZERO),
    )
    .unwrap();
    assert_eq!(content_files(dir.path()).len(), 2);
    assert!(!bucket.join(".tmp-1-1").exists());
    assert!(!dir.path().join("tmp").join("half-a-body").exists());
    // What is listed is untouched.
    assert_eq!(s.stats().entries, 2);
    let on_disk: u64 = entry_files(dir.path())
        .iter()
        .chain(&content_files(dir.path()))
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(s.stats().size_bytes, on_disk);
}

#[tokio::test]
async fn rescan_picks_up_what_another_store_wrote() {
    let dir = TempDir::new().unwrap();
    let a = store(dir.path(), 1 << 20);
    let b = store(dir.path(), 1 << 20);
    put(&b, &key(1), meta(None, 1), b"from b", 2).await.unwrap();
    assert_eq!(a.stats().entries, 0);
    // A lookup learns of the entry; so does a rescan.
    assert!(only(&a, &key(1)).await.is_some());
    assert_eq!(a.stats().entries, 1);
    put(&b, &key(2), meta(None, 1), b"from b", 2).await.unwrap();
    a.rescan().unwrap();
    assert_eq!(a.stats().entries, 2);
}
