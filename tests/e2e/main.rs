//! End-to-end scenarios against a real HTTP origin on 127.0.0.1, with real stores. Each
//! scenario names the RFC section it exercises. Cache time is a `ManualClock`; nothing sleeps
//! to make time pass.
//!
//! - `engine`: the engine's own behaviour, once per store (`scenario::<store>`).
//! - `scenarios`: one set written once and run through every adapter — the engine,
//!   hcache-hyper, hcache-reqwest (tokio) and hcache-surf (async-std) — with every store
//!   (`scenario::<adapter>_<store>`).
//! - `faults`: origin faults from a raw TCP origin (resets, stalls, broken framing, 1xx,
//!   5xx bursts) through every adapter (`case::<adapter>`).
//! - `safety`: shared-cache safety, two users per case (`Authorization`, `private`, `Vary`,
//!   cache-key confusion, malformed directives, header injection).
//! - `load`: 10,000 concurrent requests through hcache-reqwest (the soak is `cargo xtask soak`).

mod support;

mod engine;
mod faults;
mod faults_store;
mod load;
mod safety;
mod scenarios;
