//! hcache-hyper: the tower `CacheService` over hyper-util's legacy client, made by
//! `CacheLayer::from_engine` so that the engine runs on the test's clock.

use std::future::poll_fn;
use std::time::Duration;

use bytes::Bytes;
use hcache_core::{CacheOptions, CacheStore, Engine, ManualClock};
use hcache_hyper::{CacheLayer, CacheService, ServiceSend, TokioSpawn};
use http_body_util::Full;
use tower_layer::Layer;
use tower_service::Service;

use super::{Client, Release, Req, Streamed, stream_frames};
use crate::support::{Got, LoopbackClient, error_chain, loopback_client};

/// hyper-util's client behind hcache-hyper's layer; background refreshes go through a clone
/// of the client, on tokio (what `CacheLayer::with_background` sets up).
pub struct HyperClient<S> {
    service: CacheService<LoopbackClient, S>,
}

impl<S: CacheStore> HyperClient<S> {
    async fn call(&self, req: Req) -> Result<http::Response<hcache_core::CacheBody>, String> {
        let request = req.into_http(Full::default())?;
        let mut service = self.service.clone();
        poll_fn(|cx| service.poll_ready(cx))
            .await
            .map_err(|e| error_chain(&e))?;
        service.call(request).await.map_err(|e| error_chain(&e))
    }
}

impl<S: CacheStore> Client for HyperClient<S> {
    type Store = S;

    fn build(store: S, options: CacheOptions, clock: ManualClock) -> Self {
        let client = loopback_client();
        let engine = Engine::builder(store)
            .options(options)
            .clock(clock)
            .background(
                TokioSpawn,
                ServiceSend::<_, Full<Bytes>>::new(client.clone()),
            )
            .build();
        let service = CacheLayer::from_engine(engine).layer(client);
        HyperClient { service }
    }

    fn engine(&self) -> &Engine<S> {
        self.service.engine()
    }

    async fn send(&self, req: Req) -> Result<Got, String> {
        Got::collect(self.call(req).await?).await
    }

    async fn stream(&self, req: Req, release: Option<Release>) -> Result<Streamed, String> {
        stream_frames(self.call(req).await?, release).await
    }

    async fn sleep(duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
