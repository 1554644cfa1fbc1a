//! LRU eviction: by total bytes, by entry count, least recently *used* first, and the entry
//! size bound that keeps an entry from evicting its whole shard.

use super::*;

/// What one entry with a `len`-byte body and [`meta`] costs the store.
async fn cost_of(len: usize) -> u64 {
    let probe = MemoryStore::default();
    put(&probe, &key("probe"), meta(), &[&vec![0; len]]).await;
    probe.stats().size_bytes
}

async fn present(store: &MemoryStore, names: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for n in names {
        if !get(store, &key(n)).await.is_empty() {
            out.push(n.to_string());
        }
    }
    out
}

#[tokio::test]
async fn evicts_by_bytes_least_recently_used_first() {
    let c = cost_of(1000).await;
    let store = MemoryStore::new(MemoryOptions::default().shards(1).max_bytes(3 * c + c / 2));
    for n in ["a", "b", "c"] {
        put(&store, &key(n), meta(), &[&[1; 1000]]).await;
    }
    assert_eq!(counts(store.stats()), (3, 3, 0));
    // A hit makes "a" the most recently used: "b" is now the oldest.
    get(&store, &key("a")).await;
    put(&store, &key("d"), meta(), &[&[1; 1000]]).await;
    assert_eq!(counts(store.stats()), (3, 3, 1));
    assert_eq!(store.stats().size_bytes, 3 * c);
    // (`present` uses `get`, which promotes, so check with care: only after the next put.)
    get(&store, &key("c")).await;
    put(&store, &key("e"), meta(), &[&[1; 1000]]).await;
    // Recency before "e": c, d, a — so "a" went.
    assert_eq!(
        present(&store, &["a", "b", "c", "d", "e"]).await,
        ["c", "d", "e"]
    );
    assert_eq!(store.stats().evictions, 2);
}

#[tokio::test]
async fn a_large_entry_evicts_as_many_as_it_needs() {
    let small = cost_of(100).await;
    let big = cost_of(2500).await;
    let store = MemoryStore::new(MemoryOptions::default().shards(1).max_bytes(big + small));
    for n in ["a", "b", "c", "d"] {
        put(&store, &key(n), meta(), &[&[1; 100]]).await;
    }
    let before = store.stats().evictions;
    put(&store, &key("big"), meta(), &[&[2; 2500]]).await;
    let s = store.stats();
    assert!(s.size_bytes <= big + small);
    assert_eq!(s.entries, 2, "the big one and the newest small one");
    assert_eq!(s.evictions - before, 3);
    assert_eq!(
        present(&store, &["a", "b", "c", "d", "big"]).await,
        ["d", "big"]
    );
}

#[tokio::test]
async fn evicts_by_entry_count_least_recently_used_first() {
    let store = MemoryStore::new(MemoryOptions::default().shards(1).max_entries(3));
    for n in ["a", "b", "c"] {
        put(&store, &key(n), meta(), &[b"x"]).await;
    }
    get(&store, &key("a")).await;
    put(&store, &key("d"), meta(), &[b"x"]).await;
    assert_eq!(counts(store.stats()), (3, 3, 1));
    get(&store, &key("c")).await;
    put(&store, &key("e"), meta(), &[b"x"]).await;
    assert_eq!(
        present(&store, &["a", "b", "c", "d", "e"]).await,
        ["c", "d", "e"]
    );
    assert_eq!(counts(store.stats()), (3, 3, 2));
}

#[tokio::test]
async fn an_evicted_entry_counts_each_of_its_variants() {
    let store = MemoryStore::new(MemoryOptions::default().shards(1).max_entries(1));
    put(&store, &key("a"), meta_lang("en"), &[b"hello"]).await;
    put(&store, &key("a"), meta_lang("fr"), &[b"bonjour"]).await;
    put(&store, &key("a"), meta_lang("de"), &[b"hallo"]).await;
    // More variants of one entry are not more entries.
    assert_eq!(counts(store.stats()), (1, 3, 0));
    put(&store, &key("b"), meta(), &[b"x"]).await;
    assert_eq!(counts(store.stats()), (1, 1, 3));
    assert!(get(&store, &key("a")).await.is_empty());
}

#[tokio::test]
async fn the_entry_budget_holds_across_shards() {
    // More shards than entries: the total still bounds the store.
    let store = MemoryStore::new(MemoryOptions::default().shards(16).max_entries(10));
    for i in 0..200 {
        put(&store, &key(&i.to_string()), meta(), &[b"x"]).await;
        assert!(store.stats().entries <= 10);
    }
    let s = store.stats();
    assert_eq!(s.evictions, 200 - s.entries);

    // Entries not divisible by shards.
    let store = MemoryStore::new(MemoryOptions::default().shards(16).max_entries(100));
    for i in 0..2000 {
        put(&store, &key(&i.to_string()), meta(), &[b"x"]).await;
    }
    let s = store.stats();
    assert!(s.entries <= 100, "{} entries", s.entries);
    assert_eq!(s.evictions, 2000 - s.entries);
}

#[tokio::test]
async fn the_byte_budget_holds_across_shards() {
    let store = MemoryStore::new(MemoryOptions::default().shards(7).max_bytes(100_000));
    for i in 0..500usize {
        let body = vec![1; (i * 37) % 3000];
        put(&store, &key(&i.to_string()), meta(), &[&body]).await;
        assert!(store.stats().size_bytes <= 100_000);
    }
    assert!(store.stats().evictions > 0);
}

#[tokio::test]
async fn an_entry_larger_than_a_shard_share_is_never_stored() {
    let store = MemoryStore::new(
        MemoryOptions::default()
            .max_bytes(4096)
            .shards(4)
            .max_entry_size(1 << 20),
    );
    assert_eq!(store.max_entry_size(), Some(1024), "clamped to 4096 / 4");
    assert!(
        store
            .begin(&key("a"), meta(), Some(2000))
            .await
            .unwrap()
            .is_none()
    );
    let w = store.begin(&key("a"), meta(), None).await.unwrap().unwrap();
    assert!(matches!(
        w.write(Bytes::from(vec![0; 1025])).await,
        Err(StoreError::TooLarge { limit: 1024 })
    ));
    assert_eq!(store.stats(), StoreStats::default());
}

#[tokio::test]
async fn a_body_at_the_limit_that_cannot_fit_with_its_metadata_evicts_nothing() {
    let store = MemoryStore::new(MemoryOptions::default().max_bytes(4096).shards(4));
    let k = key("a");
    // Another variant of the same key: certainly the same shard.
    put(&store, &k, meta_lang("en"), &[b"small"]).await;
    // 1024 bytes pass the size limit, but with its metadata the variant outgrows the shard.
    put(&store, &k, meta_lang("fr"), &[&[0; 1024]]).await;
    let vs = get(&store, &k).await;
    assert_eq!(vs.len(), 1, "the small variant survives");
    assert_eq!(vs[0].body, "small");
    assert_eq!(counts(store.stats()), (1, 1, 1));
}
