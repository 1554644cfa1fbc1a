//! The engine's flow against a real origin: each behaviour of the engine issue, once per store,
//! grouped by concept.

mod bodies;
mod concurrency;
mod conditional;
mod fields;
mod flow;
mod overrides;
mod post;
#[cfg(target_os = "linux")]
mod rss;
mod stale;
mod stats;
