//! The engine's way to the network: the inner tower service.

use std::future::{Future, poll_fn};
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use hcache_core::{BoxError, CacheBody, Upstream};
use http::{Request, Response};
use tower_service::Service;

/// An [`Upstream`] over one call's share of the inner service.
///
/// It holds the instance [`CacheService::call`](crate::CacheService) took, which
/// `poll_ready` made ready: tower services may reserve capacity in `poll_ready` (a
/// concurrency-limit permit, a buffer slot) for exactly the instance that was polled, so the
/// first send uses that instance and only a later one (the engine sends at most once per
/// request today) falls back to a fresh clone, driven to readiness before it is called.
pub(crate) struct ServiceUpstream<S> {
    // A mutex only to make the upstream `Sync` (the engine shares it across awaits) without
    // asking the service to be `Sync`; it is never held across an await.
    service: Mutex<S>,
}

impl<S: Clone> ServiceUpstream<S> {
    pub(crate) fn new(service: S) -> Self {
        ServiceUpstream {
            service: Mutex::new(service),
        }
    }

    /// Takes the held instance, leaving a clone for any later send.
    pub(crate) fn take(&self) -> S {
        let mut held = self.service.lock().unwrap_or_else(PoisonError::into_inner);
        let spare = held.clone();
        std::mem::replace(&mut *held, spare)
    }
}

/// Drives `service` to readiness, then calls it: the tower contract, in one place.
pub(crate) async fn ready_call<S, R>(service: &mut S, request: R) -> Result<S::Response, S::Error>
where
    S: Service<R>,
{
    poll_fn(|cx| service.poll_ready(cx)).await?;
    service.call(request).await
}

impl<S, B, RB> Upstream<B> for ServiceUpstream<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send,
    S::Future: Send,
    S::Error: Into<BoxError> + Send + 'static,
    RB: http_body::Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
    B: Send,
{
    // The inner body need not be `Sync`; `CacheBody` is, whatever it wraps.
    type Body = CacheBody;
    type Error = S::Error;

    fn send(
        &self,
        request: Request<B>,
    ) -> impl Future<Output = Result<Response<CacheBody>, S::Error>> + Send {
        let mut service = self.take();
        async move {
            let response = ready_call(&mut service, request).await?;
            Ok(response.map(CacheBody::new))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service value that remembers whether it is the original or a clone.
    #[derive(Debug, PartialEq)]
    struct Tagged(u32);

    impl Clone for Tagged {
        fn clone(&self) -> Self {
            Tagged(self.0 + 1)
        }
    }

    #[test]
    fn the_first_send_gets_the_instance_poll_ready_prepared() {
        let upstream = ServiceUpstream::new(Tagged(0));
        assert_eq!(upstream.take(), Tagged(0), "the ready instance itself");
        assert_eq!(upstream.take(), Tagged(1), "then a clone");
    }
}
