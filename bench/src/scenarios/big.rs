//! Scenario 5: a big body (10 MiB): the time to fill the cache with it and the peak growth
//! of the resident set while doing so, then the time of a hit. Every configuration runs in a
//! child process of its own (this program, re-run as `hcache-bench big <config>`), so one
//! configuration's allocations never count against another's.

use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

use super::{Settings, progress};
use crate::clients::{BoxError, Client, Config};
use crate::origin::Origin;
use crate::report::{Report, Table, bytes, us};
use crate::stats::{Samples, rotation};

const CONFIGS: [Config; 7] = [
    Config::Memory,
    Config::Cacache,
    Config::Tiered,
    Config::PeerMoka,
    Config::PeerCacache,
    Config::Reqwest,
    Config::Reqwest012,
];

#[derive(Default, Clone)]
struct Runs {
    fill: Samples,
    fill_rss: Samples,
    hit: Samples,
    hit_rss: Samples,
}

pub(super) fn run(s: &Settings, report: &mut Report) -> Result<(), BoxError> {
    progress(&format!(
        "{} MiB body, one child process per configuration",
        s.big_len / (1024 * 1024)
    ));
    let exe = std::env::current_exe()?;
    let mut runs = vec![Runs::default(); CONFIGS.len()];
    for r in 0..s.big_runs {
        for i in rotation(CONFIGS.len(), r) {
            let out = Command::new(&exe)
                .args(["big", CONFIGS[i].slug()])
                .args(["--len", &s.big_len.to_string()])
                .args(["--hits", &s.big_hits.to_string()])
                .stdin(Stdio::null())
                .stderr(Stdio::inherit())
                .output()?;
            if !out.status.success() {
                return Err(format!("the child for {} failed", CONFIGS[i].name()).into());
            }
            let v: Value = serde_json::from_slice(&out.stdout)?;
            let num = |k: &str| v[k].as_f64().ok_or(format!("child output lacks {k}"));
            let run = &mut runs[i];
            run.fill.push(num("fill_ns")?);
            run.fill_rss.push(num("fill_rss_growth")?);
            run.hit_rss.push(num("hit_rss_growth")?);
            for h in v["hit_ns"].as_array().ok_or("child output lacks hit_ns")? {
                run.hit.push(h.as_f64().ok_or("hit_ns holds a non-number")?);
            }
        }
    }

    let mib = s.big_len / (1024 * 1024);
    let mut table = Table::new(
        &format!("5. {mib} MiB body"),
        &format!(
            "Each configuration in its own process ({} per configuration), body read chunk by \
             chunk and dropped. Fill: the first GET (stored while it streams); RSS growth: the \
             peak resident set during the request (VmHWM, reset before it) minus the resident \
             set before it — the largest over the processes. Hit: {} GETs after the fill (the \
             plain clients make the round trip again).",
            s.big_runs, s.big_hits
        ),
        &[
            "configuration",
            "fill (median)",
            "fill RSS growth",
            "hit median",
            "hit p99",
            "hit RSS growth",
        ],
    );
    for (config, run) in CONFIGS.iter().zip(&runs) {
        let slug = config.slug();
        report.metric(format!("big.fill_ns.{slug}"), run.fill.median());
        report.metric(format!("big.fill_rss.{slug}"), run.fill_rss.max());
        report.metric(format!("big.hit_ns.{slug}"), run.hit.median());
        report.metric(format!("big.hit_rss.{slug}"), run.hit_rss.max());
        table.row(vec![
            config.name().to_owned(),
            us(run.fill.median()),
            bytes(run.fill_rss.max()),
            us(run.hit.median()),
            us(run.hit.p99()),
            bytes(run.hit_rss.max()),
        ]);
    }
    report.tables.push(table);
    Ok(())
}

/// The child: `hcache-bench big <config> --len N --hits H`; prints one JSON object.
pub(crate) fn child(args: &[String]) -> Result<(), BoxError> {
    let config = args
        .first()
        .and_then(|a| Config::from_slug(a))
        .ok_or("usage: hcache-bench big <config> --len N --hits H")?;
    let flag = |name: &str| -> Result<usize, BoxError> {
        let at = args.iter().position(|a| a == name).ok_or("missing flag")?;
        Ok(args.get(at + 1).ok_or("missing value")?.parse()?)
    };
    let (len, hits) = (flag("--len")?, flag("--hits")?);
    let origin = Origin::start(len)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let out = runtime.block_on(async {
        let client = Client::new(config)?;
        // Warm up: a connection in the pool, the cache's first entry, the allocator's arenas.
        let warm = origin.url(&format!("/fresh/warm-{}", config.slug()));
        for _ in 0..3 {
            client.get(&warm, false).await?;
        }
        let url = origin.url(&format!("/big/{}", config.slug()));
        let before = rss()?;
        reset_peak();
        let start = Instant::now();
        let got = client.get(&url, false).await?;
        let fill_ns = start.elapsed().as_nanos() as f64;
        let fill_rss_growth = peak()?.saturating_sub(before);
        if got.len != len as u64 {
            return Err(format!("fill read {} bytes of {len}", got.len).into());
        }
        let before = rss()?;
        reset_peak();
        let mut hit_ns = Vec::new();
        for _ in 0..hits {
            let start = Instant::now();
            let got = client.get(&url, false).await?;
            hit_ns.push(start.elapsed().as_nanos() as f64);
            if got.len != len as u64 {
                return Err(format!("hit read {} bytes of {len}", got.len).into());
            }
        }
        let hit_rss_growth = peak()?.saturating_sub(before);
        let sent = origin.sent("/big/").full;
        let expected = if Config::CACHES.contains(&config) {
            1
        } else {
            1 + hits as u64
        };
        if sent != expected {
            return Err(format!(
                "{}: the origin sent the big body {sent} times, expected {expected}",
                config.name()
            )
            .into());
        }
        Ok::<_, BoxError>(json!({
            "fill_ns": fill_ns,
            "fill_rss_growth": fill_rss_growth,
            "hit_ns": hit_ns,
            "hit_rss_growth": hit_rss_growth,
        }))
    })?;
    println!("{out}");
    Ok(())
}

/// A field of `/proc/self/status`, in bytes.
fn status_field(name: &str) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .ok_or_else(|| format!("/proc/self/status has no {name}"))?;
    let kib: u64 = line
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib * 1024)
}

fn rss() -> Result<u64, BoxError> {
    status_field("VmRSS")
}

fn peak() -> Result<u64, BoxError> {
    status_field("VmHWM")
}

/// Resets the peak resident set to the current one (Linux's `clear_refs` value 5). Should
/// it fail, the peak since the process started stands, which only overstates growth.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
