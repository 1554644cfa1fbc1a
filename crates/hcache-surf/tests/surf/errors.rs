//! Failures reach the caller as surf errors: the next hop's own, unchanged.

use hcache_store_memory::MemoryStore;
use hcache_surf::Cache;

/// A connection that cannot be made fails exactly as it does without the cache: the h1
/// backend's own `surf::Error`, same status, same message.
#[async_std::test]
async fn connection_error_is_the_backends_surf_error() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    }; // closed again: nothing listens there
    let url = format!("http://{addr}/");
    let cache = Cache::new(MemoryStore::default());
    let cached = surf::Client::new().with(cache.clone());

    let err = cached.get(&url).await.unwrap_err();
    let plain = surf::Client::new().get(&url).await.unwrap_err();
    assert_eq!(err.status(), plain.status());
    assert_eq!(err.to_string(), plain.to_string());
    assert!(err.to_string().contains("refused"), "{err}");
    assert_eq!(cache.stats().engine.upstream_errors, 1);
}
