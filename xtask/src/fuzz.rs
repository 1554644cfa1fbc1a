//! `cargo xtask fuzz`: runs every cargo-fuzz target in `fuzz/` one after another and reports
//! executions, rate and findings per target.
//!
//! cargo-fuzz needs nightly-only compiler flags (`-Zsanitizer`, sanitizer coverage); the
//! project builds on stable, so this task sets `RUSTC_BOOTSTRAP=1`, which lets the stable
//! compiler accept them. Each target fuzzes a working corpus under the target directory
//! (`<target>/fuzz-corpus/<name>`, kept between runs so coverage accumulates), seeded from the
//! committed `fuzz/corpus/<name>`, which libFuzzer only reads. Crashes, hangs, leaks and
//! out-of-memory inputs land in `fuzz/artifacts/<name>/`; the full log of each run is in
//! `<target>/fuzz-logs/<name>.log`.

use std::fs::{self, File};
use std::path::Path;
use std::time::Instant;

use crate::util::{self, Result};

const USAGE: &str = "usage: cargo xtask fuzz [--seconds N | --runs N] [--target NAME]... \
                     [--sanitizer address|leak|none]";

/// What to run.
#[derive(Debug, PartialEq)]
struct Plan {
    /// libFuzzer's stopping rule: `-max_total_time=N` or `-runs=N`.
    limit: String,
    targets: Vec<String>,
    sanitizer: String,
}

/// The outcome of one target, read from libFuzzer's output.
#[derive(Debug, Default, PartialEq)]
struct Report {
    executions: Option<u64>,
    per_second: Option<u64>,
    new_units: Option<u64>,
    peak_rss_mb: Option<u64>,
    /// The first line saying what went wrong, if anything did.
    finding: Option<String>,
    /// Where libFuzzer wrote the input that found it.
    artifact: Option<String>,
}

/// Runs the task with the arguments that follow `fuzz` on the command line.
pub(crate) fn run(args: &[String]) -> Result {
    let plan = parse_args(args, &all_targets()?)?;
    let root = util::workspace_root();
    let fuzz_dir = root.join("fuzz");
    let logs = util::target_dir().join("fuzz-logs");
    fs::create_dir_all(&logs).map_err(|e| format!("creating {}: {e}", logs.display()))?;

    let mut rows = Vec::new();
    for target in &plan.targets {
        let work = util::target_dir().join("fuzz-corpus").join(target);
        fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
        let log_path = logs.join(format!("{target}.log"));
        let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let mut command = util::cargo_command(&["fuzz", "run", "--debug-assertions"]);
        command
            .env("RUSTC_BOOTSTRAP", "1")
            .arg("--sanitizer")
            .arg(&plan.sanitizer)
            .arg("--fuzz-dir")
            .arg(&fuzz_dir)
            .arg(target)
            .arg(&work)
            .arg(fuzz_dir.join("corpus").join(target))
            .arg("--")
            .arg(&plan.limit)
            .arg("-max_len=4096")
            .arg("-timeout=10")
            .arg("-print_final_stats=1")
            .arg(format!("-dict={}", fuzz_dir.join("http.dict").display()))
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        if plan.sanitizer == "address" || plan.sanitizer == "leak" {
            command.arg("-detect_leaks=1");
        }
        println!("==> {}", util::display(&command));
        let started = Instant::now();
        let status = command
            .status()
            .map_err(|e| format!("could not start cargo fuzz (cargo install cargo-fuzz): {e}"))?;
        let seconds = started.elapsed().as_secs();
        let text = fs::read_to_string(&log_path).unwrap_or_default();
        let mut report = parse_log(&text);
        if !status.success() && report.finding.is_none() {
            report.finding = Some(format!(
                "cargo fuzz failed ({status}); see {}",
                log_path.display()
            ));
        }
        println!(
            "    {target}: {} executions in {seconds} s, {}",
            show(report.executions),
            report
                .finding
                .as_deref()
                .unwrap_or("no crash, hang or leak"),
        );
        rows.push((target.clone(), seconds, report));
    }
    print_table(&plan, &rows, &logs);
    let failed: Vec<_> = rows
        .iter()
        .filter(|(_, _, r)| r.finding.is_some())
        .map(|(t, _, _)| t.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("findings in: {}", failed.join(", ")))
    }
}

/// The targets in `fuzz/fuzz_targets/`, sorted.
fn all_targets() -> Result<Vec<String>> {
    let dir = util::workspace_root().join("fuzz").join("fuzz_targets");
    let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            (path.extension()? == "rs").then_some(path.file_stem()?.to_str()?.to_owned())
        })
        .collect();
    names.sort();
    Ok(names)
}

fn parse_args(args: &[String], known: &[String]) -> Result<Plan> {
    let mut plan = Plan {
        limit: "-max_total_time=60".to_owned(),
        targets: Vec::new(),
        sanitizer: "address".to_owned(),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--seconds" | "--runs" => {
                let v = value()?;
                let n: u64 = v.parse().map_err(|_| format!("{flag} {v}: not a number"))?;
                plan.limit = match flag.as_str() {
                    "--seconds" => format!("-max_total_time={n}"),
                    _ => format!("-runs={n}"),
                };
            }
            "--target" => {
                let v = value()?;
                if !known.contains(v) {
                    return Err(format!("unknown target {v}; targets: {}", known.join(", ")));
                }
                plan.targets.push(v.clone());
            }
            "--sanitizer" => match value()?.as_str() {
                s @ ("address" | "leak" | "none") => plan.sanitizer = s.to_owned(),
                s => return Err(format!("unknown sanitizer {s}\n{USAGE}")),
            },
            _ => return Err(format!("unknown argument {flag}\n{USAGE}")),
        }
    }
    if plan.targets.is_empty() {
        plan.targets = known.to_vec();
    }
    Ok(plan)
}

/// Reads libFuzzer's output: the final statistics (`-print_final_stats=1`), else the last
/// status line (`#N ... exec/s: R`), and the first sign of a finding.
fn parse_log(text: &str) -> Report {
    let mut r = Report::default();
    let stat = |line: &str, name: &str| {
        line.strip_prefix(name)
            .and_then(|rest| rest.trim().parse::<u64>().ok())
    };
    for line in text.lines() {
        let line = line.trim_end();
        if let Some(n) = stat(line, "stat::number_of_executed_units:") {
            r.executions = Some(n);
        } else if let Some(n) = stat(line, "stat::average_exec_per_sec:") {
            r.per_second = Some(n);
        } else if let Some(n) = stat(line, "stat::new_units_added:") {
            r.new_units = Some(n);
        } else if let Some(n) = stat(line, "stat::peak_rss_mb:") {
            r.peak_rss_mb = Some(n);
        } else if let Some(rest) = line.strip_prefix('#') {
            // `#1234\tpulse  cov: ... exec/s: 5000 rss: 90Mb` (and `#1234 DONE ...`).
            let words: Vec<_> = rest.split_whitespace().collect();
            if let Some(n) = words.first().and_then(|n| n.parse().ok()) {
                r.executions = r.executions.max(Some(n));
            }
            if let Some(i) = words.iter().position(|w| *w == "exec/s:") {
                r.per_second = words
                    .get(i + 1)
                    .and_then(|n| n.parse().ok())
                    .or(r.per_second);
            }
        } else if r.finding.is_none() && is_finding(line) {
            r.finding = Some(finding_text(line));
        } else if let Some(i) = line.find("Test unit written to ") {
            r.artifact = Some(line[i + "Test unit written to ".len()..].trim().to_owned());
        }
    }
    r
}

/// Lines by which libFuzzer and the sanitizers announce a crash, hang, leak or OOM
/// (`==123==ERROR: LeakSanitizer: ...`, `thread '..' panicked at ...`, `ALARM: ...`).
fn is_finding(line: &str) -> bool {
    [
        "ERROR: libFuzzer",
        "ERROR: AddressSanitizer",
        "ERROR: LeakSanitizer",
    ]
    .iter()
    .any(|m| line.contains(m))
        || line.starts_with("ALARM: working on the last Unit")
        || line.contains("panicked at")
}

/// A finding line without the process id prefix (`==123==`).
fn finding_text(line: &str) -> String {
    line.find("ERROR:")
        .map_or(line, |i| &line[i..])
        .trim()
        .to_owned()
}

fn show(n: Option<u64>) -> String {
    n.map_or_else(|| "?".to_owned(), |n| n.to_string())
}

fn print_table(plan: &Plan, rows: &[(String, u64, Report)], logs: &Path) {
    println!(
        "\nFuzzing summary ({}, sanitizer {}; logs in {}):\n",
        plan.limit,
        plan.sanitizer,
        logs.display()
    );
    println!("| target | seconds | executions | exec/s | new units | peak RSS MB | result |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for (target, seconds, r) in rows {
        let result = match (&r.finding, &r.artifact) {
            (None, _) => "no crash, hang or leak".to_owned(),
            (Some(f), Some(a)) => format!("{f} (input: {a})"),
            (Some(f), None) => f.clone(),
        };
        println!(
            "| {target} | {seconds} | {} | {} | {} | {} | {result} |",
            show(r.executions),
            show(r.per_second),
            show(r.new_units),
            show(r.peak_rss_mb),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Vec<String> {
        ["codec", "decide"].map(String::from).to_vec()
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments() {
        let p = parse_args(&args(&["--seconds", "30"]), &targets()).unwrap();
        assert_eq!(p.limit, "-max_total_time=30");
        assert_eq!(p.targets, targets());
        assert_eq!(p.sanitizer, "address");
        let p = parse_args(
            &args(&["--runs", "5", "--target", "codec", "--sanitizer", "none"]),
            &targets(),
        )
        .unwrap();
        assert_eq!(
            (p.limit.as_str(), p.sanitizer.as_str()),
            ("-runs=5", "none")
        );
        assert_eq!(p.targets, ["codec"]);
        assert!(parse_args(&args(&["--target", "nope"]), &targets()).is_err());
        assert!(parse_args(&args(&["--seconds"]), &targets()).is_err());
        assert!(parse_args(&args(&["--seconds", "x"]), &targets()).is_err());
        assert!(parse_args(&args(&["--sanitizer", "thread"]), &targets()).is_err());
    }

    #[test]
    fn reads_final_stats() {
        let log = "#262144\tpulse  cov: 6315 ft: 19427 corp: 4006/779Kb exec/s: 5140 rss: 590Mb\n\
                   Done 308542 runs in 61 second(s)\n\
                   stat::number_of_executed_units: 308542\n\
                   stat::average_exec_per_sec:     5058\n\
                   stat::new_units_added:          8959\n\
                   stat::slowest_unit_time_sec:    0\n\
                   stat::peak_rss_mb:              590\n";
        let r = parse_log(log);
        assert_eq!(r.executions, Some(308_542), "the final count");
        assert_eq!(
            (r.per_second, r.new_units, r.peak_rss_mb),
            (Some(5058), Some(8959), Some(590))
        );
        assert_eq!(r.finding, None);
    }

    #[test]
    fn reads_a_crash() {
        let log = "#200\tNEW    cov: 10 ft: 10 corp: 2/3b exec/s: 100 rss: 30Mb\n\
                   thread '<unnamed>' panicked at fuzz_targets/decide.rs:70:13:\n\
                   ==123== ERROR: libFuzzer: deadly signal\n\
                   artifact_prefix='/w/a/'; Test unit written to /w/a/crash-abc\n";
        let r = parse_log(log);
        assert_eq!(r.executions, Some(200));
        assert_eq!(
            r.finding.as_deref(),
            Some("thread '<unnamed>' panicked at fuzz_targets/decide.rs:70:13:")
        );
        assert_eq!(r.artifact.as_deref(), Some("/w/a/crash-abc"));
    }

    #[test]
    fn reads_a_leak_and_a_hang() {
        let leak = "==7==ERROR: LeakSanitizer: detected memory leaks\n";
        assert!(
            parse_log(leak)
                .finding
                .unwrap()
                .starts_with("ERROR: LeakSanitizer")
        );
        let hang = "ALARM: working on the last Unit for 11 seconds\n";
        assert!(parse_log(hang).finding.is_some());
    }
}
