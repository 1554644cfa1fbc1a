//! Scenario 4: a miss that is not stored (`no-store`), against the plain client it wraps.

use super::{Probe, Settings, expect_sent, index_of, latency, progress};
use crate::clients::{BoxError, Config};
use crate::origin::Origin;
use crate::report::{Report, Table, ratio, us};

pub(super) async fn run(
    s: &Settings,
    origin: &Origin,
    report: &mut Report,
) -> Result<(), BoxError> {
    progress("no-store miss");
    // The bypassed cache after the memory store's row: what a miss costs apart from the
    // caching itself; the two floors after the bare middleware's row: what any middleware
    // pays, and one that converts to `http` types and back.
    let extra = |c: Config| match c {
        Config::Memory => &[Config::Bypass][..],
        Config::Middleware => &[Config::PassThrough, Config::Converted][..],
        _ => &[][..],
    };
    let probes = Config::ALL
        .into_iter()
        .flat_map(|c| std::iter::once(c).chain(extra(c).iter().copied()))
        .map(|c| Probe::new(origin, c, "nostore", "miss", false, 200))
        .collect::<Result<Vec<_>, _>>()?;
    let rounds = latency(&probes, s).await?;
    let per_probe = (s.warmup + s.rounds * s.iters) as u64;
    for p in &probes {
        expect_sent(origin, p, per_probe, 0)?;
    }

    let mut table = Table::new(
        "4. No-store miss",
        "A GET whose 1 KiB response says `cache-control: no-store`: looked up, forwarded, \
         not stored. Each configuration against the plain reqwest it is built on, within \
         the same round. The bypassed row sends each request with `CacheMode::NoStore`, \
         which skips the lookup, the coalescing and the storability check: the adapter and \
         the engine around the send, with no caching work. The pass-through and converting \
         middlewares are floors, not caches: the cost of any middleware, and of one that \
         also converts the request and response to `http` types and back as hcache-reqwest \
         does (bench/src/floor.rs).",
        &["configuration", "median", "p99", "× own plain reqwest"],
    );
    for (i, p) in probes.iter().enumerate() {
        let base = index_of(&probes, p.config.baseline()).expect("baselines are probed");
        let samples = rounds.samples(i);
        let slug = p.config.slug();
        report.metric(format!("no_store.median_ns.{slug}"), samples.median());
        report.metric(
            format!("no_store.ratio.{slug}/plain"),
            rounds.ratio(i, base),
        );
        table.row(vec![
            p.config.name().to_owned(),
            us(samples.median()),
            us(samples.p99()),
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
