//! The store contract (`hcache_core::store`), as the memory store keeps it, on disk.

use bytes::Bytes;
use hcache_core::{CacheStore, StoreError, StoreWriter, VariantId};
use hcache_store_cacache::{CacacheOptions, CacacheStore};
use tempfile::TempDir;

use crate::support::*;

#[tokio::test]
async fn bodies_of_every_size_round_trip_in_any_chunking() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    // Around the inline limit (64 KiB), and a body that streams in both directions.
    for (i, (len, chunk)) in [
        (0, 1),
        (1, 1),
        (1000, 7),
        (65_536, 65_536),
        (65_537, 4096),
        (1 << 20, 7919),
    ]
    .into_iter()
    .enumerate()
    {
        let k = key(i);
        let body = body_for(&k, 1, len);
        let id = put(&s, &k, meta(None, 1), &body, chunk).await.unwrap();
        let v = only(&s, &k).await.expect("stored");
        assert_eq!(v.id, id);
        assert_eq!(v.body.len(), len as u64);
        assert_eq!(version(&v.response), 1);
        assert_eq!(read(&s, &k, &v).await.unwrap(), body, "body of {len} bytes");
    }
    let st = s.stats();
    assert_eq!((st.entries, st.variants, st.evictions), (6, 6, 0));
}

#[tokio::test]
async fn entries_survive_reopening() {
    let dir = TempDir::new().unwrap();
    let body = body_for(&key(1), 1, 100_000);
    {
        let s = store(dir.path(), 64 << 20);
        put(&s, &key(1), meta(Some("en"), 1), &body, 10_000)
            .await
            .unwrap();
        put(&s, &key(1), meta(Some("fr"), 2), b"fr", 1)
            .await
            .unwrap();
    }
    let s = store(dir.path(), 64 << 20);
    let vs = s.get(&key(1)).await.unwrap();
    assert_eq!(vs.len(), 2);
    let en = vs.iter().find(|v| version(&v.response) == 1).unwrap();
    assert_eq!(read(&s, &key(1), en).await.unwrap(), body);
    assert_eq!((s.stats().entries, s.stats().variants), (1, 2));
}

#[tokio::test]
async fn a_writer_dropped_before_commit_leaves_nothing() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    // Small (in memory) and streaming (in cacache's temporary file).
    for len in [100, 200_000] {
        let mut w = s
            .begin(&key(1), meta(None, 1), None)
            .await
            .unwrap()
            .unwrap();
        for c in body_for(&key(1), 1, len).chunks(50_000) {
            w = w.write(Bytes::copy_from_slice(c)).await.unwrap();
        }
        drop(w);
    }
    assert!(s.get(&key(1)).await.unwrap().is_empty());
    assert!(content_files(dir.path()).is_empty());
    assert!(entry_files(dir.path()).is_empty());
    assert_eq!(s.stats().size_bytes, 0);
}

#[tokio::test]
async fn too_large_bodies_are_refused() {
    let dir = TempDir::new().unwrap();
    let s = CacacheStore::open(
        dir.path(),
        CacacheOptions::default().max_entry_size(100_000),
    )
    .unwrap();
    assert_eq!(s.max_entry_size(), Some(100_000));
    // Known too large up front.
    assert!(
        s.begin(&key(1), meta(None, 1), Some(100_001))
            .await
            .unwrap()
            .is_none()
    );
    // Found too large while streaming.
    let w = s
        .begin(&key(1), meta(None, 1), None)
        .await
        .unwrap()
        .unwrap();
    let w = w.write(Bytes::from(vec![1; 60_000])).await.unwrap();
    let w = w.write(Bytes::from(vec![1; 30_000])).await.unwrap();
    match w.write(Bytes::from(vec![1; 10_001])).await {
        Err(StoreError::TooLarge { limit: 100_000 }) => {}
        other => panic!("expected TooLarge, got {:?}", other.map(drop)),
    }
    assert!(s.get(&key(1)).await.unwrap().is_empty());
    assert!(content_files(dir.path()).is_empty());
    // The entry limit never exceeds the store's size.
    let s = CacacheStore::open(dir.path(), CacacheOptions::default().max_bytes(5000)).unwrap();
    assert_eq!(s.max_entry_size(), Some(5000));
}

#[tokio::test]
async fn a_variant_replaces_the_one_with_the_same_vary_values() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    let k = key(1);
    put(&s, &k, meta(Some("en"), 1), b"en one", 3)
        .await
        .unwrap();
    put(&s, &k, meta(Some("fr"), 2), b"fr", 3).await.unwrap();
    assert_eq!(content_files(dir.path()).len(), 2);
    let id = put(&s, &k, meta(Some("en"), 3), b"en two", 3)
        .await
        .unwrap();
    let vs = s.get(&k).await.unwrap();
    assert_eq!(vs.len(), 2);
    let en = vs.iter().find(|v| v.id == id).unwrap();
    assert_eq!(version(&en.response), 3);
    assert_eq!(read(&s, &k, en).await.unwrap(), b"en two");
    // The replaced body is deleted at once, not left for cacache (which never collects).
    assert_eq!(content_files(dir.path()).len(), 2);
    assert_eq!((s.stats().entries, s.stats().variants), (1, 2));
}

#[tokio::test]
async fn a_replaced_body_stays_readable_for_the_removal_delay() {
    let dir = TempDir::new().unwrap();
    let s = CacacheStore::open(dir.path(), CacacheOptions::default()).unwrap();
    let k = key(1);
    put(&s, &k, meta(None, 1), b"old", 1).await.unwrap();
    // A request looked the variant up...
    let old = only(&s, &k).await.unwrap();
    // ...then it was replaced, before the request opened its body.
    put(&s, &k, meta(None, 2), b"new", 1).await.unwrap();
    assert_eq!(read(&s, &k, &old).await.unwrap(), b"old");
    assert_eq!(content_files(dir.path()).len(), 2);
    assert_eq!(s.stats().variants, 1, "only what is listed is accounted");
    // Dropping the store deletes what was waiting.
    drop(s);
    assert_eq!(content_files(dir.path()).len(), 1);
}

#[tokio::test]
async fn update_replaces_metadata_and_keeps_the_body_file() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    let k = key(1);
    let body = body_for(&k, 1, 5000);
    let id = put(&s, &k, meta(None, 1), &body, 1000).await.unwrap();
    let content = content_files(dir.path());
    let mtime = std::fs::metadata(&content[0]).unwrap().modified().unwrap();
    s.update(&k, id, meta(None, 2)).await.unwrap();
    let v = only(&s, &k).await.unwrap();
    assert_eq!((v.id, version(&v.response)), (id, 2));
    assert_eq!(read(&s, &k, &v).await.unwrap(), body);
    assert_eq!(content_files(dir.path()), content);
    assert_eq!(
        std::fs::metadata(&content[0]).unwrap().modified().unwrap(),
        mtime
    );
    // Updating a variant or a key that is not there is no error, and changes nothing.
    s.update(&k, VariantId(12345), meta(None, 9)).await.unwrap();
    s.update(&key(2), id, meta(None, 9)).await.unwrap();
    assert_eq!(version(&only(&s, &k).await.unwrap().response), 2);
    assert!(s.get(&key(2)).await.unwrap().is_empty());
}

#[tokio::test]
async fn remove_variant_remove_and_clear() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    let en = put(&s, &key(1), meta(Some("en"), 1), b"en", 1)
        .await
        .unwrap();
    put(&s, &key(1), meta(Some("fr"), 1), b"fr", 1)
        .await
        .unwrap();
    put(&s, &key(2), meta(None, 1), &[7; 100_000], 9999)
        .await
        .unwrap();
    put(&s, &key(3), meta(None, 1), b"three", 2).await.unwrap();
    assert_eq!((s.stats().entries, s.stats().variants), (3, 4));

    s.remove_variant(&key(1), en).await.unwrap();
    let left = only(&s, &key(1)).await.unwrap();
    assert_eq!(read(&s, &key(1), &left).await.unwrap(), b"fr");
    assert_eq!((s.stats().entries, s.stats().variants), (3, 3));
    // The last variant takes the entry with it.
    s.remove_variant(&key(1), left.id).await.unwrap();
    assert!(s.get(&key(1)).await.unwrap().is_empty());
    assert_eq!((s.stats().entries, s.stats().variants), (2, 2));
    // Removing what is not there is no error.
    s.remove_variant(&key(1), left.id).await.unwrap();
    s.remove(&key(9)).await.unwrap();

    s.remove(&key(2)).await.unwrap();
    assert!(s.get(&key(2)).await.unwrap().is_empty());
    assert_eq!(content_files(dir.path()).len(), 1);

    s.clear().await.unwrap();
    assert!(s.get(&key(3)).await.unwrap().is_empty());
    assert!(content_files(dir.path()).is_empty() && entry_files(dir.path()).is_empty());
    let st = s.stats();
    assert_eq!((st.size_bytes, st.entries, st.variants), (0, 0, 0));
    // Usable after clear.
    put(&s, &key(4), meta(None, 1), b"four", 2).await.unwrap();
    assert_eq!(
        read(&s, &key(4), &only(&s, &key(4)).await.unwrap())
            .await
            .unwrap(),
        b"four"
    );
}

#[tokio::test]
async fn stats_match_the_files_on_disk() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    for i in 0..20 {
        let lang = ["en", "fr"][i % 2];
        put(
            &s,
            &key(i % 7),
            meta(Some(lang), i as u64),
            &body_for(&key(i), 0, i * 5000),
            4096,
        )
        .await
        .unwrap();
    }
    let on_disk: u64 = entry_files(dir.path())
        .iter()
        .chain(&content_files(dir.path()))
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(s.stats().size_bytes, on_disk);
    assert_eq!((s.stats().entries, s.stats().variants), (7, 14));
    // And a fresh scan agrees.
    let again = store(dir.path(), 64 << 20);
    assert_eq!(again.stats(), s.stats());
}
