//! A 304 rewrites one small entry file and never the body: the directory stays the same size
//! however often an entry is revalidated (cacache's own index, append-only, would grow by a
//! line per update; http-cache's cacache manager leaves 4.9 MiB in 2,203 files after 2,000
//! revalidations of one 1 KiB response).

use std::convert::Infallible;
use std::future::{Future, ready};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use hcache_core::{Engine, Upstream};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tempfile::TempDir;

use crate::support::*;

/// An origin whose 1 KiB response must be revalidated on every use (`max-age=0`), and which
/// answers every conditional request with a 304.
#[derive(Default)]
struct Revalidating {
    full: AtomicU64,
    not_modified: AtomicU64,
}

impl Upstream<()> for Revalidating {
    type Body = Full<Bytes>;
    type Error = Infallible;

    fn send(
        &self,
        req: Request<()>,
    ) -> impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send {
        let res = Response::builder()
            .header("cache-control", "max-age=0")
            .header("etag", "\"v1\"");
        let res = if req.headers().contains_key("if-none-match") {
            self.not_modified.fetch_add(1, Ordering::Relaxed);
            res.status(StatusCode::NOT_MODIFIED).body(Full::default())
        } else {
            self.full.fetch_add(1, Ordering::Relaxed);
            res.body(Full::new(Bytes::from(vec![b'x'; 1024])))
        };
        ready(Ok(res.unwrap()))
    }
}

async fn fetch(engine: &Engine<hcache_store_cacache::CacacheStore>, origin: &Revalidating) {
    let res = engine.handle(get_request("/r"), origin).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.into_body().collect().await.unwrap().to_bytes().len(),
        1024
    );
}

#[tokio::test]
async fn two_thousand_revalidations_leave_the_directory_flat() {
    let dir = TempDir::new().unwrap();
    let engine = Engine::new(store(dir.path(), 64 << 20));
    let origin = Revalidating::default();
    fetch(&engine, &origin).await;
    let before = usage(dir.path());
    for _ in 0..2000 {
        fetch(&engine, &origin).await;
    }
    // Metadata updates are written behind: measure once they are all on disk.
    engine.store().flush().unwrap();
    let after = usage(dir.path());
    assert_eq!(
        origin.full.load(Ordering::Relaxed),
        1,
        "the body was fetched once"
    );
    assert_eq!(origin.not_modified.load(Ordering::Relaxed), 2000);
    println!(
        "after 2,000 revalidations: {} -> {} bytes, {} -> {} files",
        before.0, after.0, before.1, after.1
    );
    assert_eq!(after.1, before.1, "no file added");
    // The head's times and `Date`-less fields are rewritten, not appended to.
    assert!(
        after.0 <= before.0 + 64,
        "{} bytes grew to {}",
        before.0,
        after.0
    );
    assert_eq!(content_files(dir.path()).len(), 1);
}
