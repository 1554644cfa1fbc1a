//! Background revalidation (RFC 5861 §3, stale-while-revalidate): what the engine needs to
//! refresh a stale response after it has already been served — a way to send a request of its
//! own ([`ServiceSend`]) and a runtime to run it on ([`TokioSpawn`]).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use hcache_core::{BackgroundSend, BoxError, CacheBody};
use http::{Request, Response};
use tower_service::Service;

use crate::upstream::ready_call;

/// Sends the engine's background refreshes through a tower service — usually a clone of the
/// service the cache layer wraps.
///
/// A refresh has no body, so the service's request body type `B` must be able to make an
/// empty one: `B: Default` (`Full<Bytes>`, `Empty<Bytes>`, `String`, http-body-util's
/// `BoxBody` and `UnsyncBoxBody` all are). This is the only place the adapter asks for it; a
/// service whose body type has no `Default` (hyper's `Incoming`, say) still works behind
/// [`CacheLayer::new`](crate::CacheLayer::new), revalidating in the foreground, or can be
/// given one by boxing its request bodies.
pub struct ServiceSend<S, B> {
    // Each refresh clones the service; the mutex makes this `Sync` without asking the
    // service to be.
    service: Mutex<S>,
    body: PhantomData<fn() -> B>,
}

impl<S, B> ServiceSend<S, B> {
    /// Refreshes through `service`.
    pub fn new(service: S) -> Self {
        ServiceSend {
            service: Mutex::new(service),
            body: PhantomData,
        }
    }
}

impl<S, B> fmt::Debug for ServiceSend<S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceSend").finish_non_exhaustive()
    }
}

impl<S, B, RB> BackgroundSend for ServiceSend<S, B>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    RB: http_body::Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
    B: Default + Send + 'static,
{
    fn send(
        &self,
        request: Request<()>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<CacheBody>, BoxError>> + Send>> {
        let mut service = self
            .service
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let request = request.map(|()| B::default());
        Box::pin(async move {
            let response = ready_call(&mut service, request)
                .await
                .map_err(Into::into)?;
            Ok(response.map(CacheBody::new))
        })
    }
}

#[cfg(feature = "tokio")]
pub use self::tokio_spawn::TokioSpawn;

#[cfg(feature = "tokio")]
mod tokio_spawn {
    use hcache_core::{BackgroundTask, Spawn};

    /// Runs background refreshes on the tokio runtime the request arrived on
    /// (`tokio::spawn`).
    ///
    /// Outside a runtime there is nowhere to run a refresh: it is skipped (and logged at
    /// debug level) rather than panicking, and the stale response stays until a later
    /// request validates it in the foreground.
    #[derive(Debug, Clone, Copy, Default)]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub struct TokioSpawn;

    impl Spawn for TokioSpawn {
        fn spawn(&self, task: BackgroundTask) {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn(task)),
                Err(e) => {
                    tracing::debug!(error = %e, "hcache: no tokio runtime; background refresh skipped");
                }
            }
        }
    }
}
