//! A key found absent again and again is then answered without looking its entry file up;
//! it must still be found the moment any store sharing the directory creates it.

use hcache_core::CacheStore;
use tempfile::TempDir;

use crate::support::*;

/// Stores a small body for `k` at `version` through `s`.
async fn create(s: &hcache_store_cacache::CacacheStore, k: &hcache_core::CacheKey, version: u64) {
    put(s, k, meta(None, version), &body_for(k, version, 10), 64)
        .await
        .unwrap();
}

/// Enough lookups of an absent key for the store to trust its absence (see `absent`).
async fn absent_thrice(s: &hcache_store_cacache::CacacheStore, k: &hcache_core::CacheKey) {
    for _ in 0..3 {
        assert!(s.get(k).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_entry_another_store_creates_is_found_at_once() {
    let dir = TempDir::new().unwrap();
    let (a, b) = (store(dir.path(), 1 << 30), store(dir.path(), 1 << 30));
    let k = key(1);
    absent_thrice(&b, &k).await;
    let body = body_for(&k, 1, 100);
    put(&a, &k, meta(None, 1), &body, 64).await.unwrap();
    let v = only(&b, &k).await.expect("created by the other store");
    assert_eq!(read(&b, &k, &v).await.unwrap(), body);
}

#[tokio::test]
async fn an_entry_this_store_creates_is_found_at_once() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 1 << 30);
    let k = key(2);
    absent_thrice(&s, &k).await;
    create(&s, &k, 1).await;
    assert!(only(&s, &k).await.is_some());
}

#[tokio::test]
async fn an_entry_removed_and_created_again_elsewhere_is_found() {
    let dir = TempDir::new().unwrap();
    let (a, b) = (store(dir.path(), 1 << 30), store(dir.path(), 1 << 30));
    let k = key(3);
    create(&a, &k, 1).await;
    assert!(only(&b, &k).await.is_some());
    a.remove(&k).await.unwrap();
    absent_thrice(&b, &k).await;
    create(&a, &k, 2).await;
    let v = only(&b, &k).await.expect("created again");
    assert_eq!(version(&v.response), 2);
}

/// The child: creates key 4's entry in the directory it is given.
#[tokio::test]
async fn child_creator() {
    let Some((_, dir)) = child_args("creator") else {
        return;
    };
    create(&store(&dir, 1 << 30), &key(4), 7).await;
}

#[tokio::test]
async fn an_entry_another_process_creates_is_found_at_once() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 1 << 30);
    let k = key(4);
    absent_thrice(&s, &k).await;
    let status = spawn_child("absent::child_creator", "creator", 0, dir.path())
        .wait()
        .unwrap();
    assert!(status.success(), "the child failed: {status}");
    let v = only(&s, &k).await.expect("created by the other process");
    assert_eq!(version(&v.response), 7);
}

#[tokio::test]
async fn without_a_generation_file_no_absence_is_trusted() {
    let dir = TempDir::new().unwrap();
    // A directory where the file should be: it cannot be opened, so no store can tell
    // another that it created an entry, and none may skip a lookup.
    std::fs::create_dir(dir.path().join("generation")).unwrap();
    let (a, b) = (store(dir.path(), 1 << 30), store(dir.path(), 1 << 30));
    let k = key(5);
    absent_thrice(&b, &k).await;
    create(&a, &k, 1).await;
    assert!(only(&b, &k).await.is_some());
}
