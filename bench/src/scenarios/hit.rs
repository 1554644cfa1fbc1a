//! Scenario 1: a fresh 1 KiB hit, against each peer and a plain round trip.

use super::{Probe, Settings, expect_sent, index_of, latency, progress};
use crate::clients::{BoxError, Config};
use crate::origin::Origin;
use crate::report::{Report, Table, ratio, us};

pub(super) async fn run(
    s: &Settings,
    origin: &Origin,
    report: &mut Report,
) -> Result<(), BoxError> {
    progress("1 KiB fresh hit");
    let probes = Config::ALL
        .into_iter()
        .map(|c| Probe::new(origin, c, "fresh", "hit", false, 200))
        .collect::<Result<Vec<_>, _>>()?;
    let rounds = latency(&probes, s).await?;
    let per_probe = (s.warmup + s.rounds * s.iters) as u64;
    for p in &probes {
        // A cache asks the origin once (the first request fills it); a plain client, always.
        let full = if Config::CACHES.contains(&p.config) {
            1
        } else {
            per_probe
        };
        expect_sent(origin, p, full, 0)?;
    }

    let at = |c| index_of(&probes, c).expect("every configuration is probed");
    let (moka, peer_disk) = (at(Config::PeerMoka), at(Config::PeerCacache));
    let mut table = Table::new(
        "1. Fresh 1 KiB hit",
        "A GET of a fresh stored 1 KiB response (`max-age=3600`), body read to the end; \
         the plain clients make the full round trip to the loopback origin. Single-threaded \
         client runtime. Ratios are per-round medians divided within the same round.",
        &[
            "configuration",
            "median",
            "p99",
            "× peer moka hit",
            "× peer cacache hit",
            "× own plain round trip",
        ],
    );
    for (i, p) in probes.iter().enumerate() {
        let samples = rounds.samples(i);
        let base = at(p.config.baseline());
        let slug = p.config.slug();
        report.metric(format!("hit.median_ns.{slug}"), samples.median());
        report.metric(format!("hit.p99_ns.{slug}"), samples.p99());
        report.metric(format!("hit.ratio.{slug}/peer-moka"), rounds.ratio(i, moka));
        report.metric(
            format!("hit.ratio.{slug}/peer-cacache"),
            rounds.ratio(i, peer_disk),
        );
        report.metric(format!("hit.ratio.{slug}/plain"), rounds.ratio(i, base));
        table.row(vec![
            p.config.name().to_owned(),
            us(samples.median()),
            us(samples.p99()),
            ratio(rounds.ratio(i, moka)),
            ratio(rounds.ratio(i, peer_disk)),
            if i == base {
                "–".to_owned()
            } else {
                ratio(rounds.ratio(i, base))
            },
        ]);
    }
    report.tables.push(table);
    Ok(())
}
