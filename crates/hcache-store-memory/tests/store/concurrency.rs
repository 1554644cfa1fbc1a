//! Many threads on one store: bounded loops of mixed operations, then checks that the
//! statistics agree with the limits and that every body read belonged to its key.

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use super::*;

const THREADS: u64 = 8;
const OPS: usize = 10_000;
const KEYS: usize = 1_000;
const MAX_BYTES: u64 = 512 << 10;
const MAX_ENTRIES: usize = 500;

/// Runs a memory-store future to completion on this thread: it never waits, so one poll does.
fn now<F: std::future::Future>(f: F) -> F::Output {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a memory store future was pending"),
    }
}

/// A body that says whose it is: the key index, then a fill byte derived from it.
fn body_for(i: usize, len: usize) -> Vec<u8> {
    let mut b = (i as u32).to_le_bytes().to_vec();
    b.resize(4 + len, (i % 251) as u8);
    b
}

fn check(i: usize, v: &Variant<Bytes>) {
    let b = &v.body;
    assert!(b.len() >= 4, "torn body for key {i}");
    assert_eq!(
        u32::from_le_bytes(b[..4].try_into().unwrap()),
        i as u32,
        "wrong body"
    );
    assert!(
        b[4..].iter().all(|&x| x == (i % 251) as u8),
        "wrong bytes for key {i}"
    );
    assert_eq!(
        v.response.headers()["x-key"],
        i.to_string().as_str(),
        "wrong metadata"
    );
}

#[test]
fn eight_threads_of_mixed_operations_keep_stats_consistent() {
    let store = MemoryStore::new(
        MemoryOptions::default()
            .max_bytes(MAX_BYTES)
            .max_entries(MAX_ENTRIES)
            .shards(16),
    );
    let keys: Vec<CacheKey> = (0..KEYS).map(|i| key(&i.to_string())).collect();
    let metas: Vec<Arc<StoredResponse>> = (0..KEYS)
        .map(|i| meta_with("http://example.com/", &[("x-key", &i.to_string())], &[]))
        .collect();
    let stats_ok = |s: StoreStats| {
        assert!(s.size_bytes <= MAX_BYTES, "{s:?}");
        assert!(s.entries <= MAX_ENTRIES as u64, "{s:?}");
        assert!(s.variants >= s.entries, "{s:?}");
    };
    let hits: u64 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (store, keys, metas) = (&store, &keys, &metas);
                scope.spawn(move || {
                    let mut x = 0x2545_F491_4F6C_DD1D_u64.wrapping_mul(t + 1);
                    let mut hits = 0u64;
                    for op in 0..OPS {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let i = (x % KEYS as u64) as usize;
                        let k = &keys[i];
                        match (x >> 32) % 20 {
                            0..=9 => {
                                for v in now(store.get(k)).unwrap() {
                                    check(i, &v);
                                    hits += 1;
                                }
                            }
                            10..=15 => {
                                let body = body_for(i, (x >> 40) as usize % 2000);
                                let w = now(store.begin(k, metas[i].clone(), None));
                                let mut w = w.unwrap().unwrap();
                                for c in body.chunks(700) {
                                    w = now(w.write(Bytes::copy_from_slice(c))).unwrap();
                                }
                                now(w.commit()).unwrap();
                            }
                            16 => {
                                // Aborted: written, never committed.
                                let w = now(store.begin(k, metas[(i + 1) % KEYS].clone(), None));
                                let w = w.unwrap().unwrap();
                                drop(now(w.write(Bytes::from_static(b"garbage"))).unwrap());
                            }
                            17 => {
                                if let Some(v) = now(store.get(k)).unwrap().pop() {
                                    now(store.update(k, v.id, metas[i].clone())).unwrap();
                                }
                            }
                            18 => {
                                if let Some(v) = now(store.get(k)).unwrap().pop() {
                                    now(store.remove_variant(k, v.id)).unwrap();
                                }
                            }
                            _ => now(store.remove(k)).unwrap(),
                        }
                        if op % 1000 == 0 {
                            stats_ok(store.stats());
                        }
                    }
                    hits
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    let s = store.stats();
    stats_ok(s);
    assert_eq!(s.variants, s.entries, "no Vary: one variant per entry");
    assert!(s.evictions > 0, "the limits were meant to be reached");
    assert!(hits > 0);

    // Every surviving entry is whole and its own.
    for (i, k) in keys.iter().enumerate() {
        for v in now(store.get(k)).unwrap() {
            check(i, &v);
        }
    }
    // Removing everything returns the accounting to zero: no drift.
    for k in &keys {
        now(store.remove(k)).unwrap();
    }
    let s = store.stats();
    assert_eq!((s.size_bytes, s.entries, s.variants), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tasks_reading_while_others_replace_never_see_a_torn_body() {
    let store = MemoryStore::default();
    let k = key("contended");
    let meta = meta_with("http://example.com/", &[("x-key", "7")], &[]);
    put(&store, &k, meta.clone(), &[&body_for(7, 100)]).await;
    let mut tasks = Vec::new();
    for t in 0..8usize {
        let (store, k, meta) = (store.clone(), k.clone(), meta.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..2_000usize {
                if t % 2 == 0 {
                    let body = body_for(7, (n * 13 + t) % 5000);
                    let mut w = store.begin(&k, meta.clone(), None).await.unwrap().unwrap();
                    for c in body.chunks(1000) {
                        w = w.write(Bytes::copy_from_slice(c)).await.unwrap();
                    }
                    w.commit().await.unwrap();
                } else {
                    let vs = store.get(&k).await.unwrap();
                    assert_eq!(vs.len(), 1, "a replacement is atomic");
                    check(7, &vs[0]);
                    let read = store.open(&k, &vs[0]).await.unwrap();
                    assert_eq!(read.collect().await.unwrap().to_bytes(), vs[0].body);
                }
                if n % 64 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(counts(store.stats()), (1, 1, 0));
}
