//! The cache service's error.

use hcache_core::BoxError;

/// Why a [`CacheService`](crate::CacheService) call failed.
///
/// Only the inner service's failures reach the caller: a failing store is never an error (the
/// engine counts it and serves from the origin), and when a stale response may stand in for a
/// failure (stale-if-error, RFC 5861 §4) the caller gets that response instead.
///
/// The inner service's error is kept as it was returned, boxed, as this error's
/// [`source`](std::error::Error::source): downcast it to the client's own error type
/// (`hyper_util::client::legacy::Error`, `tower::timeout::error::Elapsed`, ...).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The inner service failed (in `poll_ready` or in its response future), and no stored
    /// response could stand in.
    #[error("inner service failed")]
    Inner(#[source] BoxError),
    /// The cache engine failed for a reason of its own (none today; kept for the engine's
    /// future errors).
    #[error("cache engine failed")]
    Engine(#[source] hcache_core::Error),
}

impl Error {
    /// The inner service's error, when that is what failed.
    pub fn inner(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Error::Inner(e) => Some(&**e),
            _ => None,
        }
    }
}

impl From<hcache_core::Error> for Error {
    fn from(e: hcache_core::Error) -> Self {
        match e {
            // The engine's upstream is the inner service: name it once, not twice.
            hcache_core::Error::Upstream(inner) => Error::Inner(inner),
            other => Error::Engine(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_upstream_error_becomes_inner_with_the_original_source() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let e = Error::from(hcache_core::Error::Upstream(Box::new(io)));
        let Error::Inner(inner) = &e else {
            panic!("expected Inner, got {e:?}");
        };
        let io = inner.downcast_ref::<std::io::Error>().expect("downcasts");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset);
        let source = std::error::Error::source(&e).expect("a source");
        assert!(source.is::<std::io::Error>());
        assert!(e.inner().is_some());
    }
}
