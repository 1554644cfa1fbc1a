//! The `Cache-Status` members (RFC 9211 §2) that recur unchanged, made once per cache.
//!
//! A miss, a no-store response or a revalidation says the same thing each time ("forwarded
//! for this reason, the origin answered 200, stored"): only hits carry a `ttl` that changes
//! from one response to the next. Writing such a member, checking its bytes and copying them
//! into a new field value on every response cost more than the rest of the status work; a
//! shared field value costs a reference-count increment.

use std::sync::OnceLock;

use http::HeaderValue;

use super::{CacheStatus, ForwardReason};

/// No reason (not forwarded) and each [`ForwardReason`].
const REASONS: usize = 9;
/// No forwarded status, 200, 304: the statuses a response that recurs carries.
const STATUSES: usize = 3;
/// `hit`, `stored` and `collapsed`, each on or off.
const FLAGS: usize = 8;

/// The field values of one cache's recurring members, each made the first time it is needed.
pub(crate) struct Recurring {
    name: Box<str>,
    slots: Box<[OnceLock<Option<HeaderValue>>]>,
}

impl std::fmt::Debug for Recurring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recurring")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Recurring {
    /// The members of a cache named `name`.
    pub(crate) fn new(name: &str) -> Self {
        Recurring {
            name: name.into(),
            slots: (0..REASONS * STATUSES * FLAGS)
                .map(|_| OnceLock::new())
                .collect(),
        }
    }

    /// `status` as this cache's field value: the shared one when it recurs, else written
    /// afresh. `None` when the cache's name cannot be part of a field value.
    pub(crate) fn value(&self, status: &CacheStatus) -> Option<HeaderValue> {
        match slot(status) {
            Some(i) => self.slots[i]
                .get_or_init(|| status.field_value(&self.name))
                .clone(),
            None => status.field_value(&self.name),
        }
    }
}

fn reason(r: ForwardReason) -> usize {
    match r {
        ForwardReason::Bypass => 1,
        ForwardReason::Method => 2,
        ForwardReason::UriMiss => 3,
        ForwardReason::VaryMiss => 4,
        ForwardReason::Miss => 5,
        ForwardReason::Request => 6,
        ForwardReason::Stale => 7,
        ForwardReason::Partial => 8,
    }
}

/// Where `s` is kept, if it is a member that recurs: one without `ttl`, `key` or `detail`,
/// and forwarded with no status, 200 or 304.
fn slot(s: &CacheStatus) -> Option<usize> {
    if s.ttl.is_some() || s.key.is_some() || s.detail.is_some() {
        return None;
    }
    let status = match s.fwd_status {
        None => 0,
        Some(200) => 1,
        Some(304) => 2,
        Some(_) => return None,
    };
    let flags = usize::from(s.hit) << 2 | usize::from(s.stored) << 1 | usize::from(s.collapsed);
    Some((s.fwd.map_or(0, reason) * STATUSES + status) * FLAGS + flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ForwardReason; 8] = [
        ForwardReason::Bypass,
        ForwardReason::Method,
        ForwardReason::UriMiss,
        ForwardReason::VaryMiss,
        ForwardReason::Miss,
        ForwardReason::Request,
        ForwardReason::Stale,
        ForwardReason::Partial,
    ];

    /// Every member a response may carry, recurring or not.
    fn members() -> Vec<CacheStatus> {
        let mut out = Vec::new();
        let bases = std::iter::once(CacheStatus::hit())
            .chain(std::iter::once(CacheStatus::none()))
            .chain(ALL.map(CacheStatus::forward));
        for base in bases {
            for st in [None, Some(200), Some(304), Some(503)] {
                for flags in 0..4 {
                    let mut s = base
                        .clone()
                        .stored(flags & 1 == 1)
                        .collapsed(flags & 2 == 2);
                    if let Some(st) = st {
                        s = s.fwd_status(st);
                    }
                    out.push(s.clone());
                    out.push(s.clone().ttl(-3));
                    out.push(s.clone().key("GET http://a/"));
                    out.push(s.detail("why"));
                }
            }
        }
        out
    }

    #[test]
    fn rfc9211_s2_each_member_reads_as_written_afresh() {
        let recurring = Recurring::new("hcache");
        // Twice: the second time from the slots filled the first time.
        for _ in 0..2 {
            for s in members() {
                let v = recurring.value(&s).expect("a valid name");
                assert_eq!(v.to_str().unwrap(), s.to_field_value("hcache"), "{s:?}");
            }
        }
    }

    #[test]
    fn distinct_recurring_members_have_distinct_slots() {
        let mut seen = std::collections::HashMap::new();
        for s in members() {
            if let Some(i) = slot(&s) {
                assert!(i < REASONS * STATUSES * FLAGS);
                let text = s.to_field_value("c");
                assert_eq!(seen.entry(i).or_insert_with(|| text.clone()), &text);
            }
        }
        // Every member without ttl, key or detail, and with a status of none, 200 or 304.
        assert_eq!(seen.len(), (1 + 1 + ALL.len()) * STATUSES * 4);
    }

    #[test]
    fn a_recurring_member_is_made_once_and_shared() {
        let recurring = Recurring::new("hcache");
        let s = CacheStatus::forward(ForwardReason::UriMiss).fwd_status(200);
        let (a, b) = (recurring.value(&s).unwrap(), recurring.value(&s).unwrap());
        assert_eq!(a.as_bytes().as_ptr(), b.as_bytes().as_ptr());
        // A hit's ttl changes from one response to the next: written each time.
        let hit = CacheStatus::hit().ttl(5);
        let (a, b) = (
            recurring.value(&hit).unwrap(),
            recurring.value(&hit).unwrap(),
        );
        assert_ne!(a.as_bytes().as_ptr(), b.as_bytes().as_ptr());
    }

    #[test]
    fn a_name_that_is_not_a_token_is_shared_as_a_string() {
        let recurring = Recurring::new("my cache\n");
        let s = CacheStatus::forward(ForwardReason::UriMiss);
        for _ in 0..2 {
            let v = recurring.value(&s).expect("a valid value");
            assert_eq!(v, "\"my cache?\"; fwd=uri-miss");
        }
    }
}
