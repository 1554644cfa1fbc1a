//! `Surrogate-Control` (W3C Edge Architecture Specification 1.0, §3): cache directives an
//! origin addresses to surrogates — caches it operates or delegates to, such as a reverse
//! proxy in front of it — rather than to every cache on the path.
//!
//! ```text
//! Surrogate-Control = 1#( control-directive [ ";" device-token ] )
//! control-directive = "no-store" | "no-store-remote"
//!                   | "max-age" "=" delta-seconds [ "+" delta-seconds ]
//!                   | "content" "=" quoted-string | extension
//! ```
//!
//! A directive without a device token applies to every surrogate; one with a token applies
//! only to the surrogate that advertised that token in `Surrogate-Capability`, and takes
//! precedence over untargeted directives. When any directive applies, the surrogate uses them
//! instead of `Cache-Control` and `Expires` (like a targeted field, RFC 9213).

use http::{HeaderMap, HeaderValue};

use super::list::{self, Member, delta_seconds, trim_ows};
use super::{ResponseDirectives, Seconds};

/// The `Surrogate-Control` field name.
pub(crate) const SURROGATE_CONTROL: &str = "surrogate-control";

/// The directives of `Surrogate-Control` that apply to the surrogate named `token`, or `None`
/// when none does (the cache then reads `Cache-Control`).
pub(crate) fn surrogate_directives(headers: &HeaderMap, token: &str) -> Option<ResponseDirectives> {
    let mut untargeted = Applicable::default();
    let mut targeted = Applicable::default();
    for line in headers.get_all(SURROGATE_CONTROL) {
        for m in list::members(line.as_bytes()) {
            let Split {
                name,
                value,
                target,
            } = split_target(&m);
            let slot = match target {
                None => &mut untargeted,
                Some(t) if t.eq_ignore_ascii_case(token.as_bytes()) => &mut targeted,
                Some(_) => continue, // addressed to another surrogate
            };
            slot.apply(name, value.as_deref(), m.spaced);
        }
    }
    let merged = targeted.over(untargeted);
    merged.any.then(|| {
        ResponseDirectives::from_surrogate(merged.max_age, merged.no_store, merged.stale_if_error)
    })
}

/// The `Surrogate-Capability` value advertising `token` (§4 of the specification).
pub(crate) fn capability(token: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{token}=\"Surrogate/1.0\"")).ok()
}

#[derive(Debug, Default, Clone, Copy)]
struct Applicable {
    any: bool,
    max_age: Option<Seconds>,
    stale_if_error: Option<Seconds>,
    no_store: bool,
}

impl Applicable {
    fn apply(&mut self, name: &[u8], value: Option<&[u8]>, spaced: bool) {
        if name.eq_ignore_ascii_case(b"no-store") || name.eq_ignore_ascii_case(b"no-store-remote") {
            // `no-store-remote` addresses surrogates far from the origin; a cache that cannot
            // tell how far it is must assume it is one.
            self.any = true;
            self.no_store = true;
        } else if name.eq_ignore_ascii_case(b"max-age") {
            self.any = true;
            if self.max_age.is_some() {
                return; // first occurrence wins, as for Cache-Control (RFC 9111 §4.2.1)
            }
            let (max_age, extension) = match value {
                Some(v) if !spaced => parse_max_age(v),
                _ => (Seconds::Invalid, None),
            };
            self.max_age = Some(max_age);
            self.stale_if_error = extension;
        }
    }

    /// `self` (targeted) takes precedence over `other` (untargeted), directive by directive.
    fn over(self, other: Applicable) -> Applicable {
        Applicable {
            any: self.any || other.any,
            max_age: self.max_age.or(other.max_age),
            stale_if_error: if self.max_age.is_some() {
                self.stale_if_error
            } else {
                other.stale_if_error
            },
            no_store: self.no_store || other.no_store,
        }
    }
}

/// `max-age=N[+M]`: N is the freshness lifetime; M extends it for use when the origin is
/// unavailable, which is what `stale-if-error` (RFC 5861) means.
fn parse_max_age(v: &[u8]) -> (Seconds, Option<Seconds>) {
    let v = trim_ows(v);
    let (n, m) = match v.iter().position(|&b| b == b'+') {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    let secs = |b: &[u8]| delta_seconds(b).map_or(Seconds::Invalid, Seconds::Valid);
    (secs(n), m.map(secs))
}

/// A member split into its directive name, argument and device token.
struct Split<'a> {
    name: &'a [u8],
    value: Option<std::borrow::Cow<'a, [u8]>>,
    target: Option<&'a [u8]>,
}

/// Splits `name[=value][;target]` into its parts. The token follows the last `;` of the
/// member (on the value when there is one, else on the name).
fn split_target<'a>(m: &'a Member<'a>) -> Split<'a> {
    let cut = |s: &'a [u8]| match s.iter().rposition(|&b| b == b';') {
        Some(i) => (trim_ows(&s[..i]), Some(trim_ows(&s[i + 1..]))),
        None => (s, None),
    };
    match &m.value {
        None => {
            let (name, target) = cut(m.name);
            Split {
                name,
                value: None,
                target,
            }
        }
        Some(list::Value::Token(t)) => {
            let (value, target) = cut(t);
            Split {
                name: m.name,
                value: Some(std::borrow::Cow::Borrowed(value)),
                target,
            }
        }
        Some(v) => Split {
            name: m.name,
            value: Some(v.unescaped()),
            target: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc(lines: &[&str]) -> Option<ResponseDirectives> {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(SURROGATE_CONTROL, HeaderValue::from_str(l).unwrap());
        }
        surrogate_directives(&h, "hcache")
    }

    #[test]
    fn edge_arch_s3_untargeted_directives_apply() {
        let d = sc(&["max-age=3600"]).unwrap();
        assert_eq!(d.max_age(), Some(Seconds::Valid(3600)));
        assert!(!d.no_store());
        assert!(sc(&["no-store"]).unwrap().no_store());
        assert!(sc(&["no-store-remote"]).unwrap().no_store());
    }

    #[test]
    fn edge_arch_s3_targeted_at_us_wins_over_untargeted() {
        let d = sc(&["max-age=10, max-age=3600;hcache"]).unwrap();
        assert_eq!(d.max_age(), Some(Seconds::Valid(3600)));
        let d = sc(&["max-age=3600;HCACHE"]).unwrap();
        assert_eq!(d.max_age(), Some(Seconds::Valid(3600)));
    }

    #[test]
    fn edge_arch_s3_targeted_elsewhere_ignored() {
        assert!(sc(&["max-age=3600;not-for-you"]).is_none());
        assert!(sc(&["no-store;other"]).is_none());
        assert_eq!(
            sc(&["max-age=5;other, max-age=7"]).unwrap().max_age(),
            Some(Seconds::Valid(7))
        );
    }

    #[test]
    fn edge_arch_s3_max_age_extension_is_stale_if_error() {
        let d = sc(&["max-age=60+600"]).unwrap();
        assert_eq!(d.max_age(), Some(Seconds::Valid(60)));
        assert_eq!(d.stale_if_error(), Some(Seconds::Valid(600)));
    }

    #[test]
    fn edge_arch_s3_invalid_max_age_is_stale() {
        assert_eq!(
            sc(&["max-age=abc"]).unwrap().max_age(),
            Some(Seconds::Invalid)
        );
        assert_eq!(
            sc(&["max-age =100"]).unwrap().max_age(),
            Some(Seconds::Invalid)
        );
        assert_eq!(
            sc(&["max-age=99999999999"]).unwrap().max_age(),
            Some(Seconds::Valid(1 << 31))
        );
    }

    #[test]
    fn edge_arch_s3_nothing_applicable() {
        assert!(sc(&[]).is_none());
        assert!(sc(&["content=\"ESI/1.0\""]).is_none());
        assert!(sc(&["=;;, ;x"]).is_none());
    }

    #[test]
    fn edge_arch_s4_capability_value() {
        assert_eq!(capability("hcache").unwrap(), "hcache=\"Surrogate/1.0\"");
    }
}
