//! The store contract: what the engine needs from a place that keeps responses.
//!
//! Entries are found by primary key ([`CacheKey`]) and hold one or more variants (responses
//! selected by `Vary`, RFC 9111 §4.1). Writes stream: [`CacheStore::begin`] → chunks →
//! [`StoreWriter::commit`], and a writer dropped before commit aborts. Commit is atomic: a
//! reader sees the old entry or the whole new one, never a torn one. A 304 replaces a
//! variant's metadata without rewriting its body ([`CacheStore::update`]).
//!
//! A store decides nothing about HTTP: it keeps what the engine hands it and gives it back.
//! An entry it cannot decode (an older format, corruption) is a miss that it removes — never
//! an error that reaches the caller, and never wrong bytes.

mod tee;

pub use tee::{StoreTee, TeeOutcome};

use std::borrow::Borrow;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;

use crate::key::CacheKey;
use crate::stored::StoredResponse;

/// Identifies one variant of an entry, unique within its store for the store's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VariantId(pub u64);

/// One stored variant: its metadata and a handle to its body.
#[derive(Debug, Clone)]
pub struct Variant<H> {
    /// The variant's identity in the store.
    pub id: VariantId,
    /// Its metadata (shared: a lookup never copies a header section).
    pub response: Arc<StoredResponse>,
    /// What the store needs to open the body ([`CacheStore::open`]); for a memory store, the
    /// body itself.
    pub body: H,
}

impl<H> Borrow<StoredResponse> for Variant<H> {
    fn borrow(&self) -> &StoredResponse {
        &self.response
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The body grew past the store's maximum entry size; the write is abandoned.
    #[error("entry exceeds the store's maximum entry size of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// An I/O error from the storage medium.
    #[error("store I/O failed")]
    Io(#[source] std::io::Error),
    /// Any other failure of the store's backend.
    #[error("store backend failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Counters a store keeps about itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreStats {
    /// Bytes held (bodies and metadata, as the store accounts them).
    pub size_bytes: u64,
    /// Number of entries (primary keys).
    pub entries: u64,
    /// Number of variants, across entries.
    pub variants: u64,
    /// Variants evicted to honour the store's limits, since it was created.
    pub evictions: u64,
    /// Writes the store made after the call that asked for them had returned (a metadata
    /// update written behind, say) and that failed, since it was created: those changes were
    /// lost. Stores that write before they return report 0.
    pub failed_writes: u64,
}

/// A body stream from a store: the chunks of a stored body, or an error if it cannot be read
/// to the end (the engine then fails the response rather than serve a torn body).
pub type StoredBody = http_body_util::combinators::BoxBody<Bytes, StoreError>;

/// A place that keeps responses. Implementations are runtime-agnostic unless they say
/// otherwise.
pub trait CacheStore: Send + Sync + 'static {
    /// A handle to a stored body, cheap to clone.
    type Handle: Clone + Send + Sync + 'static;
    /// The writer returned by [`CacheStore::begin`].
    type Writer: StoreWriter;

    /// The variants stored under `key` (empty when none). Bodies are not read until
    /// [`CacheStore::open`].
    fn get(
        &self,
        key: &CacheKey,
    ) -> impl Future<Output = Result<Vec<Variant<Self::Handle>>, StoreError>> + Send;

    /// Opens a variant's body for reading. A body that turns out to be missing or corrupt is
    /// an error here (or in the stream, for corruption found while reading): the engine then
    /// removes the variant and never serves the wrong bytes.
    fn open(
        &self,
        key: &CacheKey,
        variant: &Variant<Self::Handle>,
    ) -> impl Future<Output = Result<StoredBody, StoreError>> + Send;

    /// Starts writing a new variant under `key`. On commit it replaces any variant with the
    /// same [`VaryKey`](crate::VaryKey). Returns `None` when `size_hint` (a known content
    /// length) already exceeds [`CacheStore::max_entry_size`].
    fn begin(
        &self,
        key: &CacheKey,
        response: Arc<StoredResponse>,
        size_hint: Option<u64>,
    ) -> impl Future<Output = Result<Option<Self::Writer>, StoreError>> + Send;

    /// Replaces a variant's metadata, keeping its body (a 304, RFC 9111 §4.3.4). Updating a
    /// variant that no longer exists is not an error.
    fn update(
        &self,
        key: &CacheKey,
        id: VariantId,
        response: Arc<StoredResponse>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes one variant.
    fn remove_variant(
        &self,
        key: &CacheKey,
        id: VariantId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes every variant under `key`.
    fn remove(&self, key: &CacheKey) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes everything.
    fn clear(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Size, count and eviction counters.
    fn stats(&self) -> StoreStats;

    /// The largest body the store accepts, in bytes (`None`: unbounded).
    fn max_entry_size(&self) -> Option<u64>;
}

/// Streams one new variant's body into a store. Dropping it before [`StoreWriter::commit`]
/// aborts the write: nothing becomes visible.
pub trait StoreWriter: Send + 'static {
    /// Appends a chunk. Fails with [`StoreError::TooLarge`] once the body passes the
    /// store's maximum entry size.
    fn write(self, chunk: Bytes) -> impl Future<Output = Result<Self, StoreError>> + Send + 'static
    where
        Self: Sized;

    /// Makes the variant visible, atomically, and returns its id.
    fn commit(self) -> impl Future<Output = Result<VariantId, StoreError>> + Send + 'static
    where
        Self: Sized;
}
