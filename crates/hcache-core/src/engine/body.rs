//! The body the engine answers with, and the tee that streams an origin body to the caller
//! and into the store at once.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use sync_wrapper::SyncWrapper;

use super::coalesce::FlightGuard;
use super::stats::Counters;
use super::upstream::BoxError;
use crate::store::{StoreError, StoreWriter, StoredBody, TeeOutcome};

/// The body of a response from the engine: a stored body, an origin body (possibly being
/// written into the store as it streams), or a small body the engine made (a 504).
///
/// It is `Send + Sync` whatever it wraps (clients such as reqwest require `Sync` bodies): the
/// inner body is only ever reached through `&mut`, and its size hint is taken when wrapped.
pub struct CacheBody {
    inner: Inner,
    hint: SizeHint,
    ended: bool,
}

enum Inner {
    /// A body from the store, which comes boxed, `Send` and `Sync` already: kept as is, so a
    /// hit boxes its body once, not twice. A failure while it streams (the store found the
    /// bytes damaged) is a store error, counted with the engine's counters.
    Stored(StoredBody, Arc<Counters>),
    /// Any other body.
    Boxed(SyncWrapper<UnsyncBoxBody<Bytes, BoxError>>),
}

impl CacheBody {
    /// An empty body (HEAD, 304).
    pub fn empty() -> Self {
        Self::new(http_body_util::Empty::new())
    }

    /// A body of one chunk.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self::new(http_body_util::Full::new(bytes.into()))
    }

    /// Wraps any body.
    pub fn new<B>(body: B) -> Self
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let hint = body.size_hint();
        let ended = body.is_end_stream();
        CacheBody {
            inner: Inner::Boxed(SyncWrapper::new(body.map_err(Into::into).boxed_unsync())),
            hint,
            ended,
        }
    }

    /// Wraps a body from the store; a failure while it streams counts in `counters`.
    pub(crate) fn stored(body: StoredBody, counters: Arc<Counters>) -> Self {
        CacheBody {
            hint: body.size_hint(),
            ended: body.is_end_stream(),
            inner: Inner::Stored(body, counters),
        }
    }
}

impl fmt::Debug for CacheBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheBody")
            .field("size_hint", &self.hint)
            .finish()
    }
}

impl Body for CacheBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = match &mut self.inner {
            Inner::Stored(b, counters) => Pin::new(b).poll_frame(cx).map_err(|e| {
                Counters::inc(&counters.store_errors);
                tracing::warn!(error = %e, "hcache: stored body failed while streaming");
                BoxError::from(e)
            }),
            Inner::Boxed(b) => Pin::new(b.get_mut()).poll_frame(cx),
        };
        if let Poll::Ready(frame) = &polled {
            // Keep up with the inner body's end: a caller may stop polling as soon as a body
            // says it has ended (hyper does), and a tee waits for exactly that to commit.
            self.ended = frame.is_none()
                || match &mut self.inner {
                    Inner::Stored(b, _) => b.is_end_stream(),
                    Inner::Boxed(b) => b.get_mut().is_end_stream(),
                };
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.ended
    }

    fn size_hint(&self) -> SizeHint {
        self.hint
    }
}

/// The body of a response being stored: it streams to the caller while the shared
/// [`StoreTee`](crate::StoreTee) writes it into the store, and the engine's counters and the
/// key's flight hear how that ended (a dropped body releases the flight's followers too, as
/// the guard is dropped with the callback).
pub(crate) fn teed<B, W>(
    source: B,
    writer: W,
    counters: Arc<Counters>,
    flight: Option<FlightGuard>,
) -> CacheBody
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    W: StoreWriter,
{
    let tee = crate::store::StoreTee::new(source, writer, move |outcome| match outcome {
        TeeOutcome::Committed(id) => {
            Counters::inc(&counters.stored);
            if let Some(f) = flight {
                f.finish(Some(id));
            }
        }
        TeeOutcome::Abandoned(err) => {
            // Too large is the store's limit doing its job; anything else is a fault of the
            // store (a full disk, no permission) that an operator should hear about.
            if let StoreError::TooLarge { .. } = err {
                Counters::inc(&counters.too_large);
                tracing::debug!(error = %err, "hcache: body too large to store; passing through");
            } else {
                Counters::inc(&counters.store_errors);
                tracing::warn!(error = %err, "hcache: store write failed; passing body through");
            }
        }
        TeeOutcome::SourceFailed => Counters::inc(&counters.upstream_errors),
    });
    CacheBody::new(tee)
}
