//! Shared-cache safety (RFC 9111 §3.5, §4.1, §5.2.2, §7): the engine as a shared cache
//! (`CacheOptions::shared(true)`) in front of a real origin on 127.0.0.1 that answers each
//! user with that user's own secret. Every case is a two-user scenario: user A's exchange,
//! then user B's request — and B never gets A's bytes or fields, unless the origin explicitly
//! made the response shareable (the controls, named as such).
//!
//! - `auth`: `Authorization` (§3.5) and what allows storing it;
//! - `directives`: `private`, qualified `private="..."` / `no-cache="..."`, `no-store` on a
//!   second field line, and malformed directives that fail closed (§5.2.2);
//! - `vary`: `Vary: *` and `Vary` on the fields that identify a user (§4.1);
//! - `key`: cache-key confusion (§7.1): host case, default ports, percent-encoding, absolute-
//!   vs origin-form targets and `Host`, query strings;
//! - `fields`: header injection through stored values (§7.1): CR/LF never stored, obs-text
//!   re-emitted byte for byte.
//!
//! Requests go to any host name: the upstream routes every request to the one origin (as a
//! forward proxy or a DNS override would), keeping the `Host` the request names, so the cache
//! key is the only thing that tells hosts apart.

mod auth;
mod directives;
mod fields;
mod key;
mod vary;

use bytes::Bytes;
use hcache_core::{CacheOptions, Engine, StoreStats};
use hcache_store_memory::MemoryStore;
use http::header::{AUTHORIZATION, COOKIE, HOST};
use http::{Method, Request, Uri, request};
use http_body_util::Full;

use crate::support::{Got, HyperUpstream, Origin, Reply, start_clock, stores};

/// Who the origin thinks is asking: the `Authorization` value, else the `Cookie` value, else
/// `anonymous`.
pub(crate) fn user(req: &request::Parts) -> String {
    req.headers
        .get(AUTHORIZATION)
        .or_else(|| req.headers.get(COOKIE))
        .map_or("anonymous".into(), |v| {
            String::from_utf8_lossy(v.as_bytes()).into_owned()
        })
}

/// The host the origin was asked for (its `Host` field).
pub(crate) fn host(req: &request::Parts) -> String {
    req.headers.get(HOST).map_or(String::new(), |v| {
        String::from_utf8_lossy(v.as_bytes()).into_owned()
    })
}

/// A secret only `user` may see.
pub(crate) fn secret_of(user: &str) -> String {
    format!("secret of {user}")
}

/// The engine as a shared cache (`CacheOptions::shared(true)`) over a fresh memory store.
pub(crate) fn shared_engine() -> Engine<MemoryStore> {
    Engine::builder(stores::memory())
        .options(CacheOptions::default().shared(true))
        .clock(start_clock())
        .build()
}

/// The engine as a shared cache over a memory store, in front of an origin.
pub(crate) struct Shared {
    pub(crate) origin: Origin,
    pub(crate) engine: Engine<MemoryStore>,
    /// Routes every request to the origin, whatever host it names.
    pub(crate) upstream: HyperUpstream,
}

impl Shared {
    /// Starts an origin answering with `handler` and a shared cache in front of it.
    pub(crate) async fn start(
        handler: impl Fn(&request::Parts, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let origin = Origin::start(handler).await;
        let addr = origin
            .url("")
            .trim_start_matches("http://")
            .parse()
            .expect("the origin's address");
        Shared {
            origin,
            engine: shared_engine(),
            upstream: HyperUpstream::routed_to(addr),
        }
    }

    /// The store's counters.
    pub(crate) fn store(&self) -> StoreStats {
        self.engine.stats().store
    }

    /// Sends a GET for `target` — an absolute URI (`http://host/path`) or an origin-form one
    /// (`/path`, with a `Host` among `headers`) — and reads the body.
    pub(crate) async fn get(&self, target: &str, headers: &[(&str, &str)]) -> Got {
        let mut req = Request::builder().method(Method::GET).uri(target);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req.body(Full::default()).expect("request");
        self.send(req).await
    }

    /// Sends `req` through the engine and reads the body; panics on error.
    pub(crate) async fn send(&self, req: Request<Full<Bytes>>) -> Got {
        let uri: Uri = req.uri().clone();
        let res = self
            .engine
            .handle(req, &self.upstream)
            .await
            .unwrap_or_else(|e| panic!("GET {uri}: {e}"));
        Got::collect(res)
            .await
            .unwrap_or_else(|e| panic!("GET {uri}: {e}"))
    }

    /// A GET of `url` as `who` (sent as `Authorization`).
    pub(crate) async fn get_as(&self, url: &str, who: &str) -> Got {
        self.get(url, &[("authorization", who)]).await
    }
}

/// Asserts that `got` carries nothing of `user`'s: not in the body, not in any field value.
#[track_caller]
pub(crate) fn nothing_of(got: &Got, user: &str) {
    assert!(
        !got.text().contains(user),
        "{user}'s bytes in the body: {:?}",
        got.text()
    );
    for (name, value) in &got.headers {
        assert!(
            !String::from_utf8_lossy(value.as_bytes()).contains(user),
            "{user}'s bytes in field {name}: {value:?}"
        );
    }
}
