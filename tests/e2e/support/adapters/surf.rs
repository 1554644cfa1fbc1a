//! hcache-surf: surf's h1 client behind the cache middleware, on async-std.

use std::time::Duration;

use async_std::io::ReadExt;
use bytes::Bytes;
use hcache_core::{CacheOptions, CacheStore, Engine, ManualClock};
use hcache_surf::Cache;
use http::header::{HeaderMap, HeaderName, HeaderValue};

use super::{Client, Reading, Release, Req, Streamed, WithExtensions};
use crate::support::Got;

/// How much one read asks for (surf's own chunk size).
const READ: usize = 64 * 1024;

/// A surf client with the cache; background refreshes are sent by a second, plain surf client
/// as detached async-std tasks.
pub struct SurfClient<S> {
    client: surf::Client,
    cache: Cache<S>,
}

/// surf's error and its sources (`surf::Error` is no `std::error::Error`; its alternate
/// form prints the chain).
fn surf_error(e: &surf::Error) -> String {
    format!("{e:#}")
}

impl<S: CacheStore> SurfClient<S> {
    async fn call(&self, req: Req) -> Result<surf::Response, String> {
        let method: surf::http::Method = req
            .method
            .as_str()
            .parse()
            .map_err(|e: surf::Error| surf_error(&e))?;
        let url = surf::Url::parse(&req.url).map_err(|e| format!("url: {e}"))?;
        let mut request = surf::Request::new(method, url);
        for (name, value) in &req.headers {
            request.append_header(name.as_str(), value.as_str());
        }
        for marker in req.markers {
            request = marker.set_on(request);
        }
        self.client.send(request).await.map_err(|e| surf_error(&e))
    }
}

impl WithExtensions for surf::Request {
    fn with_ext<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.set_ext(value);
        self
    }
}

/// The response head in `http`'s types: every line of every field, in order within a field
/// (http-types keeps no order between fields).
fn head(res: &surf::Response) -> Result<(u16, HeaderMap), String> {
    let mut headers = HeaderMap::new();
    for (name, values) in res.iter() {
        let name = HeaderName::from_bytes(name.as_str().as_bytes())
            .map_err(|e| format!("field name {name}: {e}"))?;
        for value in values.iter() {
            let value = HeaderValue::from_str(value.as_str())
                .map_err(|e| format!("field value {value}: {e}"))?;
            headers.append(name.clone(), value);
        }
    }
    Ok((u16::from(res.status()), headers))
}

/// A surf client that opens a connection per request. The fault origins answer with
/// `Connection: close` and close; surf's h1 pool (http-client 6) does not read that field and
/// may hand the next request the closed connection, which fails as "connection closed" before
/// the cache is asked anything: a client defect the tests would otherwise hit at random.
fn unpooled() -> surf::Client {
    surf::Config::new()
        .set_http_keep_alive(false)
        .try_into()
        .expect("a surf client without a connection pool")
}

impl<S: CacheStore> Client for SurfClient<S> {
    type Store = S;

    fn build(store: S, options: CacheOptions, clock: ManualClock) -> Self {
        let cache = Cache::builder(store)
            .options(options)
            .clock(clock)
            .background_client(unpooled())
            .build();
        let client = unpooled().with(cache.clone());
        SurfClient { client, cache }
    }

    fn engine(&self) -> &Engine<S> {
        self.cache.engine()
    }

    async fn send(&self, req: Req) -> Result<Got, String> {
        let mut res = self.call(req).await?;
        let (status, headers) = head(&res)?;
        let body = res
            .body_bytes()
            .await
            .map_err(|e| format!("body: {}", surf_error(&e)))?;
        Ok(Got {
            status,
            headers,
            body: Bytes::from(body),
        })
    }

    async fn stream(&self, req: Req, release: Option<Release>) -> Result<Streamed, String> {
        let mut res = self.call(req).await?;
        let (status, headers) = head(&res)?;
        let mut reading = Reading::new(status, headers, release);
        let mut buf = vec![0; READ];
        loop {
            let n = res.read(&mut buf).await.map_err(|e| format!("body: {e}"))?;
            if n == 0 {
                return Ok(reading.finish());
            }
            reading.chunk(&buf[..n]);
        }
    }

    async fn sleep(duration: Duration) {
        async_std::task::sleep(duration).await;
    }
}
