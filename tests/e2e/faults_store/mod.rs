//! Store faults under a running engine: a full disk, permission denied, files deleted or
//! corrupted under the running cache, and entry files of an older format (`disk_full`,
//! `permissions`, `damage`).
//!
//! RFC 9111 §3 never obliges a cache to store anything, and a store that cannot keep or read
//! a response is just a cache that does not have it. So for every fault: each request still
//! succeeds from the real origin on 127.0.0.1; the failure is counted in the engine's
//! `store_errors` (and logged), or the store removes what it cannot trust and the lookup is a
//! miss; nothing panics; and every body served is exactly the one its head announces — the
//! origin stamps each response with `x-version` and a body derived from path and version, so
//! a body from another response, a torn one or a corrupted one cannot pass.
//!
//! Faults that need privileges run in a child process of this test binary: a full disk is a
//! small tmpfs mounted in a private mount namespace (`unshare`), so the mount never outlives
//! the test; permission denied needs permissions that apply, so a root parent runs the child
//! without `CAP_DAC_OVERRIDE` (`setpriv`). A child that cannot be isolated (no `unshare`, no
//! privileges) skips with a message, except under CI (`CI` set), where it fails.

mod damage;
mod disk_full;
mod permissions;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hcache_core::{CacheOptions, CacheStore, EngineStats};
use hcache_store_cacache::{CacacheOptions, CacacheStore};

use crate::support::{Got, Harness, Reply};

/// Bodies up to this length are written at commit in one go; longer ones stream through a
/// temporary file (the disk store's inline limit is 64 KiB).
pub(crate) const SMALL: usize = 3000;
pub(crate) const LARGE: usize = 300 << 10;

/// The body length the origin sends for `path`: paths under `/large` get [`LARGE`] bytes.
pub(crate) fn len_for(path: &str) -> usize {
    if path.starts_with("/large") {
        LARGE
    } else {
        SMALL
    }
}

/// The body the origin sends for `path` in its `version`-th response: the path and version,
/// then bytes from a generator seeded by both, so no two responses share a body.
pub(crate) fn body_for(path: &str, version: usize, len: usize) -> Vec<u8> {
    let mut out = format!("{path}#{version}:").into_bytes();
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (version as u64).wrapping_mul(0x100_0000_01b3);
    for b in path.bytes() {
        x = (x ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The origin: every path is cacheable for 60 s with a strong validator that never changes,
/// so a conditional request is answered 304; a full response carries `x-version` (the
/// origin's request count) and [`body_for`] that version.
pub(crate) fn origin(parts: &http::request::Parts, n: usize) -> Reply {
    let path = parts.uri.path();
    if parts.headers.contains_key("if-none-match") {
        return Reply::new(304)
            .header("cache-control", "max-age=60")
            .header("etag", "\"same\"");
    }
    let body = body_for(path, n, len_for(path));
    Reply::new(200)
        .header("cache-control", "max-age=60")
        .header("etag", "\"same\"")
        .header("x-version", &n.to_string())
        .streamed(bytes::Bytes::from(body), 1)
}

/// Panics unless `got` is a complete 200 whose body is exactly the one the origin sent with
/// the version its head names.
pub(crate) fn assert_intact(path: &str, got: &Got) {
    assert_eq!(got.status, 200, "{path}: status");
    let version: usize = got
        .header("x-version")
        .parse()
        .unwrap_or_else(|_| panic!("{path}: no x-version in {:?}", got.headers));
    let expected = body_for(path, version, len_for(path));
    assert!(
        got.body == expected[..],
        "{path}: WRONG BYTES: got {} bytes, not version {version}'s {} bytes",
        got.body.len(),
        expected.len()
    );
}

/// An engine over a disk store in `dir`, in front of the scripted [`origin`]. The store
/// deletes replaced bodies at once (no removal delay), so tests can look at the files.
pub(crate) async fn site(dir: &Path) -> Harness<CacacheStore> {
    let options = CacacheOptions::default()
        .removal_delay(Duration::ZERO)
        .max_entry_size(1 << 20);
    let store = CacacheStore::open(dir, options).expect("open the disk store");
    Harness::new(store, CacheOptions::default(), origin).await
}

/// GETs `path` through `h`, checks the body is intact and returns whether the origin was
/// contacted (a miss or a validation) and the engine's stats after.
pub(crate) async fn fetch<S: CacheStore>(h: &Harness<S>, path: &str) -> (bool, EngineStats) {
    let before = h.origin.hits();
    let got = h.get(path).await;
    assert_intact(path, &got);
    (h.origin.hits() > before, h.engine.stats())
}

/// After a 304 whose update the disk cannot keep: the update is written behind, so the write
/// fails once the store flushes it — reported by `flush`, counted as a failed write — and the
/// entry reads as before, so `path` is validated again (RFC 9111 §4.3.4: a lost freshening
/// only costs a revalidation, never wrong bytes).
pub(crate) async fn assert_lost_update(h: &Harness<CacacheStore>, path: &str) {
    let failed = h.engine.stats().store.failed_writes;
    assert!(
        h.engine.store().flush().is_err(),
        "{path}: the failed write is reported"
    );
    assert_eq!(
        h.engine.stats().store.failed_writes,
        failed + 1,
        "{path}: and counted"
    );
    assert!(fetch(h, path).await.0, "{path}: validated again");
    // That 304's update is lost as well, once written.
    assert!(h.engine.store().flush().is_err(), "{path}: reported again");
    assert_eq!(h.engine.stats().store.failed_writes, failed + 2);
}

/// The engine's store error count.
pub(crate) fn store_errors<S: CacheStore>(h: &Harness<S>) -> u64 {
    h.engine.stats().engine.store_errors
}

/// Every regular file under `dir`, recursively (unreadable directories are skipped).
pub(crate) fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
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

/// Entry files (one per URL) of a disk store in `dir`, without temporary files.
pub(crate) fn entry_files(dir: &Path) -> Vec<PathBuf> {
    files(&dir.join("entries-v1"))
        .into_iter()
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect()
}

/// Body files of a disk store in `dir`.
pub(crate) fn content_files(dir: &Path) -> Vec<PathBuf> {
    files(&dir.join("content-v2"))
}

/// The environment variable naming the test a child process of this binary is to run.
const CHILD: &str = "HCACHE_FAULT_CHILD";
/// What a child prints first, so that a parent can tell a failed test from a child that
/// could not even start (no `unshare`, no privileges).
const STARTED: &str = "hcache-fault-child: started";

/// How a fault test must be isolated.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Isolation {
    /// In a private mount namespace, where it may mount a tmpfs.
    MountNamespace,
    /// Where file permissions apply: as is for an unprivileged user; for root, in a child
    /// without `CAP_DAC_OVERRIDE` and `CAP_DAC_READ_SEARCH`.
    Permissions,
}

/// Runs `scenario` (the body of the test `name`, its path without the crate) isolated as
/// `how` says: here, when this process already is that child or needs no isolation; else in
/// a child process of this test binary running just that test, bounded to two minutes.
pub(crate) fn isolated(name: &str, how: Isolation, scenario: impl FnOnce()) {
    if std::env::var(CHILD).as_deref() == Ok(name) {
        println!("{STARTED}");
        return scenario();
    }
    let wrapper: &[&str] = match how {
        Isolation::Permissions if permissions_apply() => return scenario(),
        Isolation::Permissions => &[
            "setpriv",
            "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-dac_override,-dac_read_search",
            "--",
        ],
        Isolation::MountNamespace if is_root() => &["unshare", "--mount", "--propagation=private"],
        Isolation::MountNamespace => &[
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            "--propagation=private",
        ],
    };
    let logs = tempfile::TempDir::new().expect("temporary directory");
    let (out, err) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let exe = std::env::current_exe().expect("this test binary");
    let mut child = Command::new(wrapper[0])
        .args(&wrapper[1..])
        .arg(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        .spawn();
    let status = match &mut child {
        Ok(c) => {
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                if let Some(s) = c.try_wait().expect("wait for the child") {
                    break Some(s);
                }
                if Instant::now() > deadline {
                    let _ = c.kill();
                    let _ = c.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Err(_) => None,
    };
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let started = stdout.contains(STARTED);
    match status {
        Some(s) if s.success() && started => {}
        _ if !started && std::env::var_os("CI").is_none() => {
            eprintln!(
                "SKIPPED {name}: could not isolate it with `{}` ({child:?}, {status:?}): {stderr}",
                wrapper.join(" ")
            );
        }
        _ => panic!(
            "{name} in a child ({}) failed: {status:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            wrapper.join(" ")
        ),
    }
}

/// The test name `module::function` for a test in `module` (as `module_path!()` gives it,
/// with the crate name first).
pub(crate) fn test_name(module: &str, function: &str) -> String {
    let module = module.split_once("::").map_or(module, |(_, rest)| rest);
    format!("{module}::{function}")
}

/// Whether this process runs as root.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

/// Whether file modes stop this process: an unreadable file must not open.
fn permissions_apply() -> bool {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"x").expect("write the probe");
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    std::fs::File::open(&probe).is_err()
}

/// A tokio runtime for a scenario run from a plain `#[test]` (which a child re-runs).
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
