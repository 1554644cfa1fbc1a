//! Starts a tiny origin on 127.0.0.1, sends the same requests through a cached reqwest client
//! a few times, and prints what the cache did with each (its `Cache-Status`).
//!
//! ```text
//! cargo run -p hcache-reqwest --example reqwest_cache_status
//! ```

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use hcache_reqwest::{Cache, CacheMode};
use hcache_store_memory::MemoryStore;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The origin: `/fresh` may be reused for a minute, `/validated` must be revalidated (its
/// ETag never changes, so the answer is 304), `/private` must not be stored.
async fn origin(req: Request<Incoming>, served: Arc<AtomicUsize>) -> Response<Full<Bytes>> {
    let n = served.fetch_add(1, Ordering::SeqCst) + 1;
    let res = Response::builder().header("x-origin-response", n.to_string());
    let res = match req.uri().path() {
        "/fresh" => res.header("cache-control", "max-age=60"),
        "/validated"
            if req
                .headers()
                .get("if-none-match")
                .is_some_and(|v| v == "\"v1\"") =>
        {
            return res
                .status(304)
                .header("etag", "\"v1\"")
                .body(Full::default())
                .unwrap_or_default();
        }
        "/validated" => res
            .header("cache-control", "no-cache")
            .header("etag", "\"v1\""),
        _ => res.header("cache-control", "no-store"),
    };
    res.body(Full::new(Bytes::from(format!("response #{n}\n"))))
        .unwrap_or_default()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let counter = counter.clone();
                    async move { Ok::<_, Infallible>(origin(req, counter).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                if let Err(e) = conn.await {
                    eprintln!("origin connection: {e}");
                }
            });
        }
    });

    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(Cache::new(MemoryStore::default()))
        .build();

    for path in ["/fresh", "/validated", "/private"] {
        for attempt in 1..=3 {
            let res = client.get(format!("http://{addr}{path}")).send().await?;
            print_line(path, &format!("#{attempt}"), res).await?;
        }
    }
    let res = client
        .get(format!("http://{addr}/fresh"))
        .with_extension(CacheMode::NoStore)
        .send()
        .await?;
    print_line("/fresh", "no-store", res).await?;
    println!(
        "origin answered {} of 10 requests",
        served.load(Ordering::SeqCst)
    );
    Ok(())
}

async fn print_line(path: &str, label: &str, res: reqwest::Response) -> Result<(), reqwest::Error> {
    let status = res.status().as_u16();
    let cache_status = res.headers().get("cache-status").map_or("-".into(), |v| {
        String::from_utf8_lossy(v.as_bytes()).into_owned()
    });
    let body = res.text().await?;
    println!(
        "{path:<11} {label:<9} {status}  {cache_status:<46} {}",
        body.trim_end()
    );
    Ok(())
}
