#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod body;
mod convert;
mod error;
mod framing;
mod middleware;
mod upstream;

pub use convert::RawHeaders;
pub use error::ConvertError;
pub use middleware::{Cache, CacheBuilder};

pub use hcache_core::{CacheKey, CacheMode, CacheOptions, StaleIfErrorWindow};
