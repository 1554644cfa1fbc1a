//! The body the engine answers with, and the tee that streams an origin body to the caller
//! and into the store at once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use sync_wrapper::SyncWrapper;

use super::coalesce::FlightGuard;
use super::stats::Counters;
use super::upstream::BoxError;
use crate::store::{StoreError, StoreWriter, StoredBody, VariantId};

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
    /// hit boxes its body once, not twice.
    Stored(StoredBody),
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

    /// Wraps a body from the store.
    pub(crate) fn stored(body: StoredBody) -> Self {
        CacheBody {
            hint: body.size_hint(),
            ended: body.is_end_stream(),
            inner: Inner::Stored(body),
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
            Inner::Stored(b) => Pin::new(b).poll_frame(cx).map_err(BoxError::from),
            Inner::Boxed(b) => Pin::new(b.get_mut()).poll_frame(cx),
        };
        if let Poll::Ready(frame) = &polled {
            // Keep up with the inner body's end: a caller may stop polling as soon as a body
            // says it has ended (hyper does), and a tee waits for exactly that to commit.
            self.ended = frame.is_none()
                || match &mut self.inner {
                    Inner::Stored(b) => b.is_end_stream(),
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

type WriteFuture<W> = Pin<Box<dyn Future<Output = Result<W, StoreError>> + Send>>;
type CommitFuture = Pin<Box<dyn Future<Output = Result<VariantId, StoreError>> + Send>>;

enum TeeState<W> {
    /// Ready for the next chunk.
    Idle(W),
    /// A chunk is being written; the caller already has it.
    Writing(WriteFuture<W>),
    /// The origin body ended; the store is committing.
    Committing(CommitFuture),
    /// Not (or no longer) storing: the body passes through.
    PassThrough,
}

/// Streams an origin body to the caller while writing it into the store. The variant is
/// committed only when the body ends cleanly; an origin error, a store failure or a caller
/// that drops the body early abandon the write (dropping the writer aborts it), so a partial
/// body never becomes an entry.
pub(crate) struct Tee<B, W> {
    upstream: Pin<Box<B>>,
    state: TeeState<W>,
    counters: Arc<Counters>,
    flight: Option<FlightGuard>,
    /// The origin body's last frame, handed over once the variant is committed: a caller may
    /// stop polling as soon as it has the last bytes (hyper does, once a known length is
    /// complete), so the commit cannot wait for a poll that returns `None`.
    last: Option<Frame<Bytes>>,
}

impl<B, W> Tee<B, W> {
    pub(crate) fn new(
        upstream: B,
        writer: W,
        counters: Arc<Counters>,
        flight: Option<FlightGuard>,
    ) -> Self {
        Tee {
            upstream: Box::pin(upstream),
            state: TeeState::Idle(writer),
            counters,
            flight,
            last: None,
        }
    }
}

// The writer is only ever moved, never pinned, and the upstream body is boxed: nothing in a
// Tee relies on staying put.
impl<B, W> Unpin for Tee<B, W> {}

impl<B, W> Tee<B, W> {
    fn store_failed(&mut self, err: &StoreError) {
        let counter = match err {
            StoreError::TooLarge { .. } => &self.counters.too_large,
            _ => &self.counters.store_errors,
        };
        Counters::inc(counter);
        tracing::debug!(error = %err, "hcache: store write abandoned; passing body through");
        self.state = TeeState::PassThrough;
    }
}

impl<B, W> Body for Tee<B, W>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
    W: StoreWriter,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        // Tee holds only boxed or Unpin fields.
        let this = self.get_mut();
        loop {
            match &mut this.state {
                TeeState::Writing(fut) => match ready!(fut.as_mut().poll(cx)) {
                    Ok(w) => this.state = TeeState::Idle(w),
                    Err(e) => this.store_failed(&e),
                },
                TeeState::Committing(fut) => {
                    let result = ready!(fut.as_mut().poll(cx));
                    this.state = TeeState::PassThrough;
                    match result {
                        Ok(id) => {
                            Counters::inc(&this.counters.stored);
                            if let Some(f) = this.flight.take() {
                                f.finish(Some(id));
                            }
                        }
                        Err(e) => this.store_failed(&e),
                    }
                    return Poll::Ready(this.last.take().map(Ok));
                }
                TeeState::Idle(_) if this.last.is_some() => {
                    let TeeState::Idle(w) =
                        std::mem::replace(&mut this.state, TeeState::PassThrough)
                    else {
                        unreachable!("matched above")
                    };
                    this.state = TeeState::Committing(Box::pin(w.commit()));
                }
                TeeState::Idle(_) | TeeState::PassThrough => break,
            }
        }
        if let Some(frame) = this.last.take() {
            return Poll::Ready(Some(Ok(frame))); // the store gave up; pass the frame on
        }
        match ready!(this.upstream.as_mut().poll_frame(cx)) {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref()
                    && let TeeState::Idle(_) = this.state
                {
                    let TeeState::Idle(w) =
                        std::mem::replace(&mut this.state, TeeState::PassThrough)
                    else {
                        unreachable!("checked above")
                    };
                    this.state = TeeState::Writing(Box::pin(w.write(data.clone())));
                }
                let storing = !matches!(this.state, TeeState::PassThrough);
                if storing && this.upstream.is_end_stream() {
                    this.last = Some(frame);
                    return Pin::new(this).poll_frame(cx);
                }
                // Trailers are passed on but not stored (RFC 9111 §3.1 allows discarding them).
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(e)) => {
                // Abort: dropping the writer abandons the entry.
                this.state = TeeState::PassThrough;
                Counters::inc(&this.counters.upstream_errors);
                Poll::Ready(Some(Err(e.into())))
            }
            None => match std::mem::replace(&mut this.state, TeeState::PassThrough) {
                TeeState::Idle(w) => {
                    this.state = TeeState::Committing(Box::pin(w.commit()));
                    // Poll the commit at once; it usually completes without waiting.
                    Pin::new(this).poll_frame(cx)
                }
                _ => Poll::Ready(None),
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        // While a write or commit is pending the body is not over: the commit still has to run.
        matches!(self.state, TeeState::PassThrough) && self.upstream.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.upstream.size_hint()
    }
}
