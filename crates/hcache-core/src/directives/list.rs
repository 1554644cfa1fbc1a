//! The list syntax shared by `Cache-Control`, `Pragma` and `Vary` (RFC 9110 §5.6.1, RFC 9111
//! §1.2 and §5.2).
//!
//! The tokenizer works on raw bytes so that obs-text and other junk never needs UTF-8
//! validation and never panics. It is deliberately tolerant: it finds every member it can and
//! leaves the judgement of a malformed member to the caller, which fails closed.

use std::borrow::Cow;

/// One `name[=value]` member of a comma-separated list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member<'a> {
    /// The member name, OWS trimmed, case preserved (compare with `eq_ignore_ascii_case`).
    pub(crate) name: &'a [u8],
    /// The argument, if the member had an `=`.
    pub(crate) value: Option<Value<'a>>,
    /// Whitespace stood around the `=`, which the grammar (`token "=" value`) does not allow:
    /// the argument is then not to be trusted.
    pub(crate) spaced: bool,
}

/// The argument of a list member: a token or the inside of a quoted-string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// A bare argument, up to the next comma, OWS trimmed. May hold junk such as `60 junk`.
    Token(&'a [u8]),
    /// The inside of a quoted-string, escapes still present; `terminated` is false when the
    /// closing quote was missing (the value then runs to the end of the line).
    Quoted { raw: &'a [u8], terminated: bool },
}

impl<'a> Value<'a> {
    /// The argument's bytes with quoted-pair escapes removed (borrowed when there are none).
    pub(crate) fn unescaped(&self) -> Cow<'a, [u8]> {
        match *self {
            Value::Token(t) => Cow::Borrowed(t),
            Value::Quoted { raw, .. } => {
                if !raw.contains(&b'\\') {
                    return Cow::Borrowed(raw);
                }
                let mut out = Vec::with_capacity(raw.len());
                let mut escaped = false;
                for &b in raw {
                    if escaped || b != b'\\' {
                        out.push(b);
                        escaped = false;
                    } else {
                        escaped = true;
                    }
                }
                Cow::Owned(out)
            }
        }
    }
}

/// `tchar` of RFC 9110 §5.6.2.
pub(crate) fn is_tchar(b: u8) -> bool {
    // A table: the pattern below compiles to a chain of range tests per byte.
    const TCHAR: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = matches!(i as u8,
                b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^'
                | b'_' | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z');
            i += 1;
        }
        t
    };
    TCHAR[usize::from(b)]
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

pub(crate) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_ows(*first) {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_ows(*last) {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Iterates the non-empty members of one field line. Empty members (`a,,b`, a leading or
/// trailing comma) are skipped, as RFC 9110 §5.6.1.2 asks of recipients.
pub(crate) fn members(line: &[u8]) -> Members<'_> {
    Members { rest: line }
}

/// Iterator returned by [`members`].
#[derive(Debug, Clone)]
pub(crate) struct Members<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Members<'a> {
    type Item = Member<'a>;

    // Inlined into the loops over the members: returned through memory, a member is written
    // field by field and read back at once in wider pieces, which stalls the processor.
    #[inline(always)]
    fn next(&mut self) -> Option<Member<'a>> {
        // One forward pass with indices: this runs for every member of every `Cache-Control`.
        let s = self.rest;
        let n = s.len();
        let mut i = 0;
        loop {
            // Skip separators and whitespace before a member.
            while i < n && (s[i] == b',' || is_ows(s[i])) {
                i += 1;
            }
            if i == n {
                self.rest = &s[n..];
                return None;
            }
            // The name runs to `=` or `,`; it starts with neither, nor with OWS.
            let start = i;
            while i < n && s[i] != b'=' && s[i] != b',' {
                i += 1;
            }
            let mut name_end = i;
            let spaced_before = name_end > start && is_ows(s[name_end - 1]);
            while name_end > start && is_ows(s[name_end - 1]) {
                name_end -= 1;
            }
            let name = &s[start..name_end];
            if i == n || s[i] == b',' {
                self.rest = &s[i..];
                return Some(Member {
                    name,
                    value: None,
                    spaced: false,
                });
            }
            // After '=': a quoted-string or a bare value up to the next comma.
            i += 1;
            let after_eq = i;
            while i < n && is_ows(s[i]) {
                i += 1;
            }
            let spaced = spaced_before || i > after_eq;
            let value = if i < n && s[i] == b'"' {
                let inner = &s[i + 1..];
                let mut j = 0;
                let mut close = None;
                while j < inner.len() {
                    match inner[j] {
                        b'\\' => j += 2,
                        b'"' => {
                            close = Some(j);
                            break;
                        }
                        _ => j += 1,
                    }
                }
                match close {
                    Some(end) => {
                        // Anything between the closing quote and the next comma is junk that
                        // we skip; the quoted value itself stands.
                        i += 1 + end + 1;
                        while i < n && s[i] != b',' {
                            i += 1;
                        }
                        Value::Quoted {
                            raw: &inner[..end],
                            terminated: true,
                        }
                    }
                    None => {
                        i = n;
                        Value::Quoted {
                            raw: inner,
                            terminated: false,
                        }
                    }
                }
            } else {
                let value_start = i;
                while i < n && s[i] != b',' {
                    i += 1;
                }
                let mut value_end = i;
                while value_end > value_start && is_ows(s[value_end - 1]) {
                    value_end -= 1;
                }
                Value::Token(&s[value_start..value_end])
            };
            if name.is_empty() {
                continue;
            }
            self.rest = &s[i..];
            return Some(Member {
                name,
                value: Some(value),
                spaced,
            });
        }
    }
}

/// Iterates the comma-separated elements of a plain list field such as `Vary` (no arguments,
/// quotes respected), across several field lines, OWS trimmed and empty elements skipped.
pub(crate) fn elements(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    split_outside_quotes(line, b',')
        .map(trim_ows)
        .filter(|e| !e.is_empty())
}

/// Splits on `sep` where it is not inside a quoted-string.
pub(crate) fn split_outside_quotes(line: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let s = rest?;
        // Up to the first quote nothing is quoted: jump to the first separator or quote with
        // a tight scan, and walk byte by byte only from a quote on (rare in practice).
        let Some(mut i) = s.iter().position(|&b| b == sep || b == b'"') else {
            rest = None;
            return Some(s);
        };
        let mut in_quote = false;
        while i < s.len() {
            match s[i] {
                b'\\' if in_quote => i += 1,
                b'"' => in_quote = !in_quote,
                b if b == sep && !in_quote => {
                    rest = Some(&s[i + 1..]);
                    return Some(&s[..i]);
                }
                _ => {}
            }
            i += 1;
        }
        rest = None;
        Some(s)
    })
}

/// Parses `delta-seconds` (RFC 9111 §1.3): one or more digits. Values past 2^31 saturate to
/// 2^31 as §1.3 requires; anything else (sign, decimals, spaces, empty) is invalid.
pub(crate) fn delta_seconds(bytes: &[u8]) -> Option<u32> {
    const CAP: u64 = 1 << 31;
    if bytes.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        n = (n * 10 + u64::from(b - b'0')).min(CAP);
    }
    // `n` never exceeds CAP (2^31), which fits in u32.
    Some(n as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(line: &str) -> Vec<(String, Option<String>)> {
        members(line.as_bytes())
            .map(|m| {
                (
                    String::from_utf8_lossy(m.name).into_owned(),
                    m.value
                        .map(|v| String::from_utf8_lossy(&v.unescaped()).into_owned()),
                )
            })
            .collect()
    }

    /// The tokenizer as first written (several scans per member), to check the one-pass
    /// version against.
    struct Reference<'a> {
        rest: &'a [u8],
    }

    impl<'a> Iterator for Reference<'a> {
        type Item = Member<'a>;

        fn next(&mut self) -> Option<Member<'a>> {
            loop {
                let s = self.rest;
                // Skip separators and whitespace before a member.
                let start = s.iter().position(|&b| b != b',' && !is_ows(b))?;
                let s = &s[start..];
                let name_end = s
                    .iter()
                    .position(|&b| b == b'=' || b == b',')
                    .unwrap_or(s.len());
                let name = trim_ows(&s[..name_end]);
                if name_end == s.len() || s[name_end] == b',' {
                    self.rest = &s[name_end..];
                    if name.is_empty() {
                        continue;
                    }
                    return Some(Member {
                        name,
                        value: None,
                        spaced: false,
                    });
                }
                // After '=': a quoted-string or a bare value up to the next comma.
                let spaced_before = s[..name_end].last().is_some_and(|&b| is_ows(b));
                let after_eq = &s[name_end + 1..];
                let vstart = after_eq
                    .iter()
                    .position(|&b| !is_ows(b))
                    .unwrap_or(after_eq.len());
                let v = &after_eq[vstart..];
                let value = if v.first() == Some(&b'"') {
                    let inner = &v[1..];
                    let mut i = 0;
                    let mut close = None;
                    while i < inner.len() {
                        match inner[i] {
                            b'\\' => i += 2,
                            b'"' => {
                                close = Some(i);
                                break;
                            }
                            _ => i += 1,
                        }
                    }
                    match close {
                        Some(end) => {
                            // Anything between the closing quote and the next comma is junk that
                            // we skip; the quoted value itself stands.
                            let tail = &inner[end + 1..];
                            let next = tail.iter().position(|&b| b == b',').unwrap_or(tail.len());
                            self.rest = &tail[next..];
                            Value::Quoted {
                                raw: &inner[..end],
                                terminated: true,
                            }
                        }
                        None => {
                            self.rest = &[];
                            Value::Quoted {
                                raw: inner,
                                terminated: false,
                            }
                        }
                    }
                } else {
                    let end = v.iter().position(|&b| b == b',').unwrap_or(v.len());
                    self.rest = &v[end..];
                    Value::Token(trim_ows(&v[..end]))
                };
                if name.is_empty() {
                    continue;
                }
                let spaced = spaced_before || vstart > 0;
                return Some(Member {
                    name,
                    value: Some(value),
                    spaced,
                });
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn members_agree_with_the_reference(line in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just(b','), proptest::strategy::Just(b' '),
                proptest::strategy::Just(b'\t'), proptest::strategy::Just(b'='),
                proptest::strategy::Just(b'"'), proptest::strategy::Just(b'\\'),
                proptest::strategy::Just(b'a'), proptest::strategy::Just(b'5'),
                0u8..=255,
            ],
            0..40,
        )) {
            let ours: Vec<_> = members(&line).collect();
            let theirs: Vec<_> = Reference { rest: &line }.collect();
            proptest::prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn s5_2_members_with_tokens_and_quotes() {
        assert_eq!(
            collect(r#"max-age=60, no-cache="a, b" , private"#),
            vec![
                ("max-age".into(), Some("60".into())),
                ("no-cache".into(), Some("a, b".into())),
                ("private".into(), None)
            ]
        );
    }

    #[test]
    fn rfc9110_s5_6_1_empty_members_skipped() {
        assert_eq!(collect(" ,, public ,,"), vec![("public".into(), None)]);
        assert!(collect("").is_empty());
        assert!(collect(" , ,").is_empty());
    }

    #[test]
    fn s5_2_quoted_pair_unescaped() {
        assert_eq!(
            collect(r#"ext="a\"b", x"#),
            vec![("ext".into(), Some("a\"b".into())), ("x".into(), None)]
        );
    }

    #[test]
    fn s5_2_unterminated_quote_runs_to_end() {
        let m: Vec<_> = members(br#"private="a, no-store"#).collect();
        assert_eq!(m.len(), 1);
        assert!(matches!(
            m[0].value,
            Some(Value::Quoted {
                terminated: false,
                ..
            })
        ));
    }

    #[test]
    fn s5_2_whitespace_around_equals_is_flagged() {
        assert_eq!(
            collect("max-age = 5"),
            vec![("max-age".into(), Some("5".into()))]
        );
        assert!(members(b"max-age =5").next().unwrap().spaced);
        assert!(members(b"max-age= 5").next().unwrap().spaced);
        assert!(!members(b"max-age=5").next().unwrap().spaced);
    }

    #[test]
    fn s1_3_delta_seconds() {
        assert_eq!(delta_seconds(b"0"), Some(0));
        assert_eq!(delta_seconds(b"60"), Some(60));
        assert_eq!(delta_seconds(b"99999999999999999999"), Some(1 << 31));
        assert_eq!(delta_seconds(b"2147483649"), Some(1 << 31));
        assert_eq!(delta_seconds(b"-1"), None);
        assert_eq!(delta_seconds(b"+1"), None);
        assert_eq!(delta_seconds(b"1.5"), None);
        assert_eq!(delta_seconds(b"abc"), None);
        assert_eq!(delta_seconds(b""), None);
    }

    #[test]
    fn rfc9110_s5_6_1_elements_skip_empty_and_respect_quotes() {
        let v: Vec<_> = elements(br#" a, ,"b,c" ,d,"#).collect();
        assert_eq!(v, vec![&b"a"[..], &br#""b,c""#[..], &b"d"[..]]);
    }
}
