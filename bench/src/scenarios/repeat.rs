//! `hcache-bench repeat CONFIG SCENARIO N`: one configuration's requests of one latency
//! scenario (`hit`, `revalidation` or `no-store`), made N times after one to fill the cache,
//! each checked as the scenario checks it, and nothing timed. It is for counting
//! instructions, which on a shared machine are steadier than time:
//!
//! ```text
//! valgrind --tool=callgrind target/release/hcache-bench repeat memory no-store 200
//! valgrind --tool=callgrind target/release/hcache-bench repeat memory no-store 1200
//! ```
//!
//! The difference of the two totals over the difference of the counts (1,000) is what one
//! request costs the client, the cache and the origin together, start-up taken out.

use super::Probe;
use crate::clients::{BoxError, Config};
use crate::origin::Origin;

/// Runs `hcache-bench repeat` with the arguments after `repeat`.
pub(crate) fn child(args: &[String]) -> Result<(), BoxError> {
    let [config, scenario, n] = args else {
        return Err("usage: hcache-bench repeat CONFIG hit|revalidation|no-store N".into());
    };
    let config = Config::from_slug(config).ok_or_else(|| format!("no configuration `{config}`"))?;
    let n: u64 = n.parse()?;
    let origin = Origin::start(0)?;
    let plain = !Config::CACHES.contains(&config);
    // As in the scenarios: a plain client revalidates itself and gets the bare 304.
    let (kind, conditional, status) = match scenario.as_str() {
        "hit" => ("fresh", false, 200),
        "revalidation" => ("validate", plain, if plain { 304 } else { 200 }),
        "no-store" => ("nostore", false, 200),
        other => return Err(format!("no latency scenario `{other}`").into()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let probe = Probe::new(&origin, config, kind, "repeat", conditional, status)?;
        // The fill (a hit's or a revalidation's first request reaches the origin in full).
        probe.client.get(&probe.url, conditional).await?;
        for _ in 0..n {
            probe.once().await?;
        }
        Ok(())
    })
}
