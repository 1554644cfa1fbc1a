//! Metadata updates written behind (RFC 9111 §4.3.4 freshening, `CacacheOptions::write_behind`):
//! seen at once in this process, on disk after `flush` or drop for other processes, coalesced,
//! never bringing back what was removed or replaced, and failures reported by `flush`.

use std::time::Duration;

use hcache_core::CacheStore;
use hcache_store_cacache::{CacacheOptions, CacacheStore};
use tempfile::TempDir;

use crate::support::*;

/// Another store on the same directory: what another process would read.
fn other(dir: &std::path::Path) -> CacacheStore {
    CacacheStore::open(dir, CacacheOptions::default().orphan_grace(Duration::ZERO)).unwrap()
}

#[tokio::test]
async fn s4_3_4_an_update_is_seen_here_at_once_and_elsewhere_after_flush() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    let k = key(1);
    let body = body_for(&k, 1, 3000);
    let id = put(&s, &k, meta(None, 1), &body, 1000).await.unwrap();
    s.update(&k, id, meta_touched(None, 1, 7)).await.unwrap();
    let here = only(&s, &k).await.unwrap();
    assert_eq!(here.response.headers()["x-touched"], "7");
    assert_eq!(read(&s, &k, &here).await.unwrap(), body);

    s.flush().unwrap();
    let elsewhere = only(&other(dir.path()), &k).await.unwrap();
    assert_eq!(
        (elsewhere.id, &elsewhere.response.headers()["x-touched"]),
        (id, &"7".parse().unwrap())
    );
}

#[tokio::test]
async fn s4_3_4_dropping_the_store_writes_what_is_pending() {
    let dir = TempDir::new().unwrap();
    let k = key(1);
    let id = {
        let s = store(dir.path(), 64 << 20);
        let id = put(&s, &k, meta(None, 1), b"body", 1000).await.unwrap();
        s.update(&k, id, meta_touched(None, 1, 3)).await.unwrap();
        id
    };
    let v = only(&other(dir.path()), &k).await.unwrap();
    assert_eq!(
        (v.id, v.response.headers()["x-touched"].to_str().unwrap()),
        (id, "3")
    );
}

#[tokio::test]
async fn s4_3_4_without_write_behind_an_update_is_on_disk_when_it_returns() {
    let dir = TempDir::new().unwrap();
    let s = CacacheStore::open(dir.path(), CacacheOptions::default().write_behind(false)).unwrap();
    let k = key(1);
    let id = put(&s, &k, meta(None, 1), b"body", 1000).await.unwrap();
    s.update(&k, id, meta_touched(None, 1, 5)).await.unwrap();
    let v = only(&other(dir.path()), &k).await.unwrap();
    assert_eq!(v.response.headers()["x-touched"], "5");
}

#[tokio::test]
async fn s4_3_4_many_updates_end_with_the_newest_and_one_entry_file() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    let k = key(1);
    let id = put(&s, &k, meta(None, 1), &body_for(&k, 1, 2000), 1000)
        .await
        .unwrap();
    let before = usage(dir.path()).1;
    for n in 1..=500 {
        s.update(&k, id, meta_touched(None, 1, n)).await.unwrap();
        // Every lookup in between sees the update just made, never an older one.
        let v = only(&s, &k).await.unwrap();
        assert_eq!(v.response.headers()["x-touched"], n.to_string().as_str());
    }
    s.flush().unwrap();
    assert_eq!(usage(dir.path()).1, before, "no file left behind");
    let v = only(&other(dir.path()), &k).await.unwrap();
    assert_eq!(v.response.headers()["x-touched"], "500");
}

#[tokio::test]
async fn s4_4_a_pending_update_does_not_bring_back_a_removed_entry() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    let (k1, k2) = (key(1), key(2));
    let id1 = put(&s, &k1, meta(None, 1), b"one", 1000).await.unwrap();
    let id2 = put(&s, &k2, meta(None, 1), b"two", 1000).await.unwrap();
    s.update(&k1, id1, meta_touched(None, 1, 2)).await.unwrap();
    s.remove(&k1).await.unwrap();
    s.update(&k2, id2, meta_touched(None, 1, 2)).await.unwrap();
    s.clear().await.unwrap();
    s.flush().unwrap();
    assert!(s.get(&k1).await.unwrap().is_empty());
    assert!(s.get(&k2).await.unwrap().is_empty());
    assert!(entry_files(dir.path()).is_empty());
    assert_eq!(s.stats().entries, 0);
}

#[tokio::test]
async fn s4_3_4_a_pending_update_of_a_replaced_variant_changes_nothing() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    let k = key(1);
    let old = put(&s, &k, meta(None, 1), b"old", 1000).await.unwrap();
    s.update(&k, old, meta_touched(None, 1, 9)).await.unwrap();
    let new = put(&s, &k, meta(None, 2), b"new", 1000).await.unwrap();
    s.flush().unwrap();
    for store in [&s, &other(dir.path())] {
        let v = only(store, &k).await.unwrap();
        assert_eq!((v.id, version(&v.response)), (new, 2));
        assert_eq!(v.response.headers()["x-touched"], "0");
        assert_eq!(read(store, &k, &v).await.unwrap(), b"new");
    }
}

#[tokio::test]
async fn a_failed_write_is_reported_by_flush_once_and_loses_only_the_update() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    let k = key(1);
    let id = put(&s, &k, meta(None, 1), b"body", 1000).await.unwrap();
    // The entry's directory becomes a file: the entry can be neither read nor replaced.
    let entry = entry_files(dir.path()).pop().unwrap();
    let parent = entry.parent().unwrap().to_path_buf();
    let saved = std::fs::read(&entry).unwrap();
    std::fs::remove_dir_all(&parent).unwrap();
    std::fs::write(&parent, b"in the way").unwrap();
    s.update(&k, id, meta_touched(None, 1, 4)).await.unwrap();
    let err = s.flush().unwrap_err();
    assert!(matches!(err, hcache_core::StoreError::Io(_)), "{err:?}");
    assert_eq!(s.stats().failed_writes, 1);
    s.flush().unwrap();
    // Put back, the entry reads as it was before the lost update.
    std::fs::remove_file(&parent).unwrap();
    std::fs::create_dir_all(&parent).unwrap();
    std::fs::write(&entry, saved).unwrap();
    let v = only(&s, &k).await.unwrap();
    assert_eq!(
        (v.id, v.response.headers()["x-touched"].to_str().unwrap()),
        (id, "0")
    );
}
