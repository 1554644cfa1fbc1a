//! `cargo xtask conformance`: hcache-core's policy tests, reported per RFC section.
//!
//! Runs `cargo test -p hcache-core --test policy` with its output captured,
//! reads libtest's `test <path> ... ok|FAILED|ignored` lines, groups the tests
//! by the section their path names (see [`crate::section`]) and prints a table.
//! Fails if any test failed, the test command failed, or no test was found.

use std::collections::BTreeMap;

use crate::section::{self, Group};
use crate::util::{self, Result};

/// Arguments of the `cargo` invocation that runs the policy tests.
const TEST_ARGS: &[&str] = &[
    "test",
    "-p",
    "hcache-core",
    "--test",
    "policy",
    "--",
    "--test-threads=2",
];

/// How many trailing lines of captured output to show when the command fails.
const TAIL_LINES: usize = 60;

/// What the conformance job does not exercise yet, with the issues that add it.
const NOT_COVERED: &[&str] = &[
    "adapters × stores (issues: engine, adapters)",
    "public http-cache-tests suite (conformance issue)",
];

/// Runs the task.
pub(crate) fn run() -> Result {
    let mut command = util::cargo_command(TEST_ARGS);
    // `CARGO_TERM_QUIET` would make libtest print terse dots instead of names.
    command.env_remove("CARGO_TERM_QUIET");
    eprintln!(
        "conformance: running `{}` (output captured)",
        util::display(&command)
    );
    let captured = util::capture(&mut command)?;

    let results = parse_output(&captured.stdout);
    let report = Report::new(&results);
    if !results.is_empty() {
        print!("{}", report.render());
    }
    println!("\nNot covered by this job yet:");
    for item in NOT_COVERED {
        println!("  - {item}");
    }
    check_summary(&captured.stdout, &report);

    if !captured.status.success() {
        for (name, text) in [("stderr", &captured.stderr), ("stdout", &captured.stdout)] {
            if !text.trim().is_empty() {
                eprintln!("\n--- last {TAIL_LINES} lines of {name} ---");
                eprintln!("{}", util::tail(text, TAIL_LINES));
            }
        }
    }

    let totals = report.totals();
    if totals.failed > 0 {
        Err(format!("{} conformance test(s) failed", totals.failed))
    } else if !captured.status.success() {
        Err(format!(
            "`{}` failed ({})",
            util::display(&command),
            captured.status
        ))
    } else if results.is_empty() {
        Err("no tests found in hcache-core's `policy` test target".to_owned())
    } else {
        Ok(())
    }
}

/// How one test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// `... ok`
    Passed,
    /// `... FAILED`
    Failed,
    /// `... ignored` (possibly with a reason)
    Ignored,
}

/// One test result line of libtest's output.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TestResult {
    /// The test's path, e.g. `freshness::s4_2_1_max_age_wins`.
    name: String,
    /// How it ended.
    outcome: Outcome,
}

/// Every test result in libtest's (pretty-format) output.
fn parse_output(stdout: &str) -> Vec<TestResult> {
    stdout.lines().filter_map(parse_line).collect()
}

/// Parses `test <path> ... ok`, `... FAILED` or `... ignored[, reason]`.
fn parse_line(line: &str) -> Option<TestResult> {
    let rest = line.trim_end().strip_prefix("test ")?;
    let (name, status) = rest.split_once(" ... ")?;
    let name = name.strip_suffix(" - should panic").unwrap_or(name);
    let outcome = match status.split([' ', ',']).next()? {
        "ok" => Outcome::Passed,
        "FAILED" => Outcome::Failed,
        "ignored" => Outcome::Ignored,
        _ => return None,
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    Some(TestResult {
        name: name.to_owned(),
        outcome,
    })
}

/// Counts for one group of tests (or for all of them).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Stats {
    /// Tests that passed.
    passed: usize,
    /// Tests that failed.
    failed: usize,
    /// Tests that were ignored.
    ignored: usize,
    /// Paths of the failed tests, in output order.
    failing: Vec<String>,
}

impl Stats {
    /// Counts `result`.
    fn add(&mut self, result: &TestResult) {
        match result.outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Ignored => self.ignored += 1,
            Outcome::Failed => {
                self.failed += 1;
                self.failing.push(result.name.clone());
            }
        }
    }
}

/// Test results grouped by RFC section.
#[derive(Debug, Default)]
struct Report {
    /// Per-group counts, in report order.
    groups: BTreeMap<Group, Stats>,
}

impl Report {
    /// Groups `results` by the section named in each test's path.
    fn new(results: &[TestResult]) -> Self {
        let mut groups: BTreeMap<Group, Stats> = BTreeMap::new();
        for result in results {
            groups
                .entry(section::group_of(&result.name))
                .or_default()
                .add(result);
        }
        Self { groups }
    }

    /// Counts over every group.
    fn totals(&self) -> Stats {
        let mut totals = Stats::default();
        for stats in self.groups.values() {
            totals.passed += stats.passed;
            totals.failed += stats.failed;
            totals.ignored += stats.ignored;
            totals.failing.extend(stats.failing.iter().cloned());
        }
        totals
    }

    /// The table: `section | passed | failed | failing tests`, then a total line.
    fn render(&self) -> String {
        let totals = self.totals();
        let header = ["section", "passed", "failed", "failing tests"].map(str::to_owned);
        let body: Vec<[String; 4]> = self
            .groups
            .iter()
            .map(|(group, stats)| {
                [
                    group.to_string(),
                    stats.passed.to_string(),
                    stats.failed.to_string(),
                    stats.failing.join(", "),
                ]
            })
            .collect();
        let ignored = match totals.ignored {
            0 => String::new(),
            n => format!("({n} ignored)"),
        };
        let total = [
            "total".to_owned(),
            totals.passed.to_string(),
            totals.failed.to_string(),
            ignored,
        ];

        let mut widths = [0; 4];
        for row in body.iter().chain([&header, &total]) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let [w0, w1, w2, w3] = widths;
        let line = |[section, passed, failed, failing]: &[String; 4]| {
            let text = format!("{section:<w0$} | {passed:>w1$} | {failed:>w2$} | {failing}");
            format!("{}\n", text.trim_end())
        };
        let rule = format!(
            "{}-+-{}-+-{}-+-{}\n",
            "-".repeat(w0),
            "-".repeat(w1),
            "-".repeat(w2),
            "-".repeat(w3)
        );

        let mut out = line(&header);
        out.push_str(&rule);
        for row in &body {
            out.push_str(&line(row));
        }
        out.push_str(&rule);
        out.push_str(&line(&total));
        out
    }
}

/// Compares the table's totals with libtest's `test result:` summary lines and
/// warns on a mismatch (a result line the parser did not recognise).
fn check_summary(stdout: &str, report: &Report) {
    let mut summary = None::<(usize, usize, usize)>;
    for line in stdout.lines() {
        if let Some(counts) = parse_summary(line) {
            let (p, f, i) = summary.unwrap_or_default();
            summary = Some((p + counts.0, f + counts.1, i + counts.2));
        }
    }
    let totals = report.totals();
    if let Some((passed, failed, ignored)) = summary
        && (passed, failed, ignored) != (totals.passed, totals.failed, totals.ignored)
    {
        eprintln!(
            "warning: libtest reported {passed} passed, {failed} failed, {ignored} ignored, \
                 but {} passed, {} failed, {} ignored were read from its output",
            totals.passed, totals.failed, totals.ignored
        );
    }
}

/// Parses `test result: ok. 3 passed; 1 failed; 2 ignored; …` into
/// `(passed, failed, ignored)`.
fn parse_summary(line: &str) -> Option<(usize, usize, usize)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let (_, counts) = rest.split_once(". ")?;
    let mut found = (0, 0, 0);
    for item in counts.split("; ") {
        let Some((number, what)) = item.trim().split_once(' ') else {
            continue;
        };
        let Ok(number) = number.parse::<usize>() else {
            continue;
        };
        match what {
            "passed" => found.0 = number,
            "failed" => found.1 = number,
            "ignored" => found.2 = number,
            _ => {}
        }
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A libtest run with every kind of result line and some noise around them.
    const OUTPUT: &str = "
running 7 tests
test freshness::s4_2_1_max_age_wins ... ok
test s4_2_3_corrected_initial_age ... FAILED
test rfc5861_s3_swr_serves_stale ... ok
test smoke_test ... ok
test slow::s4_2_1_heuristic ... ignored, needs a clock ... really
test freshness::s4_2_1_expires_fallback - should panic ... ok
test rfc9211_cache_status_hit has been running for over 60 seconds
test rfc9211_cache_status_hit ... ok

failures:

---- s4_2_3_corrected_initial_age stdout ----
thread 's4_2_3_corrected_initial_age' panicked at tests/policy/age.rs:9:5:
note: test s4_2_3_fake ... ok is not a result line mid-line
failures:
    s4_2_3_corrected_initial_age

test result: FAILED. 5 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s
";

    #[test]
    fn parses_result_lines_only() {
        let results = parse_output(OUTPUT);
        let names: Vec<(&str, Outcome)> = results
            .iter()
            .map(|r| (r.name.as_str(), r.outcome))
            .collect();
        assert_eq!(
            names,
            [
                ("freshness::s4_2_1_max_age_wins", Outcome::Passed),
                ("s4_2_3_corrected_initial_age", Outcome::Failed),
                ("rfc5861_s3_swr_serves_stale", Outcome::Passed),
                ("smoke_test", Outcome::Passed),
                ("slow::s4_2_1_heuristic", Outcome::Ignored),
                ("freshness::s4_2_1_expires_fallback", Outcome::Passed),
                ("rfc9211_cache_status_hit", Outcome::Passed),
            ]
        );
    }

    #[test]
    fn ignores_summary_and_other_lines() {
        for line in [
            "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out",
            "test foo has been running for over 60 seconds",
            "running 1 test",
            "test foo ... bench:         12 ns/iter (+/- 1)",
            "    test foo ... ok",
        ] {
            assert_eq!(parse_line(line), None, "{line:?}");
        }
    }

    #[test]
    fn summary_counts() {
        assert_eq!(
            parse_summary(
                "test result: FAILED. 5 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"
            ),
            Some((5, 1, 1))
        );
        assert_eq!(parse_summary("test foo ... ok"), None);
    }

    #[test]
    fn report_groups_and_renders() {
        let report = Report::new(&parse_output(OUTPUT));
        let totals = report.totals();
        assert_eq!((totals.passed, totals.failed, totals.ignored), (5, 1, 1));
        assert_eq!(totals.failing, ["s4_2_3_corrected_initial_age"]);
        let expected = "\
section         | passed | failed | failing tests
----------------+--------+--------+-----------------------------
RFC 5861 §3     |      1 |      0 |
RFC 9111 §4.2.1 |      2 |      0 |
RFC 9111 §4.2.3 |      0 |      1 | s4_2_3_corrected_initial_age
RFC 9211        |      1 |      0 |
(unsectioned)   |      1 |      0 |
----------------+--------+--------+-----------------------------
total           |      5 |      1 | (1 ignored)
";
        assert_eq!(report.render(), expected);
    }
}
