#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod background;
mod convert;
mod error;
mod middleware;
mod upstream;

pub use middleware::{Cache, CacheBuilder};

pub use hcache_core::{CacheKey, CacheMode, CacheOptions, StaleIfErrorWindow};
