//! Cache-Control (RFC 9111 §5.2), Pragma (§5.4) and targeted Cache-Control fields (RFC 9213),
//! parsed once into plain structs.
//!
//! Parsing never fails: every byte sequence yields directives. Names compare
//! case-insensitively; several field lines combine as one list; unknown extensions are kept.
//! For a directive given more than once, the first occurrence wins (§4.2.1). An argument that is
//! not valid makes the directive [`Seconds::Invalid`] (freshness: already stale, §4.2.1), and a
//! malformed qualified `private` / `no-cache` fails closed to the unqualified form.

pub(crate) mod list;
mod request;
mod response;
mod surrogate;
mod targeted;

pub use request::{MaxStale, RequestDirectives};
pub use response::{Extension, ResponseDirectives};
pub(crate) use surrogate::{capability as surrogate_capability, surrogate_directives};
pub(crate) use targeted::targeted_directives;

/// The argument of a `delta-seconds` directive (RFC 9111 §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Seconds {
    /// A valid value, saturated at 2^31 as §1.3 requires.
    Valid(u32),
    /// Present but not a valid delta-seconds (`abc`, `-1`, `1.5`, missing argument).
    Invalid,
}

impl Seconds {
    fn parse(member: &list::Member<'_>) -> Seconds {
        // The grammar allows no whitespace around `=`: `max-age = 5` is not trusted.
        if member.spaced {
            return Seconds::Invalid;
        }
        // §5.2: recipients accept the quoted form too (`max-age="5"`).
        let parsed = match member.value.as_ref() {
            Some(list::Value::Token(t)) => list::delta_seconds(t),
            Some(list::Value::Quoted {
                terminated: false, ..
            })
            | None => return Seconds::Invalid,
            Some(v) => list::delta_seconds(&v.unescaped()),
        };
        match parsed {
            Some(n) => Seconds::Valid(n),
            None => Seconds::Invalid,
        }
    }

    /// The value in seconds, or `None` when invalid.
    pub fn valid(self) -> Option<u32> {
        match self {
            Seconds::Valid(n) => Some(n),
            Seconds::Invalid => None,
        }
    }
}

/// Stores `value` into `slot` unless an earlier occurrence is already there (§4.2.1: the first
/// occurrence of a duplicated directive is used).
fn first<T>(slot: &mut Option<T>, value: impl FnOnce() -> T) {
    if slot.is_none() {
        *slot = Some(value());
    }
}
