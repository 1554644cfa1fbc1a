//! The tiered store against real tiers: a memory store over a disk store in a temp dir.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use hcache_core::{CacheKey, CachePolicy, CacheStore, StoreWriter, StoredResponse};
use hcache_store_cacache::{CacacheOptions, CacacheStore};
use hcache_store_memory::{MemoryOptions, MemoryStore};
use hcache_store_tiered::{TieredHandle, TieredStore};
use http_body_util::BodyExt;

type Tiered = TieredStore<MemoryStore, CacacheStore>;

fn setup(front: MemoryOptions) -> (Tiered, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let disk = CacacheStore::open(dir.path(), CacacheOptions::default()).unwrap();
    (TieredStore::new(MemoryStore::new(front), disk), dir)
}

fn key(path: &str) -> CacheKey {
    CacheKey::new(format!("GET http://example.com{path}"))
}

/// A storable response whose request carried `accept-language: lang`, varying on it.
fn meta(lang: &str, etag: &str) -> Arc<StoredResponse> {
    let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let req = http::Request::get("http://example.com/")
        .header("accept-language", lang)
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let res = http::Response::builder()
        .header("cache-control", "max-age=60")
        .header("vary", "accept-language")
        .header("etag", etag)
        .body(())
        .unwrap()
        .into_parts()
        .0;
    Arc::new(CachePolicy::default().store(&req, &res, t, t).unwrap())
}

/// `m` as a 304 would leave it: the same, plus `x-updated: yes`.
fn updated(m: &StoredResponse) -> Arc<StoredResponse> {
    let mut headers = m.headers().clone();
    headers.insert("x-updated", "yes".parse().unwrap());
    Arc::new(StoredResponse::from_parts(
        m.status(),
        m.version(),
        headers,
        m.vary().clone(),
        m.request_time(),
        m.response_time(),
        &hcache_core::CacheOptions::default(),
    ))
}

async fn put<S: CacheStore>(store: &S, key: &CacheKey, meta: Arc<StoredResponse>, body: &[u8]) {
    let w = store
        .begin(key, meta, Some(body.len() as u64))
        .await
        .unwrap()
        .expect("accepted");
    let w = w.write(Bytes::copy_from_slice(body)).await.unwrap();
    w.commit().await.unwrap();
}

async fn read<S: CacheStore>(
    store: &S,
    key: &CacheKey,
    v: &hcache_core::Variant<S::Handle>,
) -> Bytes {
    store
        .open(key, v)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap()
        .to_bytes()
}

#[tokio::test]
async fn writes_reach_both_tiers() {
    let (store, _dir) = setup(MemoryOptions::default());
    let k = key("/a");
    put(&store, &k, meta("en", "\"1\""), b"hello").await;
    assert_eq!(store.front().get(&k).await.unwrap().len(), 1);
    assert_eq!(store.back().get(&k).await.unwrap().len(), 1);
    let vs = store.get(&k).await.unwrap();
    assert!(matches!(vs[0].body, TieredHandle::Front(_)));
    assert_eq!(read(&store, &k, &vs[0]).await, "hello");
    assert_eq!(store.tier_stats().front_hits, 1);
}

#[tokio::test]
async fn reads_fall_through_and_promote_while_streaming() {
    let (store, _dir) = setup(MemoryOptions::default());
    let k = key("/b");
    put(store.back(), &k, meta("en", "\"1\""), b"from disk").await;
    let vs = store.get(&k).await.unwrap();
    assert!(
        matches!(vs[0].body, TieredHandle::Back(_)),
        "only the back tier has it"
    );
    assert_eq!(read(&store, &k, &vs[0]).await, "from disk");
    let stats = store.tier_stats();
    assert_eq!((stats.back_hits, stats.promotions), (1, 1));
    let vs = store.get(&k).await.unwrap();
    assert!(
        matches!(vs[0].body, TieredHandle::Front(_)),
        "promoted into memory"
    );
    assert_eq!(read(&store, &k, &vs[0]).await, "from disk");
}

#[tokio::test]
async fn a_reader_that_stops_early_promotes_nothing() {
    let (store, _dir) = setup(MemoryOptions::default());
    let k = key("/c");
    put(store.back(), &k, meta("en", "\"1\""), &vec![7u8; 200_000]).await;
    let vs = store.get(&k).await.unwrap();
    let mut body = store.open(&k, &vs[0]).await.unwrap();
    let first = body.frame().await.unwrap().unwrap();
    assert!(first.is_data());
    drop(body);
    assert!(
        store.front().get(&k).await.unwrap().is_empty(),
        "a partial body never becomes an entry"
    );
    assert_eq!(store.tier_stats().promotions, 0);
}

#[tokio::test]
async fn too_large_for_the_front_is_kept_by_the_back() {
    let (store, _dir) = setup(MemoryOptions::default().max_entry_size(16));
    let k = key("/d");
    put(&store, &k, meta("en", "\"1\""), &[1u8; 1000]).await;
    assert!(store.front().get(&k).await.unwrap().is_empty());
    let vs = store.get(&k).await.unwrap();
    assert_eq!(read(&store, &k, &vs[0]).await.len(), 1000);
    assert_eq!(
        store.tier_stats().promotions,
        0,
        "the front refuses it again"
    );
}

#[tokio::test]
async fn updates_reach_both_tiers_and_keep_bodies() {
    let (store, _dir) = setup(MemoryOptions::default());
    let k = key("/e");
    put(&store, &k, meta("en", "\"1\""), b"en body").await;
    put(&store, &k, meta("fr", "\"2\""), b"fr body").await;
    let vs = store.get(&k).await.unwrap();
    let fr = vs
        .iter()
        .find(|v| v.response.headers()["etag"] == "\"2\"")
        .unwrap();
    store
        .update(&k, fr.id, updated(&meta("fr", "\"2\"")))
        .await
        .unwrap();
    for tier in [
        store.front().get(&k).await.unwrap().len(),
        store.back().get(&k).await.unwrap().len(),
    ] {
        assert_eq!(tier, 2);
    }
    let front = store.front().get(&k).await.unwrap();
    let back = store.back().get(&k).await.unwrap();
    for vs in [
        front.iter().map(|v| v.response.clone()).collect::<Vec<_>>(),
        back.iter().map(|v| v.response.clone()).collect(),
    ] {
        let updated = vs
            .iter()
            .filter(|r| r.headers().get("x-updated").is_some())
            .count();
        assert_eq!(updated, 1, "only the fr variant, in both tiers");
    }
    let vs = store.get(&k).await.unwrap();
    let fr = vs
        .iter()
        .find(|v| v.response.headers().get("x-updated").is_some())
        .unwrap();
    assert_eq!(
        read(&store, &k, fr).await,
        "fr body",
        "the body is untouched"
    );
}

#[tokio::test]
async fn removals_reach_both_tiers() {
    let (store, _dir) = setup(MemoryOptions::default());
    let (a, b) = (key("/f"), key("/g"));
    put(&store, &a, meta("en", "\"1\""), b"a-en").await;
    put(&store, &a, meta("fr", "\"2\""), b"a-fr").await;
    put(&store, &b, meta("en", "\"3\""), b"b").await;
    let en = store
        .get(&a)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.response.headers()["etag"] == "\"1\"")
        .unwrap();
    store.remove_variant(&a, en.id).await.unwrap();
    assert_eq!(store.front().get(&a).await.unwrap().len(), 1);
    assert_eq!(store.back().get(&a).await.unwrap().len(), 1);
    store.remove(&a).await.unwrap();
    assert!(
        store.front().get(&a).await.unwrap().is_empty()
            && store.back().get(&a).await.unwrap().is_empty()
    );
    store.clear().await.unwrap();
    assert!(store.get(&b).await.unwrap().is_empty());
    assert_eq!(store.tier_stats().front.entries, 0);
}

#[tokio::test]
async fn ids_are_the_same_in_every_tier() {
    let (store, _dir) = setup(MemoryOptions::default());
    let k = key("/h");
    put(&store, &k, meta("en", "\"1\""), b"x").await;
    let from_front = store.get(&k).await.unwrap()[0].id;
    store.front().clear().await.unwrap();
    let from_back = store.get(&k).await.unwrap()[0].id;
    assert_eq!(from_front, from_back);
    // Clones share the seed; a store of its own has another, so ids cannot be chosen ahead.
    assert_eq!(store.clone().get(&k).await.unwrap()[0].id, from_back);
    let (other, _other_dir) = setup(MemoryOptions::default());
    put(&other, &k, meta("en", "\"1\""), b"x").await;
    assert_ne!(other.get(&k).await.unwrap()[0].id, from_front);
}

/// Two variants of one URL keep their own ids, and a 304's update reaches only its own
/// (RFC 9111 §4.1, §4.3.4).
#[tokio::test]
async fn s4_3_4_an_update_reaches_only_its_variant() {
    let (store, _dir) = setup(MemoryOptions::default());
    let k = key("/two");
    put(&store, &k, meta("en", "\"en\""), b"en").await;
    put(&store, &k, meta("fr", "\"fr\""), b"fr").await;
    let vs = store.get(&k).await.unwrap();
    assert_eq!(vs.len(), 2);
    assert_ne!(vs[0].id, vs[1].id);
    let en = vs.iter().find(|v| v.response.headers()["etag"] == "\"en\"");
    let en = en.expect("the en variant");
    store
        .update(&k, en.id, updated(&en.response))
        .await
        .unwrap();
    store.front().clear().await.unwrap();
    let vs = store.get(&k).await.unwrap();
    assert_eq!(vs.len(), 2);
    for v in vs {
        let etag = v.response.headers()["etag"].clone();
        let freshened = v.response.headers().contains_key("x-updated");
        assert_eq!(freshened, etag == "\"en\"", "{etag:?}");
    }
}

/// The tiered store remembers where each variant lives in the back, so a 304's update of a
/// variant served from the front does not read the back first (RFC 9111 §4.3.4). A remembered
/// id may be out of date — here another process replaced the back's variant — and then the
/// update leaves the back alone (it never lands on a variant with another body), until a
/// lookup that reaches the back learns the new id.
#[tokio::test]
async fn s4_3_4_an_out_of_date_back_id_never_updates_another_variant() {
    let (store, dir) = setup(MemoryOptions::default());
    let k = key("/o");
    put(&store, &k, meta("en", "\"1\""), b"one").await;
    let other = CacacheStore::open(dir.path(), CacacheOptions::default()).unwrap();
    put(&other, &k, meta("en", "\"2\""), b"two").await;
    drop(other);

    let v = store.get(&k).await.unwrap().pop().unwrap();
    assert!(matches!(v.body, TieredHandle::Front(_)));
    assert_eq!(v.response.headers()["etag"], "\"1\"");
    store.update(&k, v.id, updated(&v.response)).await.unwrap();
    store.back().flush().unwrap();
    let front = store.front().get(&k).await.unwrap().pop().unwrap();
    assert_eq!(front.response.headers()["x-updated"], "yes");
    let back = store.back().get(&k).await.unwrap().pop().unwrap();
    assert_eq!(back.response.headers()["etag"], "\"2\"");
    assert!(back.response.headers().get("x-updated").is_none());

    store.front().clear().await.unwrap();
    let v = store.get(&k).await.unwrap().pop().unwrap();
    assert!(matches!(v.body, TieredHandle::Back(_)));
    store.update(&k, v.id, updated(&v.response)).await.unwrap();
    store.back().flush().unwrap();
    let back = store.back().get(&k).await.unwrap().pop().unwrap();
    assert_eq!(back.response.headers()["etag"], "\"2\"");
    assert_eq!(back.response.headers()["x-updated"], "yes");
    assert_eq!(read(store.back(), &k, &back).await, "two");
}
