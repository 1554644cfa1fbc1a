//! Bodies, streamed both ways, one chunk at a time: the engine's [`CacheBody`] read as a
//! `futures` `AsyncBufRead` (what an http-types `Body` is made from), and surf's body read as an
//! `http_body::Body` (what the engine takes from upstream).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use futures_io::{AsyncBufRead, AsyncRead};
use hcache_core::CacheBody;
use http_body::{Body, Frame, SizeHint};

/// The largest chunk read from surf's body at once.
const CHUNK: usize = 64 * 1024;

/// The engine's body as an `AsyncBufRead`: it holds one frame's data at a time.
pub(crate) struct BodyReader {
    body: CacheBody,
    chunk: Bytes,
    done: bool,
}

impl BodyReader {
    pub(crate) fn new(body: CacheBody) -> Self {
        BodyReader {
            body,
            chunk: Bytes::new(),
            done: false,
        }
    }
}

impl AsyncBufRead for BodyReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.chunk.is_empty() && !this.done {
            match ready!(Pin::new(&mut this.body).poll_frame(cx)) {
                // Trailers have no place in an http-types body; only data is read.
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        this.chunk = data;
                    }
                }
                Some(Err(e)) => return Poll::Ready(Err(io::Error::other(e))),
                None => this.done = true,
            }
        }
        Poll::Ready(Ok(&this.chunk))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.chunk.advance(amt.min(this.chunk.len()));
    }
}

impl AsyncRead for BodyReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let available = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }
}

/// Surf's body (any `AsyncRead`) as an `http_body::Body` of up to 64 KiB chunks.
///
/// With a known length, the body ends exactly there: reaching the end of the stream sooner is
/// an error (`UnexpectedEof`), so a connection cut short can never look like a complete body
/// (and be stored as one).
pub(crate) struct ReaderBody<R> {
    reader: R,
    remaining: Option<u64>,
    buf: Vec<u8>,
    done: bool,
    /// Why the body cannot be read: its first frame is this error.
    unreadable: Option<&'static str>,
}

impl<R> ReaderBody<R> {
    pub(crate) fn new(reader: R, len: Option<u64>) -> Self {
        let capacity = len.map_or(CHUNK, |n| n.min(CHUNK as u64) as usize);
        ReaderBody {
            reader,
            remaining: len,
            buf: vec![0; capacity],
            done: len == Some(0),
            unreadable: None,
        }
    }

    /// A body whose bytes are known not to be the content: reading it fails with `why`.
    pub(crate) fn unreadable(reader: R, why: &'static str) -> Self {
        ReaderBody {
            reader,
            remaining: None,
            buf: Vec::new(),
            done: false,
            unreadable: Some(why),
        }
    }
}

impl<R: AsyncRead + Unpin> Body for ReaderBody<R> {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(why) = this.unreadable {
            this.done = true;
            return Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::InvalidData, why))));
        }
        let want = match this.remaining {
            Some(r) => this.buf.len().min(usize::try_from(r).unwrap_or(usize::MAX)),
            None => this.buf.len(),
        };
        let n = match ready!(Pin::new(&mut this.reader).poll_read(cx, &mut this.buf[..want])) {
            Ok(n) => n,
            Err(e) => {
                this.done = true;
                return Poll::Ready(Some(Err(e)));
            }
        };
        if n == 0 {
            this.done = true;
            // Short of the announced length: the stream was cut, not finished.
            return Poll::Ready(this.remaining.map(|r| {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("body ended {r} bytes before its announced length"),
                ))
            }));
        }
        if let Some(r) = &mut this.remaining {
            *r -= n as u64;
            this.done = *r == 0;
        }
        Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(
            &this.buf[..n],
        )))))
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        match self.remaining {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use futures_io::AsyncRead;
    use std::task::Waker;

    /// A reader that hands out its bytes a few at a time.
    struct Trickle(Vec<u8>, usize);

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let step = self.1;
            let n = self.0.len().min(buf.len()).min(step);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0.drain(..n);
            Poll::Ready(Ok(n))
        }
    }

    fn frames<B: Body<Data = Bytes> + Unpin>(mut body: B) -> Vec<Result<Bytes, B::Error>> {
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        while let Poll::Ready(Some(f)) = Pin::new(&mut body).poll_frame(&mut cx) {
            out.push(f.map(|f| f.into_data().unwrap_or_default()));
        }
        out
    }

    #[test]
    fn reader_body_ends_at_its_length() {
        let body = ReaderBody::new(Trickle(b"hello world, and more".to_vec(), 4), Some(11));
        assert_eq!(body.size_hint().exact(), Some(11));
        let got: Vec<u8> = frames(body)
            .into_iter()
            .flat_map(|f| f.unwrap().to_vec())
            .collect();
        assert_eq!(got, b"hello world");
    }

    #[test]
    fn reader_body_cut_short_is_an_error() {
        let out = frames(ReaderBody::new(Trickle(b"short".to_vec(), 100), Some(10)));
        assert_eq!(out.len(), 2);
        let err = out[1].as_ref().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn reader_body_of_length_zero_is_over_at_once() {
        let body = ReaderBody::new(Trickle(b"ignored".to_vec(), 100), Some(0));
        assert!(body.is_end_stream());
        assert!(frames(body).is_empty());
    }

    #[test]
    fn reader_body_without_length_reads_to_the_end() {
        let body = ReaderBody::new(Trickle(vec![7; 200_000], 100_000), None);
        let sizes: Vec<usize> = frames(body).into_iter().map(|f| f.unwrap().len()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 200_000);
        assert!(sizes.iter().all(|&n| n <= CHUNK));
    }

    #[test]
    fn body_reader_reads_frame_by_frame() {
        let mut reader = BodyReader::new(CacheBody::full(&b"abcdef"[..]));
        let mut cx = Context::from_waker(Waker::noop());
        let mut buf = [0; 4];
        let mut got = Vec::new();
        loop {
            match Pin::new(&mut reader).poll_read(&mut cx, &mut buf) {
                Poll::Ready(Ok(0)) => break,
                Poll::Ready(Ok(n)) => got.extend_from_slice(&buf[..n]),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(got, b"abcdef");
    }
}
