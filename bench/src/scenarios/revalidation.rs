//! Scenario 3: a 304 revalidation against a raw 304 round trip; then many revalidations of
//! one URL, to see whether their cost or the store's size grows with their number.

use std::path::Path;

use super::{Probe, Settings, expect_sent, index_of, latency, progress};
use crate::clients::{BoxError, Config};
use crate::origin::Origin;
use crate::report::{Report, Table, bytes, ratio, us};
use crate::stats::{Samples, rotation};

pub(super) async fn run(
    s: &Settings,
    origin: &Origin,
    report: &mut Report,
) -> Result<(), BoxError> {
    progress("304 revalidation");
    short(s, origin, report).await?;
    progress(&format!("{} revalidations of one URL", s.repeats));
    long(s, origin, report).await
}

/// Stored `no-cache` responses, revalidated on every request, against the plain clients
/// sending the same conditional request themselves.
async fn short(s: &Settings, origin: &Origin, report: &mut Report) -> Result<(), BoxError> {
    let probes = Config::ALL
        .into_iter()
        .map(|c| {
            // A plain client asks conditionally and gets the bare 304; a cache asks plainly
            // and gets the stored body back after its own conditional request.
            let plain = !Config::CACHES.contains(&c);
            let status = if plain { 304 } else { 200 };
            Probe::new(origin, c, "validate", "reval", plain, status)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rounds = latency(&probes, s).await?;
    let n = (s.warmup + s.rounds * s.iters) as u64;
    for p in &probes {
        if p.conditional {
            expect_sent(origin, p, 0, n)?;
        } else {
            expect_sent(origin, p, 1, n - 1)?;
        }
    }

    let mut table = Table::new(
        "3a. 304 revalidation",
        "A GET of a stored 1 KiB `no-cache` response: the cache sends the conditional \
         request, the origin answers 304, the cache updates the stored metadata and returns \
         the stored body. The plain clients send `If-None-Match` themselves and get the bare \
         304 (a raw 304 round trip).",
        &["configuration", "median", "p99", "× raw 304 (own client)"],
    );
    for (i, p) in probes.iter().enumerate() {
        let base = index_of(&probes, p.config.baseline()).expect("baselines are probed");
        let samples = rounds.samples(i);
        let slug = p.config.slug();
        report.metric(format!("revalidate.median_ns.{slug}"), samples.median());
        report.metric(
            format!("revalidate.ratio.{slug}/raw304"),
            rounds.ratio(i, base),
        );
        let name = if p.conditional {
            format!("{} raw 304", p.config.name())
        } else {
            p.config.name().to_owned()
        };
        table.row(vec![
            name,
            us(samples.median()),
            us(samples.p99()),
            if i == base {
                "–".to_owned()
            } else {
                ratio(rounds.ratio(i, base))
            },
        ]);
    }
    // What any store that replaces a small file atomically pays on this filesystem, per
    // update: the floor under a disk store's 304.
    let floor = replace_file_floor(s)?;
    report.metric("revalidate.fs_replace_ns", floor.median());
    table.row(vec![
        "filesystem floor: replace a 1 KiB file (create, write, rename)".to_owned(),
        us(floor.median()),
        us(floor.p99()),
        "–".to_owned(),
    ]);
    report.tables.push(table);
    Ok(())
}

/// Times replacing a 1 KiB file atomically (write a new file beside it, rename it over), in
/// a temporary directory on the filesystem the disk stores use.
fn replace_file_floor(s: &Settings) -> Result<Samples, BoxError> {
    use std::io::Write;
    let dir = tempfile::Builder::new()
        .prefix("hcache-bench-fs-")
        .tempdir()?;
    let target = dir.path().join("entry");
    let data = vec![7u8; 1024];
    let mut samples = Samples::default();
    for i in 0..(s.rounds * s.iters / 5).max(1) {
        let tmp = dir.path().join(format!(".tmp-{i}"));
        let start = std::time::Instant::now();
        let mut file = std::fs::File::create_new(&tmp)?;
        file.write_all(&data)?;
        drop(file);
        std::fs::rename(&tmp, &target)?;
        samples.push(start.elapsed().as_nanos() as f64);
    }
    Ok(samples)
}

/// Revalidations per cache in a row before the next cache takes its turn in the long run.
const BLOCK: usize = 100;

/// `s.repeats` revalidations of one URL per cache, interleaved by blocks of [`BLOCK`] (the
/// caches take turns, in a rotated order), so that the first and the last requests of every
/// cache are measured at about the same moments, without one cache's requests falling between
/// every two of another's.
async fn long(s: &Settings, origin: &Origin, report: &mut Report) -> Result<(), BoxError> {
    let probes = Config::CACHES
        .into_iter()
        .map(|c| Probe::new(origin, c, "validate", "long", false, 200))
        .collect::<Result<Vec<_>, _>>()?;
    let mut filled = Vec::new();
    for p in &probes {
        p.once().await?;
        filled.push(p.client.dir().map(du).transpose()?);
    }
    let mut samples = vec![Samples::default(); probes.len()];
    let block = BLOCK.min(s.repeats).max(1);
    for (b, start) in (0..s.repeats).step_by(block).enumerate() {
        let end = (start + block).min(s.repeats);
        for i in rotation(probes.len(), b) {
            for _ in start..end {
                samples[i].push(probes[i].once().await?);
            }
        }
    }
    let window = (s.repeats / 10).max(1);
    let mut table = Table::new(
        &format!("3b. {} revalidations of one URL", s.repeats),
        &format!(
            "Each cache stores one `no-cache` response, then revalidates it {} times (304 \
             each time), the caches taking turns by blocks of {BLOCK}. First and last: medians of the first and the last {window} \
             revalidations. Disk: the store directory's allocated size (`du`) after the \
             first response was stored and after the last revalidation (hcache's metadata \
             updates written behind flushed first).",
            s.repeats
        ),
        &[
            "configuration",
            "first",
            "last",
            "last ÷ first",
            "p99",
            "disk after fill",
            "disk after",
        ],
    );
    for (i, p) in probes.iter().enumerate() {
        expect_sent(origin, p, 1, s.repeats as u64)?;
        let first = samples[i].slice(0, window).median();
        let last = samples[i].slice(s.repeats - window, s.repeats).median();
        p.client.flush()?;
        let after = p.client.dir().map(du).transpose()?;
        let slug = p.config.slug();
        report.metric(format!("revalidate_long.first_ns.{slug}"), first);
        report.metric(format!("revalidate_long.last_ns.{slug}"), last);
        report.metric(format!("revalidate_long.growth.{slug}"), last / first);
        let disk = |d: Option<u64>| d.map_or_else(|| "– (memory)".to_owned(), |b| bytes(b as f64));
        if let (Some(before), Some(after)) = (filled[i], after) {
            report.metric(format!("revalidate_long.disk_before.{slug}"), before as f64);
            report.metric(format!("revalidate_long.disk_after.{slug}"), after as f64);
        }
        table.row(vec![
            p.config.name().to_owned(),
            us(first),
            us(last),
            ratio(last / first),
            us(samples[i].p99()),
            disk(filled[i]),
            disk(after),
        ]);
    }
    report.tables.push(table);
    Ok(())
}

/// Bytes allocated to the files under `dir` (what `du` reports).
pub(crate) fn du(dir: &Path) -> Result<u64, BoxError> {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            total += meta.blocks() * 512;
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    Ok(total)
}
