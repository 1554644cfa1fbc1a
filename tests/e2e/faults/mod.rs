//! Origin faults through every adapter: a raw TCP origin on 127.0.0.1
//! ([`RawOrigin`](crate::support::raw_origin::RawOrigin)) breaks the exchange on purpose — a
//! connection reset or closed before the head, in the middle of it or of the body; a stall;
//! bogus or conflicting framing; interim (1xx) responses; bursts of 5xx — and each case checks
//! its defined outcome through the engine, hcache-hyper, hcache-reqwest and hcache-surf over a
//! memory store (`case::<adapter>`):
//!
//! - the caller gets the origin's response, or a clear error (or, where stale-if-error allows,
//!   the stale response);
//! - nothing partial or malformed is stored;
//! - nothing panics, and nothing hangs past the caller's timeout;
//! - the next request for the same URL goes through normally (no flight is left held).
//!
//! Where an adapter's client reads the bytes differently (surf's h1 client, async-h1, is not
//! hyper), the case says so and checks that adapter's outcome.

mod connection;
mod framing;
mod status;
mod timeouts;

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use hcache_core::{CacheOptions, Engine, ManualClock, Stats, StoreStats};
use hcache_store_memory::MemoryStore;
use http::Method;

use crate::support::adapters::{Client, Req, deadline};
use crate::support::raw_origin::{self, RawOrigin, Step};
use crate::support::{Got, date, start_clock};

/// The caller's timeout for one exchange (head and body): what a caller that must not hang
/// sets. Generous, as the machine running the tests may be loaded.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(3);
/// How far past its timeout an exchange may end before the test calls it a hang.
const SLACK: Duration = Duration::from_secs(5);

/// The adapter a [`Client`] stands for (the cases where clients read bytes differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Adapter {
    Engine,
    Hyper,
    Reqwest,
    Surf,
}

impl Adapter {
    pub(crate) fn of<C>() -> Adapter {
        let name = std::any::type_name::<C>();
        if name.contains("SurfClient") {
            Adapter::Surf
        } else if name.contains("ReqwestClient") {
            Adapter::Reqwest
        } else if name.contains("HyperClient") {
            Adapter::Hyper
        } else {
            Adapter::Engine
        }
    }
}

/// What the caller got from one exchange.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A whole response, body read to its end.
    Response(Got),
    /// An error before the head arrived.
    Error(String),
    /// The head arrived, then the body failed.
    BodyError(String),
    /// The caller's timeout passed first.
    TimedOut,
}

impl Outcome {
    /// The response; panics naming `what` otherwise.
    #[track_caller]
    pub(crate) fn response(self, what: &str) -> Got {
        match self {
            Outcome::Response(got) => got,
            other => panic!("{what}: expected a response, got {other:?}"),
        }
    }

    /// The error's message and its sources ("" for a response or a timeout).
    pub(crate) fn error(&self) -> &str {
        match self {
            Outcome::Error(e) | Outcome::BodyError(e) => e,
            _ => "",
        }
    }

    /// Whether the caller got an error (head or body), not a response.
    pub(crate) fn is_error(&self) -> bool {
        matches!(self, Outcome::Error(_) | Outcome::BodyError(_))
    }

    /// A short label for the outcome (messages differ between clients).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Outcome::Response(_) => "response",
            Outcome::Error(_) => "error",
            Outcome::BodyError(_) => "body error",
            Outcome::TimedOut => "timed out",
        }
    }
}

/// Runs `futures` concurrently on the current task (whatever the runtime) and returns their
/// outputs in order.
pub(crate) async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(out) => *output = Some(out),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// A raw origin and a client caching in front of it in a memory store.
pub(crate) struct FaultEnv<C> {
    pub(crate) origin: RawOrigin,
    pub(crate) client: C,
    pub(crate) clock: ManualClock,
}

impl<C: Client<Store = MemoryStore>> FaultEnv<C> {
    /// Starts a raw origin running `script(connection index)` and a client over a fresh
    /// memory store with `options`.
    pub(crate) async fn start(
        options: CacheOptions,
        script: impl Fn(usize) -> Vec<Step> + Send + Sync + 'static,
    ) -> Self {
        let origin = RawOrigin::start(script).await;
        let clock = start_clock();
        let client = C::build(crate::support::stores::memory(), options, clock.clone());
        FaultEnv {
            origin,
            client,
            clock,
        }
    }

    /// Starts a raw origin whose first connection runs `fault` and every later one answers
    /// `good()`: a fresh, storable 200 with body `"good"`.
    pub(crate) async fn first(fault: Vec<Step>) -> Self {
        Self::start(CacheOptions::default(), move |n| {
            if n == 0 { fault.clone() } else { good() }
        })
        .await
    }

    /// The engine the client runs.
    pub(crate) fn engine(&self) -> &Engine<MemoryStore> {
        self.client.engine()
    }

    /// The engine's counters.
    pub(crate) fn stats(&self) -> Stats {
        self.engine().stats().engine
    }

    /// The store's counters.
    pub(crate) fn store(&self) -> StoreStats {
        self.engine().stats().store
    }

    /// A GET of `path`, under the caller's [`TIMEOUT`]; panics if it ends later than the
    /// timeout allows (a hang).
    pub(crate) async fn get(&self, path: &str) -> Outcome {
        self.send(Req::new(Method::GET, self.origin.url(path)))
            .await
    }

    /// Sends `req` under the caller's [`TIMEOUT`]; panics if it ends later than the timeout
    /// allows (a hang).
    pub(crate) async fn send(&self, req: Req) -> Outcome {
        let start = Instant::now();
        let outcome = match deadline::<C, _>(TIMEOUT, self.client.send(req)).await {
            None => Outcome::TimedOut,
            Some(Ok(got)) => Outcome::Response(got),
            Some(Err(e)) if e.starts_with("body") => Outcome::BodyError(e),
            Some(Err(e)) => Outcome::Error(e),
        };
        let took = start.elapsed();
        assert!(
            took < TIMEOUT + SLACK,
            "an exchange took {took:?}, past the caller's timeout of {TIMEOUT:?}"
        );
        outcome
    }

    /// Checks what every fault must leave behind: nothing stored, and the next request for
    /// `path` (the origin answers it well) goes through, is stored and is then a hit.
    pub(crate) async fn recovers(&self, path: &str) {
        assert_eq!(
            self.store().entries,
            0,
            "nothing stored: {:?}",
            self.store()
        );
        assert_eq!(self.store().size_bytes, 0, "no bytes held");
        assert_eq!(self.stats().stored, 0, "nothing committed");
        let mut next = self.get(path).await;
        if Adapter::of::<C>() == Adapter::Surf && next.is_error() {
            // surf's h1 client takes the connection of a failed or abandoned exchange back
            // into its pool and sends the next request on it; that request fails (the origin
            // closed the connection) and the pool lets the connection go. Not the cache's
            // doing: plain surf does the same.
            next = self.get(path).await;
        }
        let next = next.response("the next request");
        assert_eq!(next.status, 200);
        assert_eq!(
            next.text(),
            "good",
            "the next request gets the good response"
        );
        assert_eq!(self.stats().stored, 1, "the good response is stored");
        let hit = self.get(path).await.response("the hit");
        assert_eq!(
            (hit.text().as_str(), hit.cache_status()),
            ("good", "hcache; hit; ttl=60")
        );
    }
}

/// The good exchange: a fresh, storable 200 with body `good`.
pub(crate) fn good() -> Vec<Step> {
    raw_origin::answer(
        ok_head(&[("content-length", "4"), ("cache-control", "max-age=60")]),
        b"good",
    )
}

/// A `200 OK` head with a `Date` at the test's epoch, `Connection: close`, and `fields`.
pub(crate) fn ok_head(fields: &[(&str, &str)]) -> Vec<u8> {
    status_head("200 OK", fields)
}

/// A head with `status_line`, a `Date` at the test's epoch, `Connection: close`, and `fields`.
pub(crate) fn status_head(status_line: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let now = date(0);
    let mut all = vec![("date", now.as_str()), ("connection", "close")];
    all.extend_from_slice(fields);
    raw_origin::head(status_line, &all)
}

/// Runs each origin-fault case `async fn name<C: Client<Store = MemoryStore>>()` once per
/// adapter, as `name::engine`, `name::hyper`, `name::reqwest` (on tokio) and `name::surf` (on
/// async-std).
macro_rules! through_every_adapter {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use hcache_store_memory::MemoryStore;
                use $crate::support::adapters::{EngineClient, HyperClient, ReqwestClient, SurfClient};

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn engine() {
                    super::$name::<EngineClient<MemoryStore>>().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn hyper() {
                    super::$name::<HyperClient<MemoryStore>>().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn reqwest() {
                    super::$name::<ReqwestClient<MemoryStore>>().await;
                }

                #[async_std::test]
                async fn surf() {
                    super::$name::<SurfClient<MemoryStore>>().await;
                }
            }
        )*
    };
}
pub(crate) use through_every_adapter;
