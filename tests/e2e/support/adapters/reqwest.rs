//! hcache-reqwest: reqwest's client behind the cache middleware (reqwest-middleware).

use std::time::Duration;

use hcache_core::{CacheOptions, CacheStore, Engine, ManualClock};
use hcache_reqwest::Cache;
use http::HeaderMap;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, RequestBuilder};

use super::{Client, Reading, Release, Req, Streamed, WithExtensions};
use crate::support::{Got, error_chain, start_clock};

/// A `ClientWithMiddleware` with the cache; background refreshes are sent by the client it
/// wraps, on tokio.
pub struct ReqwestClient<S> {
    client: ClientWithMiddleware,
    cache: Cache<S>,
}

impl<S: CacheStore> ReqwestClient<S> {
    async fn call(&self, req: Req) -> Result<reqwest::Response, String> {
        let mut builder = self.client.request(req.method, &req.url);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        for marker in req.markers {
            builder = marker.set_on(builder);
        }
        builder.send().await.map_err(|e| error_chain(&e))
    }
}

impl WithExtensions for RequestBuilder {
    fn with_ext<T: Clone + Send + Sync + 'static>(self, value: T) -> Self {
        self.with_extension(value)
    }
}

/// reqwest's client behind hcache's middleware over `store`, on a clock at `T0`, with default
/// options and no background client; `timeout` is the client's default timeout. What a caller
/// that sets up hcache-reqwest itself gets (the load and the timeout cases).
pub fn reqwest_with_cache<S: CacheStore>(
    store: S,
    timeout: Option<Duration>,
) -> (ClientWithMiddleware, Cache<S>) {
    let mut builder = reqwest::Client::builder().no_proxy();
    if let Some(t) = timeout {
        builder = builder.timeout(t);
    }
    let inner = builder.build().expect("reqwest client");
    let cache = Cache::builder(store)
        .options(CacheOptions::default())
        .clock(start_clock())
        .build();
    (ClientBuilder::new(inner).with(cache.clone()).build(), cache)
}

fn head(res: &reqwest::Response) -> (u16, HeaderMap) {
    (res.status().as_u16(), res.headers().clone())
}

impl<S: CacheStore> Client for ReqwestClient<S> {
    type Store = S;

    fn build(store: S, options: CacheOptions, clock: ManualClock) -> Self {
        let inner = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("reqwest client");
        let cache = Cache::builder(store)
            .options(options)
            .clock(clock)
            .background_client(inner.clone())
            .build();
        let client = ClientBuilder::new(inner).with(cache.clone()).build();
        ReqwestClient { client, cache }
    }

    fn engine(&self) -> &Engine<S> {
        self.cache.engine()
    }

    async fn send(&self, req: Req) -> Result<Got, String> {
        let res = self.call(req).await?;
        let (status, headers) = head(&res);
        let body = res
            .bytes()
            .await
            .map_err(|e| format!("body: {}", error_chain(&e)))?;
        Ok(Got {
            status,
            headers,
            body,
        })
    }

    async fn stream(&self, req: Req, release: Option<Release>) -> Result<Streamed, String> {
        let mut res = self.call(req).await?;
        let (status, headers) = head(&res);
        let mut reading = Reading::new(status, headers, release);
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| format!("body: {}", error_chain(&e)))?
        {
            reading.chunk(&chunk);
        }
        Ok(reading.finish())
    }

    async fn sleep(duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
