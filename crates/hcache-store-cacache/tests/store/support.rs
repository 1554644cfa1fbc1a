//! Shared helpers: stored metadata, writes and reads through the store API, bodies derived
//! from their key, an in-process origin for engine-level checks, and directory measurements.

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::future::{Future, ready};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use bytes::Bytes;
use hcache_core::{
    CacheKey, CacheOptions, CachePolicy, CacheStore, StoreError, StoreWriter, StoredResponse,
    Upstream, Variant, VariantId,
};
use hcache_store_cacache::{BodyRef, CacacheOptions, CacacheStore};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};

/// Metadata of a `200` with `max-age=60`, `x-version: version`, and `Vary: accept-language`
/// captured as `lang` when given.
pub fn meta(lang: Option<&str>, version: u64) -> Arc<StoredResponse> {
    meta_touched(lang, version, 0)
}

/// As [`meta`], with `x-touched: touched` (what an update changes).
pub fn meta_touched(lang: Option<&str>, version: u64, touched: u64) -> Arc<StoredResponse> {
    let mut req = http::Request::get("http://example.com/");
    let mut res = http::Response::builder()
        .header("cache-control", "max-age=60")
        .header("x-version", version.to_string())
        .header("x-touched", touched.to_string());
    if let Some(l) = lang {
        req = req.header("accept-language", l);
        res = res.header("vary", "accept-language");
    }
    let req = req.body(()).unwrap().into_parts().0;
    let res = res.body(()).unwrap().into_parts().0;
    let t = SystemTime::now();
    let policy = CachePolicy::new(CacheOptions::default());
    Arc::new(policy.store(&req, &res, t, t).unwrap())
}

/// The `x-version` of stored metadata.
pub fn version(m: &StoredResponse) -> u64 {
    m.headers()["x-version"].to_str().unwrap().parse().unwrap()
}

pub fn key(i: usize) -> CacheKey {
    CacheKey::new(format!("GET http://example.com/{i}"))
}

/// A body of `len` bytes that only `key` at `version` has: a header naming both, then bytes
/// from a generator seeded by them.
pub fn body_for(key: &CacheKey, version: u64, len: usize) -> Vec<u8> {
    let mut x = 0xcbf2_9ce4_8422_2325u64;
    for b in key.as_str().bytes() {
        x = (x ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    x ^= version.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut out = format!("{}#{version}:", key.as_str()).into_bytes();
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A store in `dir` that deletes bodies as soon as no entry names them (no removal delay),
/// so that tests can count files.
pub fn store(dir: &Path, max_bytes: u64) -> CacacheStore {
    let options = CacacheOptions::default()
        .max_bytes(max_bytes)
        .removal_delay(std::time::Duration::ZERO);
    CacacheStore::open(dir, options).unwrap()
}

/// Writes `body` in chunks of `chunk` bytes and commits.
pub async fn put(
    store: &CacacheStore,
    key: &CacheKey,
    meta: Arc<StoredResponse>,
    body: &[u8],
    chunk: usize,
) -> Result<VariantId, StoreError> {
    let mut w = store
        .begin(key, meta, Some(body.len() as u64))
        .await?
        .expect("fits");
    for c in body.chunks(chunk.max(1)) {
        w = w.write(Bytes::copy_from_slice(c)).await?;
    }
    w.commit().await
}

/// Reads a variant's body to the end.
pub async fn read(
    store: &CacacheStore,
    key: &CacheKey,
    v: &Variant<BodyRef>,
) -> Result<Vec<u8>, StoreError> {
    let body = store.open(key, v).await?;
    Ok(body.collect().await?.to_bytes().to_vec())
}

/// The one variant under `key`, if any.
pub async fn only(store: &CacacheStore, key: &CacheKey) -> Option<Variant<BodyRef>> {
    let mut vs = store.get(key).await.unwrap();
    assert!(vs.len() <= 1, "{} variants under {key}", vs.len());
    vs.pop()
}

/// Every regular file under `dir`, recursively.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// (bytes, files) under `dir`.
pub fn usage(dir: &Path) -> (u64, usize) {
    let f = files(dir);
    let bytes = f
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    (bytes, f.len())
}

/// Content files (bodies) under the store's directory.
pub fn content_files(dir: &Path) -> Vec<PathBuf> {
    files(&dir.join("content-v2"))
}

/// Entry files under the store's directory.
pub fn entry_files(dir: &Path) -> Vec<PathBuf> {
    files(&dir.join("entries-v1"))
        .into_iter()
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect()
}

/// An in-process origin: every path answers `200` with `max-age=3600`, an `ETag`, and the
/// body `body_for(path, calls)`; counts its calls.
#[derive(Default)]
pub struct Origin {
    pub calls: AtomicU64,
    pub len: usize,
}

impl Upstream<()> for Origin {
    type Body = Full<Bytes>;
    type Error = Infallible;

    fn send(
        &self,
        req: Request<()>,
    ) -> impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let body = body_for(&CacheKey::new(req.uri().path()), n, self.len);
        let res = Response::builder()
            .header("cache-control", "max-age=3600")
            .header("etag", "\"v1\"")
            .header("x-version", n.to_string())
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        ready(Ok(res))
    }
}

pub fn get_request(path: &str) -> Request<()> {
    Request::get(format!("http://example.com{path}"))
        .body(())
        .unwrap()
}

/// The environment variable that turns this test binary into a child process: its value is
/// `role:seed:dir`.
pub const CHILD: &str = "HCACHE_STORE_TEST_CHILD";

/// Runs this test binary again as a child playing `role` (the test `test_name` reads
/// [`CHILD`] and does the work), its stdout piped.
pub fn spawn_child(test_name: &str, role: &str, seed: u64, dir: &Path) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            test_name,
            "--nocapture",
            "--test-threads=1",
            "-q",
        ])
        .env(CHILD, format!("{role}:{seed}:{}", dir.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap()
}

/// In a child for `role`: its seed and directory.
pub fn child_args(role: &str) -> Option<(u64, PathBuf)> {
    let v = std::env::var(CHILD).ok()?;
    let mut parts = v.splitn(3, ':');
    (parts.next()? == role).then_some(())?;
    let seed = parts.next()?.parse().ok()?;
    Some((seed, PathBuf::from(parts.next()?)))
}

/// The body length written for `version`: small (kept in memory, written at once) or large
/// (streamed), by turns.
pub fn len_for(version: u64) -> usize {
    if version.is_multiple_of(3) {
        (version % 60_000) as usize
    } else {
        70_000 + (version.wrapping_mul(7919) % 700_000) as usize
    }
}

/// Checks every entry under keys `0..keys`: each listed variant's body must read in full and
/// be exactly the body written for its key and version. Returns the number of variants.
pub async fn verify_all(store: &CacacheStore, keys: usize) -> usize {
    let mut n = 0;
    for i in 0..keys {
        let k = key(i);
        for v in store.get(&k).await.unwrap() {
            let version = version(&v.response);
            let body = read(store, &k, &v)
                .await
                .unwrap_or_else(|e| panic!("{k} v{version}: listed but unreadable: {e:?}"));
            assert!(
                body == body_for(&k, version, len_for(version)),
                "{k} v{version}: wrong body of {} bytes",
                body.len()
            );
            n += 1;
        }
    }
    n
}
