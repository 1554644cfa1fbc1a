//! Starts a tiny origin on 127.0.0.1, sends repeated requests to it through a cached
//! hyper-util client, and prints each response's `Cache-Status` (RFC 9211).
//!
//! ```text
//! cargo run -p hcache-hyper --example hyper_cache_status
//! ```

use std::convert::Infallible;
use std::error::Error;

use bytes::Bytes;
use hcache_hyper::{CacheLayer, CacheMode, CacheOptions};
use hcache_store_memory::MemoryStore;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tower::{Service, ServiceBuilder, ServiceExt};

const ETAG: &str = "\"v1\"";

/// The origin: one document, fresh for a minute, with a validator.
async fn origin(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let builder = Response::builder()
        .header(header::CACHE_CONTROL, "max-age=60")
        .header(header::ETAG, ETAG);
    let matched = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v == ETAG);
    let response = if matched {
        builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Full::default())
    } else {
        builder.body(Full::from(format!("hello from {}\n", request.uri().path())))
    };
    Ok(response.expect("static response parts are valid"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service_fn(origin)),
            );
        }
    });

    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let layer = CacheLayer::with_background(
        MemoryStore::default(),
        CacheOptions::default(),
        client.clone(),
    );
    let mut cached = ServiceBuilder::new().layer(layer).service(client);

    let plain = |path: &str| Request::get(format!("{base}{path}")).body(Empty::new());
    let requests = [
        ("first request", plain("/")?),
        ("repeated", plain("/")?),
        ("repeated, no-cache", {
            let mut r = plain("/")?;
            r.headers_mut()
                .insert(header::CACHE_CONTROL, "no-cache".parse()?);
            r
        }),
        ("repeated, CacheMode::NoStore", {
            let mut r = plain("/")?;
            r.extensions_mut().insert(CacheMode::NoStore);
            r
        }),
        ("another path", plain("/other")?),
        ("another path, repeated", plain("/other")?),
    ];
    for (what, request) in requests {
        let response = cached.ready().await?.call(request).await?;
        let status = response.status();
        let cache_status = response
            .headers()
            .get("cache-status")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let body = response.into_body().collect().await?.to_bytes();
        println!(
            "{what:<30} {status:<7} {:>3} bytes  Cache-Status: {cache_status}",
            body.len()
        );
    }
    let stats = cached.engine().stats().engine;
    println!(
        "engine: {} requests, {} hits, {} misses, {} validated (304)",
        stats.requests, stats.hits, stats.misses, stats.not_modified
    );
    Ok(())
}
