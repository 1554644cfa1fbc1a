//! Starts a tiny origin on 127.0.0.1, sends requests through a caching surf client, and prints
//! each response's `Cache-Status`.
//!
//! ```text
//! cargo run -p hcache-surf --example surf_cache_status
//! ```

use async_std::io::BufReader;
use async_std::net::{TcpListener, TcpStream};
use async_std::prelude::*;
use async_std::task;
use hcache_store_memory::MemoryStore;
use hcache_surf::{Cache, CacheMode};

/// Answers every request on `stream`: a 304 when the request carries the current ETag, else
/// a 200 that may be cached for a minute.
async fn respond(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.clone());
    let mut writer = stream;
    loop {
        let mut conditional = false;
        let mut content_length = 0;
        let mut line = String::new();
        // The request head, line by line, up to the empty line (bounded).
        for _ in 0..100 {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let lower = line.to_ascii_lowercase();
            conditional |= lower.starts_with("if-none-match: \"v1\"");
            if let Some(n) = lower.strip_prefix("content-length:") {
                content_length = n.trim().parse().unwrap_or(0);
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body).await?;
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let common = format!("date: {date}\r\netag: \"v1\"\r\ncache-control: max-age=60\r\n");
        let reply = if conditional {
            format!("HTTP/1.1 304 Not Modified\r\n{common}\r\n")
        } else {
            format!("HTTP/1.1 200 OK\r\n{common}content-length: 5\r\n\r\nhello")
        };
        writer.write_all(reply.as_bytes()).await?;
    }
}

#[async_std::main]
async fn main() -> surf::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/greeting", listener.local_addr()?);
    task::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            task::spawn(respond(stream));
        }
    });

    let client = surf::Client::new().with(Cache::new(MemoryStore::default()));
    let send = |what: &'static str, req: surf::Request| {
        let client = client.clone();
        async move {
            let mut res = client.send(req).await?;
            // A response is stored once its body has been read to the end.
            let body = res.body_string().await?;
            let status = res
                .header("cache-status")
                .map_or("-", |v| v.last().as_str())
                .to_owned();
            println!("{what:<24} {} {body:<6} {status}", res.status());
            surf::Result::Ok(())
        }
    };

    send("first GET", surf::get(&url).build()).await?;
    send("second GET", surf::get(&url).build()).await?;

    let mut req = surf::get(&url).build();
    req.set_ext(CacheMode::NoCache);
    send("GET, NoCache mode", req).await?;

    send("POST", surf::post(&url).body("x").build()).await?;
    send("GET after the POST", surf::get(&url).build()).await?;
    Ok(())
}
