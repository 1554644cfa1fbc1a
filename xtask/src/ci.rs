//! `cargo xtask ci`: every check CI runs, in order, stopping at the first failure.

use crate::util::{self, Result};
use crate::{bench, conformance};

/// A `cargo` step: its arguments and the environment variables it needs.
struct Step {
    /// Arguments after `cargo`.
    args: &'static [&'static str],
    /// Extra environment variables.
    env: &'static [(&'static str, &'static str)],
}

/// The `cargo` steps, run before the conformance task and the benchmarks' smoke run.
const STEPS: &[Step] = &[
    Step {
        args: &["fmt", "--all", "--check"],
        env: &[],
    },
    Step {
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        args: &["test", "--workspace"],
        env: &[],
    },
    Step {
        args: &["doc", "--workspace", "--no-deps"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

/// Runs the task.
pub(crate) fn run() -> Result {
    let count = STEPS.len() + 2;
    for (i, step) in STEPS.iter().enumerate() {
        let mut command = util::cargo_command(step.args);
        command.envs(step.env.iter().copied());
        header(i + 1, count, &util::display(&command));
        util::run(&mut command)?;
    }
    header(count - 1, count, "cargo xtask conformance");
    conformance::run()?;
    header(count, count, "cargo xtask bench --smoke");
    bench::run(&["--smoke".to_owned()])?;
    println!("\nci: all {count} steps passed");
    Ok(())
}

/// Prints the header line of step `index` of `count`.
fn header(index: usize, count: usize, title: &str) {
    println!("\n==> [{index}/{count}] {title}");
}
