//! Corrupt, truncated or missing files on disk: a miss or an error, the entry removed, and
//! never the wrong bytes.

use std::path::Path;

use bytes::Bytes;
use hcache_core::{CacheStore, Engine};
use hcache_store_cacache::CacacheStore;
use http_body::Body;
use http_body_util::BodyExt;
use tempfile::TempDir;

use crate::support::*;

const SMALL: usize = 3000;
const LARGE: usize = 1 << 20;

fn flip(path: &Path, at: usize) {
    let mut b = std::fs::read(path).unwrap();
    b[at] ^= 0x20;
    std::fs::write(path, b).unwrap();
}

fn truncate(path: &Path, len: usize) {
    let b = std::fs::read(path).unwrap();
    std::fs::write(path, &b[..len]).unwrap();
}

/// One entry of `len` bytes in a fresh store; returns the store and its only content file.
async fn one_entry(dir: &Path, len: usize) -> (CacacheStore, std::path::PathBuf) {
    let s = store(dir, 64 << 20);
    put(
        &s,
        &key(1),
        meta(None, 1),
        &body_for(&key(1), 1, len),
        10_000,
    )
    .await
    .unwrap();
    let content = content_files(dir);
    assert_eq!(content.len(), 1);
    (s, content[0].clone())
}

/// Reads a body frame by frame: the bytes delivered before the stream ended or failed, and
/// whether it failed.
async fn drain(mut body: hcache_core::StoredBody) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        match frame {
            Ok(f) => got.extend_from_slice(&f.into_data().unwrap_or_default()),
            Err(_) => return (got, true),
        }
    }
    (got, false)
}

#[tokio::test]
async fn a_small_corrupt_truncated_or_missing_body_fails_to_open() {
    for damage in ["flip", "truncate", "extend", "missing", "empty"] {
        let dir = TempDir::new().unwrap();
        let (s, content) = one_entry(dir.path(), SMALL).await;
        match damage {
            "flip" => flip(&content, 2000),
            "truncate" => truncate(&content, 2000),
            "extend" => std::fs::write(
                &content,
                [std::fs::read(&content).unwrap(), vec![0]].concat(),
            )
            .unwrap(),
            "missing" => std::fs::remove_file(&content).unwrap(),
            _ => std::fs::write(&content, b"").unwrap(),
        }
        let v = only(&s, &key(1)).await.unwrap();
        assert!(s.open(&key(1), &v).await.is_err(), "{damage}: opened");
    }
}

#[tokio::test]
async fn another_variants_body_in_place_is_refused() {
    let dir = TempDir::new().unwrap();
    let s = store(dir.path(), 64 << 20);
    put(&s, &key(1), meta(None, 1), b"one", 1).await.unwrap();
    let first = content_files(dir.path());
    put(&s, &key(2), meta(None, 1), b"two", 1).await.unwrap();
    let second: Vec<_> = content_files(dir.path())
        .into_iter()
        .filter(|p| !first.contains(p))
        .collect();
    // Key 1's file now holds key 2's bytes: its hash no longer matches.
    std::fs::copy(&second[0], &first[0]).unwrap();
    let v = only(&s, &key(1)).await.unwrap();
    assert!(s.open(&key(1), &v).await.is_err());
}

#[tokio::test]
async fn a_large_corrupt_body_fails_before_its_end_and_is_removed() {
    for damage in [
        "flip-start",
        "flip-middle",
        "flip-last",
        "truncate",
        "extend",
    ] {
        let dir = TempDir::new().unwrap();
        let (s, content) = one_entry(dir.path(), LARGE).await;
        let len = std::fs::metadata(&content).unwrap().len() as usize;
        match damage {
            "flip-start" => flip(&content, 3),
            "flip-middle" => flip(&content, len / 2),
            "flip-last" => flip(&content, len - 1),
            "truncate" => truncate(&content, len - 1),
            _ => std::fs::write(
                &content,
                [std::fs::read(&content).unwrap(), vec![0; 10]].concat(),
            )
            .unwrap(),
        }
        let v = only(&s, &key(1)).await.unwrap();
        let body = s
            .open(&key(1), &v)
            .await
            .expect("a large body opens; it is checked as it streams");
        let (got, failed) = drain(body).await;
        assert!(failed, "{damage}: the stream ended cleanly");
        assert!(got.len() < LARGE, "{damage}: the whole body was delivered");
        assert!(
            s.get(&key(1)).await.unwrap().is_empty(),
            "{damage}: the variant stays"
        );
        assert!(entry_files(dir.path()).is_empty());
    }
}

#[tokio::test]
async fn an_intact_large_body_streams_in_full() {
    let dir = TempDir::new().unwrap();
    let (s, _) = one_entry(dir.path(), LARGE).await;
    let v = only(&s, &key(1)).await.unwrap();
    let body = s.open(&key(1), &v).await.unwrap();
    assert_eq!(body.size_hint().exact(), Some(LARGE as u64));
    let (got, failed) = drain(body).await;
    assert!(!failed);
    assert_eq!(got, body_for(&key(1), 1, LARGE));
}

#[tokio::test]
async fn every_truncation_and_flip_of_an_entry_file_is_a_miss_that_removes_it() {
    let dir = TempDir::new().unwrap();
    let (s, _) = one_entry(dir.path(), 100).await;
    let entry = entry_files(dir.path()).remove(0);
    let good = std::fs::read(&entry).unwrap();
    let mut cases: Vec<Vec<u8>> = (0..good.len()).map(|n| good[..n].to_vec()).collect();
    for i in 0..good.len() {
        let mut b = good.clone();
        b[i] ^= 0x01;
        cases.push(b);
    }
    cases.push([good.clone(), vec![0]].concat());
    cases.push(vec![0xff; 4096]);
    for (n, bytes) in cases.iter().enumerate() {
        std::fs::write(&entry, bytes).unwrap();
        assert!(
            s.get(&key(1)).await.unwrap().is_empty(),
            "case {n} read as an entry"
        );
        assert!(!entry.exists(), "case {n} left in place");
    }
    std::fs::write(&entry, &good).unwrap();
    let v = only(&s, &key(1)).await.unwrap();
    assert_eq!(
        read(&s, &key(1), &v).await.unwrap(),
        body_for(&key(1), 1, 100)
    );
}

#[tokio::test]
async fn through_the_engine_corruption_is_a_miss_and_the_origin_fills_again() {
    let dir = TempDir::new().unwrap();
    let engine = Engine::new(store(dir.path(), 64 << 20));
    let origin = Origin {
        len: SMALL,
        ..Origin::default()
    };
    let get = |e: &Engine<CacacheStore>| {
        let e = e.clone();
        let origin = &origin;
        async move {
            let res = e.handle(get_request("/c"), origin).await.unwrap();
            res.into_body().collect().await.map(|b| b.to_bytes())
        }
    };
    let first = get(&engine).await.unwrap();
    assert_eq!(
        first,
        Bytes::from(body_for(&hcache_core::CacheKey::new("/c"), 1, SMALL))
    );
    assert_eq!(get(&engine).await.unwrap(), first, "a hit");
    flip(&content_files(dir.path())[0], 100);
    // The corrupt body is never served: the engine removes it and fetches again.
    let third = get(&engine).await.unwrap();
    assert_eq!(
        third,
        Bytes::from(body_for(&hcache_core::CacheKey::new("/c"), 2, SMALL))
    );
    assert_eq!(origin.calls.load(std::sync::atomic::Ordering::Relaxed), 2);
    assert_eq!(
        content_files(dir.path()).len(),
        1,
        "the corrupt body was deleted"
    );
    assert_eq!(
        get(&engine).await.unwrap(),
        third,
        "and the new one is a hit"
    );
}

#[tokio::test]
async fn through_the_engine_a_large_corrupt_body_is_an_error_not_a_wrong_body() {
    let dir = TempDir::new().unwrap();
    let engine = Engine::new(store(dir.path(), 64 << 20));
    let origin = Origin {
        len: LARGE,
        ..Origin::default()
    };
    let fetch = || async {
        let res = engine.handle(get_request("/l"), &origin).await.unwrap();
        res.into_body().collect().await.map(|b| b.to_bytes())
    };
    fetch().await.unwrap();
    let content = content_files(dir.path()).remove(0);
    flip(&content, LARGE / 3);
    assert!(fetch().await.is_err(), "a corrupt body must fail, not end");
    // Removed: the next request is a miss, filled with a good body.
    let again = fetch().await.unwrap();
    assert_eq!(
        again,
        Bytes::from(body_for(&hcache_core::CacheKey::new("/l"), 2, LARGE))
    );
}
