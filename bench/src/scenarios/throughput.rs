//! Scenario 2: hit throughput with many concurrent tasks on a multi-threaded runtime.

use std::sync::Arc;
use std::time::Instant;

use reqwest::Url;

use super::{Settings, progress};
use crate::clients::{BoxError, Client, Config, Got};
use crate::origin::{Origin, SMALL};
use crate::report::{Report, Table, ratio, us};
use crate::stats::{Rounds, Samples, rotation};

struct Subject {
    config: Config,
    client: Client,
    urls: Arc<[Url]>,
}

pub(super) fn run(s: &Settings, origin: &Origin, report: &mut Report) -> Result<(), BoxError> {
    progress(&format!("hit throughput, {} tasks", s.tp_tasks));
    // As many workers as cores (2 here): the tasks contend for the cache, not for a thread.
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    runtime.block_on(measure(s, origin, report, workers))
}

async fn measure(
    s: &Settings,
    origin: &Origin,
    report: &mut Report,
    workers: usize,
) -> Result<(), BoxError> {
    let mut subjects = Vec::new();
    for config in Config::CACHES {
        let client = Client::new(config)?;
        let urls: Arc<[Url]> = (0..s.tp_keys)
            .map(|k| origin.url(&format!("/fresh/tp-{}-{k}", config.slug())))
            .collect();
        for url in urls.iter() {
            check(client.get(url, false).await?, config)?;
        }
        subjects.push(Subject {
            config,
            client,
            urls,
        });
    }
    // One unmeasured round warms every cache and the runtime up.
    for subject in &subjects {
        burst(subject, s).await?;
    }
    let mut rounds = Rounds::new(subjects.len());
    let mut latencies = vec![Samples::default(); subjects.len()];
    for r in 0..s.tp_rounds {
        let mut round = vec![Samples::default(); subjects.len()];
        for i in rotation(subjects.len(), r) {
            let (per_second, lat) = burst(&subjects[i], s).await?;
            round[i].push(per_second);
            latencies[i].extend(&lat);
        }
        rounds.record(&round);
    }
    for subject in &subjects {
        let prefix = format!("/fresh/tp-{}-", subject.config.slug());
        let sent = origin.sent(&prefix);
        if sent.full != s.tp_keys as u64 {
            return Err(format!(
                "{}: the origin sent {} responses for {} URLs: not every request was a hit",
                subject.config.name(),
                sent.full,
                s.tp_keys
            )
            .into());
        }
    }

    let moka = subjects
        .iter()
        .position(|x| x.config == Config::PeerMoka)
        .expect("the peer is measured");
    let mut table = Table::new(
        &format!("2. Hit throughput, {} concurrent tasks", s.tp_tasks),
        &format!(
            "{} tasks on a {workers}-worker tokio runtime, each making {} hits over {} fresh \
             1 KiB URLs per round; hits per second of the whole round, and the latency of \
             single requests under that load.",
            s.tp_tasks, s.tp_hits, s.tp_keys
        ),
        &[
            "configuration",
            "hits/s (median round)",
            "request median",
            "request p99",
            "× peer moka throughput",
        ],
    );
    for (i, subject) in subjects.iter().enumerate() {
        let per_second = rounds.round_medians(i).median();
        let slug = subject.config.slug();
        report.metric(format!("throughput.hits_per_s.{slug}"), per_second);
        report.metric(
            format!("throughput.ratio.{slug}/peer-moka"),
            rounds.ratio(i, moka),
        );
        table.row(vec![
            subject.config.name().to_owned(),
            format!("{per_second:.0}"),
            us(latencies[i].median()),
            us(latencies[i].p99()),
            ratio(rounds.ratio(i, moka)),
        ]);
    }
    report.tables.push(table);
    Ok(())
}

fn check(got: Got, config: Config) -> Result<(), BoxError> {
    if got.status == 200 && got.len == SMALL as u64 {
        Ok(())
    } else {
        Err(format!("{}: got {got:?}", config.name()).into())
    }
}

/// One round: every task makes its hits; returns hits per second and each hit's latency.
async fn burst(subject: &Subject, s: &Settings) -> Result<(f64, Samples), BoxError> {
    let start = Instant::now();
    let tasks: Vec<_> = (0..s.tp_tasks)
        .map(|t| {
            let (client, urls, config) =
                (subject.client.clone(), subject.urls.clone(), subject.config);
            let hits = s.tp_hits;
            tokio::spawn(async move {
                let mut lat = Samples::default();
                // Tasks start at different URLs and stride through all of them.
                let offset = t * urls.len() / 64;
                for h in 0..hits {
                    let url = &urls[(offset + h) % urls.len()];
                    let t0 = Instant::now();
                    check(client.get(url, false).await?, config)?;
                    lat.push(t0.elapsed().as_nanos() as f64);
                }
                Ok::<_, BoxError>(lat)
            })
        })
        .collect();
    let mut all = Samples::default();
    for task in tasks {
        all.extend(&task.await??);
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(((s.tp_tasks * s.tp_hits) as f64 / secs, all))
}
