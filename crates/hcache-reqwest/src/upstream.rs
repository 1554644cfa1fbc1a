//! The engine's way to the network: the rest of the middleware chain (`Next`), then reqwest.

use std::sync::{Mutex, PoisonError};

use http::Extensions;
use reqwest::Body;
use reqwest_middleware::{Error, Next};

use hcache_core::Upstream;

use crate::convert::{self, Target};

/// The rest of the chain for one call of the middleware, with the caller's extensions.
///
/// `Next::run` needs the chain's `&mut Extensions` (later middleware may add to it, and
/// earlier middleware may read those additions once the call returns), while the engine only
/// lends `&self`: the extensions are lent to the send in progress and handed back after it.
pub(crate) struct NextUpstream<'a> {
    next: Next<'a>,
    target: &'a Target,
    extensions: Mutex<Option<&'a mut Extensions>>,
}

impl<'a> NextUpstream<'a> {
    pub(crate) fn new(next: Next<'a>, target: &'a Target, extensions: &'a mut Extensions) -> Self {
        NextUpstream {
            next,
            target,
            extensions: Mutex::new(Some(extensions)),
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<&'a mut Extensions>> {
        self.extensions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Upstream<Body> for NextUpstream<'_> {
    type Body = Body;
    type Error = Error;

    async fn send(&self, request: http::Request<Body>) -> Result<http::Response<Body>, Error> {
        let mut lent = self.slot().take();
        // The engine sends once per call; should it ever send again while the caller's
        // extensions are out, that send gets a copy of them rather than none.
        let mut spare = match lent {
            Some(_) => Extensions::new(),
            None => request.extensions().clone(),
        };
        let sent = match convert::to_reqwest_request_for(request, self.target) {
            Ok(req) => {
                let extensions = lent.as_deref_mut().unwrap_or(&mut spare);
                self.next.clone().run(req, extensions).await
            }
            Err(e) => Err(Error::Reqwest(e)),
        };
        if let Some(extensions) = lent {
            *self.slot() = Some(extensions);
        }
        Ok(convert::from_reqwest_response(sent?))
    }
}
