//! The clients' own timeouts reach through the cache (RFC 9112 §9.5): a stalled origin ends in
//! the client's timeout error, on time, with nothing stored. reqwest's timeout (the client's,
//! or the request's) covers the head and the body; surf's (`Config::set_timeout`) covers the
//! exchange up to the head only — a stall in the body needs the caller's own deadline, as
//! without the cache. The engine and hcache-hyper have no timeout of their own: the caller's
//! deadline ([`super::TIMEOUT`]) is the one the other fault cases use.

use std::time::{Duration, Instant};

use hcache_core::CacheStore;

use super::{good, ok_head};
use crate::support::adapters::reqwest_with_cache;
use crate::support::raw_origin::{RawOrigin, Step, write};
use crate::support::{start_clock, stores};

/// The client's timeout.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(1);
/// Past this, the timeout did not work.
const HANG: Duration = Duration::from_secs(10);

fn stall_at_head(n: usize) -> Vec<Step> {
    if n == 0 {
        vec![Step::ReadHead, Step::Stall]
    } else {
        good()
    }
}

fn stall_in_body(n: usize) -> Vec<Step> {
    if n == 0 {
        let mut bytes = ok_head(&[("content-length", "100"), ("cache-control", "max-age=60")]);
        bytes.extend_from_slice(b"part of it");
        vec![Step::ReadHead, write(bytes), Step::Stall]
    } else {
        good()
    }
}

fn assert_on_time(start: Instant) {
    let took = start.elapsed();
    assert!(took >= CLIENT_TIMEOUT, "not before the timeout ({took:?})");
    assert!(took < HANG, "the timeout took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9112_s9_5_reqwest_client_timeout_at_head() {
    let origin = RawOrigin::start(stall_at_head).await;
    let (client, cache) = reqwest_with_cache(stores::memory(), Some(CLIENT_TIMEOUT));
    let start = Instant::now();
    let err = client
        .get(origin.url("/t"))
        .send()
        .await
        .expect_err("the timeout");
    assert!(err.is_timeout(), "a timeout error: {err:?}");
    assert_on_time(start);
    assert_eq!(cache.engine().store().stats().entries, 0);
    let next = client.get(origin.url("/t")).send().await.expect("next");
    assert_eq!(next.text().await.expect("body"), "good");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9112_s9_5_reqwest_client_timeout_in_body() {
    let origin = RawOrigin::start(stall_in_body).await;
    let (client, cache) = reqwest_with_cache(stores::memory(), Some(CLIENT_TIMEOUT));
    let start = Instant::now();
    let res = client.get(origin.url("/t")).send().await.expect("the head");
    assert_eq!(res.status(), 200);
    let err = res.bytes().await.expect_err("the timeout");
    assert!(err.is_timeout(), "a timeout error: {err:?}");
    assert_on_time(start);
    assert_eq!(cache.engine().store().stats().entries, 0, "nothing stored");
    assert_eq!(cache.stats().engine.stored, 0);
    let next = client.get(origin.url("/t")).send().await.expect("next");
    assert_eq!(next.text().await.expect("body"), "good");
    assert_eq!(cache.stats().engine.stored, 1);
}

/// A per-request timeout (reqwest keeps it in the request, which the cache carries on).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9112_s9_5_reqwest_request_timeout() {
    let origin = RawOrigin::start(stall_in_body).await;
    let (client, cache) = reqwest_with_cache(stores::memory(), None);
    let start = Instant::now();
    let res = client
        .get(origin.url("/t"))
        .timeout(CLIENT_TIMEOUT)
        .send()
        .await
        .expect("the head");
    let err = res.bytes().await.expect_err("the timeout");
    assert!(err.is_timeout(), "a timeout error: {err:?}");
    assert_on_time(start);
    assert_eq!(cache.engine().store().stats().entries, 0, "nothing stored");
}

#[async_std::test]
async fn rfc9112_s9_5_surf_client_timeout_at_head() {
    let origin = RawOrigin::start(stall_at_head).await;
    let cache = hcache_surf::Cache::builder(stores::memory())
        .clock(start_clock())
        .build();
    let client: surf::Client = surf::Config::new()
        .set_timeout(Some(CLIENT_TIMEOUT))
        .try_into()
        .expect("surf client");
    let client = client.with(cache.clone());
    let start = Instant::now();
    let err = client.get(origin.url("/t")).await.expect_err("the timeout");
    assert!(
        err.to_string().contains("timed out") || format!("{err:?}").contains("TimedOut"),
        "a timeout error: {err:?}"
    );
    assert_on_time(start);
    assert_eq!(cache.engine().store().stats().entries, 0);
    // surf's pool sends the next request on the abandoned connection, which the origin then
    // closes: that one fails at once, and the pool lets the connection go.
    let _ = client.get(origin.url("/t")).await;
    let mut next = client.get(origin.url("/t")).await.expect("next");
    assert_eq!(next.body_string().await.expect("body"), "good");
}
