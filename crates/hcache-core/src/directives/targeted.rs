//! Targeted Cache-Control fields (RFC 9213 §2), such as `CDN-Cache-Control`.
//!
//! A targeted field is a Structured Field Dictionary (RFC 8941 §3.2). RFC 9213 §2.1 says a
//! cache that finds the field invalid ignores it and falls back to the next targeted field or
//! to `Cache-Control`, so all we need here is a strict validity check: once valid, the members
//! read the same way as Cache-Control directives.

use http::HeaderValue;

use super::ResponseDirectives;
use super::list::trim_ows;

/// The directives of a targeted field given its combined field lines, or `None` when the field
/// is to be ignored: RFC 9213 §2.1, "If a targeted field in a given response is empty, or a
/// parsing error is encountered, that field MUST be ignored by the cache". Parameters on the
/// members are dropped, since they "are to be ignored" (§2.1): `max-age=60;x=1` is `max-age=60`.
pub(crate) fn targeted_directives(combined: &[u8]) -> Option<ResponseDirectives> {
    if trim_ows(combined).is_empty() || !is_valid_dictionary(combined) {
        return None;
    }
    let value = HeaderValue::from_bytes(&without_parameters(combined)).ok()?;
    Some(ResponseDirectives::from_lines([&value]))
}

/// A valid SF Dictionary with the parameters of its members removed (inner lists are kept
/// verbatim; no cache directive uses one).
fn without_parameters(dict: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(dict.len());
    let (mut in_string, mut skipping, mut depth) = (false, false, 0u32);
    let mut bytes = dict.iter().copied();
    while let Some(b) = bytes.next() {
        let mut escaped = None;
        if in_string {
            match b {
                b'\\' => escaped = bytes.next(),
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                b';' if depth == 0 => skipping = true,
                b',' if depth == 0 => skipping = false,
                _ => {}
            }
        }
        if !skipping {
            out.push(b);
            out.extend(escaped);
        }
    }
    out
}

/// Whether `bytes` (one or more combined field lines) is a valid SF Dictionary.
pub(crate) fn is_valid_dictionary(bytes: &[u8]) -> bool {
    let mut p = Parser { s: bytes, i: 0 };
    p.skip_sp();
    if p.done() {
        // An empty dictionary is valid SF, though RFC 9213 §2.1 ignores an empty targeted
        // field (see `targeted_directives`).
        return true;
    }
    loop {
        if !p.key() {
            return false;
        }
        if p.eat(b'=') {
            if !p.item_or_inner_list() {
                return false;
            }
        } else if !p.params() {
            return false;
        }
        p.skip_ows();
        if p.done() {
            return true;
        }
        if !p.eat(b',') {
            return false;
        }
        p.skip_ows();
        if p.done() {
            return false; // trailing comma
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn key(&mut self) -> bool {
        match self.peek() {
            Some(b'a'..=b'z' | b'*') => self.i += 1,
            _ => return false,
        }
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*')
        ) {
            self.i += 1;
        }
        true
    }
    fn params(&mut self) -> bool {
        while self.eat(b';') {
            self.skip_sp();
            if !self.key() {
                return false;
            }
            if self.eat(b'=') && !self.bare_item() {
                return false;
            }
        }
        true
    }
    fn item_or_inner_list(&mut self) -> bool {
        if self.eat(b'(') {
            loop {
                self.skip_sp();
                if self.eat(b')') {
                    return self.params();
                }
                if !self.bare_item() || !self.params() {
                    return false;
                }
                if !matches!(self.peek(), Some(b' ' | b')')) {
                    return false;
                }
            }
        }
        self.bare_item() && self.params()
    }
    fn bare_item(&mut self) -> bool {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'"') => self.string(),
            Some(b'?') => {
                self.i += 1;
                matches!(self.peek(), Some(b'0' | b'1')) && {
                    self.i += 1;
                    true
                }
            }
            Some(b':') => {
                self.i += 1;
                while let Some(b) = self.peek() {
                    self.i += 1;
                    match b {
                        b':' => return true,
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => {}
                        _ => return false,
                    }
                }
                false
            }
            Some(b'A'..=b'Z' | b'a'..=b'z' | b'*') => {
                self.i += 1;
                while let Some(b) = self.peek() {
                    if super::list::is_tchar(b) || b == b':' || b == b'/' {
                        self.i += 1;
                    } else {
                        break;
                    }
                }
                true
            }
            _ => false,
        }
    }
    fn number(&mut self) -> bool {
        self.eat(b'-');
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        let int_digits = self.i - start;
        if int_digits == 0 {
            return false;
        }
        if self.eat(b'.') {
            let fstart = self.i;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
            let frac = self.i - fstart;
            int_digits <= 12 && (1..=3).contains(&frac)
        } else {
            int_digits <= 15
        }
    }
    fn string(&mut self) -> bool {
        self.i += 1;
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => return true,
                b'\\' => {
                    if !matches!(self.peek(), Some(b'"' | b'\\')) {
                        return false;
                    }
                    self.i += 1;
                }
                0x20..=0x7e => {}
                _ => return false,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid_dictionary as valid;
    use super::{targeted_directives, without_parameters};
    use crate::directives::Seconds;

    #[test]
    fn rfc9213_s2_1_parameters_dropped() {
        let strip = |s: &str| String::from_utf8(without_parameters(s.as_bytes())).unwrap();
        assert_eq!(
            strip("max-age=60;a=1, no-cache;b;c=?0"),
            "max-age=60, no-cache"
        );
        assert_eq!(
            strip(r#"private="a;b";x="c,\"d", e=(1;p 2);q"#),
            r#"private="a;b", e=(1;p 2)"#
        );
        let d = targeted_directives(b"max-age=60;a=1, no-store;x").unwrap();
        assert_eq!(d.max_age(), Some(Seconds::Valid(60)));
        assert!(d.no_store());
    }

    #[test]
    fn rfc9213_s2_1_empty_or_invalid_field_ignored() {
        assert!(targeted_directives(b"").is_none());
        assert!(targeted_directives(b"  ").is_none());
        assert!(targeted_directives(b"Max-Age=1").is_none());
        assert!(targeted_directives(b"none").is_some());
    }

    #[test]
    fn rfc9213_s2_1_valid_dictionaries() {
        assert!(valid(b"max-age=60"));
        assert!(valid(b"max-age=60, must-revalidate"));
        assert!(valid(b"no-store"));
        assert!(valid(br#"private="set-cookie""#));
        assert!(valid(b"a=?0, b=:aGk=:, c=(1 2);x, d=tok/x, e=1.5"));
        assert!(valid(b""));
    }

    #[test]
    fn rfc9213_s2_1_invalid_dictionaries() {
        assert!(!valid(b"Max-Age=60"), "keys are lower-case");
        assert!(!valid(b"max-age=60,"), "trailing comma");
        assert!(!valid(b"max-age=\"60"), "unterminated string");
        assert!(!valid(b"max-age=1234567890123456"), "integer too long");
        assert!(!valid(b"max-age=60 junk"));
        assert!(!valid(b"=60"));
    }
}
