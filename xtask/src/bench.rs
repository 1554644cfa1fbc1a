//! `cargo xtask bench [--smoke]`: hcache side by side with its Rust peers, in one run.
//!
//! 1. builds and runs the end-to-end harness (`bench/`, package `hcache-bench`): hcache-reqwest
//!    over each store, http-cache-reqwest 0.16 (Moka, cacache) and plain reqwest against a
//!    loopback origin, scenario by scenario, ratios taken within each round;
//! 2. runs hcache-core's criterion bench `decision` (hcache's policy against
//!    `http-cache-semantics`) and reads criterion's estimates;
//! 3. writes `docs/benchmarks.md` (generated: never edit it by hand): each target and whether
//!    this run met it, the machine, the exact commands, every table, and the analysis kept by
//!    hand in `bench/ANALYSIS.md`.
//!
//! `--smoke` runs every scenario once with tiny counts in the dev profile (CI): it checks that
//! every configuration works and measures what it claims, asserts no timing, and writes its
//! report to `target/bench/benchmarks-smoke.md` instead of `docs/`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use serde_json::Value;

use crate::util::{self, Result};

/// The analysis written by hand, included in the report.
const ANALYSIS: &str = "bench/ANALYSIS.md";
/// The criterion group of hcache-core's decision bench.
const DECISION_GROUP: &str = "decision";
/// hcache's headline decision benchmark, and the peer's.
const DECISION_OURS: &str = "hcache/parse+decide";
const DECISION_PEER: &str = "http-cache-semantics/new+before_request";
const MIB: f64 = 1024.0 * 1024.0;

/// Runs the task.
pub(crate) fn run(args: &[String]) -> Result {
    let smoke = match args {
        [] => false,
        [flag] if flag == "--smoke" => true,
        _ => return Err(format!("usage: cargo xtask bench [--smoke] (got {args:?})")),
    };
    let started = Instant::now();
    let out_dir = util::target_dir().join("bench");
    fs::create_dir_all(&out_dir).map_err(|e| format!("create {}: {e}", out_dir.display()))?;
    let mut commands = Vec::new();

    let mut build = if smoke {
        util::cargo_command(&["build", "-p", "hcache-bench"])
    } else {
        // The bench profile (fat LTO, one codegen unit: the workspace's Cargo.toml), as for
        // the criterion benches; every configuration, peers and plain clients included, is
        // built into the one binary, so all sides are compiled alike.
        util::cargo_command(&["build", "--profile", "bench", "-p", "hcache-bench"])
    };
    step(&mut build, &mut commands)?;
    let exe = util::target_dir()
        .join(if smoke { "debug" } else { "release" })
        .join("hcache-bench");
    let json = out_dir.join(if smoke { "e2e-smoke.json" } else { "e2e.json" });
    let load_before = load_average();
    let mut harness = Command::new(&exe);
    harness
        .arg("--out")
        .arg(&json)
        .current_dir(util::workspace_root());
    if smoke {
        harness.arg("--smoke");
    }
    step(&mut harness, &mut commands)?;
    if smoke {
        // The untimed mode instruction counts are taken with (bench/src/scenarios/repeat.rs),
        // once per latency scenario, so that it keeps working.
        for scenario in ["hit", "revalidation", "no-store"] {
            let mut repeat = Command::new(&exe);
            repeat
                .args(["repeat", "memory", scenario, "2"])
                .current_dir(util::workspace_root());
            step(&mut repeat, &mut commands)?;
        }
    }
    let e2e: Value = fs::read_to_string(&json)
        .map_err(|e| format!("read {}: {e}", json.display()))
        .and_then(|t| {
            serde_json::from_str(&t).map_err(|e| format!("parse {}: {e}", json.display()))
        })?;

    // The decision micro-benchmark: timed under `cargo bench`; under `cargo test` criterion
    // runs each benchmark once, which is all the smoke run needs.
    let criterion_started = SystemTime::now();
    let mut decision = if smoke {
        util::cargo_command(&["test", "-p", "hcache-core", "--bench", "decision"])
    } else {
        util::cargo_command(&["bench", "-p", "hcache-core", "--bench", "decision"])
    };
    step(&mut decision, &mut commands)?;
    let estimates = if smoke {
        BTreeMap::new()
    } else {
        criterion_medians(&util::target_dir().join("criterion"), criterion_started)
    };
    let load_after = load_average();

    let mut metrics: BTreeMap<String, f64> = e2e["metrics"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    if let (Some(ours), Some(peer)) = (estimates.get(DECISION_OURS), estimates.get(DECISION_PEER)) {
        metrics.insert("decision.hcache_ns".into(), ours.median);
        metrics.insert("decision.speedup".into(), peer.median / ours.median);
    }
    let machine = Machine::probe(load_before, load_after);
    let markdown = render(smoke, &e2e, &metrics, &estimates, &machine, &commands);
    let path = if smoke {
        out_dir.join("benchmarks-smoke.md")
    } else {
        util::workspace_root().join("docs/benchmarks.md")
    };
    fs::write(&path, &markdown).map_err(|e| format!("write {}: {e}", path.display()))?;
    eprintln!(
        "bench: wrote {} ({:.0} s)",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs `command` (output to the console) and records it for the report.
fn step(command: &mut Command, commands: &mut Vec<String>) -> Result {
    let mut shown = util::display(command);
    // The harness is shown relative to the workspace, as one would type it.
    let root = format!("{}/", util::workspace_root().display());
    shown = shown.replace(&root, "");
    println!("\n==> {shown}");
    util::run(command)?;
    commands.push(shown);
    Ok(())
}

/// Criterion's median estimate (nanoseconds) of each benchmark of the decision group
/// written since `since`, by its id within the group.
/// A criterion benchmark's result: its median estimate, which the targets are judged by, and
/// the time per iteration of its fastest sample.
///
/// The fastest sample is shown beside the median because this machine is shared: other
/// processes take the CPU for stretches of seconds, and a median of 50 samples over 3 seconds
/// moves by a third when one lands in the measurement. Slower samples are then mostly that
/// interference, not the code (the reasoning of Python's `timeit`, which reports the minimum),
/// so the fastest sample tells what the code costs when it runs undisturbed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Timing {
    median: f64,
    fastest: Option<f64>,
}

fn criterion_medians(dir: &Path, since: SystemTime) -> BTreeMap<String, Timing> {
    let mut out = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir.join(DECISION_GROUP)) else {
        return out;
    };
    for entry in entries.flatten() {
        let new = entry.path().join("new");
        let estimates = new.join("estimates.json");
        let fresh = fs::metadata(&estimates)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= since);
        if !fresh {
            continue; // left over from a benchmark that no longer exists
        }
        let read = |p: PathBuf| -> Option<Value> {
            serde_json::from_str(&fs::read_to_string(p).ok()?).ok()
        };
        let (Some(bench), Some(est)) = (read(new.join("benchmark.json")), read(estimates)) else {
            continue;
        };
        let id = bench["function_id"]
            .as_str()
            .or_else(|| bench["full_id"].as_str())
            .map(str::to_owned);
        if let (Some(id), Some(median)) = (id, est["median"]["point_estimate"].as_f64()) {
            let fastest = read(new.join("sample.json")).and_then(|s| fastest_sample(&s));
            out.insert(id, Timing { median, fastest });
        }
    }
    out
}

/// The time per iteration of the fastest of criterion's samples (`sample.json`: parallel
/// arrays of iteration counts and total times in nanoseconds).
fn fastest_sample(sample: &Value) -> Option<f64> {
    let (iters, times) = (sample["iters"].as_array()?, sample["times"].as_array()?);
    iters
        .iter()
        .zip(times)
        .filter_map(|(i, t)| Some(t.as_f64()? / i.as_f64().filter(|&i| i > 0.0)?))
        .min_by(f64::total_cmp)
}

/// The machine the run was on.
struct Machine {
    date: String,
    commit: String,
    rustc: String,
    cpu: String,
    cores: String,
    memory: String,
    load: String,
}

impl Machine {
    fn probe(load_before: String, load_after: String) -> Machine {
        let output = |program: &str, args: &[&str]| {
            Command::new(program)
                .args(args)
                .current_dir(util::workspace_root())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_else(|| "unknown".to_owned())
        };
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let field = |text: &str, name: &str| {
            text.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        };
        let memory = field(&meminfo, "MemTotal")
            .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or_else(
                || "unknown".to_owned(),
                |kib| format!("{:.1} GiB", kib / MIB),
            );
        let dirty = !output("git", &["status", "--porcelain"]).is_empty();
        Machine {
            date: output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            commit: format!(
                "{}{}",
                output("git", &["rev-parse", "--short", "HEAD"]),
                if dirty {
                    " (with uncommitted changes)"
                } else {
                    ""
                }
            ),
            rustc: output("rustc", &["--version"]),
            cpu: field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".to_owned()),
            cores: std::thread::available_parallelism()
                .map_or_else(|_| "unknown".to_owned(), |n| n.to_string()),
            memory,
            load: format!("{load_before} before, {load_after} after"),
        }
    }
}

/// The 1-, 5- and 15-minute load averages.
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// How a target compares its measure with its bound.
#[derive(Clone, Copy)]
enum Bound {
    AtMost(f64),
    AtLeast(f64),
}

/// How to show a measure.
#[derive(Clone, Copy)]
enum Unit {
    Ratio,
    Nanos,
    Bytes,
}

fn show(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => format!("{value:.2}×"),
        Unit::Nanos if value < 1_000.0 => format!("{value:.0} ns"),
        Unit::Nanos if value < 1_000_000.0 => format!("{:.1} µs", value / 1_000.0),
        Unit::Nanos => format!("{:.2} ms", value / 1_000_000.0),
        Unit::Bytes => format!("{:.1} MiB", value / MIB),
    }
}

/// One line of the issue's targets: the metric (from the harness or criterion), its bound.
struct Target {
    what: &'static str,
    metric: &'static str,
    bound: Bound,
    unit: Unit,
}

const fn target(what: &'static str, metric: &'static str, bound: Bound, unit: Unit) -> Target {
    Target {
        what,
        metric,
        bound,
        unit,
    }
}

/// The targets, in the issue's order. "Flat over 2,000 repeats" is read as: the last
/// revalidations cost at most 1.2× the first ones.
const TARGETS: &[Target] = &[
    target(
        "memory hit ≤ 0.2× http-cache-reqwest moka hit",
        "hit.ratio.memory/peer-moka",
        Bound::AtMost(0.2),
        Unit::Ratio,
    ),
    target(
        "disk hit ≤ 0.35× http-cache-reqwest cacache hit",
        "hit.ratio.cacache/peer-cacache",
        Bound::AtMost(0.35),
        Unit::Ratio,
    ),
    target(
        "tiered hit ≤ 0.35× http-cache-reqwest cacache hit",
        "hit.ratio.tiered/peer-cacache",
        Bound::AtMost(0.35),
        Unit::Ratio,
    ),
    target(
        "64-task hit throughput ≥ 3× moka (memory)",
        "throughput.ratio.memory/peer-moka",
        Bound::AtLeast(3.0),
        Unit::Ratio,
    ),
    target(
        "64-task hit throughput ≥ 3× moka (tiered)",
        "throughput.ratio.tiered/peer-moka",
        Bound::AtLeast(3.0),
        Unit::Ratio,
    ),
    target(
        "304 revalidation ≤ 1.15× raw 304 (memory)",
        "revalidate.ratio.memory/raw304",
        Bound::AtMost(1.15),
        Unit::Ratio,
    ),
    target(
        "304 revalidation ≤ 1.15× raw 304 (cacache)",
        "revalidate.ratio.cacache/raw304",
        Bound::AtMost(1.15),
        Unit::Ratio,
    ),
    target(
        "304 revalidation ≤ 1.15× raw 304 (tiered)",
        "revalidate.ratio.tiered/raw304",
        Bound::AtMost(1.15),
        Unit::Ratio,
    ),
    target(
        "flat over 2,000 revalidations: last ÷ first ≤ 1.2 (memory)",
        "revalidate_long.growth.memory",
        Bound::AtMost(1.2),
        Unit::Ratio,
    ),
    target(
        "flat over 2,000 revalidations: last ÷ first ≤ 1.2 (cacache)",
        "revalidate_long.growth.cacache",
        Bound::AtMost(1.2),
        Unit::Ratio,
    ),
    target(
        "flat over 2,000 revalidations: last ÷ first ≤ 1.2 (tiered)",
        "revalidate_long.growth.tiered",
        Bound::AtMost(1.2),
        Unit::Ratio,
    ),
    target(
        "no-store miss ≤ 1.05× plain reqwest (memory)",
        "no_store.ratio.memory/plain",
        Bound::AtMost(1.05),
        Unit::Ratio,
    ),
    target(
        "no-store miss ≤ 1.05× plain reqwest (cacache)",
        "no_store.ratio.cacache/plain",
        Bound::AtMost(1.05),
        Unit::Ratio,
    ),
    target(
        "no-store miss ≤ 1.05× plain reqwest (tiered)",
        "no_store.ratio.tiered/plain",
        Bound::AtMost(1.05),
        Unit::Ratio,
    ),
    target(
        "10 MiB memory fill: RSS growth ≤ 12 MiB",
        "big.fill_rss.memory",
        Bound::AtMost(12.0 * MIB),
        Unit::Bytes,
    ),
    target(
        "10 MiB memory hit ≤ 0.1 ms",
        "big.hit_ns.memory",
        Bound::AtMost(100_000.0),
        Unit::Nanos,
    ),
    target(
        "10 MiB disk fill: RSS growth ≤ 2 MiB",
        "big.fill_rss.cacache",
        Bound::AtMost(2.0 * MIB),
        Unit::Bytes,
    ),
    target(
        "core decision ≤ 200 ns",
        "decision.hcache_ns",
        Bound::AtMost(200.0),
        Unit::Nanos,
    ),
    target(
        "core decision ≥ 4× faster than http-cache-semantics",
        "decision.speedup",
        Bound::AtLeast(4.0),
        Unit::Ratio,
    ),
];

/// The issue's own measurements of the peer, beside this run's.
const REFERENCE: &[(&str, &str, &str, Unit)] = &[
    (
        "http-cache-reqwest moka hit",
        "9.6 µs",
        "hit.median_ns.peer-moka",
        Unit::Nanos,
    ),
    (
        "http-cache-reqwest cacache hit",
        "42.6 µs",
        "hit.median_ns.peer-cacache",
        Unit::Nanos,
    ),
    (
        "plain reqwest round trip",
        "23.6 µs",
        "hit.median_ns.reqwest012",
        Unit::Nanos,
    ),
    (
        "its 304 ÷ a raw 304",
        "2.0×",
        "revalidate.ratio.peer-moka/raw304",
        Unit::Ratio,
    ),
    (
        "its no-store miss ÷ plain reqwest",
        "1.27×",
        "no_store.ratio.peer-moka/plain",
        Unit::Ratio,
    ),
    (
        "its 10 MiB fill, RSS growth",
        "30 MiB",
        "big.fill_rss.peer-moka",
        Unit::Bytes,
    ),
    (
        "its 10 MiB hit",
        "8–14 ms",
        "big.hit_ns.peer-moka",
        Unit::Nanos,
    ),
];

fn render(
    smoke: bool,
    e2e: &Value,
    metrics: &BTreeMap<String, f64>,
    decision: &BTreeMap<String, Timing>,
    machine: &Machine,
    commands: &[String],
) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Benchmarks\n\n<!-- Generated by `cargo xtask bench`; do not edit by hand. The analysis \
         at the end is kept in bench/ANALYSIS.md. -->\n"
    );
    if smoke {
        let _ = writeln!(
            md,
            "**Smoke run** (dev profile, tiny counts): these numbers only show that every \
             scenario ran; they are not measurements.\n"
        );
    }
    let _ = writeln!(
        md,
        "hcache and its Rust peers measured **in the same run**, against a loopback origin \
         (hyper, HTTP/1.1, its own thread): hcache-reqwest over hcache's memory, cacache and \
         tiered stores; [http-cache-reqwest] 0.16 (the newest release that is not a \
         pre-release; 1.0 is in alpha) with its Moka and cacache managers, on reqwest 0.12; \
         plain reqwest 0.13 and 0.12 without a cache; and reqwest-middleware 0.5 with no \
         middleware, the framework cost hcache-reqwest pays on every request. Everything is \
         built into one binary with the bench profile (fat LTO, one codegen unit; the \
         workspace's `Cargo.toml`), peers and plain clients alike. The latency \
         scenarios run with the client, the origin and their helper threads pinned to one CPU \
         (see Harness settings; why: bench/src/pin.rs). Each cache is compared with the \
         plain client it is built on. Every scenario warms up, then measures repeated rounds, \
         the configurations in a rotated order each round; a ratio is computed from two \
         medians of the same round, and the median of those ratios is reported. The harness \
         checks, through the origin's own counts, that every hit was a hit, every \
         revalidation a 304 and every no-store request a miss.\n\n\
         [http-cache-reqwest]: https://crates.io/crates/http-cache-reqwest\n"
    );

    let _ = writeln!(
        md,
        "## Targets\n\n| target | this run | met |\n|---|---|---|"
    );
    for t in TARGETS {
        let (measured, met) = match metrics.get(t.metric) {
            Some(&v) => {
                let ok = match t.bound {
                    Bound::AtMost(b) => v <= b,
                    Bound::AtLeast(b) => v >= b,
                };
                let met = if smoke {
                    "(smoke)"
                } else if ok {
                    "yes"
                } else {
                    "**no**"
                };
                (show(v, t.unit), met)
            }
            None => ("not measured".to_owned(), "–"),
        };
        let _ = writeln!(md, "| {} | {measured} | {met} |", t.what);
    }
    let _ = writeln!(
        md,
        "\nThe issue's measurements of the peer, beside this run's:\n\n\
         | measure | issue | this run |\n|---|---|---|"
    );
    for (what, issue, metric, unit) in REFERENCE {
        let now = metrics
            .get(*metric)
            .map_or_else(|| "not measured".to_owned(), |&v| show(v, *unit));
        let _ = writeln!(md, "| {what} | {issue} | {now} |");
    }

    let _ = writeln!(
        md,
        "\n## Machine\n\n\
         | | |\n|---|---|\n\
         | date | {} |\n| commit | {} |\n| rustc | {} |\n| CPU | {} |\n| cores (`nproc`) | {} |\n\
         | memory | {} |\n| load average (1, 5, 15 min) | {} |\n\n\
         The machine is shared: other builds ran at the same time, which is why every ratio is \
         taken within a round. The latency scenarios (1, 3, 4) run on one CPU \
         (`latency_scenarios_cpu` below): the client, the origin and the threads they start \
         are pinned to it, so that a round trip costs two context switches rather than a \
         cross-CPU wake-up, whose price on a small virtual machine swings between runs. The \
         throughput scenario and the big-body processes are not pinned.\n",
        machine.date,
        machine.commit,
        machine.rustc,
        machine.cpu,
        machine.cores,
        machine.memory,
        machine.load
    );
    let _ = writeln!(
        md,
        "## Commands\n\n```sh\ncargo xtask bench{}",
        if smoke { " --smoke" } else { "" }
    );
    for c in commands {
        let _ = writeln!(md, "{c}");
    }
    let _ = writeln!(md, "```\n");
    if let Some(settings) = e2e["settings"].as_object() {
        let list: Vec<String> = settings.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        let _ = writeln!(md, "Harness settings: {}.\n", list.join(", "));
    }

    let _ = writeln!(md, "## Results\n");
    for table in e2e["tables"].as_array().into_iter().flatten() {
        let text = |k: &str| table[k].as_str().unwrap_or_default().to_owned();
        let cells = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .map(|c| c.as_str().unwrap_or_default().to_owned())
                .collect()
        };
        let columns = cells(&table["columns"]);
        let _ = writeln!(md, "### {}\n\n{}\n", text("title"), text("text"));
        let _ = writeln!(
            md,
            "| {} |\n|{}",
            columns.join(" | "),
            "---|".repeat(columns.len())
        );
        for row in table["rows"].as_array().into_iter().flatten() {
            let _ = writeln!(md, "| {} |", cells(row).join(" | "));
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "### 6. Policy decision (criterion)\n\n\
         hcache-core's `benches/decision.rs`: parse a typical response (11 fields) and decide \
         reuse for a request (5 fields), against `http-cache-semantics` 3 in the same run \
         (see the bench's header for what each benchmark covers). Criterion's median \
         estimate, which the targets are judged by, and the time per iteration of the \
         fastest of its 50 samples: on this shared machine, slower samples are mostly other \
         processes' interference, so the fastest tells what the code costs undisturbed.\n"
    );
    if decision.is_empty() {
        let _ = writeln!(md, "Not timed in this run.\n");
    } else {
        let _ = writeln!(md, "| benchmark | median | fastest sample |\n|---|---|---|");
        for (id, t) in decision {
            let fastest = t.fastest.map_or("–".to_owned(), |f| show(f, Unit::Nanos));
            let _ = writeln!(
                md,
                "| `{id}` | {} | {fastest} |",
                show(t.median, Unit::Nanos)
            );
        }
        md.push('\n');
    }

    let analysis = util::workspace_root().join(ANALYSIS);
    if let Ok(text) = fs::read_to_string(&analysis) {
        let _ = writeln!(md, "## Analysis\n\n{}", text.trim_end());
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_units() {
        assert_eq!(show(0.123, Unit::Ratio), "0.12×");
        assert_eq!(show(180.4, Unit::Nanos), "180 ns");
        assert_eq!(show(9_600.0, Unit::Nanos), "9.6 µs");
        assert_eq!(show(8_500_000.0, Unit::Nanos), "8.50 ms");
        assert_eq!(show(12.0 * MIB, Unit::Bytes), "12.0 MiB");
    }

    #[test]
    fn the_fastest_sample_is_its_time_per_iteration() {
        let sample =
            serde_json::json!({"iters": [10.0, 20.0, 0.0], "times": [2000.0, 3000.0, 5.0]});
        assert_eq!(fastest_sample(&sample), Some(150.0));
        assert_eq!(fastest_sample(&serde_json::json!({})), None);
    }

    #[test]
    fn renders_targets_tables_and_decision() {
        let e2e = serde_json::json!({
            "settings": {"smoke": false},
            "tables": [{"title": "T", "text": "about", "columns": ["a", "b"], "rows": [["1", "2"]]}],
        });
        let metrics = BTreeMap::from([
            ("hit.ratio.memory/peer-moka".to_owned(), 0.1),
            ("big.fill_rss.memory".to_owned(), 20.0 * MIB),
        ]);
        let decision = BTreeMap::from([(
            DECISION_OURS.to_owned(),
            Timing {
                median: 150.0,
                fastest: Some(141.0),
            },
        )]);
        let machine = Machine::probe("1 1 1".into(), "2 2 2".into());
        let md = render(
            false,
            &e2e,
            &metrics,
            &decision,
            &machine,
            &["cargo x".into()],
        );
        assert!(md.contains("| memory hit ≤ 0.2× http-cache-reqwest moka hit | 0.10× | yes |"));
        assert!(md.contains("| 10 MiB memory fill: RSS growth ≤ 12 MiB | 20.0 MiB | **no** |"));
        assert!(md.contains("| core decision ≤ 200 ns | not measured | – |"));
        assert!(md.contains("| a | b |\n|---|---|\n| 1 | 2 |"));
        assert!(md.contains("| `hcache/parse+decide` | 150 ns | 141 ns |"));
        assert!(md.contains("cargo x\n"));
    }
}
