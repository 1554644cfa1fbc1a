//! A store that fails on demand: it delegates to any store, but each operation can be made to
//! fail with a backend error, to check that a broken store never breaks a request.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hcache_core::{
    CacheKey, CacheStore, StoreError, StoreStats, StoredBody, StoredResponse, Variant, VariantId,
};

/// Which operations fail. Flip them at any time; they take effect on the next call.
#[derive(Debug, Default)]
pub struct Failures {
    pub get: AtomicBool,
    pub open: AtomicBool,
    pub begin: AtomicBool,
    pub update: AtomicBool,
}

impl Failures {
    /// Sets one flag.
    pub fn set(flag: &AtomicBool, on: bool) {
        flag.store(on, Ordering::SeqCst);
    }
}

/// `inner`, failing the operations flagged in `fail`.
#[derive(Debug, Clone)]
pub struct FailingStore<S> {
    pub inner: S,
    pub fail: Arc<Failures>,
}

impl<S> FailingStore<S> {
    pub fn new(inner: S) -> Self {
        FailingStore {
            inner,
            fail: Arc::default(),
        }
    }
}

fn failure(op: &str) -> StoreError {
    StoreError::Backend(format!("injected {op} failure").into())
}

fn on(flag: &AtomicBool) -> bool {
    flag.load(Ordering::SeqCst)
}

impl<S: CacheStore> CacheStore for FailingStore<S> {
    type Handle = S::Handle;
    type Writer = S::Writer;

    fn get(
        &self,
        key: &CacheKey,
    ) -> impl Future<Output = Result<Vec<Variant<S::Handle>>, StoreError>> + Send {
        let fail = on(&self.fail.get);
        async move {
            if fail {
                return Err(failure("get"));
            }
            self.inner.get(key).await
        }
    }

    fn open(
        &self,
        key: &CacheKey,
        variant: &Variant<S::Handle>,
    ) -> impl Future<Output = Result<StoredBody, StoreError>> + Send {
        let fail = on(&self.fail.open);
        async move {
            if fail {
                return Err(failure("open"));
            }
            self.inner.open(key, variant).await
        }
    }

    fn begin(
        &self,
        key: &CacheKey,
        response: Arc<StoredResponse>,
        size_hint: Option<u64>,
    ) -> impl Future<Output = Result<Option<S::Writer>, StoreError>> + Send {
        let fail = on(&self.fail.begin);
        async move {
            if fail {
                return Err(failure("begin"));
            }
            self.inner.begin(key, response, size_hint).await
        }
    }

    fn update(
        &self,
        key: &CacheKey,
        id: VariantId,
        response: Arc<StoredResponse>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let fail = on(&self.fail.update);
        async move {
            if fail {
                return Err(failure("update"));
            }
            self.inner.update(key, id, response).await
        }
    }

    fn remove_variant(
        &self,
        key: &CacheKey,
        id: VariantId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.remove_variant(key, id)
    }

    fn remove(&self, key: &CacheKey) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.remove(key)
    }

    fn clear(&self) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.clear()
    }

    fn stats(&self) -> StoreStats {
        self.inner.stats()
    }

    fn max_entry_size(&self) -> Option<u64> {
        self.inner.max_entry_size()
    }
}
