//! The scenarios, and the latency driver most of them share.

pub(crate) mod big;
mod hit;
mod no_store;
pub(crate) mod repeat;
mod revalidation;
mod throughput;

use std::time::Instant;

use core_affinity::CoreId;
use reqwest::Url;
use serde_json::{Value, json};
use tokio::runtime::Runtime;

use crate::clients::{BoxError, Client, Config, Got};
use crate::origin::{Origin, SMALL};
use crate::report::Report;
use crate::stats::{Rounds, Samples, rotation};

/// How much to measure.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Every scenario once with tiny counts, to check that it runs (timings mean nothing).
    pub(crate) smoke: bool,
    /// Latency scenarios: rounds, requests per configuration per round, warm-up requests.
    pub(crate) rounds: usize,
    pub(crate) iters: usize,
    pub(crate) warmup: usize,
    /// Throughput: rounds, concurrent tasks, hits per task per round, distinct URLs.
    pub(crate) tp_rounds: usize,
    pub(crate) tp_tasks: usize,
    pub(crate) tp_hits: usize,
    pub(crate) tp_keys: usize,
    /// Revalidations of one URL in the long run.
    pub(crate) repeats: usize,
    /// The big body: its length, child processes per configuration, hits per child.
    pub(crate) big_len: usize,
    pub(crate) big_runs: usize,
    pub(crate) big_hits: usize,
}

impl Settings {
    pub(crate) fn new(smoke: bool) -> Settings {
        if smoke {
            Settings {
                smoke,
                rounds: 2,
                iters: 3,
                warmup: 1,
                tp_rounds: 1,
                tp_tasks: 64,
                tp_hits: 2,
                tp_keys: 64,
                repeats: 20,
                big_len: 1024 * 1024,
                big_runs: 1,
                big_hits: 2,
            }
        } else {
            Settings {
                smoke,
                rounds: 40,
                iters: 250,
                warmup: 500,
                tp_rounds: 15,
                tp_tasks: 64,
                tp_hits: 200,
                tp_keys: 1_000,
                repeats: 2_000,
                big_len: 10 * 1024 * 1024,
                big_runs: 3,
                big_hits: 20,
            }
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({
            "smoke": self.smoke,
            "rounds": self.rounds,
            "requests_per_round": self.iters,
            "warmup": self.warmup,
            "throughput_rounds": self.tp_rounds,
            "throughput_tasks": self.tp_tasks,
            "throughput_hits_per_task": self.tp_hits,
            "throughput_urls": self.tp_keys,
            "revalidation_repeats": self.repeats,
            "big_body_bytes": self.big_len,
            "big_child_runs": self.big_runs,
            "big_hits": self.big_hits,
        })
    }
}

/// Runs the scenarios named in `only` (all when empty) into `report`. The latency scenarios
/// run pinned to one CPU with the origin ([`crate::pin`]).
pub(crate) fn run(s: &Settings, only: &[String], report: &mut Report) -> Result<(), BoxError> {
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let mut cpu = crate::pin::latency_cpu();
    // The origin's thread inherits the pin of the thread that starts it.
    let (origin, took) = crate::pin::run_on(cpu, |took| (Origin::start(0), took));
    let origin = origin?;
    if !took {
        cpu = None;
    }
    report.pinned_cpu = cpu.map(|c| c.id);
    if wanted("hit") {
        pinned(cpu, |rt| rt.block_on(hit::run(s, &origin, report)))?;
    }
    if wanted("throughput") {
        throughput::run(s, &origin, report)?;
    }
    if wanted("revalidation") {
        pinned(cpu, |rt| rt.block_on(revalidation::run(s, &origin, report)))?;
    }
    if wanted("no-store") {
        pinned(cpu, |rt| rt.block_on(no_store::run(s, &origin, report)))?;
    }
    if wanted("big") {
        big::run(s, report)?;
    }
    Ok(())
}

/// Runs a latency scenario on a current-thread runtime of its own, on a thread pinned to `cpu`.
fn pinned(
    cpu: Option<CoreId>,
    scenario: impl FnOnce(&Runtime) -> Result<(), BoxError> + Send,
) -> Result<(), BoxError> {
    crate::pin::run_on(cpu, |_| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        scenario(&runtime)
    })
}

/// One configuration in a latency scenario: its client, the URL it asks for and how.
pub(crate) struct Probe {
    pub(crate) config: Config,
    pub(crate) client: Client,
    pub(crate) url: Url,
    pub(crate) conditional: bool,
    pub(crate) expect: Got,
}

impl Probe {
    /// A probe of `config` with a new client, asking for `/{kind}/{scenario}-{config}`.
    pub(crate) fn new(
        origin: &Origin,
        config: Config,
        kind: &str,
        scenario: &str,
        conditional: bool,
        expect_status: u16,
    ) -> Result<Probe, BoxError> {
        let expect = Got {
            status: expect_status,
            len: if expect_status == 304 {
                0
            } else {
                SMALL as u64
            },
        };
        Ok(Probe {
            config,
            client: Client::new(config)?,
            url: origin.url(&format!("/{kind}/{scenario}-{}", config.slug())),
            conditional,
            expect,
        })
    }

    /// One request, timed (nanoseconds), checked against what it must get.
    pub(crate) async fn once(&self) -> Result<f64, BoxError> {
        let start = Instant::now();
        let got = self.client.get(&self.url, self.conditional).await?;
        let ns = start.elapsed().as_nanos() as f64;
        if got != self.expect {
            return Err(format!(
                "{} {}: got {got:?}, expected {:?}",
                self.config.name(),
                self.url,
                self.expect
            )
            .into());
        }
        Ok(ns)
    }
}

/// Warms every probe up, then measures `s.rounds` rounds of `s.iters` requests each, the
/// probes in a rotated order each round.
pub(crate) async fn latency(probes: &[Probe], s: &Settings) -> Result<Rounds, BoxError> {
    for p in probes {
        for _ in 0..s.warmup {
            p.once().await?;
        }
    }
    let mut rounds = Rounds::new(probes.len());
    for r in 0..s.rounds {
        let mut round = vec![Samples::default(); probes.len()];
        for i in rotation(probes.len(), r) {
            for _ in 0..s.iters {
                round[i].push(probes[i].once().await?);
            }
        }
        rounds.record(&round);
    }
    Ok(rounds)
}

/// The index of `config` among `probes`.
pub(crate) fn index_of(probes: &[Probe], config: Config) -> Option<usize> {
    probes.iter().position(|p| p.config == config)
}

/// Fails unless the origin sent exactly `full` full responses and `not_modified` 304s for
/// `probe`'s URL: the check that a scenario measured what it claims.
pub(crate) fn expect_sent(
    origin: &Origin,
    probe: &Probe,
    full: u64,
    not_modified: u64,
) -> Result<(), BoxError> {
    let sent = origin.sent_to(probe.url.path());
    if (sent.full, sent.not_modified) != (full, not_modified) {
        return Err(format!(
            "{} {}: the origin sent {} full responses and {} 304s, expected {full} and {not_modified}",
            probe.config.name(),
            probe.url,
            sent.full,
            sent.not_modified
        )
        .into());
    }
    Ok(())
}

/// Progress on stderr.
pub(crate) fn progress(what: &str) {
    eprintln!("hcache-bench: {what}");
}
