//! Reading a stored body back, verified.
//!
//! A body up to [`INLINE_LIMIT`] is read whole and checked against its integrity hash before
//! the first byte is returned: a corrupt or missing small body is an error from
//! [`CacheStore::open`](hcache_core::CacheStore::open), which the engine answers by removing
//! the variant and treating the request as a miss. A larger body streams through cacache's
//! reader, whose hash can only be checked at the end; the stream therefore holds back its
//! last chunk until the check passes, and fails instead of ending when it does not — so a
//! caller never receives a complete wrong body, and the variant is removed.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use cacache::Integrity;
use hcache_core::{CacheKey, StoreError, StoredBody, VariantId};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;

use crate::disk::{Disk, PREFIX_LEN, backend, prefix};
use crate::rt;

/// Bodies up to this size are read whole (and verified before use); larger ones stream.
pub(crate) const INLINE_LIMIT: u64 = 64 << 10;
const CHUNK: usize = 64 << 10;

/// A handle to a stored body: where it is and how long it is. Cheap to clone.
#[derive(Clone)]
pub struct BodyRef(Arc<BodyInner>);

struct BodyInner {
    sri: Integrity,
    len: u64,
    id: u64,
}

impl fmt::Debug for BodyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyRef")
            .field("integrity", &self.0.sri.to_string())
            .field("len", &self.0.len)
            .finish()
    }
}

impl BodyRef {
    pub(crate) fn new(sri: Integrity, len: u64, id: u64) -> BodyRef {
        BodyRef(Arc::new(BodyInner { sri, len, id }))
    }

    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        self.0.len
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }
}

/// Why a stored body was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("stored body failed its integrity check")]
    Integrity(#[source] cacache::Error),
    #[error("stored body is {found} bytes long, {expected} were stored")]
    Length { found: u64, expected: u64 },
    #[error("stored body belongs to another variant")]
    Foreign,
}

/// Opens `body` of the variant `id` under `key`.
pub(crate) async fn open(
    disk: &Arc<Disk>,
    key: &CacheKey,
    body: &BodyRef,
) -> Result<StoredBody, StoreError> {
    let b = &*body.0;
    if b.len <= INLINE_LIMIT {
        let checked = cacache::read_hash_sync(&disk.root, &b.sri)
            .map_err(not_found_or_corrupt)
            .and_then(|data| check_whole(&data, b).map(|()| data));
        let data = match checked {
            Ok(data) => data,
            Err(e) => {
                if is_corrupt(&e) {
                    // Wrong for every reader: delete it now (the engine removes the variant).
                    disk.remove_content(&b.sri.to_string());
                }
                return Err(e);
            }
        };
        let data = Bytes::from(data).slice(PREFIX_LEN as usize..);
        return Ok(http_body_util::Full::new(data)
            .map_err(|never| match never {})
            .boxed());
    }
    let reader = cacache::Reader::open_hash(&disk.root, b.sri.clone())
        .await
        .map_err(not_found_or_corrupt)?;
    Ok(Verified {
        reader: Some(reader),
        buf: vec![0; CHUNK].into_boxed_slice(),
        head: Vec::with_capacity(PREFIX_LEN as usize),
        held: None,
        seen: 0,
        body: body.clone(),
        on_corrupt: Some((disk.clone(), key.clone())),
    }
    .boxed())
}

fn not_found_or_corrupt(e: cacache::Error) -> StoreError {
    match e {
        cacache::Error::IntegrityError(_) => backend(BodyError::Integrity(e)),
        // Missing or unreadable: cacache's error keeps the path and the I/O error.
        e => backend(e),
    }
}

fn is_corrupt(e: &StoreError) -> bool {
    matches!(e, StoreError::Backend(b) if b.is::<BodyError>())
}

fn check_whole(data: &[u8], b: &BodyInner) -> Result<(), StoreError> {
    let expected = PREFIX_LEN + b.len;
    if data.len() as u64 != expected {
        return Err(backend(BodyError::Length {
            found: data.len() as u64,
            expected,
        }));
    }
    if data[..PREFIX_LEN as usize] != prefix(b.id) {
        return Err(backend(BodyError::Foreign));
    }
    Ok(())
}

/// A streamed body, verified as it goes: see the module docs.
struct Verified {
    reader: Option<cacache::Reader>,
    buf: Box<[u8]>,
    /// The content header read so far.
    head: Vec<u8>,
    /// The last chunk read, released when the next one arrives or the hash checks out.
    held: Option<Bytes>,
    /// Content bytes read, header included.
    seen: u64,
    body: BodyRef,
    on_corrupt: Option<(Arc<Disk>, CacheKey)>,
}

impl Verified {
    fn fail(&mut self, e: BodyError) -> Poll<Option<Result<Frame<Bytes>, StoreError>>> {
        self.reader = None;
        self.held = None;
        if let Some((disk, key)) = self.on_corrupt.take() {
            // Rare, and small: the entry file is rewritten without this variant, and the
            // body, wrong for every reader, is deleted now.
            let _ = disk.remove_variant(&key, VariantId(self.body.0.id));
            disk.remove_content(&self.body.0.sri.to_string());
        }
        Poll::Ready(Some(Err(backend(e))))
    }
}

impl Body for Verified {
    type Data = Bytes;
    type Error = StoreError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StoreError>>> {
        let this = &mut *self;
        let expected = PREFIX_LEN + this.body.0.len;
        loop {
            let Some(reader) = this.reader.as_mut() else {
                return Poll::Ready(this.held.take().map(|b| Ok(Frame::data(b))));
            };
            let n = match rt::poll_read(Pin::new(reader), cx, &mut this.buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => {
                    this.reader = None;
                    this.held = None;
                    return Poll::Ready(Some(Err(StoreError::Io(e))));
                }
            };
            if n == 0 {
                if this.seen != expected {
                    return this.fail(BodyError::Length {
                        found: this.seen,
                        expected,
                    });
                }
                let Some(reader) = this.reader.take() else {
                    continue;
                };
                if let Err(e) = reader.check() {
                    return this.fail(BodyError::Integrity(e));
                }
                // Verified: release the last chunk, then end.
                continue;
            }
            this.seen += n as u64;
            if this.seen > expected {
                return this.fail(BodyError::Length {
                    found: this.seen,
                    expected,
                });
            }
            let mut data = &this.buf[..n];
            if this.head.len() < PREFIX_LEN as usize {
                let take = (PREFIX_LEN as usize - this.head.len()).min(data.len());
                this.head.extend_from_slice(&data[..take]);
                data = &data[take..];
                if this.head.len() == PREFIX_LEN as usize && this.head != prefix(this.body.0.id) {
                    return this.fail(BodyError::Foreign);
                }
            }
            if data.is_empty() {
                continue;
            }
            let chunk = Bytes::copy_from_slice(data);
            if let Some(prev) = this.held.replace(chunk) {
                return Poll::Ready(Some(Ok(Frame::data(prev))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.reader.is_none() && self.held.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.body.0.len)
    }
}
