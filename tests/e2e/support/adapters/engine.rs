//! The engine itself, over hyper-util's client (the same upstream as the engine scenarios).

use std::time::Duration;

use hcache_core::{CacheOptions, CacheStore, Engine, ManualClock};
use http_body_util::Full;

use super::{Client, Release, Req, Streamed, stream_frames};
use crate::support::{Got, HyperUpstream, engine_on_tokio, error_chain};

/// `Engine::handle` called directly, background refreshes on tokio.
pub struct EngineClient<S> {
    engine: Engine<S>,
    upstream: HyperUpstream,
}

impl<S: CacheStore> EngineClient<S> {
    async fn handle(&self, req: Req) -> Result<http::Response<hcache_core::CacheBody>, String> {
        let request = req.into_http(Full::default())?;
        self.engine
            .handle(request, &self.upstream)
            .await
            .map_err(|e| error_chain(&e))
    }
}

impl<S: CacheStore> Client for EngineClient<S> {
    type Store = S;

    fn build(store: S, options: CacheOptions, clock: ManualClock) -> Self {
        let upstream = HyperUpstream::default();
        let engine = engine_on_tokio(store, options, clock, upstream.clone());
        EngineClient { engine, upstream }
    }

    fn engine(&self) -> &Engine<S> {
        &self.engine
    }

    async fn send(&self, req: Req) -> Result<Got, String> {
        Got::collect(self.handle(req).await?).await
    }

    async fn stream(&self, req: Req, release: Option<Release>) -> Result<Streamed, String> {
        stream_frames(self.handle(req).await?, release).await
    }

    async fn sleep(duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
