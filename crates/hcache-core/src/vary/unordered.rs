//! The `Accept` family as unordered lists (RFC 9111 §4.1: "normalizing both header field
//! values in a way that is known to have identical semantics … e.g., reordering field values
//! when order is not significant").
//!
//! `Accept`, `Accept-Charset`, `Accept-Encoding` and `Accept-Language` (RFC 9110 §12.5) list
//! preferences, each member weighted by a quality value (§12.4.2): the weights, not the order,
//! say what the client prefers, and a missing weight is `q=1`. Two such lists that hold the
//! same members with the same weights ask for the same thing: `en, de` and `de, en`, or
//! `gzip;q=1.0, br` and `br, gzip`. Their canonical form sorts the members and writes each
//! weight one way.
//!
//! RFC 9110 §12.5.4 notes that some servers read the order of equally weighted languages as a
//! preference, and that this "cannot be relied upon": the field's definition gives the order
//! no meaning, so the cache may reorder.
//!
//! What is left ordered (the list is compared as it was written, as before):
//! - a member weighted twice, or a weight that is not the member's last parameter, or one
//!   outside the `qvalue` grammar: no definition says what such a member means;
//! - the same value listed twice with different weights: a server reading the first and one
//!   reading the last would disagree, so the order may matter;
//! - anything with a quoted string (a `;` or `,` inside it would be misread here).
//!
//! Choosing among representations by these weights — reusing a response whose
//! `Content-Language` the new request prefers although its `Accept-Language` differs — is a
//! different thing and is not done: see [`super`]'s note on selection.

use http::HeaderName;
use http::header::{ACCEPT, ACCEPT_CHARSET, ACCEPT_ENCODING, ACCEPT_LANGUAGE};

use crate::directives::list::trim_ows;

/// Whether `name`'s value is a weighted list whose order carries no meaning.
pub(super) fn is_unordered(name: &HeaderName) -> bool {
    *name == ACCEPT_ENCODING
        || *name == ACCEPT_LANGUAGE
        || *name == ACCEPT
        || *name == ACCEPT_CHARSET
}

/// Weights in thousandths: `q=1` is 1000.
const Q_ONE: u16 = 1000;

/// The canonical form of a normalised list (members joined by `,`): each member lower-cased,
/// its weight written as `;q=0.xyz` without trailing zeros (`;q=0` for zero) or dropped when
/// it is 1, then the members sorted and duplicates dropped. `None` when the list must stay
/// ordered (see the module documentation); the caller keeps its bytes.
pub(super) fn canonical(list: &[u8]) -> Option<Vec<u8>> {
    if list.contains(&b'"') {
        return None;
    }
    let mut members: Vec<(Vec<u8>, u16)> = Vec::new();
    for member in list.split(|&b| b == b',').map(trim_ows) {
        if member.is_empty() {
            continue;
        }
        members.push(weighted(member)?);
    }
    members.sort_unstable();
    members.dedup();
    // Sorted: the same value with two weights stands side by side.
    if members.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, (value, q)) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(value);
        write_weight(&mut out, *q);
    }
    Some(out)
}

/// One member: its value (with any parameters other than the weight), lower-cased and
/// OWS-trimmed around `;` and `=`, and its weight. `None` when the member is not
/// `value *( ";" param ) [ ";q=" qvalue ]`.
fn weighted(member: &[u8]) -> Option<(Vec<u8>, u16)> {
    let mut parts = member.split(|&b| b == b';').map(trim_ows);
    let head = parts.next().filter(|v| !v.is_empty())?;
    let mut value = head.to_ascii_lowercase();
    let mut q = None;
    for param in parts {
        // Nothing may follow the weight (RFC 9110 §12.4.2: `weight` ends the member).
        if q.is_some() {
            return None;
        }
        let (name, arg) = match param.iter().position(|&b| b == b'=') {
            Some(eq) => (trim_ows(&param[..eq]), Some(trim_ows(&param[eq + 1..]))),
            None => (param, None),
        };
        if name.eq_ignore_ascii_case(b"q") {
            q = Some(qvalue(arg?)?);
            continue;
        }
        value.push(b';');
        value.extend(name.iter().map(u8::to_ascii_lowercase));
        if let Some(arg) = arg {
            value.push(b'=');
            value.extend(arg.iter().map(u8::to_ascii_lowercase));
        }
    }
    Some((value, q.unwrap_or(Q_ONE)))
}

/// A `qvalue` (RFC 9110 §12.4.2) in thousandths: `( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "."
/// 0*3("0") ] )`.
fn qvalue(v: &[u8]) -> Option<u16> {
    let (int, frac) = match v.split_first()? {
        (b'0', rest) => (0, rest),
        (b'1', rest) => (Q_ONE, rest),
        _ => return None,
    };
    let digits = match frac {
        [] => return Some(int),
        [b'.', digits @ ..] if digits.len() <= 3 => digits,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, &d) in digits.iter().enumerate() {
        if !d.is_ascii_digit() || (int == Q_ONE && d != b'0') {
            return None;
        }
        thousandths += u16::from(d - b'0') * [100, 10, 1][i];
    }
    Some(int + thousandths)
}

/// Appends the canonical weight: nothing for 1, `;q=0` for 0, else `;q=0.` and the digits
/// without trailing zeros.
fn write_weight(out: &mut Vec<u8>, q: u16) {
    if q == Q_ONE {
        return;
    }
    out.extend_from_slice(b";q=0");
    if q == 0 {
        return;
    }
    out.push(b'.');
    let digits = [q / 100, q / 10 % 10, q % 10];
    let len = 3 - digits.iter().rev().take_while(|&&d| d == 0).count();
    out.extend(digits[..len].iter().map(|&d| b'0' + d as u8));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(list: &str) -> Option<String> {
        canonical(list.as_bytes()).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn s4_1_unordered_members_sorted_and_weights_canonical() {
        for (list, expected) in [
            ("en,de", "de,en"),
            ("de,en", "de,en"),
            ("gzip,deflate,br,zstd", "br,deflate,gzip,zstd"),
            ("fr;q=0.5,de;q=1.0", "de,fr;q=0.5"),
            ("de;q=1,fr;q=0.500", "de,fr;q=0.5"),
            (
                "en;q=0.05,de;q=0.123,x;q=0.000,y;q=0.",
                "de;q=0.123,en;q=0.05,x;q=0,y;q=0",
            ),
            ("EN-us, De ; Q = 0.8", "de;q=0.8,en-us"),
            ("en,en", "en"),
            ("en;q=0.5,en;q=0.50", "en;q=0.5"),
            ("text/html;level=1,*/*;q=0.1", "*/*;q=0.1,text/html;level=1"),
            ("a,,b,", "a,b"),
            ("", ""),
        ] {
            assert_eq!(canon(list).as_deref(), Some(expected), "{list}");
        }
    }

    #[test]
    fn s4_1_unordered_lists_whose_order_may_matter_stay_ordered() {
        for list in [
            "en;q=0.5,en",         // one value, two weights: first or last wins?
            "en;q=0.5;q=0.4",      // weighted twice
            "text/html;q=0.5;a=b", // a parameter after the weight
            "en;q=2",              // outside the qvalue grammar
            "en;q=1.5",
            "en;q=0.1234",
            "en;q=",
            "en;q",
            "en;q=.5",
            ";q=0.5",              // no value
            "text/html;a=\"x,y\"", // quoted
        ] {
            assert_eq!(canon(list), None, "{list}");
        }
    }

    #[test]
    fn s4_1_qvalue_grammar() {
        for (v, q) in [
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.5", Some(500)),
            ("0.05", Some(50)),
            ("0.999", Some(999)),
            ("1", Some(1000)),
            ("1.000", Some(1000)),
            ("1.001", None),
            ("0.1234", None),
            ("2", None),
            ("-0", None),
            ("0.a", None),
            ("", None),
        ] {
            assert_eq!(qvalue(v.as_bytes()), q, "{v}");
        }
    }

    proptest! {
        /// Canonical forms are fixed points, and any permutation of a list has the same one.
        #[test]
        fn s4_1_unordered_canonical_is_order_free_and_idempotent(
            members in proptest::collection::vec(
                ("[a-cA-C*]{1,3}", proptest::option::of(0u16..=1000)), 0..6),
            rotate in 0usize..6,
        ) {
            let render = |ms: &[(String, Option<u16>)]| {
                ms.iter()
                    .map(|(v, q)| match q {
                        Some(q) => format!("{v};q={}.{:03}", q / 1000, q % 1000),
                        None => v.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let mut rotated = members.clone();
            if !rotated.is_empty() {
                let n = rotate % rotated.len();
                rotated.rotate_left(n);
            }
            let a = canonical(render(&members).as_bytes());
            let b = canonical(render(&rotated).as_bytes());
            prop_assert_eq!(&a, &b);
            if let Some(c) = a {
                prop_assert_eq!(canonical(&c), Some(c.clone()));
            }
        }
    }
}
