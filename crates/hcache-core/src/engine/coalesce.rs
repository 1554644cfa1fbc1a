//! Request coalescing (RFC 9111 §4: a cache may collapse requests): concurrent requests that
//! would all go to the origin for the same primary key wait for the first one (the leader)
//! instead of sending their own. When the leader's response has been stored, they are served
//! from the store; otherwise they go forward themselves.
//!
//! Runtime-agnostic: waiting uses `event-listener`, which needs no executor of its own.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use event_listener::Event;

use crate::key::CacheKey;
use crate::store::VariantId;

/// The outcome of a leader's fetch, as followers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlightOutcome {
    /// The leader stored (or freshened) this variant.
    Stored(VariantId),
    /// Nothing was stored: followers must go forward themselves.
    Nothing,
}

#[derive(Debug, Default)]
struct Flight {
    outcome: Mutex<Option<FlightOutcome>>,
    done: Event,
}

/// The in-flight origin fetches, by primary key.
#[derive(Debug, Default)]
pub(crate) struct Flights {
    /// Hashed with foldhash, randomly seeded per map, rather than SipHash: a key is a whole
    /// URI, hashed on every miss and revalidation when its flight starts and again when it
    /// ends, and SipHash made that a visible part of a miss. The map only ever holds the
    /// fetches in progress, so colliding keys would have to be in flight together.
    map: Mutex<HashMap<CacheKey, Arc<Flight>, foldhash::quality::RandomState>>,
    /// How many flights have ended, of any key. A request that read the same count before
    /// its lookup and after it became a leader knows no flight ended in between, so its
    /// lookup cannot have missed another leader's commit.
    ended: AtomicU64,
}

/// What joining a key's flight made of the caller.
pub(crate) enum Role {
    /// The caller fetches; it must `finish` the guard (dropping it finishes with nothing).
    Leader(FlightGuard),
    /// Another request is fetching; wait on it.
    Follower(Waiter),
}

impl Flights {
    pub(crate) fn join(self: &Arc<Self>, key: &CacheKey) -> Role {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        // One hash of the key, whichever way it goes (a key is a whole URI).
        let flight = match map.entry(key.clone()) {
            Entry::Occupied(f) => {
                return Role::Follower(Waiter {
                    flight: f.get().clone(),
                });
            }
            Entry::Vacant(v) => v.insert(Arc::default()).clone(),
        };
        drop(map);
        Role::Leader(FlightGuard {
            flights: self.clone(),
            key: key.clone(),
            flight,
            finished: false,
        })
    }

    /// The count of ended flights (see [`Flights::ended`]).
    pub(crate) fn ended(&self) -> u64 {
        self.ended.load(Ordering::SeqCst)
    }

    /// Follows the key's flight if one is in progress, without ever leading one.
    pub(crate) fn follow(&self, key: &CacheKey) -> Option<Waiter> {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key).map(|f| Waiter { flight: f.clone() })
    }
}

/// Held by the leader until its response is stored or known not to be.
#[derive(Debug)]
pub(crate) struct FlightGuard {
    flights: Arc<Flights>,
    key: CacheKey,
    flight: Arc<Flight>,
    finished: bool,
}

impl FlightGuard {
    /// Ends the flight: followers wake up and read `stored`.
    pub(crate) fn finish(mut self, stored: Option<VariantId>) {
        self.complete(stored.map_or(FlightOutcome::Nothing, FlightOutcome::Stored));
    }

    fn complete(&mut self, outcome: FlightOutcome) {
        if self.finished {
            return;
        }
        self.finished = true;
        *self
            .flight
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(outcome);
        let mut map = self
            .flights
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Entry::Occupied(f) = map.entry(self.key.clone())
            && Arc::ptr_eq(f.get(), &self.flight)
        {
            // Counted under the lock, before the key is free to lead again.
            self.flights.ended.fetch_add(1, Ordering::SeqCst);
            f.remove();
        }
        drop(map);
        self.flight.done.notify(usize::MAX);
    }
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        // A leader that fails, or whose caller drops the body, must not leave followers
        // waiting forever.
        self.complete(FlightOutcome::Nothing);
    }
}

/// A follower's handle on a flight.
#[derive(Debug)]
pub(crate) struct Waiter {
    flight: Arc<Flight>,
}

impl Waiter {
    /// Waits for the leader to finish.
    pub(crate) async fn wait(self) -> FlightOutcome {
        loop {
            if let Some(o) = *self
                .flight
                .outcome
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
            {
                return o;
            }
            let listener = self.flight.done.listen();
            if let Some(o) = *self
                .flight
                .outcome
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
            {
                return o;
            }
            listener.await;
        }
    }
}
