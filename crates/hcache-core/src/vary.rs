//! Secondary cache keys from `Vary` (RFC 9111 §4.1, RFC 9110 §12.5.5).
//!
//! When a response is stored, the values of the request fields its `Vary` names are captured
//! in normalised form; a later request matches when its values normalise to the same bytes.
//! Normalisation applies what §4.1 allows: whitespace around list separators dropped, several
//! field lines combined, empty list members dropped, and — for the `Accept*` family, whose
//! values are case-insensitive — case folded and whitespace around `;` and `=` dropped.

use http::header::{
    ACCEPT, ACCEPT_CHARSET, ACCEPT_ENCODING, ACCEPT_LANGUAGE, GetAll, HeaderName, VARY,
};
use http::{HeaderMap, HeaderValue};

use crate::directives::list::{elements, split_outside_quotes, trim_ows};

/// The selecting header fields of a stored response and the values they had in the request
/// that produced it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct VaryKey {
    // `Vec`, not `Box<[u8]>`: shrinking the capture buffer to fit would reallocate it.
    fields: Vec<(HeaderName, Option<Vec<u8>>)>,
}

/// Why a `Vary` field could not be captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VaryError {
    /// `Vary: *` or a member that is not a field name: such a response never matches (§4.1).
    Unmatchable,
}

impl VaryKey {
    /// Captures the selecting fields named by `response`'s `Vary` from `request`.
    pub(crate) fn capture(response: &HeaderMap, request: &HeaderMap) -> Result<VaryKey, VaryError> {
        let mut key = VaryKey::default();
        for line in response.get_all(VARY) {
            for e in elements(line.as_bytes()) {
                let name = match HeaderName::from_bytes(e) {
                    Ok(name) if e != b"*" => name,
                    // `*`, or a member that is not a field name: never matches.
                    _ => return Err(VaryError::Unmatchable),
                };
                if key.fields.iter().any(|(n, _)| *n == name) {
                    continue;
                }
                let value = normalized(request, &name);
                key.fields.push((name, value));
            }
        }
        Ok(key)
    }

    /// Whether `response`'s `Vary` can never match (`*`, or a member that is no field name).
    pub(crate) fn is_unmatchable(response: &HeaderMap) -> bool {
        response.get_all(VARY).iter().any(|line| {
            elements(line.as_bytes()).any(|e| e == b"*" || HeaderName::from_bytes(e).is_err())
        })
    }

    /// Rebuilds a key from its parts (for stores that persist it), as returned by
    /// [`VaryKey::fields`].
    pub fn from_fields(fields: impl IntoIterator<Item = (HeaderName, Option<Vec<u8>>)>) -> Self {
        VaryKey {
            fields: fields.into_iter().collect(),
        }
    }

    /// The selecting field names with their captured, normalised values (`None`: absent).
    pub fn fields(&self) -> impl Iterator<Item = (&HeaderName, Option<&[u8]>)> {
        self.fields.iter().map(|(n, v)| (n, v.as_deref()))
    }

    /// Whether the response had no `Vary` (matches every request).
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Whether `request`'s selecting fields match the captured ones (§4.1).
    pub fn matches(&self, request: &HeaderMap) -> bool {
        // One lookup per field: `get_all` is empty exactly when the field is absent.
        self.fields.iter().all(|(name, stored)| {
            let lines = request.get_all(name);
            match stored {
                None => lines.iter().next().is_none(),
                Some(stored) => {
                    lines.iter().next().is_some() && equals_normalized(lines, name, stored)
                }
            }
        })
    }
}

fn case_insensitive(name: &HeaderName) -> bool {
    *name == ACCEPT_ENCODING
        || *name == ACCEPT_LANGUAGE
        || *name == ACCEPT_CHARSET
        || *name == ACCEPT
}

/// Feeds the normalised bytes of the field lines `lines` of `name` to `sink`, chunk by chunk;
/// stops early when `sink` returns false.
fn for_each_chunk(
    lines: GetAll<'_, HeaderValue>,
    name: &HeaderName,
    mut sink: impl FnMut(&[u8]) -> bool,
) -> bool {
    let params = case_insensitive(name);
    let mut first = true;
    for line in lines {
        let line = line.as_bytes();
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

fn normalized(headers: &HeaderMap, name: &HeaderName) -> Option<Vec<u8>> {
    let lines = headers.get_all(name);
    // Normalising only drops bytes, but joins lines with `,`: this never reallocates.
    let capacity = lines.iter().map(|l| l.len() + 1).sum::<usize>();
    if capacity == 0 {
        return None;
    }
    let ci = case_insensitive(name);
    let mut out = Vec::with_capacity(capacity);
    for_each_chunk(lines, name, |chunk| {
        out.extend_from_slice(chunk);
        true
    });
    if ci {
        out.make_ascii_lowercase();
    }
    Some(out)
}

fn equals_normalized(lines: GetAll<'_, HeaderValue>, name: &HeaderName, stored: &[u8]) -> bool {
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
