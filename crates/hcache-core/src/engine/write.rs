//! Writing a forwarded response into the store while it streams to the caller (the tee), and
//! the one response stored under another key than its request's: a POST's, for later GETs
//! (RFC 9110 §9.3.3).

use std::sync::Arc;
use std::time::SystemTime;

use http::{request, response};
use http_body::Body;

use super::Engine;
use super::body::{CacheBody, teed};
use super::coalesce::FlightGuard;
use super::stats::Counters;
use super::upstream::BoxError;
use crate::key::CacheKey;
use crate::status::CacheStatus;
use crate::store::{CacheStore, StoreWriter};
use crate::stored::StoredResponse;

impl<S: CacheStore> Engine<S> {
    /// Stores `meta` under `key` as `body` streams to the caller: the body returned tees each
    /// chunk into the store and commits at its end (a body already ended commits now). When
    /// the store refuses it (too large, or a store error), the body passes through untouched.
    /// `status` gets `stored` when the write began; `guard`'s followers are released with the
    /// committed variant (or none).
    pub(super) async fn store_streaming<RB>(
        &self,
        key: &CacheKey,
        meta: StoredResponse,
        body: RB,
        guard: Option<FlightGuard>,
        status: &mut CacheStatus,
    ) -> CacheBody
    where
        RB: Body<Data = bytes::Bytes, Error: Into<BoxError>> + Send + 'static,
    {
        let inner = &*self.inner;
        let hint = body.size_hint().exact();
        match inner.store.begin(key, Arc::new(meta), hint).await {
            Ok(Some(writer)) => {
                *status = status.clone().stored(true);
                if body.is_end_stream() {
                    // Nothing to stream: commit now.
                    match writer.commit().await {
                        Ok(id) => {
                            Counters::inc(&inner.counters.stored);
                            if let Some(g) = guard {
                                g.finish(Some(id));
                            }
                        }
                        Err(e) => self.store_error("commit", &e),
                    }
                    CacheBody::empty()
                } else {
                    teed(body, writer, inner.counters.clone(), guard)
                }
            }
            Ok(None) => {
                Counters::inc(&inner.counters.too_large);
                CacheBody::new(body)
            }
            Err(e) => {
                self.store_error("begin", &e);
                CacheBody::new(body)
            }
        }
    }

    /// A response to a method the cache does not answer: stored when it is a POST's that
    /// RFC 9110 §9.3.3 lets later GET and HEAD requests reuse, under the target URI's GET key
    /// ([`CachePolicy::store_post`](crate::CachePolicy::store_post)); passed through
    /// otherwise. The caller has applied the POST's invalidations (RFC 9111 §4.4) already.
    pub(super) async fn store_uncached_method<RB>(
        &self,
        parts: &request::Parts,
        res: &response::Parts,
        body: RB,
        status: &mut CacheStatus,
        (request_time, response_time): (SystemTime, SystemTime),
    ) -> CacheBody
    where
        RB: Body<Data = bytes::Bytes, Error: Into<BoxError>> + Send + 'static,
    {
        if parts.method != http::Method::POST {
            return CacheBody::new(body);
        }
        match self
            .inner
            .policy
            .store_post(parts, res, request_time, response_time)
        {
            Ok((key, meta)) => {
                tracing::debug!(key = %key, "hcache: POST response stored for GET (RFC 9110 §9.3.3)");
                self.store_streaming(&key, meta, body, None, status).await
            }
            Err(why) => {
                tracing::debug!(uri = %parts.uri, reason = %why, "hcache: POST response not stored");
                CacheBody::new(body)
            }
        }
    }
}
