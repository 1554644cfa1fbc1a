//! The engine's flow against a real origin: each behaviour of the engine issue, once per store,
//! grouped by concept. What every adapter must do alike (the basic flow, `Vary`, repeated
//! field lines, stale-while-revalidate, stale-if-error) is checked once, through every adapter
//! including the engine, in `scenarios`; what is here goes further than every adapter needs
//! to (exact statistics, modes and overrides, coalescing, store limits and failures).

mod bodies;
mod cache_status;
mod concurrency;
mod conditional;
mod fields;
mod freshen;
mod overrides;
mod post;
#[cfg(target_os = "linux")]
mod rss;
mod stale;
mod stats;
