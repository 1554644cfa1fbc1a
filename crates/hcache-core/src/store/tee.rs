//! Writing a body into a store while it streams somewhere else: the engine tees an origin
//! body to its caller and its store; a tiered store tees a lower tier's body to its reader
//! and its upper tier (promotion).
//!
//! The variant is committed only when the source body ends cleanly. A source error, a
//! store failure, or a reader that drops the body early abandon the write — dropping the
//! writer aborts it — so a partial body never becomes an entry. Each chunk's write finishes
//! before the next chunk is read, which bounds the memory a slow store can pin.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use sync_wrapper::SyncWrapper;

use super::{StoreError, StoreWriter, VariantId};

/// How a tee ended, reported once to its callback.
#[derive(Debug)]
#[non_exhaustive]
pub enum TeeOutcome {
    /// The body ended cleanly and the variant was committed.
    Committed(VariantId),
    /// The store gave up (too large, I/O error); the body went on without it.
    Abandoned(StoreError),
    /// The source body failed; nothing was stored.
    SourceFailed,
}

type Callback = Box<dyn FnOnce(TeeOutcome) + Send>;
type WriteFuture<W> = Pin<Box<dyn Future<Output = Result<W, StoreError>> + Send>>;
type CommitFuture = Pin<Box<dyn Future<Output = Result<VariantId, StoreError>> + Send>>;

enum State<W> {
    /// Ready for the next chunk.
    Idle(W),
    /// A chunk is being written; the reader already has it.
    Writing(WriteFuture<W>),
    /// The source ended; the store is committing.
    Committing(CommitFuture),
    /// Not (or no longer) storing.
    PassThrough,
}

/// A body that passes `source` through while writing it into a store.
///
/// It is `Sync` whenever the source is: the write state and the callback are only ever
/// reached through `&mut` (store writers and their futures need not be `Sync`).
pub struct StoreTee<B, W> {
    source: Pin<Box<B>>,
    state: SyncWrapper<State<W>>,
    /// Whether the tee still stores (the state is not `PassThrough`), readable through `&`.
    storing: bool,
    /// The source's last frame, handed over only once the variant is committed: a reader may
    /// stop polling as soon as it has the last bytes (hyper does, once a known length is
    /// complete), so the commit cannot wait for a poll that returns `None`.
    last: Option<Frame<Bytes>>,
    done: SyncWrapper<Option<Callback>>,
}

// The writer is only ever moved, never pinned, and the source is boxed: nothing in a tee
// relies on staying put.
impl<B, W> Unpin for StoreTee<B, W> {}

impl<B, W> StoreTee<B, W> {
    /// Tees `source` into `writer`; `done` hears how it ended (it is dropped unheard when the
    /// reader drops the body first, which is an abandoned write too).
    pub fn new(source: B, writer: W, done: impl FnOnce(TeeOutcome) + Send + 'static) -> Self {
        StoreTee {
            source: Box::pin(source),
            state: SyncWrapper::new(State::Idle(writer)),
            storing: true,
            last: None,
            done: SyncWrapper::new(Some(Box::new(done))),
        }
    }

    fn report(&mut self, outcome: TeeOutcome) {
        if let Some(done) = self.done.get_mut().take() {
            done(outcome);
        }
    }

    fn set(&mut self, state: State<W>) -> State<W> {
        self.storing = !matches!(state, State::PassThrough);
        std::mem::replace(self.state.get_mut(), state)
    }
}

impl<B, W> Body for StoreTee<B, W>
where
    B: Body<Data = Bytes>,
    W: StoreWriter,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        loop {
            match this.state.get_mut() {
                State::Writing(fut) => match ready!(fut.as_mut().poll(cx)) {
                    Ok(w) => {
                        this.set(State::Idle(w));
                    }
                    Err(e) => {
                        this.set(State::PassThrough);
                        this.report(TeeOutcome::Abandoned(e));
                    }
                },
                State::Committing(fut) => {
                    let result = ready!(fut.as_mut().poll(cx));
                    this.set(State::PassThrough);
                    this.report(match result {
                        Ok(id) => TeeOutcome::Committed(id),
                        Err(e) => TeeOutcome::Abandoned(e),
                    });
                    return Poll::Ready(this.last.take().map(Ok));
                }
                State::Idle(_) if this.last.is_some() => this.commit(),
                State::Idle(_) | State::PassThrough => break,
            }
        }
        if let Some(frame) = this.last.take() {
            return Poll::Ready(Some(Ok(frame))); // the store gave up; pass the frame on
        }
        match ready!(this.source.as_mut().poll_frame(cx)) {
            Some(Ok(frame)) => {
                if let (Some(data), State::Idle(_)) = (frame.data_ref(), this.state.get_mut()) {
                    let chunk = data.clone();
                    if let State::Idle(w) = this.set(State::PassThrough) {
                        this.set(State::Writing(Box::pin(w.write(chunk))));
                    }
                }
                if this.storing && this.source.is_end_stream() {
                    this.last = Some(frame);
                    return Pin::new(this).poll_frame(cx);
                }
                // Trailers are passed on but not stored (RFC 9111 §3.1 allows discarding them).
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(e)) => {
                this.set(State::PassThrough); // dropping the writer aborts the entry
                this.report(TeeOutcome::SourceFailed);
                Poll::Ready(Some(Err(e)))
            }
            None => {
                if let State::Idle(_) = this.state.get_mut() {
                    this.commit();
                    return Pin::new(this).poll_frame(cx);
                }
                Poll::Ready(None)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        // While a write or commit is pending the body is not over: the commit still has to run.
        !self.storing && self.last.is_none() && self.source.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.source.size_hint()
    }
}

impl<B, W: StoreWriter> StoreTee<B, W> {
    fn commit(&mut self) {
        if let State::Idle(w) = self.set(State::PassThrough) {
            self.set(State::Committing(Box::pin(w.commit())));
        }
    }
}
