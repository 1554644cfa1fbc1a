//! hcache's end-to-end benchmarks, side by side with its Rust peers in the same run:
//! hcache-reqwest (memory, cacache and tiered stores), http-cache-reqwest 0.16 (Moka and
//! cacache managers) and plain reqwest, against a loopback origin.
//!
//! ```text
//! hcache-bench [--smoke] [--out FILE] [--only hit,throughput,revalidation,no-store,big]
//!              [--rounds N] [--iters N] [--warmup N]     (latency scenarios' counts)
//! hcache-bench big <config> --len BYTES --hits N     (one child of the big-body scenario)
//! hcache-bench repeat <config> <scenario> N   (N requests, untimed: for counting instructions)
//! ```
//!
//! Prints each scenario's table and writes the tables and the named numbers as JSON to FILE;
//! `cargo xtask bench` builds this program in release mode, runs it, and turns its JSON into
//! `docs/benchmarks.md`. `--smoke` runs every scenario with tiny counts: it checks that every
//! configuration works and that each measured what it claims, and its timings mean nothing.
#![forbid(unsafe_code)]

mod clients;
mod floor;
mod origin;
mod pin;
mod report;
mod scenarios;
mod stats;

use std::process::ExitCode;

use clients::BoxError;
use report::Report;
use scenarios::Settings;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("big") => scenarios::big::child(&args[1..]),
        Some("repeat") => scenarios::repeat::child(&args[1..]),
        Some("-h" | "--help") => {
            println!(
                "usage: hcache-bench [--smoke] [--out FILE] [--only SCENARIO,...] \
                 [--rounds N] [--iters N] [--warmup N]\n\
                 scenarios: hit, throughput, revalidation, no-store, big\n\
                 hcache-bench repeat CONFIG hit|revalidation|no-store N   (untimed, for callgrind)"
            );
            Ok(())
        }
        _ => run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hcache-bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), BoxError> {
    let mut smoke = false;
    let mut out = None;
    let mut only = Vec::new();
    let mut overrides = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--smoke" => smoke = true,
            "--out" => out = Some(args.next().ok_or("--out needs a file")?.clone()),
            "--rounds" | "--iters" | "--warmup" => {
                let n: usize = args.next().ok_or("a count is missing")?.parse()?;
                overrides.push((arg.clone(), n));
            }
            "--only" => {
                let list = args.next().ok_or("--only needs a list")?;
                only.extend(list.split(',').map(str::to_owned));
            }
            other => return Err(format!("unknown argument `{other}` (see --help)").into()),
        }
    }
    let mut settings = Settings::new(smoke);
    for (flag, n) in overrides {
        match flag.as_str() {
            "--rounds" => settings.rounds = n,
            "--iters" => settings.iters = n,
            _ => settings.warmup = n,
        }
    }
    let mut report = Report::default();
    scenarios::run(&settings, &only, &mut report)?;
    for table in &report.tables {
        println!("{}", table.markdown());
    }
    if let Some(path) = out {
        let json = report.to_json(settings.to_json());
        std::fs::write(&path, serde_json::to_string_pretty(&json)?)?;
        eprintln!("hcache-bench: wrote {path}");
    }
    Ok(())
}
