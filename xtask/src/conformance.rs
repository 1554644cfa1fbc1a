//! `cargo xtask conformance`: the README's main job.
//!
//! 1. hcache-core's policy tests and the end-to-end scenarios (every adapter × store), each
//!    test naming the RFC section it checks ([`crate::section`]);
//! 2. the public HTTP cache test suite, npm `http-cache-tests`, through the caching reverse
//!    proxy built on hcache-hyper, in shared mode, once per store ([`crate::public_suite`]);
//! 3. a report per RFC section (ours) and per suite group (theirs), printed and written to
//!    `docs/conformance.md` (generated: never edit it by hand).
//!
//! Fails when one of our tests fails, or when a required public-suite test that passed before
//! (listed in `xtask/conformance-baseline.txt`) no longer passes. A run without regressions
//! rewrites the baseline with what passes now, so improvements are kept once committed.

use std::collections::BTreeSet;
use std::fs;

use crate::libtest::{self, Outcome as TestOutcome};
use crate::public_suite::{self, Kind, Outcome};
use crate::report;
use crate::util::{self, Result};

/// The policy tests (sans-IO, RFC rule by rule).
const POLICY: &[&str] = &[
    "test",
    "-p",
    "hcache-core",
    "--test",
    "policy",
    "--",
    "--test-threads=2",
];
/// The end-to-end scenarios (engine and adapters × stores against a real origin).
const E2E: &[&str] = &["test", "-p", "hcache-tests", "--test", "e2e"];
/// Stores the public suite runs against.
const STORES: &[&str] = &["memory", "cacache", "tiered"];
/// Required public-suite tests that passed, one `store id` per line.
const BASELINE: &str = "xtask/conformance-baseline.txt";

/// Runs the task.
pub(crate) fn run() -> Result {
    let policy = libtest::run(POLICY)?;
    let e2e = libtest::run(E2E)?;
    let (meta, runs) = public_suite::run(STORES)?;

    let markdown = report::render(&policy.results, &e2e.results, &meta, &runs);
    print!("{markdown}");
    let path = util::workspace_root().join("docs/conformance.md");
    fs::write(&path, &markdown).map_err(|e| format!("write {}: {e}", path.display()))?;
    eprintln!("conformance: wrote {}", path.display());

    let mut problems = Vec::new();
    for run in [&policy, &e2e] {
        let failed = run
            .results
            .iter()
            .filter(|r| r.outcome == TestOutcome::Failed)
            .count();
        if failed > 0 {
            problems.push(format!("{failed} test(s) of `{}` failed", run.command));
        } else if !run.success {
            problems.push(format!("`{}` failed", run.command));
        } else if run.results.is_empty() {
            problems.push(format!("`{}` ran no test", run.command));
        }
    }
    let now_passing: BTreeSet<String> = runs
        .iter()
        .flat_map(|r| {
            meta.iter()
                .filter(|t| {
                    t.kind == Kind::Required && r.outcomes.get(&t.id) == Some(&Outcome::Pass)
                })
                .map(move |t| format!("{} {}", r.store, t.id))
        })
        .collect();
    let baseline_path = util::workspace_root().join(BASELINE);
    let baseline: BTreeSet<String> = fs::read_to_string(&baseline_path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let regressions: Vec<&String> = baseline.difference(&now_passing).collect();
    if regressions.is_empty() {
        let mut text = String::from(
            "# Required http-cache-tests that pass, per store (`store test-id`).\n\
             # Written by `cargo xtask conformance`; a test listed here that stops passing fails it.\n",
        );
        for line in &now_passing {
            text.push_str(line);
            text.push('\n');
        }
        fs::write(&baseline_path, text)
            .map_err(|e| format!("write {}: {e}", baseline_path.display()))?;
    } else {
        problems.push(format!(
            "{} required public-suite test(s) passed before and fail now: {}",
            regressions.len(),
            regressions
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}
