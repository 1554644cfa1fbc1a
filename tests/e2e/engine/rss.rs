//! The memory bound of the issue: "a 200 MiB body with max entry size 1 MiB passes through
//! with peak RSS growth ≤ 16 MiB and is not stored" — with a `Content-Length` (the store
//! declines it up front) and chunked (the store gives up once the body outgrows it).
//!
//! Each test re-runs itself in a child process (the test binary, filtered to that one test,
//! with `HCACHE_RSS_CHILD=1`) so that no other test's allocations share the measured process.
//! The child streams the body through the engine chunk by chunk, never holding it whole, and
//! prints its peak RSS growth (VmHWM after − VmRSS before, from /proc/self/status, the peak
//! having been reset first) for the parent to check.

use std::process::Command;

use bytes::Bytes;
use hcache_core::{CacheOptions, CacheStore};
use http::Method;
use http_body_util::{BodyExt, Full};

use crate::support::{Harness, Reply, stores};

const CHILD_ENV: &str = "HCACHE_RSS_CHILD";
const MIB: u64 = 1 << 20;
const BODY_MIB: u64 = 200;
const MAX_GROWTH_KIB: u64 = 16 * 1024;
const REPORT: &str = "HCACHE_RSS";

#[test]
fn engine_rss_200_mib_with_content_length_passes_through_unstored() {
    rss_scenario(
        "engine_rss_200_mib_with_content_length_passes_through_unstored",
        true,
    );
}

#[test]
fn engine_rss_200_mib_chunked_passes_through_unstored() {
    rss_scenario("engine_rss_200_mib_chunked_passes_through_unstored", false);
}

fn rss_scenario(name: &str, sized: bool) {
    if std::env::var_os(CHILD_ENV).is_some() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let store = stores::memory_max_entry_size(MIB);
        let report = runtime.block_on(stream_through(store, sized));
        println!("\n{REPORT} {report}");
        return;
    }
    // The test's full name: this module's path without the crate's name.
    let module = module_path!().split_once("::").expect("crate::module").1;
    let test = format!("{module}::{name}");
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(line) = stdout
        .lines()
        .find_map(|l| l.split_once(REPORT).map(|(_, report)| report))
    else {
        panic!(
            "no report from the child ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let field = |k: &str| -> u64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{k} in {line:?}"))
    };
    eprintln!("{test}:{line}");
    assert!(out.status.success(), "child failed: {stdout}");
    assert_eq!(
        field("bytes"),
        BODY_MIB * MIB,
        "the whole body passed through"
    );
    assert_eq!(
        (field("entries"), field("stored")),
        (0, 0),
        "nothing stored"
    );
    assert_eq!(field("too_large"), 1);
    let growth = field("growth_kib");
    assert!(
        growth <= MAX_GROWTH_KIB,
        "peak RSS grew by {growth} KiB (limit {MAX_GROWTH_KIB} KiB)"
    );
}

/// `(VmHWM, VmRSS)` in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib = |key: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{key} in /proc/self/status"))
    };
    (kib("VmHWM:"), kib("VmRSS:"))
}

/// Streams 200 MiB (200 chunks of 1 MiB) from the origin through an engine over `store`,
/// reading the body frame by frame, and reports the peak RSS growth it caused.
async fn stream_through<S: CacheStore>(store: S, sized: bool) -> String {
    // The origin sends one shared 1 MiB chunk over and over: allocated (and touched) before
    // the baseline is taken.
    let chunk = Bytes::from(vec![b'r'; MIB as usize]);
    let h = Harness::new(store, CacheOptions::default(), move |req, _| {
        let r = Reply::new(200).header("cache-control", "max-age=600");
        match (req.uri.path(), sized) {
            ("/warm", _) => r.header("cache-control", "no-store").body("warm"),
            (_, true) => r.streamed(chunk.clone(), BODY_MIB as usize),
            (_, false) => r.chunked(chunk.clone(), BODY_MIB as usize),
        }
    })
    .await;
    // Warm up: the runtime's threads, the connection and the engine's first allocations.
    assert_eq!(h.get("/warm").await.text(), "warm");
    // Reset the peak to the current RSS (Linux ≥ 4.0); if refused, the baseline is still the
    // current RSS, which only makes the measure stricter.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let (hwm_before, rss_before) = memory_kib();

    let req = h
        .request(Method::GET, "/big")
        .body(Full::default())
        .expect("request");
    let res = h.engine.handle(req, &h.upstream).await.expect("response");
    assert_eq!(res.status(), 200);
    let mut body = res.into_body();
    let mut bytes = 0u64;
    let mut frames = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.expect("body frame");
        if let Some(data) = frame.data_ref() {
            bytes += data.len() as u64;
            frames += 1;
        }
    }
    drop(body);
    let (hwm_after, rss_after) = memory_kib();

    let stats = h.engine.stats();
    format!(
        "growth_kib={} bytes={bytes} frames={frames} entries={} stored={} too_large={} \
         hwm_before={hwm_before} rss_before={rss_before} hwm_after={hwm_after} \
         rss_after={rss_after} peak_reset={reset}",
        hwm_after.saturating_sub(rss_before),
        stats.store.entries,
        stats.engine.stored,
        stats.engine.too_large,
    )
}
