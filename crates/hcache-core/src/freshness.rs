//! Freshness (RFC 9111 §4.2): the freshness lifetime (§4.2.1), heuristic freshness (§4.2.2)
//! and the age calculation (§4.2.3).
//!
//! All arithmetic is in whole seconds on `u64`/`i64`, saturating: a stored `Age` of 2^31, a
//! `Date` in year 9999 or a clock set before 1970 never overflow or panic.

use std::time::{Duration, SystemTime};

use crate::fields::{AgeValue, ExpiresValue, secs_between};
use crate::options::CacheOptions;
use crate::stored::{Facts, StoredResponse};

/// Where a freshness lifetime came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifetimeSource {
    /// `s-maxage` (shared caches only, §4.2.1).
    SMaxage,
    /// `max-age` (§4.2.1).
    MaxAge,
    /// `Expires` minus `Date` (§4.2.1).
    Expires,
    /// Heuristic freshness (§4.2.2), or the configured default TTL.
    Heuristic,
    /// No explicit lifetime and no heuristic allowed: zero.
    None,
    /// Invalid freshness information (e.g. `max-age=abc`, an invalid `Age`): zero (§4.2.1,
    /// §5.1).
    Invalid,
}

/// A freshness lifetime in seconds and its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    /// The lifetime, in seconds.
    pub secs: u64,
    /// Where it came from.
    pub source: LifetimeSource,
}

fn dur_secs(d: Duration) -> u64 {
    d.as_secs()
}

impl StoredResponse {
    /// The freshness lifetime (§4.2.1), falling back to heuristics (§4.2.2), capped by the
    /// configured `max_ttl`.
    pub fn freshness_lifetime(&self, opts: &CacheOptions) -> Lifetime {
        let f = &self.facts;
        let cc = &f.cc;
        let explicit = |secs: Option<u32>, source| match secs {
            Some(s) => Lifetime {
                secs: u64::from(s),
                source,
            },
            None => Lifetime {
                secs: 0,
                source: LifetimeSource::Invalid,
            },
        };
        let mut life = if let (true, Some(s)) = (opts.shared, cc.s_maxage()) {
            explicit(s.valid(), LifetimeSource::SMaxage)
        } else if let Some(s) = cc.max_age() {
            explicit(s.valid(), LifetimeSource::MaxAge)
        } else if let Some(exp) = f.expires {
            match exp {
                ExpiresValue::At(at) => Lifetime {
                    secs: secs_between(at, self.date_or_received())
                        .max(0)
                        .unsigned_abs(),
                    source: LifetimeSource::Expires,
                },
                ExpiresValue::Invalid => Lifetime {
                    secs: 0,
                    source: LifetimeSource::Invalid,
                },
            }
        } else {
            self.heuristic_lifetime(opts)
        };
        // §5.1: an invalid Age makes the response stale whatever its lifetime.
        if f.age == AgeValue::Invalid {
            life = Lifetime {
                secs: 0,
                source: LifetimeSource::Invalid,
            };
        }
        if let Some(max) = opts.max_ttl {
            life.secs = life.secs.min(dur_secs(max));
        }
        life
    }

    /// Whether the response may be given heuristic freshness (§4.2.2): no explicit lifetime,
    /// and a heuristically cacheable status or an explicit `public` (or, in a private cache,
    /// `private`) marking.
    pub(crate) fn heuristic_allowed(&self, opts: &CacheOptions) -> bool {
        let cc = &self.facts.cc;
        opts.heuristic_statuses.contains(self.status())
            || cc.public()
            || (!opts.shared && cc.any_private())
    }

    fn heuristic_lifetime(&self, opts: &CacheOptions) -> Lifetime {
        let none = Lifetime {
            secs: 0,
            source: LifetimeSource::None,
        };
        if !self.heuristic_allowed(opts) {
            return none;
        }
        if let Some(ttl) = opts.default_ttl {
            return Lifetime {
                secs: dur_secs(ttl),
                source: LifetimeSource::Heuristic,
            };
        }
        let Some(lm) = self.last_modified() else {
            return none;
        };
        let since = secs_between(self.date_or_received(), lm)
            .max(0)
            .unsigned_abs();
        // Float math is exact enough here: `since` < 2^63 and the fraction is in [0, 1].
        let secs = ((since as f64) * opts.heuristic_fraction) as u64;
        Lifetime {
            secs: secs.min(dur_secs(opts.heuristic_max)),
            source: LifetimeSource::Heuristic,
        }
    }

    /// The current age (§4.2.3):
    ///
    /// ```text
    /// apparent_age = max(0, response_time - date_value)
    /// corrected_age_value = age_value + (response_time - request_time)
    /// corrected_initial_age = max(apparent_age, corrected_age_value)
    /// current_age = corrected_initial_age + (now - response_time)
    /// ```
    ///
    /// Negative intervals (clock skew, a clock set back) count as zero.
    pub fn current_age(&self, now: SystemTime) -> u64 {
        let resident_time = secs_between(now, self.response_time())
            .max(0)
            .unsigned_abs();
        self.corrected_initial_age.saturating_add(resident_time)
    }
}

/// `corrected_initial_age` of §4.2.3 (see [`StoredResponse::current_age`]) for a response with
/// `facts`, requested at `request_time` and received at `response_time`: all of its current
/// age but the time resident in the cache. It is fixed once the response is stored, so it is
/// computed then, once, rather than on every decision.
pub(crate) fn corrected_initial_age(
    facts: &Facts,
    request_time: SystemTime,
    response_time: SystemTime,
) -> u64 {
    let date = facts.date.unwrap_or(response_time);
    let apparent_age = secs_between(response_time, date).max(0).unsigned_abs();
    let response_delay = secs_between(response_time, request_time)
        .max(0)
        .unsigned_abs();
    let age_value = match facts.age {
        AgeValue::Valid(a) => u64::from(a),
        AgeValue::Absent | AgeValue::Invalid => 0,
    };
    let corrected_age_value = age_value.saturating_add(response_delay);
    apparent_age.max(corrected_age_value)
}
