//! A process killed (SIGKILL) at any moment of a write never leaves an entry that serves a
//! torn body: bodies are complete before an entry names them, and entry files are replaced
//! by rename.

use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use hcache_core::CacheStore;
use hcache_store_cacache::{CacacheOptions, CacacheStore};
use tempfile::TempDir;

use crate::support::*;

const KEYS: usize = 6;
const ROUNDS: u64 = 30;

/// The child: writes (and updates) entries in a loop until killed, printing a line after
/// each completed operation. Does nothing when not run as a child.
#[tokio::test]
async fn child_writer() {
    let Some((seed, dir)) = child_args("writer") else {
        return;
    };
    let s = store(&dir, 1 << 30);
    let mut out = std::io::stdout();
    // Bounded, should the parent fail to kill it.
    for n in 0..5_000u64 {
        let version = seed * 1_000_000 + n;
        let k = key((version % KEYS as u64) as usize);
        if n % 4 == 3 {
            // A 304-style update of whatever is there.
            if let Some(v) = s.get(&k).await.unwrap().pop() {
                let keep = version_of(&v);
                s.update(&k, v.id, meta_touched(None, keep, n))
                    .await
                    .unwrap();
            }
        } else {
            let body = body_for(&k, version, len_for(version));
            put(&s, &k, meta(None, version), &body, 16 << 10)
                .await
                .unwrap();
        }
        writeln!(out, "done {n}").unwrap();
        out.flush().unwrap();
    }
}

fn version_of(v: &hcache_core::Variant<hcache_store_cacache::BodyRef>) -> u64 {
    version(&v.response)
}

#[tokio::test]
async fn killed_writers_never_leave_a_torn_entry() {
    let dir = TempDir::new().unwrap();
    for round in 0..ROUNDS {
        let mut child = spawn_child("crash::child_writer", "writer", round + 1, dir.path());
        // Let it complete a few operations, then kill it somewhere inside the next ones.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        for _ in 0..(1 + round % 4) {
            lines.next().unwrap().unwrap();
        }
        std::thread::sleep(Duration::from_micros(round * 1_700 % 9_000));
        child.kill().unwrap();
        child.wait().unwrap();

        let s = store(dir.path(), 1 << 30);
        verify_all(&s, KEYS).await;
    }
    // What the kills interrupted: bodies written but never listed, temporary files.
    println!(
        "after {ROUNDS} kills: {} content files, {} temporary files, {} entry files",
        content_files(dir.path()).len(),
        files(&dir.path().join("tmp")).len(),
        entry_files(dir.path()).len()
    );
    // Finally collect what the kills left behind: nothing unreferenced remains, and every
    // entry still reads back exactly.
    let s = CacacheStore::open(
        dir.path(),
        CacacheOptions::default().orphan_grace(Duration::ZERO),
    )
    .unwrap();
    let variants = verify_all(&s, KEYS).await;
    assert!(variants > 0, "the children wrote nothing");
    assert_eq!(s.stats().variants as usize, variants);
    assert_eq!(
        content_files(dir.path()).len(),
        variants,
        "unreferenced bodies remain"
    );
    assert!(
        files(&dir.path().join("tmp")).is_empty(),
        "temporary files remain"
    );
    let on_disk: u64 = entry_files(dir.path())
        .iter()
        .chain(&content_files(dir.path()))
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(s.stats().size_bytes, on_disk);
}
