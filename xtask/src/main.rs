//! hcache's project automation, run as `cargo xtask <task>` (see `cargo xtask help`).
//!
//! Kept cheap to build: std, plus `serde_json` for the public suite's results.
#![forbid(unsafe_code)]

mod bench;
mod ci;
mod conformance;
mod fuzz;
mod libtest;
mod public_suite;
mod report;
mod section;
mod soak;
mod util;

use std::process::ExitCode;

/// A task runnable as `cargo xtask <name>`.
struct Task {
    /// The name on the command line.
    name: &'static str,
    /// One-line description for `cargo xtask help`.
    about: &'static str,
    /// The arguments it takes, for `help` (empty: none, and any argument is refused).
    usage: &'static str,
    /// Runs the task with the arguments after its name.
    run: fn(&[String]) -> util::Result,
}

/// Every task, in the order `help` lists them.
const TASKS: &[Task] = &[
    Task {
        name: "conformance",
        about: "the main job: our RFC scenarios and the public suite, reported per section; writes docs/conformance.md",
        usage: "",
        run: |_| conformance::run(),
    },
    Task {
        name: "public-suite",
        about: "run only the public http-cache-tests suite through the reverse proxy",
        usage: "",
        run: |_| public_suite::run_task(),
    },
    Task {
        name: "bench",
        about: "hcache against its peers (http-cache-reqwest, plain reqwest) in one run; writes docs/benchmarks.md (--smoke: every scenario once, dev profile, no timing)",
        usage: "[--smoke]",
        run: bench::run,
    },
    Task {
        name: "ci",
        about: "run every CI check in order: fmt, clippy, test, doc, conformance, bench --smoke",
        usage: "",
        run: |_| ci::run(),
    },
    Task {
        name: "fuzz",
        about: "run each cargo-fuzz target (fuzz/) for --seconds N or --runs N; prints executions and findings",
        usage: "[--seconds N | --runs N] [--target T]... [--sanitizer S]",
        run: fuzz::run,
    },
    Task {
        name: "soak",
        about: "1,000,000 requests with churn through hcache-reqwest (memory, then tiered store); fails if RSS or open files grow",
        usage: "[--store S] [--requests N] [--urls N] [--concurrency N] [--samples N]",
        run: soak::run,
    },
    Task {
        name: "help",
        about: "print this help",
        usage: "",
        run: |_| help(),
    },
];

/// Prints the usage and the task list.
fn help() -> util::Result {
    println!("Usage: cargo xtask <task> [arguments]\n\nTasks:");
    let shown = |task: &Task| {
        format!("{} {}", task.name, task.usage)
            .trim_end()
            .to_owned()
    };
    let width = TASKS
        .iter()
        .map(|task| shown(task).len())
        .max()
        .unwrap_or(0);
    for task in TASKS {
        println!("  {:<width$}  {}", shown(task), task.about);
    }
    Ok(())
}

/// Runs the task named by the first argument (`help` when there is none).
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let name = match args.first().map(String::as_str) {
        None | Some("-h" | "--help") => "help",
        Some(name) => name,
    };
    let Some(task) = TASKS.iter().find(|task| task.name == name) else {
        eprintln!("error: unknown task `{name}`\n");
        let _ = help();
        return ExitCode::from(2);
    };
    if let Some(extra) = args.get(1).filter(|_| task.usage.is_empty()) {
        eprintln!("error: `{name}` takes no arguments (got `{extra}`)");
        return ExitCode::from(2);
    }
    match (task.run)(args.get(1..).unwrap_or_default()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
