#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod clock;
pub mod codec;
mod directives;
mod engine;
mod fields;
mod freshness;
mod invalidate;
mod key;
mod options;
mod overrides;
mod policy;
mod post;
mod reuse;
mod status;
mod storable;
mod store;
mod stored;
mod validate;
mod vary;

pub use clock::{Clock, ManualClock, SystemClock};
pub use directives::{Extension, MaxStale, RequestDirectives, ResponseDirectives, Seconds};
pub use fields::{AgeValue, ExpiresValue, parse_http_date};
pub use freshness::{Lifetime, LifetimeSource};
pub use invalidate::invalidates;
pub use key::CacheKey;
pub use options::{CacheMode, CacheOptions, KeyFn, StatusSet};
pub use overrides::{RequestOverrides, StaleIfErrorWindow};
pub use policy::{CachePolicy, clone_parts};
pub use reuse::{Decision, Reuse, StaleReason, Validation};
pub use status::{CACHE_STATUS, CacheStatus, ForwardReason};
pub use storable::NotStorable;
pub use stored::StoredResponse;
pub use validate::HeadOutcome;
pub use vary::VaryKey;

pub use engine::{
    BackgroundSend, BackgroundTask, BoxError, CacheBody, Engine, EngineBuilder, EngineStats, Error,
    Spawn, Stats, Upstream,
};
pub use store::{
    CacheStore, StoreError, StoreStats, StoreTee, StoreWriter, StoredBody, TeeOutcome, Variant,
    VariantId,
};
