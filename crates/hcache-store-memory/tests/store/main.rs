//! `MemoryStore` against the store contract (hcache-core's `store` module): streaming writes
//! and atomic commits, aborts, limits, `Vary` variants, metadata updates, removal, LRU
//! eviction by bytes and by count, zero-copy hits, and consistency under concurrent use.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hcache_core::{
    CacheKey, CacheOptions, CachePolicy, CacheStore, StoreError, StoreStats, StoreWriter,
    StoredResponse, Variant, VariantId,
};
use hcache_store_memory::{MemoryOptions, MemoryStore};
use http_body_util::BodyExt;

mod concurrency;
mod eviction;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// The metadata `CachePolicy::store` captures for a `200` with `max-age=60` plus `fields`,
/// to a GET of `uri` with `request_fields`.
fn meta_with(
    uri: &str,
    fields: &[(&str, &str)],
    request_fields: &[(&str, &str)],
) -> Arc<StoredResponse> {
    let mut req = http::Request::get(uri);
    for (n, v) in request_fields {
        req = req.header(*n, *v);
    }
    let mut res = http::Response::builder().header("cache-control", "max-age=60");
    for (n, v) in fields {
        res = res.header(*n, *v);
    }
    let req = req.body(()).unwrap().into_parts().0;
    let res = res.body(()).unwrap().into_parts().0;
    let policy = CachePolicy::new(CacheOptions::default());
    Arc::new(policy.store(&req, &res, t0(), t0()).expect("storable"))
}

fn meta() -> Arc<StoredResponse> {
    meta_with("http://example.com/", &[], &[])
}

/// A variant that varies on `accept-language`, captured for `lang`.
fn meta_lang(lang: &str) -> Arc<StoredResponse> {
    meta_with(
        "http://example.com/",
        &[("vary", "accept-language"), ("content-language", lang)],
        &[("accept-language", lang)],
    )
}

fn key(path: &str) -> CacheKey {
    CacheKey::new(format!("GET http://example.com/{path}"))
}

/// begin → write each chunk → commit.
async fn put(
    store: &MemoryStore,
    key: &CacheKey,
    meta: Arc<StoredResponse>,
    chunks: &[&[u8]],
) -> VariantId {
    let mut w = store.begin(key, meta, None).await.unwrap().expect("fits");
    for c in chunks {
        w = w.write(Bytes::copy_from_slice(c)).await.unwrap();
    }
    w.commit().await.unwrap()
}

async fn get(store: &MemoryStore, key: &CacheKey) -> Vec<Variant<Bytes>> {
    store.get(key).await.unwrap()
}

/// Reads the body `open` yields to its end.
async fn read(store: &MemoryStore, key: &CacheKey, v: &Variant<Bytes>) -> Bytes {
    let body = store.open(key, v).await.unwrap();
    body.collect().await.unwrap().to_bytes()
}

fn counts(s: StoreStats) -> (u64, u64, u64) {
    (s.entries, s.variants, s.evictions)
}

#[tokio::test]
async fn get_on_empty_store_is_empty() {
    let store = MemoryStore::default();
    assert!(get(&store, &key("a")).await.is_empty());
    assert_eq!(store.stats(), StoreStats::default());
}

#[tokio::test]
async fn commit_makes_exactly_the_written_bytes_visible() {
    let store = MemoryStore::default();
    let m = meta();
    let id = put(
        &store,
        &key("a"),
        m.clone(),
        &[b"hello, ", b"", b"world", b"!"],
    )
    .await;
    let vs = get(&store, &key("a")).await;
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].id, id);
    assert_eq!(vs[0].body, "hello, world!");
    assert!(
        Arc::ptr_eq(&vs[0].response, &m),
        "metadata kept as handed over"
    );
    assert_eq!(read(&store, &key("a"), &vs[0]).await, "hello, world!");
    assert!(get(&store, &key("b")).await.is_empty());
    assert_eq!(counts(store.stats()), (1, 1, 0));
}

#[tokio::test]
async fn single_chunk_and_empty_bodies() {
    let store = MemoryStore::default();
    put(&store, &key("one"), meta(), &[b"just one chunk"]).await;
    put(&store, &key("none"), meta(), &[]).await;
    put(&store, &key("empty"), meta(), &[b""]).await;
    assert_eq!(get(&store, &key("one")).await[0].body, "just one chunk");
    for k in ["none", "empty"] {
        let vs = get(&store, &key(k)).await;
        assert_eq!(vs.len(), 1, "{k}: an empty body is still a variant");
        assert!(vs[0].body.is_empty());
        assert_eq!(read(&store, &key(k), &vs[0]).await, "");
    }
}

#[tokio::test]
async fn a_write_is_invisible_until_commit() {
    let store = MemoryStore::default();
    let w = store
        .begin(&key("a"), meta(), Some(4))
        .await
        .unwrap()
        .unwrap();
    let w = w.write(Bytes::from_static(b"da")).await.unwrap();
    assert!(get(&store, &key("a")).await.is_empty());
    let w = w.write(Bytes::from_static(b"ta")).await.unwrap();
    assert!(get(&store, &key("a")).await.is_empty());
    assert_eq!(store.stats(), StoreStats::default());
    w.commit().await.unwrap();
    assert_eq!(get(&store, &key("a")).await[0].body, "data");
}

#[tokio::test]
async fn a_dropped_writer_aborts() {
    let store = MemoryStore::default();
    let w = store.begin(&key("a"), meta(), None).await.unwrap().unwrap();
    let w = w.write(Bytes::from_static(b"partial")).await.unwrap();
    drop(w);
    assert!(get(&store, &key("a")).await.is_empty());
    assert_eq!(store.stats(), StoreStats::default());

    // An aborted replacement leaves the old variant in place.
    put(&store, &key("a"), meta(), &[b"old"]).await;
    let w = store.begin(&key("a"), meta(), None).await.unwrap().unwrap();
    drop(w.write(Bytes::from_static(b"new")).await.unwrap());
    let vs = get(&store, &key("a")).await;
    assert_eq!((vs.len(), &vs[0].body[..]), (1, &b"old"[..]));
}

#[tokio::test]
async fn begin_refuses_a_size_hint_over_the_limit() {
    let store = MemoryStore::new(MemoryOptions::default().max_entry_size(100));
    assert_eq!(store.max_entry_size(), Some(100));
    assert!(
        store
            .begin(&key("a"), meta(), Some(101))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .begin(&key("a"), meta(), Some(u64::MAX))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .begin(&key("a"), meta(), Some(100))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .begin(&key("a"), meta(), None)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.stats(), StoreStats::default());
}

#[tokio::test]
async fn writes_past_the_limit_fail_too_large_and_store_nothing() {
    let store = MemoryStore::new(MemoryOptions::default().max_entry_size(10));
    // Exactly the limit is fine.
    put(&store, &key("fits"), meta(), &[b"12345", b"67890"]).await;
    assert_eq!(get(&store, &key("fits")).await[0].body, "1234567890");

    let w = store
        .begin(&key("big"), meta(), None)
        .await
        .unwrap()
        .unwrap();
    let w = w.write(Bytes::from_static(b"123456")).await.unwrap();
    match w.write(Bytes::from_static(b"78901")).await {
        Err(StoreError::TooLarge { limit }) => assert_eq!(limit, 10),
        other => panic!("expected TooLarge, got {:?}", other.map(|_| ())),
    }
    // A size hint that lies is caught too.
    let w = store
        .begin(&key("liar"), meta(), Some(1))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        w.write(Bytes::from(vec![0; 11])).await,
        Err(StoreError::TooLarge { limit: 10 })
    ));
    assert!(get(&store, &key("big")).await.is_empty());
    assert!(get(&store, &key("liar")).await.is_empty());
    assert_eq!(counts(store.stats()), (1, 1, 0));
}

#[tokio::test]
async fn commit_replaces_the_variant_with_the_same_vary_key_only() {
    let store = MemoryStore::default();
    let k = key("a");
    let en1 = put(&store, &k, meta_lang("en"), &[b"hello"]).await;
    let fr = put(&store, &k, meta_lang("fr"), &[b"bonjour"]).await;
    let size_two = store.stats().size_bytes;
    let vs = get(&store, &k).await;
    assert_eq!(vs.len(), 2);
    assert_eq!(counts(store.stats()), (1, 2, 0));

    let en2 = put(&store, &k, meta_lang("en"), &[b"howdy"]).await;
    assert_ne!(en1, en2);
    let vs = get(&store, &k).await;
    assert_eq!(vs.len(), 2, "the en variant replaced, the fr one kept");
    let body = |id| vs.iter().find(|v| v.id == id).map(|v| v.body.clone());
    assert_eq!(body(en1), None);
    assert_eq!(body(en2).unwrap(), "howdy");
    assert_eq!(body(fr).unwrap(), "bonjour");
    // Same-sized replacement: the old variant's bytes were released.
    assert_eq!(store.stats().size_bytes, size_two);
    assert_eq!(counts(store.stats()), (1, 2, 0));

    // Without Vary, a new response replaces the one without Vary.
    let k = key("b");
    put(&store, &k, meta(), &[b"one"]).await;
    put(&store, &k, meta(), &[b"two"]).await;
    let vs = get(&store, &k).await;
    assert_eq!((vs.len(), &vs[0].body[..]), (1, &b"two"[..]));
}

#[tokio::test]
async fn update_replaces_metadata_and_keeps_the_body() {
    let store = MemoryStore::default();
    let k = key("a");
    let id = put(&store, &k, meta(), &[b"the body"]).await;
    let before = get(&store, &k).await.remove(0);
    let size_before = store.stats().size_bytes;

    let fresh = meta_with("http://example.com/", &[("x-freshened", "yes")], &[]);
    store.update(&k, id, fresh.clone()).await.unwrap();
    let after = get(&store, &k).await.remove(0);
    assert_eq!(after.id, id, "same variant");
    assert!(Arc::ptr_eq(&after.response, &fresh));
    assert_eq!(after.response.headers()["x-freshened"], "yes");
    assert_eq!(
        after.body.as_ptr(),
        before.body.as_ptr(),
        "the body was not rewritten"
    );
    assert_eq!(after.body, "the body");
    // The byte count follows the metadata's size.
    let field = ("x-freshened".len() + "yes".len()) as u64;
    assert!(store.stats().size_bytes > size_before + field);

    // Updating a variant that is gone is not an error and changes nothing.
    let stats = store.stats();
    store.update(&k, VariantId(u64::MAX), meta()).await.unwrap();
    store.update(&key("gone"), id, meta()).await.unwrap();
    assert_eq!(store.stats(), stats);
    assert!(get(&store, &key("gone")).await.is_empty());
}

#[tokio::test]
async fn remove_variant_removes_one_and_then_the_entry() {
    let store = MemoryStore::default();
    let k = key("a");
    let en = put(&store, &k, meta_lang("en"), &[b"hello"]).await;
    let fr = put(&store, &k, meta_lang("fr"), &[b"bonjour"]).await;
    let size_fr_only = {
        let other = MemoryStore::default();
        put(&other, &k, meta_lang("fr"), &[b"bonjour"]).await;
        other.stats().size_bytes
    };
    store.remove_variant(&k, en).await.unwrap();
    let vs = get(&store, &k).await;
    assert_eq!((vs.len(), vs[0].id), (1, fr));
    assert_eq!(store.stats().size_bytes, size_fr_only);
    assert_eq!(counts(store.stats()), (1, 1, 0));

    store.remove_variant(&k, VariantId(u64::MAX)).await.unwrap();
    store.remove_variant(&key("none"), fr).await.unwrap();
    assert_eq!(get(&store, &k).await.len(), 1);

    store.remove_variant(&k, fr).await.unwrap();
    assert!(get(&store, &k).await.is_empty());
    assert_eq!(store.stats(), StoreStats::default());
}

#[tokio::test]
async fn remove_drops_every_variant_of_one_key() {
    let store = MemoryStore::default();
    put(&store, &key("a"), meta_lang("en"), &[b"hello"]).await;
    put(&store, &key("a"), meta_lang("fr"), &[b"bonjour"]).await;
    put(&store, &key("b"), meta(), &[b"other"]).await;
    let b_only = {
        let other = MemoryStore::default();
        put(&other, &key("b"), meta(), &[b"other"]).await;
        other.stats().size_bytes
    };
    store.remove(&key("a")).await.unwrap();
    store.remove(&key("never")).await.unwrap();
    assert!(get(&store, &key("a")).await.is_empty());
    assert_eq!(get(&store, &key("b")).await[0].body, "other");
    assert_eq!(store.stats().size_bytes, b_only);
    assert_eq!(counts(store.stats()), (1, 1, 0));
}

#[tokio::test]
async fn clear_removes_everything() {
    let store = MemoryStore::default();
    for i in 0..50 {
        put(&store, &key(&i.to_string()), meta(), &[b"body"]).await;
    }
    put(&store, &key("0"), meta_lang("en"), &[b"en"]).await;
    assert_eq!(counts(store.stats()), (50, 51, 0));
    store.clear().await.unwrap();
    assert_eq!(store.stats(), StoreStats::default());
    for i in 0..50 {
        assert!(get(&store, &key(&i.to_string())).await.is_empty());
    }
    // Still usable afterwards.
    put(&store, &key("0"), meta(), &[b"again"]).await;
    assert_eq!(counts(store.stats()), (1, 1, 0));
}

#[tokio::test]
async fn size_counts_bodies_and_metadata_and_returns_to_zero() {
    let store = MemoryStore::default();
    put(&store, &key("small"), meta(), &[b""]).await;
    let empty = store.stats().size_bytes;
    assert!(empty > 0, "metadata is accounted for");
    put(&store, &key("big"), meta(), &[&[7; 1000], &[8; 24]]).await;
    assert_eq!(store.stats().size_bytes, 2 * empty + 1024);

    // Replace, update, remove in every way: the count drifts nowhere.
    for round in 0..3u8 {
        for i in 0..40 {
            let k = key(&format!("k{i}"));
            let len = 10 * i + usize::from(round);
            put(&store, &k, meta_lang("en"), &[&vec![round; len]]).await;
            let fr = put(&store, &k, meta_lang("fr"), &[&vec![round; len / 2]]).await;
            let extra = meta_with(
                "http://example.com/",
                &[("vary", "accept-language"), ("x-a", "b")],
                &[("accept-language", "fr")],
            );
            store.update(&k, fr, extra).await.unwrap();
            if i % 3 == 0 {
                store.remove_variant(&k, fr).await.unwrap();
            }
        }
    }
    for i in 0..40 {
        store.remove(&key(&format!("k{i}"))).await.unwrap();
    }
    store.remove(&key("small")).await.unwrap();
    assert_eq!(store.stats().size_bytes, empty + 1024);
    let big = get(&store, &key("big")).await.remove(0);
    store.remove_variant(&key("big"), big.id).await.unwrap();
    assert_eq!(store.stats(), StoreStats::default());
}

#[tokio::test]
async fn variant_ids_are_unique() {
    let store = MemoryStore::default();
    let mut ids = Vec::new();
    for i in 0..100 {
        ids.push(put(&store, &key(&(i % 7).to_string()), meta(), &[b"x"]).await);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 100);
}

#[tokio::test]
async fn clones_share_one_store() {
    let store = MemoryStore::default();
    let clone = store.clone();
    put(&clone, &key("a"), meta(), &[b"shared"]).await;
    assert_eq!(get(&store, &key("a")).await[0].body, "shared");
    store.clear().await.unwrap();
    assert!(get(&clone, &key("a")).await.is_empty());
}

#[tokio::test]
async fn hits_are_zero_copy() {
    let store = MemoryStore::default();
    let k = key("a");
    let body: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8).collect();
    put(&store, &k, meta(), &[&body[..1000], &body[1000..]]).await;
    let a = get(&store, &k).await.remove(0);
    let b = get(&store, &k).await.remove(0);
    assert_eq!(a.body.as_ptr(), b.body.as_ptr(), "one body in memory");
    assert!(Arc::ptr_eq(&a.response, &b.response), "one header section");
    assert_eq!(a.body, body);

    // `open` streams that same memory, in one frame, exactly.
    let mut stream = store.open(&k, &a).await.unwrap();
    let frame = stream.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(frame.as_ptr(), a.body.as_ptr());
    assert_eq!(frame, body);
    assert!(stream.frame().await.is_none());
    assert_eq!(read(&store, &k, &b).await, body);
}

#[tokio::test]
async fn a_single_chunk_body_is_kept_without_copying() {
    let store = MemoryStore::default();
    let chunk = Bytes::from(vec![1u8; 512]);
    let w = store
        .begin(&key("a"), meta(), Some(512))
        .await
        .unwrap()
        .unwrap();
    w.write(chunk.clone())
        .await
        .unwrap()
        .commit()
        .await
        .unwrap();
    assert_eq!(
        get(&store, &key("a")).await[0].body.as_ptr(),
        chunk.as_ptr()
    );
}

#[tokio::test]
async fn an_open_body_outlives_removal() {
    let store = MemoryStore::default();
    put(&store, &key("a"), meta(), &[b"still here"]).await;
    let v = get(&store, &key("a")).await.remove(0);
    let body = store.open(&key("a"), &v).await.unwrap();
    store.clear().await.unwrap();
    assert_eq!(body.collect().await.unwrap().to_bytes(), "still here");
    assert_eq!(v.body, "still here");
}
