//! Files deleted or corrupted under the running engine, and entry files written by an
//! older (or newer) format.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body::Body;
use http_body_util::Full;

use super::*;

/// The one file among `files` whose bytes contain `needle` (entry files hold their URL,
/// body files start with `path#version:`).
fn file_with(files: Vec<PathBuf>, needle: &str) -> PathBuf {
    let found: Vec<_> = files
        .into_iter()
        .filter(|p| {
            std::fs::read(p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .collect();
    assert_eq!(found.len(), 1, "files holding {needle:?}: {found:?}");
    found.into_iter().next().expect("one file")
}

fn entry_of(dir: &Path, path: &str) -> PathBuf {
    file_with(entry_files(dir), path)
}

fn body_of(dir: &Path, path: &str) -> PathBuf {
    file_with(content_files(dir), &format!("{path}#"))
}

fn flip(file: &Path, at: usize) {
    let mut b = std::fs::read(file).expect("read");
    let at = at.min(b.len() - 1);
    b[at] ^= 0x01;
    std::fs::write(file, b).expect("write");
}

/// Fetches `path` twice: the first from the origin, the second a hit; both intact.
async fn refill(h: &Harness<CacacheStore>, path: &str) {
    assert!(fetch(h, path).await.0, "{path}: from the origin");
    assert!(!fetch(h, path).await.0, "{path}: stored again, a hit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_files_are_misses_refilled_from_the_origin() {
    let tmp = tempfile::TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("cache");
    let h = site(&dir).await;
    let paths = ["/small/del", "/large/del"];
    for path in paths {
        refill(&h, path).await;
    }

    // Bodies gone: the stored heads name files that are not there. Counted, removed, refilled.
    std::fs::remove_dir_all(dir.join("content-v2")).expect("delete the bodies");
    for path in paths {
        let errors = store_errors(&h);
        assert!(
            fetch(&h, path).await.0,
            "{path}: body gone, from the origin"
        );
        assert!(
            store_errors(&h) > errors,
            "{path}: the missing body is counted"
        );
        assert!(!fetch(&h, path).await.0, "{path}: refilled");
    }

    // Entry files gone: plain misses.
    std::fs::remove_dir_all(dir.join("entries-v1")).expect("delete the entries");
    for path in paths {
        refill(&h, path).await;
    }

    // The whole directory gone.
    std::fs::remove_dir_all(&dir).expect("delete the directory");
    for path in paths {
        refill(&h, path).await;
    }
    assert_eq!(h.engine.stats().engine.requests, 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_deleted_while_it_streams_is_served_whole() {
    let tmp = tempfile::TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("cache");
    let h = site(&dir).await;
    let path = "/large/streaming";
    refill(&h, path).await;

    let req = h
        .request(http::Method::GET, path)
        .body(Full::<Bytes>::default())
        .expect("request");
    let res = h.engine.handle(req, &h.upstream).await.expect("a hit");
    let version: usize = res.headers()["x-version"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut body = res.into_body();
    let mut got = Vec::new();
    let mut frames = 0;
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let data = frame
            .expect("the open file still reads")
            .into_data()
            .unwrap_or_default();
        got.extend_from_slice(&data);
        frames += 1;
        if frames == 1 {
            // Mid-stream: everything on disk disappears.
            std::fs::remove_dir_all(&dir).expect("delete the directory");
        }
    }
    assert!(frames > 1, "the body streamed in several frames");
    assert!(
        got == body_for(path, version, LARGE),
        "the whole body, intact"
    );
    assert_eq!(h.origin.hits(), 1);
    refill(&h, path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_files_are_never_served() {
    let tmp = tempfile::TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("cache");
    let h = site(&dir).await;

    // A small body with one bit flipped: verified before any byte goes out, so the hit turns
    // into a miss (counted) and the origin answers.
    refill(&h, "/small/bits").await;
    flip(&body_of(&dir, "/small/bits"), SMALL / 2);
    let errors = store_errors(&h);
    assert!(
        fetch(&h, "/small/bits").await.0,
        "corrupt small body: from the origin"
    );
    assert!(store_errors(&h) > errors, "counted");
    assert!(!fetch(&h, "/small/bits").await.0, "refilled");

    // A large body streams as it is verified: a flip near its end fails the response before
    // its last bytes, never completing a wrong body; the variant is removed and refilled.
    refill(&h, "/large/bits").await;
    flip(&body_of(&dir, "/large/bits"), LARGE - 100);
    let errors = store_errors(&h);
    let failed = h.send(http::Method::GET, "/large/bits", &[]).await;
    let err = failed.expect_err("a corrupt large body must fail, not complete");
    assert!(err.starts_with("body"), "{err}");
    assert!(store_errors(&h) > errors, "the damaged stream is counted");
    refill(&h, "/large/bits").await;

    // Entry files flipped, truncated, emptied, or naming another URL: misses, refilled.
    for (path, damage) in [
        ("/small/e1", "flip"),
        ("/small/e2", "truncate"),
        ("/small/e3", "empty"),
        ("/large/e4", "flip"),
        ("/small/e5", "other-url"),
    ] {
        refill(&h, path).await;
        let entry = entry_of(&dir, path);
        match damage {
            "flip" => flip(&entry, 30),
            "truncate" => {
                let b = std::fs::read(&entry).expect("read");
                std::fs::write(&entry, &b[..b.len() / 2]).expect("write");
            }
            "empty" => std::fs::write(&entry, b"").expect("write"),
            _ => {
                let other = entry_of(&dir, "/small/e1");
                std::fs::copy(other, &entry).expect("copy");
            }
        }
        refill(&h, path).await;
    }
}

/// The entry-file checksum (`hcache-store-cacache`'s `entry::checksum`, a documented part of
/// the format), for crafting files as another version of hcache would have written them.
fn checksum(data: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = 0x243F_6A88_85A3_08D3 ^ (data.len() as u64).wrapping_mul(K);
    for w in data.chunks(8) {
        let mut a = [0; 8];
        a[..w.len()].copy_from_slice(w);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    }
    h ^= h >> 31;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 29)
}

/// Rewrites `entry` with `edit` applied to its contents and a valid checksum, after checking
/// that [`checksum`] still matches the store's (a format change must fail here, not make the
/// test exercise the checksum instead of the version).
fn rewrite_entry(entry: &Path, edit: impl FnOnce(&mut Vec<u8>)) {
    let bytes = std::fs::read(entry).expect("read the entry file");
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    assert_eq!(
        checksum(body).to_be_bytes(),
        sum,
        "the entry-file checksum changed: update this test"
    );
    let mut body = body.to_vec();
    edit(&mut body);
    let sum = checksum(&body);
    body.extend_from_slice(&sum.to_be_bytes());
    std::fs::write(entry, body).expect("write the entry file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_of_another_format_version_are_misses() {
    let tmp = tempfile::TempDir::new().expect("temporary directory");
    let dir = tmp.path().join("cache");
    let h = site(&dir).await;
    for version in [0u8, 2, 255] {
        // The entry file's own version (`hcEF` · version).
        let path = format!("/small/entry-v{version}");
        refill(&h, &path).await;
        rewrite_entry(&entry_of(&dir, &path), |b| {
            assert_eq!(&b[..5], b"hcEF\x01", "entry file layout");
            b[4] = version;
        });
        refill(&h, &path).await;

        // The stored head's codec version (`hcSR` · version, inside a current entry file).
        let path = format!("/large/head-v{version}");
        refill(&h, &path).await;
        rewrite_entry(&entry_of(&dir, &path), |b| {
            let at = b
                .windows(4)
                .position(|w| w == b"hcSR")
                .expect("an encoded head");
            assert_eq!(b[at + 4], hcache_core::codec::FORMAT_VERSION);
            b[at + 4] = version;
        });
        refill(&h, &path).await;
    }
    // Each rewritten file was dropped and written anew, not kept beside the new one.
    assert_eq!(entry_files(&dir).len(), 6);
}
