//! The public HTTP cache test suite, npm `http-cache-tests`, against hcache's caching reverse
//! proxy (`hcache-hyper`'s `reverse_proxy` example) in shared mode, once per store.
//!
//! The suite drives a cache placed between its client and its own origin server. Facts that
//! shape this module: Node's fetch ignores `HTTP_PROXY`, so the proxy is a *reverse* proxy and
//! the suite's base URL points at it (without a trailing slash); the suite's server listens on
//! every interface unless told otherwise, so a preloaded shim keeps it on 127.0.0.1; results
//! are scored with the suite's own test kinds (none = required, `optimal`, `check`) and its
//! dependency rule (a test whose dependency did not pass is not counted).

use std::collections::BTreeMap;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{self, Result};

/// The suite version run (the newest on npm).
pub(crate) const SUITE_VERSION: &str = "0.4.5";

/// How long one full suite run may take before it is abandoned.
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// A test's kind, as the suite defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// No `kind`: a requirement of the specification.
    Required,
    /// Something a cache should do to be optimal.
    Optimal,
    /// Information gathering, no pass or fail.
    Check,
}

/// One test definition.
#[derive(Debug, Clone)]
pub(crate) struct TestMeta {
    /// The test id.
    pub(crate) id: String,
    /// The suite group's name.
    pub(crate) suite_name: String,
    /// The test's kind.
    pub(crate) kind: Kind,
    /// Tests that must pass for this one to count.
    pub(crate) depends_on: Vec<String>,
}

/// How a test ended, scored as the suite's own display does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A required or optimal test passed.
    Pass,
    /// A required test failed.
    Fail,
    /// An optimal test failed.
    OptionalFail,
    /// A check answered yes.
    Yes,
    /// A check answered no.
    No,
    /// The test could not be set up.
    SetupFail,
    /// The client had to retry (the cache sent a request twice).
    Retry,
    /// A dependency did not pass: not counted.
    DependencyFail,
    /// No result.
    Untested,
}

impl Outcome {
    fn passes(self) -> bool {
        matches!(self, Outcome::Pass | Outcome::Yes)
    }
}

/// The results of one run of the suite against one store.
#[derive(Debug)]
pub(crate) struct StoreRun {
    /// The proxy's `--store` argument, e.g. `memory`.
    pub(crate) store: String,
    /// Outcome per test id.
    pub(crate) outcomes: BTreeMap<String, Outcome>,
}

/// Runs the suite once per store in `stores` (`memory`, `cacache`, `tiered`).
pub(crate) fn run(stores: &[&str]) -> Result<(Vec<TestMeta>, Vec<StoreRun>)> {
    for tool in ["node", "npm"] {
        if Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            return Err(format!(
                "`{tool}` not found: install Node.js (>= 14.8) and npm to run the public suite"
            ));
        }
    }
    let work = util::target_dir().join("http-cache-tests");
    let pkg = install(&work)?;
    let meta = metadata(&pkg)?;
    let proxy = build_proxy()?;

    let origin_port = free_port()?;
    let shim = util::workspace_root().join("xtask/assets/bind-localhost.cjs");
    let mut origin = Command::new("node");
    origin
        .args(["--no-warnings", "-r"])
        .arg(&shim)
        .arg("server/server.mjs")
        .current_dir(&pkg)
        .env("npm_package_config_protocol", "http")
        .env("npm_package_config_port", origin_port.to_string())
        .env("npm_package_config_pidfile", work.join("server.pid"))
        .stdout(log_file(&work, "origin.log")?)
        .stderr(log_file(&work, "origin.err")?);
    let _origin = Guard::spawn(origin)?;
    wait_for_port(origin_port)?;

    let mut runs = Vec::new();
    for &store in stores {
        let store_arg = match store {
            "memory" => "memory".to_owned(),
            other => {
                let dir = work.join(format!("store-{other}"));
                let _ = fs::remove_dir_all(&dir);
                format!("{other}:{}", dir.display())
            }
        };
        let port = free_port()?;
        let mut cmd = Command::new(&proxy);
        cmd.args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--upstream", &format!("http://127.0.0.1:{origin_port}")])
            .args(["--store", &store_arg, "--mode", "shared"])
            .stdout(log_file(&work, &format!("proxy-{store}.log"))?)
            .stderr(log_file(&work, &format!("proxy-{store}.err"))?);
        let proxy_process = Guard::spawn(cmd)?;
        wait_for_port(port)?;
        eprintln!(
            "conformance: http-cache-tests {SUITE_VERSION} through the proxy with the {store} store"
        );
        let raw = run_cli(&pkg, port)?;
        drop(proxy_process);
        fs::write(work.join(format!("results-{store}.json")), &raw)
            .map_err(|e| format!("write results: {e}"))?;
        runs.push(StoreRun {
            store: store.to_owned(),
            outcomes: score(&meta, &raw)?,
        });
    }
    Ok((meta, runs))
}

/// `cargo xtask public-suite`: runs the suite with the memory and cacache stores and prints
/// the counts and the tests that did not pass.
pub(crate) fn run_task() -> Result {
    let (meta, runs) = run(&["memory", "cacache"])?;
    for r in &runs {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for o in r.outcomes.values() {
            *counts.entry(format!("{o:?}")).or_default() += 1;
        }
        println!("{}: {counts:?}", r.store);
        for t in &meta {
            let o = r.outcomes.get(&t.id).copied().unwrap_or(Outcome::Untested);
            if matches!(
                o,
                Outcome::Fail | Outcome::OptionalFail | Outcome::SetupFail | Outcome::Retry
            ) {
                println!("  {o:?} [{:?}] {} ({})", t.kind, t.id, t.suite_name);
            }
        }
    }
    Ok(())
}

/// Installs the suite under `work` (once), returning the package directory.
fn install(work: &Path) -> Result<PathBuf> {
    let pkg = work.join("node_modules/http-cache-tests");
    let installed = fs::read_to_string(pkg.join("package.json"))
        .is_ok_and(|p| p.contains(&format!("\"version\": \"{SUITE_VERSION}\"")));
    if !installed {
        fs::create_dir_all(work).map_err(|e| format!("create {}: {e}", work.display()))?;
        eprintln!(
            "conformance: installing http-cache-tests@{SUITE_VERSION} into {}",
            work.display()
        );
        let mut npm = Command::new("npm");
        npm.args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--omit=dev",
            "--prefix",
        ])
        .arg(work)
        .arg(format!("http-cache-tests@{SUITE_VERSION}"));
        util::run(&mut npm)?;
    }
    Ok(pkg)
}

/// The test definitions, read from the installed package by a small Node script.
fn metadata(pkg: &Path) -> Result<Vec<TestMeta>> {
    let script = util::workspace_root().join("xtask/assets/suite-meta.mjs");
    let mut node = Command::new("node");
    node.arg(&script).arg(pkg);
    let out = util::capture(&mut node)?;
    if !out.status.success() {
        return Err(format!(
            "reading the suite's tests failed: {}",
            util::tail(&out.stderr, 20)
        ));
    }
    let list: Value =
        serde_json::from_str(&out.stdout).map_err(|e| format!("suite metadata: {e}"))?;
    let mut meta = Vec::new();
    for t in list.as_array().into_iter().flatten() {
        if t["browser_only"].as_bool() == Some(true) {
            continue; // the CLI does not run these
        }
        meta.push(TestMeta {
            id: t["id"].as_str().unwrap_or_default().to_owned(),
            suite_name: t["suite_name"].as_str().unwrap_or_default().to_owned(),
            kind: match t["kind"].as_str() {
                Some("optimal") => Kind::Optimal,
                Some("check") => Kind::Check,
                _ => Kind::Required,
            },
            depends_on: t["depends_on"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect(),
        });
    }
    if meta.is_empty() {
        return Err("the suite defines no tests (broken install?)".to_owned());
    }
    Ok(meta)
}

/// Builds the reverse proxy example (dev profile: `cargo test` has built most of it already).
fn build_proxy() -> Result<PathBuf> {
    let mut cmd =
        util::cargo_command(&["build", "-p", "hcache-hyper", "--example", "reverse_proxy"]);
    util::run(&mut cmd)?;
    let path = util::target_dir().join("debug/examples/reverse_proxy");
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} was not built", path.display()))
    }
}

/// Runs the suite's CLI against the proxy on `port`; returns its JSON output.
fn run_cli(pkg: &Path, port: u16) -> Result<String> {
    let mut cli = Command::new("node");
    cli.args(["--no-warnings", "cli.mjs"])
        .current_dir(pkg)
        .env("npm_config_base", format!("http://127.0.0.1:{port}"))
        .env("npm_package_config_id", "")
        .env_remove("npm_config_id")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cli
        .spawn()
        .map_err(|e| format!("start the suite's CLI: {e}"))?;
    let started = Instant::now();
    let output = wait_with_timeout(child, RUN_TIMEOUT)?;
    if !output.status.success() {
        return Err(format!(
            "the suite's CLI failed: {}",
            util::tail(&String::from_utf8_lossy(&output.stderr), 20)
        ));
    }
    eprintln!("conformance: suite finished in {:.0?}", started.elapsed());
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Scores a results file: the suite's `determineTestResult`, dependencies honoured.
pub(crate) fn score(meta: &[TestMeta], raw: &str) -> Result<BTreeMap<String, Outcome>> {
    let results: Value =
        serde_json::from_str(raw).map_err(|e| format!("suite results are not JSON: {e}"))?;
    let by_id: BTreeMap<&str, &TestMeta> = meta.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut memo = BTreeMap::new();
    for t in meta {
        outcome_of(&t.id, &by_id, &results, &mut memo, 0);
    }
    Ok(memo)
}

fn outcome_of(
    id: &str,
    by_id: &BTreeMap<&str, &TestMeta>,
    results: &Value,
    memo: &mut BTreeMap<String, Outcome>,
    depth: usize,
) -> Outcome {
    if let Some(o) = memo.get(id) {
        return *o;
    }
    let Some(t) = by_id.get(id) else {
        return Outcome::Untested;
    };
    let result = &results[id];
    let outcome = if result.is_null() {
        Outcome::Untested
    } else if depth < 32
        && t.depends_on
            .iter()
            .any(|d| !outcome_of(d, by_id, results, memo, depth + 1).passes())
    {
        Outcome::DependencyFail
    } else if result[0].as_str() == Some("Setup") {
        if result[1].as_str() == Some("retry") {
            Outcome::Retry
        } else {
            Outcome::SetupFail
        }
    } else {
        let ok = result.as_bool() == Some(true);
        match (t.kind, ok) {
            (Kind::Required | Kind::Optimal, true) => Outcome::Pass,
            (Kind::Required, false) => Outcome::Fail,
            (Kind::Optimal, false) => Outcome::OptionalFail,
            (Kind::Check, true) => Outcome::Yes,
            (Kind::Check, false) => Outcome::No,
        }
    };
    memo.insert(id.to_owned(), outcome);
    outcome
}

/// A child process killed when dropped.
struct Guard(Child);

impl Guard {
    fn spawn(mut cmd: Command) -> Result<Guard> {
        cmd.stdin(Stdio::null());
        cmd.spawn()
            .map(Guard)
            .map_err(|e| format!("could not start `{}`: {e}", util::display(&cmd)))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn log_file(dir: &Path, name: &str) -> Result<fs::File> {
    fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    fs::File::create(dir.join(name)).map_err(|e| format!("create log {name}: {e}"))
}

/// A free port on 127.0.0.1 (bound, read, released).
fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Waits (bounded) until something accepts connections on 127.0.0.1:`port`.
fn wait_for_port(port: u16) -> Result {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("nothing listens on 127.0.0.1:{port} after 60 s"))
}

fn wait_with_timeout(mut child: Child, timeout: Duration) -> Result<std::process::Output> {
    // Read the pipes on threads so a chatty child cannot block on a full pipe.
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = std::thread::spawn(move || read_all(stdout.as_mut()));
    let err = std::thread::spawn(move || read_all(stderr.as_mut()));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the suite did not finish within {timeout:?}"));
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    Ok(std::process::Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

fn read_all(r: Option<&mut impl std::io::Read>) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(r) = r {
        let _ = r.read_to_end(&mut buf);
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: &str, kind: Kind, deps: &[&str]) -> TestMeta {
        TestMeta {
            id: id.into(),
            suite_name: "s".into(),
            kind,
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn scoring_follows_kinds_and_dependencies() {
        let m = vec![
            meta("a", Kind::Required, &[]),
            meta("b", Kind::Required, &["a"]),
            meta("c", Kind::Optimal, &[]),
            meta("d", Kind::Check, &[]),
            meta("e", Kind::Required, &["c"]),
            meta("f", Kind::Required, &[]),
            meta("g", Kind::Required, &[]),
        ];
        let raw = r#"{"a": ["Assertion", "x"], "b": true, "c": ["Assertion","y"], "d": true,
                      "e": true, "f": ["Setup", "retry"], "g": ["Setup", "PUT config resulted in 404"]}"#;
        let s = score(&m, raw).unwrap();
        assert_eq!(s["a"], Outcome::Fail);
        assert_eq!(s["b"], Outcome::DependencyFail);
        assert_eq!(s["c"], Outcome::OptionalFail);
        assert_eq!(s["d"], Outcome::Yes);
        assert_eq!(s["e"], Outcome::DependencyFail);
        assert_eq!(s["f"], Outcome::Retry);
        assert_eq!(s["g"], Outcome::SetupFail);
    }

    #[test]
    fn dependency_cycles_terminate() {
        let m = vec![
            meta("a", Kind::Required, &["b"]),
            meta("b", Kind::Required, &["a"]),
        ];
        let s = score(&m, r#"{"a": true, "b": true}"#).unwrap();
        assert_eq!(s.len(), 2);
    }
}
