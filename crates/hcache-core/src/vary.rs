//! Secondary cache keys from `Vary` (RFC 9111 §4.1, RFC 9110 §12.5.5).
//!
//! When a response is stored, the values of the request fields its `Vary` names are captured
//! in normalised form; a later request matches when its values normalise to the same bytes.
//! Normalisation applies what §4.1 allows: whitespace around list separators dropped, several
//! field lines combined, empty list members dropped, and — for the `Accept*` family, whose
//! values are case-insensitive — case folded, whitespace around `;` and `=` dropped, and the
//! members put in a canonical order with canonical weights, since their order carries no
//! meaning ([`unordered`]).
//!
//! # Selection by preference is not done
//!
//! Reusing a stored response for a request whose selecting fields do *not* match, because the
//! stored response looks like what the origin would choose for it — a response with
//! `Content-Language: de`, stored for `Accept-Language: en, de`, served to `Accept-Language:
//! fr;q=0.5, de;q=1.0` — is not done, although http-cache-tests lists it as optimal
//! (`vary-normalise-lang-select`). §4.1 lets a cache reuse a response only when the selecting
//! fields match "by applying" normalisations "known to have identical semantics"; these two
//! values ask for different things, and what the origin answers to the second depends on which
//! representations it has and on its own algorithm (RFC 9110 §12.1: proactive negotiation is
//! the server's choice, and may weigh anything the request says). Here a `fr` representation
//! may exist, never offered to the first request, which placed `de` above any French; and an
//! origin reading list order (which §12.5.4 says some do) would pick it. Nothing in the stored
//! exchange tells the cache which, so the reuse would be a guess.
//!
//! Where several stored responses match, §4.1 allows choosing among them by these weights;
//! hcache uses the most recent (`reuse.rs`), which §4.1 also allows.

use std::sync::OnceLock;

use http::header::{
    ACCEPT, ACCEPT_CHARSET, ACCEPT_ENCODING, ACCEPT_LANGUAGE, HeaderName, ORIGIN, VARY,
};
use http::{HeaderMap, HeaderValue};

use crate::directives::list::{elements, split_outside_quotes, trim_ows};
use crate::stored::Lines;

mod unordered;

/// The selecting header fields of a stored response and the values they had in the request
/// that produced it.
///
/// Equality and hashing are those of the field names with their normalised values, as
/// [`VaryKey::fields`] returns them.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct VaryKey {
    // Most responses vary on one field at most: the first field is kept inline, so that
    // capturing it allocates nothing. `rest` is used only once `first` is set, so that equal
    // keys have equal parts.
    first: Option<Field>,
    rest: Vec<Field>,
}

#[derive(Clone)]
struct Field {
    name: HeaderName,
    /// `None` when the request had no such field.
    value: Option<Value>,
}

/// A captured request field.
#[derive(Clone)]
enum Value {
    /// The request's only field line, as received, normalised when first needed: a later
    /// request with the same bytes (the same client, usually) matches without normalising
    /// anything, and storing a response does not normalise either.
    Line {
        raw: Captured,
        normalized: OnceLock<Captured>,
    },
    /// Normalised bytes: from several field lines, or rebuilt by a store.
    Normalized(Captured),
}

impl Value {
    fn normalized(&self, name: &HeaderName) -> &[u8] {
        match self {
            Value::Line { raw, normalized } => normalized
                .get_or_init(|| normalize([raw.as_slice()], name))
                .as_slice(),
            Value::Normalized(v) => v.as_slice(),
        }
    }
}

impl Field {
    fn normalized(&self) -> Option<&[u8]> {
        self.value.as_ref().map(|v| v.normalized(&self.name))
    }
}

impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.normalized() == other.normalized()
    }
}

impl Eq for Field {}

impl std::hash::Hash for Field {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.normalized().hash(state);
    }
}

/// The most bytes [`Captured`] holds without allocating: enough for the usual
/// `Accept-Encoding` as browsers send it (`gzip, deflate, br, zstd`).
const INLINE: usize = 30;

/// Bytes, inline when short.
#[derive(Clone)]
enum Captured {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Captured {
    fn from_slice(b: &[u8]) -> Self {
        if b.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..b.len()].copy_from_slice(b);
            // `b.len() <= INLINE`, which fits in a `u8`.
            Captured::Inline {
                len: b.len() as u8,
                bytes,
            }
        } else {
            Captured::Heap(b.into())
        }
    }

    /// A field line as [`Value::Line`], its bytes copied where `slot` keeps them. Building
    /// the value aside and moving it in would read back bytes just written in pieces, which
    /// stalls the processor; this runs for every response stored with a `Vary`.
    fn capture_line(slot: &mut Option<Value>, line: &[u8]) {
        let Some(len) = u8::try_from(line.len())
            .ok()
            .filter(|&n| usize::from(n) <= INLINE)
        else {
            *slot = Some(Value::Line {
                raw: Captured::Heap(line.into()),
                normalized: OnceLock::new(),
            });
            return;
        };
        let value = slot.insert(Value::Line {
            raw: Captured::Inline {
                len,
                bytes: [0; INLINE],
            },
            normalized: OnceLock::new(),
        });
        if let Value::Line {
            raw: Captured::Inline { bytes, .. },
            ..
        } = value
        {
            bytes[..line.len()].copy_from_slice(line);
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Captured::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Captured::Heap(v) => v,
        }
    }
}

impl std::fmt::Debug for VaryKey {
    /// As `VaryKey { fields: [(name, Some([bytes]))] }`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        struct Fields<'a>(&'a VaryKey);
        impl std::fmt::Debug for Fields<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_list().entries(self.0.fields()).finish()
            }
        }
        f.debug_struct("VaryKey")
            .field("fields", &Fields(self))
            .finish()
    }
}

/// Why a `Vary` field could not be captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VaryError {
    /// `Vary: *` or a member that is not a field name: such a response never matches (§4.1).
    Unmatchable,
}

impl VaryKey {
    /// Captures the selecting fields named by `response`'s `Vary` (whose lines a scan of
    /// `response` found) from `request`.
    #[cfg(test)]
    pub(crate) fn capture(
        vary: Lines<'_>,
        response: &HeaderMap,
        request: &HeaderMap,
    ) -> Result<VaryKey, VaryError> {
        let mut key = VaryKey::default();
        key.capture_into(vary, response, request)?;
        Ok(key)
    }

    /// Captures the selecting fields named by `response`'s `Vary` (whose lines a scan of
    /// `response` found) from `request`, into `self`, an empty key where the caller keeps it:
    /// returning the key would copy it right after its bytes were written piece by piece,
    /// which stalls the processor (this runs for every response stored with a `Vary`).
    pub(crate) fn capture_into(
        &mut self,
        vary: Lines<'_>,
        response: &HeaderMap,
        request: &HeaderMap,
    ) -> Result<(), VaryError> {
        let key = self;
        // The usual `Vary`: one line naming one of the usual fields (`Accept-Encoding`). It
        // is that field alone, as the general loop below would find it.
        if let Lines::One(line) = vary
            && let Some(name) = common_name(trim_ows(line.as_bytes()))
        {
            key.push_from(name, request);
            return Ok(());
        }
        for line in vary.iter(response, &VARY) {
            for e in elements(line.as_bytes()) {
                let name = match common_name(e).map_or_else(|| HeaderName::from_bytes(e), Ok) {
                    Ok(name) if e != b"*" => name,
                    // `*`, or a member that is not a field name: never matches.
                    _ => return Err(VaryError::Unmatchable),
                };
                if key.iter().any(|f| f.name == name) {
                    continue;
                }
                key.push_from(name, request);
            }
        }
        Ok(())
    }

    /// Adds the field `name` with its value in `request`.
    fn push_from(&mut self, name: HeaderName, request: &HeaderMap) {
        let field = self.push(Field { name, value: None });
        let lines = request.get_all(&field.name);
        let mut iter = lines.iter();
        match (iter.next(), iter.next()) {
            (None, _) => {}
            (Some(line), None) => Captured::capture_line(&mut field.value, line.as_bytes()),
            _ => {
                let lines: Vec<&[u8]> = lines.iter().map(HeaderValue::as_bytes).collect();
                field.value = Some(Value::Normalized(normalize(lines, &field.name)));
            }
        }
    }

    /// Whether `response`'s `Vary` can never match (`*`, or a member that is no field name).
    pub(crate) fn is_unmatchable(vary: Lines<'_>, response: &HeaderMap) -> bool {
        vary.iter(response, &VARY).any(|line| {
            elements(line.as_bytes()).any(|e| e == b"*" || HeaderName::from_bytes(e).is_err())
        })
    }

    /// Rebuilds a key from its parts (for stores that persist it), as returned by
    /// [`VaryKey::fields`].
    pub fn from_fields(fields: impl IntoIterator<Item = (HeaderName, Option<Vec<u8>>)>) -> Self {
        let mut key = VaryKey::default();
        for (name, value) in fields {
            // Keys stored before members were reordered, or by another version: put in the
            // order `normalize` gives, so they equal and match as captured keys do.
            let value = value.map(|v| Value::Normalized(reorder(&name, Captured::from_slice(&v))));
            key.push(Field { name, value });
        }
        key
    }

    fn push(&mut self, field: Field) -> &mut Field {
        if self.first.is_none() {
            self.first.insert(field)
        } else {
            let i = self.rest.len();
            self.rest.push(field);
            &mut self.rest[i]
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Field> {
        self.first.iter().chain(&self.rest)
    }

    /// The selecting field names with their captured, normalised values (`None`: absent).
    pub fn fields(&self) -> impl Iterator<Item = (&HeaderName, Option<&[u8]>)> {
        self.iter().map(|f| (&f.name, f.normalized()))
    }

    /// Whether the response had no `Vary` (matches every request).
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// Whether `request`'s selecting fields match the captured ones (§4.1).
    pub fn matches(&self, request: &HeaderMap) -> bool {
        // One lookup per field: `get_all` is empty exactly when the field is absent.
        self.iter().all(|Field { name, value }| {
            let lines = request.get_all(name);
            let mut iter = lines.iter();
            let (value, line, more) = match (value, iter.next(), iter.next()) {
                (None, first, _) => return first.is_none(),
                (Some(_), None, _) => return false,
                (Some(value), Some(line), more) => (value, line, more.is_some()),
            };
            // The same bytes as the request that was stored normalise the same way.
            if let (Value::Line { raw, .. }, false) = (value, more)
                && raw.as_slice() == line.as_bytes()
            {
                return true;
            }
            let stored = value.normalized(name);
            let ci = case_insensitive(name);
            let mut buf = [0u8; PLAIN_MAX];
            let in_order = match (more, normalize_plain(line.as_bytes(), ci, &mut buf)) {
                // Stored bytes are lower case, as the request's now are, unless a store
                // rebuilt the key with other bytes: compare as `equals_normalized`.
                (false, Some(n)) => {
                    let ours = &buf[..n];
                    ours == stored || (ci && ours.eq_ignore_ascii_case(stored))
                }
                _ => equals_normalized(lines.iter().map(HeaderValue::as_bytes), name, stored),
            };
            in_order || matches_reordered(&lines, name, stored)
        })
    }
}

/// The `Vary` members most often met, spelt as origins send them, read without
/// [`HeaderName::from_bytes`]'s general parse (same result); `None` for anything else.
fn common_name(member: &[u8]) -> Option<HeaderName> {
    match member {
        b"Accept-Encoding" | b"accept-encoding" => Some(ACCEPT_ENCODING),
        b"Origin" | b"origin" => Some(ORIGIN),
        b"Accept" | b"accept" => Some(ACCEPT),
        b"Accept-Language" | b"accept-language" => Some(ACCEPT_LANGUAGE),
        _ => None,
    }
}

/// The longest field line [`normalize_plain`] handles on the stack.
const PLAIN_MAX: usize = 128;

/// The normalised form of one field line that is a plain list — no quotes, `;` or `=`, such
/// as the usual `Accept-Encoding` — written to `out` in one pass: members OWS-trimmed, empty
/// ones dropped, joined with `,`, lower-cased when `lower`. The same bytes as
/// [`for_each_chunk`] yields for that line alone, and never longer than the line. `None`
/// when the line is not a plain list or longer than `out`.
fn normalize_plain(line: &[u8], lower: bool, out: &mut [u8]) -> Option<usize> {
    if line.len() > out.len() {
        return None;
    }
    let mut n = 0;
    // At a member's start (leading OWS is skipped there), and the length of the OWS run
    // inside a member, written only if the member goes on after it.
    let (mut at_start, mut ows) = (true, 0);
    for (i, &b) in line.iter().enumerate() {
        match b {
            b'"' | b';' | b'=' => return None,
            b',' => (at_start, ows) = (true, 0),
            b' ' | b'\t' => ows += usize::from(!at_start),
            _ => {
                if at_start {
                    // Every member after the first had a comma before it: `n < i`.
                    if n > 0 {
                        out[n] = b',';
                        n += 1;
                    }
                    at_start = false;
                } else if ows > 0 {
                    out[n..n + ows].copy_from_slice(&line[i - ows..i]);
                    n += ows;
                    ows = 0;
                }
                out[n] = if lower { b.to_ascii_lowercase() } else { b };
                n += 1;
            }
        }
    }
    Some(n)
}

fn case_insensitive(name: &HeaderName) -> bool {
    *name == ACCEPT_ENCODING
        || *name == ACCEPT_LANGUAGE
        || *name == ACCEPT_CHARSET
        || *name == ACCEPT
}

/// Feeds the normalised bytes of the field lines `lines` of `name` to `sink`, chunk by chunk;
/// stops early when `sink` returns false.
fn for_each_chunk<'a>(
    lines: impl IntoIterator<Item = &'a [u8]>,
    name: &HeaderName,
    mut sink: impl FnMut(&[u8]) -> bool,
) -> bool {
    let params = case_insensitive(name);
    let mut first = true;
    for line in lines {
        // A line without quotes, `;` or `=` (the usual `Accept-Encoding`) is a plain list of
        // tokens: split it on commas directly. The general loop below would yield the same
        // chunks, more slowly.
        if !line.iter().any(|&b| b == b'"' || b == b';' || b == b'=') {
            for member in line.split(|&b| b == b',').map(trim_ows) {
                if member.is_empty() {
                    continue;
                }
                if (!first && !sink(b",")) || !sink(member) {
                    return false;
                }
                first = false;
            }
            continue;
        }
        for member in elements(line) {
            if !first && !sink(b",") {
                return false;
            }
            first = false;
            // Without `;` or `=` a member is one parameter without a value: the loop below
            // would yield it unchanged (the usual `Accept-Encoding` member, e.g. `gzip`).
            if !params || !member.iter().any(|&b| b == b';' || b == b'=') {
                if !sink(member) {
                    return false;
                }
                continue;
            }
            let mut first_param = true;
            for param in split_params(member) {
                if !first_param && !sink(b";") {
                    return false;
                }
                first_param = false;
                match param.iter().position(|&b| b == b'=') {
                    Some(eq) => {
                        if !sink(trim_ows(&param[..eq]))
                            || !sink(b"=")
                            || !sink(trim_ows(&param[eq + 1..]))
                        {
                            return false;
                        }
                    }
                    None => {
                        if !sink(param) {
                            return false;
                        }
                    }
                }
            }
        }
    }
    true
}

fn split_params(member: &[u8]) -> impl Iterator<Item = &[u8]> {
    // `;` inside quotes is rare in Accept* values; splitting on it is what matters here.
    split_outside_quotes(member, b';').map(trim_ows)
}

/// The normalised form of the field lines `lines` (at least one) of `name`: the ordered
/// normalisation, then, for a field whose member order carries no meaning, the canonical
/// order ([`reorder`]).
///
/// Every captured value is normalised here, and [`VaryKey::from_fields`] reorders the same
/// way: [`VaryKey::matches`] relies on stored values of such fields being in canonical order.
fn normalize<'a, I>(lines: I, name: &HeaderName) -> Captured
where
    I: IntoIterator<Item = &'a [u8]>,
    I::IntoIter: Clone,
{
    reorder(name, normalize_ordered(lines, name))
}

/// `value`, normalised, in canonical order when `name` is a field whose member order carries
/// no meaning ([`unordered`]); unchanged otherwise.
fn reorder(name: &HeaderName, value: Captured) -> Captured {
    let bytes = value.as_slice();
    // One member without parameters (`gzip`, `en`) is in canonical order already.
    if !unordered::is_unordered(name) || !bytes.iter().any(|&b| b == b',' || b == b';') {
        return value;
    }
    match unordered::canonical(bytes) {
        Some(canonical) => Captured::from_slice(&canonical),
        None => value,
    }
}

/// Whether `request`'s lines of `name` match `stored` once put in canonical order (§4.1:
/// "reordering field values when order is not significant"); false for other fields.
fn matches_reordered(
    request: &http::header::GetAll<'_, HeaderValue>,
    name: &HeaderName,
    stored: &[u8],
) -> bool {
    if !unordered::is_unordered(name) {
        return false;
    }
    let lines: Vec<&[u8]> = request.iter().map(HeaderValue::as_bytes).collect();
    // One member without parameters was compared as it is: nothing to reorder.
    if let [line] = lines[..]
        && !line.iter().any(|&b| b == b',' || b == b';')
    {
        return false;
    }
    let ours = normalize(lines, name);
    let ours = ours.as_slice();
    // Stored bytes are lower case unless a store rebuilt the key with other bytes that could
    // not be reordered.
    ours == stored || ours.eq_ignore_ascii_case(stored)
}

/// The normalised form of the field lines `lines` (at least one) of `name`, members in the
/// order received.
fn normalize_ordered<'a, I>(lines: I, name: &HeaderName) -> Captured
where
    I: IntoIterator<Item = &'a [u8]>,
    I::IntoIter: Clone,
{
    let lines = lines.into_iter();
    let mut single = lines.clone();
    if let (Some(line), None) = (single.next(), single.next()) {
        let mut buf = [0u8; PLAIN_MAX];
        if let Some(n) = normalize_plain(line, case_insensitive(name), &mut buf) {
            return Captured::from_slice(&buf[..n]);
        }
    }
    // Normalising only drops bytes, but joins lines with `,`: this never reallocates.
    let capacity = lines.clone().map(|l| l.len() + 1).sum::<usize>();
    let mut out = Vec::with_capacity(capacity);
    for_each_chunk(lines, name, |chunk| {
        out.extend_from_slice(chunk);
        true
    });
    if case_insensitive(name) {
        out.make_ascii_lowercase();
    }
    Captured::from_slice(&out)
}

fn equals_normalized<'a>(
    lines: impl IntoIterator<Item = &'a [u8]>,
    name: &HeaderName,
    stored: &[u8],
) -> bool {
    let ci = case_insensitive(name);
    let mut pos = 0;
    let complete = for_each_chunk(lines, name, |chunk| {
        let Some(s) = stored.get(pos..pos + chunk.len()) else {
            return false;
        };
        pos += chunk.len();
        if ci {
            // Stored bytes are lower case, and usually so are the request's: a `memcmp` is
            // cheaper than the byte-by-byte case-insensitive comparison.
            s == chunk || s.eq_ignore_ascii_case(chunk)
        } else {
            s == chunk
        }
    });
    complete && pos == stored.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::hash::BuildHasher;

    /// The general path's normalised bytes for one line.
    fn general(line: &[u8], name: &HeaderName) -> Vec<u8> {
        let mut out = Vec::new();
        for_each_chunk([line], name, |c| {
            out.extend_from_slice(c);
            true
        });
        if case_insensitive(name) {
            out.make_ascii_lowercase();
        }
        out
    }

    proptest! {
        /// The one-pass normalisation of a plain line agrees with the general path, and
        /// matching agrees with it too.
        #[test]
        fn s4_1_plain_fast_path_agrees(line in "[ \t,aZ9*/:.-]{0,40}|[ ,gzipBR]{0,12}", ci in any::<bool>()) {
            let name = if ci { ACCEPT_ENCODING } else { ORIGIN };
            let mut buf = [0u8; PLAIN_MAX];
            let n = normalize_plain(line.as_bytes(), ci, &mut buf).unwrap();
            prop_assert_eq!(&buf[..n], &general(line.as_bytes(), &name)[..]);
            let mut req = HeaderMap::new();
            req.insert(name.clone(), HeaderValue::from_str(&line).unwrap());
            let key = VaryKey::capture(Lines::One(&HeaderValue::from_str(name.as_str()).unwrap()), &HeaderMap::new(), &req).unwrap();
            // Stored in canonical order when the field's order carries no meaning.
            let stored = reorder(&name, Captured::from_slice(&buf[..n]));
            prop_assert_eq!(key.fields().next().unwrap().1, Some(stored.as_slice()));
            prop_assert!(key.matches(&req));
            // A key rebuilt from its fields equals it and hashes the same, and matches the
            // same requests, byte-identical or merely equivalent.
            let rebuilt = VaryKey::from_fields([(name.clone(), Some(buf[..n].to_vec()))]);
            prop_assert_eq!(&rebuilt, &key);
            let state = std::hash::RandomState::new();
            prop_assert_eq!(state.hash_one(&rebuilt), state.hash_one(&key));
            prop_assert!(rebuilt.matches(&req));
            let mut spaced = HeaderMap::new();
            spaced.insert(name.clone(), HeaderValue::from_str(&format!(" {line} ,")).unwrap());
            prop_assert!(key.matches(&spaced) && rebuilt.matches(&spaced));
        }
    }

    #[test]
    fn keys_rebuild_from_their_fields_whatever_their_length() {
        let long = vec![b'a'; INLINE + 1];
        for fields in [
            vec![],
            vec![(ACCEPT_ENCODING, Some(b"gzip".to_vec()))],
            vec![(ACCEPT_ENCODING, Some(long.clone())), (ORIGIN, None)],
            vec![
                (ORIGIN, None),
                (ACCEPT, Some(vec![])),
                (ACCEPT_LANGUAGE, Some(long)),
            ],
        ] {
            let key = VaryKey::from_fields(fields.clone());
            let back: Vec<_> = key
                .fields()
                .map(|(n, v)| (n.clone(), v.map(<[u8]>::to_vec)))
                .collect();
            assert_eq!(back, fields);
            assert_eq!(VaryKey::from_fields(back), key);
            assert_eq!(key.is_empty(), fields.is_empty());
        }
        assert_eq!(
            format!(
                "{:?}",
                VaryKey::from_fields([(ORIGIN, Some(b"a".to_vec()))])
            ),
            r#"VaryKey { fields: [("origin", Some([97]))] }"#
        );
    }

    #[test]
    fn s4_1_plain_fast_path_declines() {
        let mut buf = [0u8; PLAIN_MAX];
        for line in [&b"a;q=1"[..], b"\"a\"", b"a=b"] {
            assert_eq!(normalize_plain(line, true, &mut buf), None);
        }
        assert_eq!(
            normalize_plain(&[b'a'; PLAIN_MAX + 1], true, &mut buf),
            None
        );
        assert_eq!(
            normalize_plain(b" gzip , Deflate\t, ,br x ,", true, &mut buf),
            Some(17)
        );
        assert_eq!(&buf[..17], b"gzip,deflate,br x");
    }

    #[test]
    fn s4_1_common_names_read_as_the_general_parse_does() {
        for m in [
            "Accept-Encoding",
            "origin",
            "ACCEPT",
            "accept-language",
            "x-other",
            "*",
        ] {
            assert_eq!(
                common_name(m.as_bytes())
                    .map_or_else(|| HeaderName::from_bytes(m.as_bytes()), Ok)
                    .ok(),
                HeaderName::from_bytes(m.as_bytes()).ok()
            );
        }
    }
}
