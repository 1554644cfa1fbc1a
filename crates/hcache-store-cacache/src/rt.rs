//! The little that differs between the async runtimes cacache runs on: the I/O traits of its
//! streaming `Reader` and `Writer`. Everything else in the crate is runtime-agnostic.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

#[cfg(not(any(feature = "tokio", feature = "async-std")))]
compile_error!(
    "hcache-store-cacache needs a runtime: enable the `tokio` or the `async-std` feature"
);

/// Reads into `buf`, returning how many bytes were read (0 at the end).
#[cfg(feature = "tokio")]
pub(crate) fn poll_read(
    reader: Pin<&mut cacache::Reader>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut rb = tokio::io::ReadBuf::new(buf);
    match tokio::io::AsyncRead::poll_read(reader, cx, &mut rb) {
        Poll::Ready(Ok(())) => Poll::Ready(Ok(rb.filled().len())),
        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        Poll::Pending => Poll::Pending,
    }
}

/// Reads into `buf`, returning how many bytes were read (0 at the end).
#[cfg(all(feature = "async-std", not(feature = "tokio")))]
pub(crate) fn poll_read(
    reader: Pin<&mut cacache::Reader>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    futures_io::AsyncRead::poll_read(reader, cx, buf)
}

#[cfg(feature = "tokio")]
fn poll_write(
    writer: Pin<&mut cacache::Writer>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    tokio::io::AsyncWrite::poll_write(writer, cx, buf)
}

#[cfg(all(feature = "async-std", not(feature = "tokio")))]
fn poll_write(
    writer: Pin<&mut cacache::Writer>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    futures_io::AsyncWrite::poll_write(writer, cx, buf)
}

/// Writes all of `buf`.
pub(crate) async fn write_all(writer: &mut cacache::Writer, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| poll_write(Pin::new(&mut *writer), cx, buf)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

/// Runs `f` on a thread of its own and waits for it without blocking the caller's runtime:
/// for the rare operations that touch the whole directory (`clear`). Any runtime will do.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> io::Result<T> {
    struct Slot<T> {
        value: Option<T>,
        done: bool,
        waker: Option<Waker>,
    }
    /// Marks the slot done even if `f` panics, so the waiter never hangs.
    struct Finish<T>(Arc<Mutex<Slot<T>>>);
    impl<T> Drop for Finish<T> {
        fn drop(&mut self) {
            let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            slot.done = true;
            if let Some(w) = slot.waker.take() {
                w.wake();
            }
        }
    }
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        done: false,
        waker: None,
    }));
    let finish = Finish(slot.clone());
    std::thread::Builder::new()
        .name("hcache-cacache".into())
        .spawn(move || {
            let value = f();
            finish
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .value = Some(value);
            drop(finish);
        })?;
    poll_fn(|cx| {
        let mut s = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if s.done {
            return Poll::Ready(
                s.value
                    .take()
                    .ok_or_else(|| io::Error::other("blocking store operation panicked")),
            );
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    })
    .await
}
