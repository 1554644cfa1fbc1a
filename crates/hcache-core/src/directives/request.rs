//! Request directives (RFC 9111 §5.2.1) and `Pragma: no-cache` (§5.4).

use http::HeaderMap;
use http::header::{CACHE_CONTROL, PRAGMA};

use super::list::{self, Member};
use super::{Seconds, first};

/// `max-stale` with or without an argument (§5.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxStale {
    /// No argument: any staleness is acceptable.
    Any,
    /// Stale by at most this many seconds.
    Seconds(u32),
}

/// The cache directives of a request, parsed once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestDirectives {
    max_age: Option<Seconds>,
    max_stale: Option<MaxStale>,
    min_fresh: Option<Seconds>,
    stale_if_error: Option<Seconds>,
    no_cache: bool,
    no_store: bool,
    no_transform: bool,
    only_if_cached: bool,
    pragma_no_cache: bool,
}

impl RequestDirectives {
    /// Parses every `Cache-Control` field line of `headers`; when there is none, a
    /// `Pragma: no-cache` counts as `no-cache` (§5.4).
    pub fn parse(headers: &HeaderMap) -> Self {
        let mut d = RequestDirectives::default();
        let mut any_cc = false;
        for line in headers.get_all(CACHE_CONTROL) {
            any_cc = true;
            for m in list::members(line.as_bytes()) {
                d.apply(&m);
            }
        }
        if !any_cc {
            d.pragma_no_cache = headers.get_all(PRAGMA).iter().any(|line| {
                list::members(line.as_bytes()).any(|m| m.name.eq_ignore_ascii_case(b"no-cache"))
            });
            d.no_cache |= d.pragma_no_cache;
        }
        d
    }

    fn apply(&mut self, m: &Member<'_>) {
        let n = m.name;
        let v = m.value.as_ref();
        if n.eq_ignore_ascii_case(b"max-age") {
            first(&mut self.max_age, || Seconds::parse(m));
        } else if n.eq_ignore_ascii_case(b"max-stale") {
            // §5.2.1.2: without an argument any staleness is accepted. An invalid argument is
            // read as the most restrictive valid one, "not stale at all".
            first(&mut self.max_stale, || match v {
                None => MaxStale::Any,
                Some(_) => MaxStale::Seconds(Seconds::parse(m).valid().unwrap_or(0)),
            });
        } else if n.eq_ignore_ascii_case(b"min-fresh") {
            first(&mut self.min_fresh, || Seconds::parse(m));
        } else if n.eq_ignore_ascii_case(b"no-cache") {
            self.no_cache = true;
        } else if n.eq_ignore_ascii_case(b"no-store") {
            self.no_store = true;
        } else if n.eq_ignore_ascii_case(b"no-transform") {
            self.no_transform = true;
        } else if n.eq_ignore_ascii_case(b"only-if-cached") {
            self.only_if_cached = true;
        } else if n.eq_ignore_ascii_case(b"stale-if-error") {
            first(&mut self.stale_if_error, || Seconds::parse(m));
        }
    }

    /// `max-age` (§5.2.1.1).
    pub fn max_age(&self) -> Option<Seconds> {
        self.max_age
    }
    /// `max-stale` (§5.2.1.2).
    pub fn max_stale(&self) -> Option<MaxStale> {
        self.max_stale
    }
    /// `min-fresh` (§5.2.1.3).
    pub fn min_fresh(&self) -> Option<Seconds> {
        self.min_fresh
    }
    /// `stale-if-error` sent by the client (RFC 5861 §4).
    pub fn stale_if_error(&self) -> Option<Seconds> {
        self.stale_if_error
    }
    /// `no-cache` (§5.2.1.4), including `Pragma: no-cache` when there is no Cache-Control.
    pub fn no_cache(&self) -> bool {
        self.no_cache
    }
    /// Whether `no-cache` came from `Pragma` (§5.4).
    pub fn pragma_no_cache(&self) -> bool {
        self.pragma_no_cache
    }
    /// `no-store` (§5.2.1.5).
    pub fn no_store(&self) -> bool {
        self.no_store
    }
    /// `no-transform` (§5.2.1.6).
    pub fn no_transform(&self) -> bool {
        self.no_transform
    }
    /// `only-if-cached` (§5.2.1.7).
    pub fn only_if_cached(&self) -> bool {
        self.only_if_cached
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parse(lines: &[&str]) -> RequestDirectives {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(CACHE_CONTROL, HeaderValue::from_str(l).unwrap());
        }
        RequestDirectives::parse(&h)
    }

    #[test]
    fn s5_2_1_1_max_age() {
        assert_eq!(parse(&["max-age=5"]).max_age(), Some(Seconds::Valid(5)));
        assert_eq!(parse(&["MAX-AGE=5"]).max_age(), Some(Seconds::Valid(5)));
        assert_eq!(parse(&["max-age=x"]).max_age(), Some(Seconds::Invalid));
    }

    #[test]
    fn s5_2_1_2_max_stale_with_and_without_value() {
        assert_eq!(parse(&["max-stale"]).max_stale(), Some(MaxStale::Any));
        assert_eq!(
            parse(&["max-stale=10"]).max_stale(),
            Some(MaxStale::Seconds(10))
        );
        assert_eq!(
            parse(&["max-stale=-3"]).max_stale(),
            Some(MaxStale::Seconds(0))
        );
    }

    #[test]
    fn s5_2_1_3_min_fresh() {
        assert_eq!(
            parse(&["min-fresh=20"]).min_fresh(),
            Some(Seconds::Valid(20))
        );
    }

    #[test]
    fn s5_2_1_flags_across_lines() {
        let d = parse(&["no-cache", "no-store, no-transform", "only-if-cached"]);
        assert!(d.no_cache() && d.no_store() && d.no_transform() && d.only_if_cached());
    }

    #[test]
    fn s5_4_pragma_only_without_cache_control() {
        let mut h = HeaderMap::new();
        h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
        let d = RequestDirectives::parse(&h);
        assert!(d.no_cache() && d.pragma_no_cache());
        h.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=10"));
        let d = RequestDirectives::parse(&h);
        assert!(!d.no_cache(), "Cache-Control present: Pragma is ignored");
    }
}
