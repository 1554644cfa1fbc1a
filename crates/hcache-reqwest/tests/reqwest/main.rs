//! hcache-reqwest against a real HTTP origin on 127.0.0.1: the middleware in a
//! reqwest-middleware chain over a memory store, cache time from a `ManualClock`.

mod support;

mod caching;
mod fidelity;
mod streaming;
