#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod background;
mod error;
mod future;
mod layer;
mod service;
mod upstream;

pub use background::ServiceSend;
#[cfg(feature = "tokio")]
pub use background::TokioSpawn;
pub use error::Error;
pub use future::ResponseFuture;
pub use layer::CacheLayer;
pub use service::CacheService;

pub use hcache_core::{CacheBody, CacheMode, CacheOptions, Engine};
