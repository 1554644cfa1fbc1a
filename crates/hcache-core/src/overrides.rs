//! Per-request switches carried in `http::Extensions`, read in one place.
//!
//! An adapter's user inserts these marker types into a request's extensions (for reqwest,
//! through reqwest-middleware's request extensions); [`RequestOverrides::from_extensions`] and
//! [`RequestOverrides::mode_of`] are the only functions that read them.

use std::time::Duration;

use http::Extensions;

use crate::key::CacheKey;
use crate::options::CacheMode;

/// Per-request "serve stale on error for at most this long" window, for clients that work
/// offline (see [`CacheOptions::stale_if_error`](crate::CacheOptions::stale_if_error)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleIfErrorWindow(pub Duration);

/// The overrides found on one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestOverrides {
    /// A [`CacheMode`] for this request.
    pub mode: Option<CacheMode>,
    /// A primary key replacing the computed one.
    pub key: Option<CacheKey>,
    /// A stale-on-error window replacing the configured one.
    pub stale_if_error: Option<Duration>,
}

impl RequestOverrides {
    /// Reads the overrides of a request: [`CacheMode`], [`CacheKey`] and
    /// [`StaleIfErrorWindow`] markers.
    ///
    /// ```
    /// use hcache_core::{CacheMode, RequestOverrides};
    ///
    /// let mut req = http::Request::new(());
    /// req.extensions_mut().insert(CacheMode::NoStore);
    /// let o = RequestOverrides::from_extensions(req.extensions());
    /// assert_eq!(o.mode, Some(CacheMode::NoStore));
    /// ```
    pub fn from_extensions(ext: &Extensions) -> Self {
        RequestOverrides {
            mode: RequestOverrides::mode_of(ext),
            key: ext.get::<CacheKey>().cloned(),
            stale_if_error: ext.get::<StaleIfErrorWindow>().map(|w| w.0),
        }
    }

    /// The [`CacheMode`] marker alone: all that storing and most decisions read, without
    /// copying the other markers.
    pub(crate) fn mode_of(ext: &Extensions) -> Option<CacheMode> {
        ext.get::<CacheMode>().copied()
    }
}
