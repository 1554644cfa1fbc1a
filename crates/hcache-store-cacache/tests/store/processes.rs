//! Several processes sharing one directory, writing, updating, reading and removing over
//! the same keys at once: no errors, and never a wrong body.

use std::time::Duration;

use hcache_core::CacheStore;
use hcache_store_cacache::{CacacheOptions, CacacheStore};
use tempfile::TempDir;

use crate::support::*;

const KEYS: usize = 8;
const CHILDREN: u64 = 4;
const OPS: u64 = 150;

/// The child: a bounded run of mixed operations. Panics (fails) on any store error other
/// than a body that another process removed, and on any wrong body.
#[tokio::test]
async fn child_worker() {
    let Some((seed, dir)) = child_args("worker") else {
        return;
    };
    let s = store(&dir, 1 << 30);
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ seed.wrapping_mul(0xff51_afd7_ed55_8ccd);
    for n in 0..OPS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let k = key((x % KEYS as u64) as usize);
        let lang = ["en", "fr"][(x >> 8) as usize % 2];
        match (x >> 16) % 10 {
            0 => s.remove(&k).await.unwrap(),
            1 => {
                if let Some(v) = s.get(&k).await.unwrap().pop() {
                    let keep = version(&v.response);
                    let l = v
                        .response
                        .vary()
                        .fields()
                        .next()
                        .and_then(|(_, v)| v)
                        .map(|b| String::from_utf8_lossy(b).into_owned());
                    s.update(&k, v.id, meta_touched(l.as_deref(), keep, n))
                        .await
                        .unwrap();
                }
            }
            2..=5 => {
                let version = seed * 1_000_000 + n;
                let body = body_for(&k, version, len_for(version));
                put(&s, &k, meta(Some(lang), version), &body, 32 << 10)
                    .await
                    .unwrap();
            }
            _ => {
                for v in s.get(&k).await.unwrap() {
                    let version = version(&v.response);
                    match read(&s, &k, &v).await {
                        Ok(body) => assert!(
                            body == body_for(&k, version, len_for(version)),
                            "{k} v{version}: wrong body"
                        ),
                        // Only a body another process replaced or removed may be gone.
                        Err(e) => assert!(
                            s.get(&k).await.unwrap().iter().all(|w| w.id != v.id),
                            "{k} v{version}: listed, unreadable: {e:?}"
                        ),
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn processes_share_a_directory() {
    let dir = TempDir::new().unwrap();
    let children: Vec<_> = (1..=CHILDREN)
        .map(|seed| spawn_child("processes::child_worker", "worker", seed, dir.path()))
        .collect();
    for mut c in children {
        let status = c.wait().unwrap();
        assert!(status.success(), "a child failed: {status}");
    }
    let s = CacacheStore::open(
        dir.path(),
        CacacheOptions::default().orphan_grace(Duration::ZERO),
    )
    .unwrap();
    let variants = verify_all(&s, KEYS).await;
    assert_eq!(s.stats().variants as usize, variants);
    assert_eq!(
        content_files(dir.path()).len(),
        variants,
        "unreferenced bodies remain"
    );
}
