//! hcache-surf end to end: surf's h1 client, the cache middleware over a memory store, and a
//! real origin on 127.0.0.1, all on async-std.

mod support;

mod caching;
mod errors;
mod fields;
mod streaming;
