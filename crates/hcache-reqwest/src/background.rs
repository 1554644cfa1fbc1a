//! Background revalidation (stale-while-revalidate, RFC 5861 §3) over a reqwest client.
//!
//! A refresh outlives the call that started it, and with it the middleware chain's `Next`,
//! so refreshes go straight to a `reqwest::Client` of the user's choosing, spawned on the
//! tokio runtime the call runs on.

use std::future::Future;
use std::pin::Pin;

use hcache_core::{BackgroundSend, BackgroundTask, BoxError, CacheBody, Spawn};

use crate::convert;

/// Sends refreshes with a reqwest client (bypassing the middleware chain).
pub(crate) struct ClientSend(pub(crate) reqwest::Client);

impl BackgroundSend for ClientSend {
    fn send(
        &self,
        request: http::Request<()>,
    ) -> Pin<Box<dyn Future<Output = Result<http::Response<CacheBody>, BoxError>> + Send>> {
        let client = self.0.clone();
        Box::pin(async move {
            let req = convert::to_reqwest_request(request.map(|()| reqwest::Body::default()))?;
            let res = client.execute(req).await?;
            Ok(convert::from_reqwest_response(res).map(CacheBody::new))
        })
    }
}

/// Spawns refreshes on the current tokio runtime.
pub(crate) struct TokioSpawn;

impl Spawn for TokioSpawn {
    fn spawn(&self, task: BackgroundTask) {
        // reqwest's client only runs inside a tokio runtime, so there is one here; should
        // there not be, the refresh is skipped rather than the process panicking.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(task);
            }
            Err(e) => {
                tracing::warn!(error = %e, "hcache: no tokio runtime; background revalidation skipped")
            }
        }
    }
}
