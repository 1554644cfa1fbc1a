//! Running a libtest binary and reading its `test <path> ... ok|FAILED|ignored` lines.

use crate::util::{self, Result};

/// How many trailing lines of captured output to show when a test command fails.
const TAIL_LINES: usize = 60;

/// The results of one test command.
#[derive(Debug)]
pub(crate) struct Run {
    /// Every result line, in output order.
    pub(crate) results: Vec<TestResult>,
    /// Whether the command itself succeeded.
    pub(crate) success: bool,
    /// The command, for messages.
    pub(crate) command: String,
}

/// Runs `cargo <args>` with its output captured and reads its results.
pub(crate) fn run(args: &[&str]) -> Result<Run> {
    let mut command = util::cargo_command(args);
    // `CARGO_TERM_QUIET` would make libtest print terse dots instead of names.
    command.env_remove("CARGO_TERM_QUIET");
    let shown = util::display(&command);
    eprintln!("conformance: running `{shown}` (output captured)");
    let captured = util::capture(&mut command)?;
    let results = parse_output(&captured.stdout);
    check_summary(&captured.stdout, &results);
    if !captured.status.success() {
        for (name, text) in [("stderr", &captured.stderr), ("stdout", &captured.stdout)] {
            if !text.trim().is_empty() {
                eprintln!("\n--- last {TAIL_LINES} lines of {name} ---");
                eprintln!("{}", util::tail(text, TAIL_LINES));
            }
        }
    }
    Ok(Run {
        results,
        success: captured.status.success(),
        command: shown,
    })
}

/// How one test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// `... ok`
    Passed,
    /// `... FAILED`
    Failed,
    /// `... ignored` (possibly with a reason)
    Ignored,
}

/// One test result line of libtest's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TestResult {
    /// The test's path, e.g. `freshness::s4_2_1_max_age_wins`.
    pub(crate) name: String,
    /// How it ended.
    pub(crate) outcome: Outcome,
}

/// Every test result in libtest's (pretty-format) output.
pub(crate) fn parse_output(stdout: &str) -> Vec<TestResult> {
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

/// Compares what was read with libtest's `test result:` summary lines and
/// warns on a mismatch (a result line the parser did not recognise).
fn check_summary(stdout: &str, results: &[TestResult]) {
    let mut summary = None::<(usize, usize, usize)>;
    for line in stdout.lines() {
        if let Some(counts) = parse_summary(line) {
            let (p, f, i) = summary.unwrap_or_default();
            summary = Some((p + counts.0, f + counts.1, i + counts.2));
        }
    }
    let count = |o: Outcome| results.iter().filter(|r| r.outcome == o).count();
    let read = (
        count(Outcome::Passed),
        count(Outcome::Failed),
        count(Outcome::Ignored),
    );
    if let Some(reported) = summary.filter(|s| *s != read) {
        eprintln!(
            "warning: libtest reported {reported:?} (passed, failed, ignored), but {read:?} \
             were read from its output"
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
}
