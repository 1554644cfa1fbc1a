//! hcache's project automation, run as `cargo xtask <task>` (see `cargo xtask help`).
//!
//! Kept cheap to build: std, plus `serde_json` for the public suite's results.
#![forbid(unsafe_code)]

mod ci;
mod conformance;
mod libtest;
mod public_suite;
mod report;
mod section;
mod util;

use std::process::ExitCode;

/// A task runnable as `cargo xtask <name>`.
struct Task {
    /// The name on the command line.
    name: &'static str,
    /// One-line description for `cargo xtask help`.
    about: &'static str,
    /// Runs the task.
    run: fn() -> util::Result,
}

/// Every task, in the order `help` lists them.
const TASKS: &[Task] = &[
    Task {
        name: "conformance",
        about: "the main job: our RFC scenarios and the public suite, reported per section; writes docs/conformance.md",
        run: conformance::run,
    },
    Task {
        name: "public-suite",
        about: "run only the public http-cache-tests suite through the reverse proxy",
        run: public_suite::run_task,
    },
    Task {
        name: "ci",
        about: "run every CI check in order: fmt, clippy, test, doc, conformance",
        run: ci::run,
    },
    Task {
        name: "help",
        about: "print this help",
        run: help,
    },
];

/// Prints the usage and the task list.
fn help() -> util::Result {
    println!("Usage: cargo xtask <task>\n\nTasks:");
    let width = TASKS.iter().map(|task| task.name.len()).max().unwrap_or(0);
    for task in TASKS {
        println!("  {:<width$}  {}", task.name, task.about);
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
    if let Some(extra) = args.get(1) {
        eprintln!("error: `{name}` takes no arguments (got `{extra}`)");
        return ExitCode::from(2);
    }
    match (task.run)() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
