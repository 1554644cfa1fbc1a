//! A stored response's metadata (RFC 9111 §3): the header section as stored, the selecting
//! request fields (§4.1), the request and response times the age calculation needs (§4.2.3),
//! and everything the policy reads, parsed once.
//!
//! The body is not here: stores keep it beside this, and a 304 (§4.3.4) replaces this
//! metadata without touching the body.

use std::time::SystemTime;

use http::header::{
    AGE, CACHE_CONTROL, CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, DATE, ETAG,
    EXPIRES, HeaderName, LAST_MODIFIED, VARY,
};
use http::{HeaderMap, HeaderValue, StatusCode, Version, response};

use crate::directives::{ResponseDirectives, surrogate_directives, targeted_directives};
use crate::fields::{self, AgeValue, EntityTag, ExpiresValue};
use crate::freshness::corrected_initial_age;
use crate::options::CacheOptions;
use crate::vary::VaryKey;

/// A stored response's metadata, as the policy sees it.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    vary: VaryKey,
    request_time: SystemTime,
    response_time: SystemTime,
    /// See [`corrected_initial_age`].
    pub(crate) corrected_initial_age: u64,
    pub(crate) facts: Facts,
}

/// What the policy reads from the header section, parsed once.
///
/// `Last-Modified` is not here: only heuristic freshness (§4.2.2) and `If-Modified-Since`
/// (§4.3.2) read it, so [`StoredResponse::last_modified`] parses it from the stored header
/// section when asked. `last_modified` holds it only when storing removed that field (§3.1)
/// after the response named it, so that the answer is the same as parsing it eagerly.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    pub(crate) cc: ResponseDirectives,
    pub(crate) date: Option<SystemTime>,
    /// `None` also when `max-age` is present: §5.3 says to ignore `Expires` then, and
    /// nothing else reads it.
    pub(crate) expires: Option<ExpiresValue>,
    pub(crate) age: AgeValue,
    last_modified: Option<SystemTime>,
}

impl Facts {
    pub(crate) fn parse(headers: &HeaderMap, opts: &CacheOptions) -> Facts {
        Scan::new(headers).facts(headers, opts)
    }
}

/// What storing a response needs besides its head, once the policy has admitted it: the
/// parsed facts, the selecting request fields (§4.1), and whether the header section holds
/// fields §3.1 excludes from storage.
#[derive(Debug)]
pub(crate) struct Admitted {
    pub(crate) facts: Facts,
    pub(crate) vary: VaryKey,
    pub(crate) unstored: bool,
}

/// The lines of one field met in a pass over a header map.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Lines<'a> {
    /// No line.
    #[default]
    Absent,
    /// Exactly one line.
    One(&'a HeaderValue),
    /// Several lines: read them from the map.
    Several,
}

impl<'a> Lines<'a> {
    fn push(&mut self, value: &'a HeaderValue) {
        *self = match self {
            Lines::Absent => Lines::One(value),
            _ => Lines::Several,
        };
    }

    /// Every line, in order (`headers` is the map that was scanned, `name` the field's).
    pub(crate) fn iter(
        self,
        headers: &'a HeaderMap,
        name: &HeaderName,
    ) -> impl Iterator<Item = &'a HeaderValue> + use<'a> {
        let (one, several) = match self {
            Lines::Absent => (None, None),
            Lines::One(v) => (Some(v), None),
            Lines::Several => (None, Some(headers.get_all(name).iter())),
        };
        one.into_iter().chain(several.into_iter().flatten())
    }
}

/// What one pass over a response's header section finds: the lines of each field the policy
/// reads when storing, and whether a field §3.1 excludes from storage is present. A response
/// has about ten fields: comparing each name with a few standard ones costs less than one
/// hash lookup per field looked for.
#[derive(Debug, Default)]
pub(crate) struct Scan<'a> {
    cache_control: Lines<'a>,
    /// The first line (§5.6.7 / RFC 9110 §6.6.1: single-valued).
    date: Option<&'a HeaderValue>,
    /// The first line (§5.3).
    expires: Option<&'a HeaderValue>,
    age: Lines<'a>,
    pub(crate) vary: Lines<'a>,
    /// A field [`is_unstored`] is present: [`strip_unstored`] has work to do.
    pub(crate) unstored: bool,
}

impl<'a> Scan<'a> {
    pub(crate) fn new(headers: &'a HeaderMap) -> Self {
        let mut s = Scan::default();
        for (name, value) in headers {
            if *name == CACHE_CONTROL {
                s.cache_control.push(value);
            } else if *name == DATE {
                s.date.get_or_insert(value);
            } else if *name == EXPIRES {
                s.expires.get_or_insert(value);
            } else if *name == AGE {
                s.age.push(value);
            } else if *name == VARY {
                s.vary.push(value);
            } else if is_unstored(name) {
                s.unstored = true;
            }
        }
        s
    }

    /// The facts of the scanned `headers`.
    pub(crate) fn facts(&self, headers: &'a HeaderMap, opts: &CacheOptions) -> Facts {
        let mut cc = ResponseDirectives::default();
        let targeted = self.directives(headers, opts, &mut cc);
        self.facts_with(cc, targeted)
    }

    /// Whether `Expires` is present and in force under the directives `cc` (`targeted`: they
    /// came from a targeted field). RFC 9213 §2.1: a valid targeted field replaces
    /// Cache-Control and Expires. §5.3: with `max-age`, Expires is ignored (it can then
    /// change neither the freshness lifetime nor storability, which `max-age` already allows).
    pub(crate) fn expires_in_force(&self, cc: &ResponseDirectives, targeted: bool) -> bool {
        self.expires.is_some() && !targeted && cc.max_age().is_none()
    }

    /// The facts of the scanned header section, given the directives in force as
    /// [`Scan::directives`] found them. Inlined so that the facts are written where the
    /// caller keeps them, not built aside and copied.
    #[inline]
    pub(crate) fn facts_with(&self, cc: ResponseDirectives, targeted: bool) -> Facts {
        let expires = match self.expires {
            Some(v) if self.expires_in_force(&cc, targeted) => Some(fields::expires_value(v)),
            _ => None,
        };
        Facts {
            date: self
                .date
                .and_then(|v| fields::parse_http_date(v.as_bytes())),
            expires,
            age: match self.age {
                Lines::Absent => AgeValue::Absent,
                Lines::One(v) => fields::age_value(v),
                // §5.1: see `fields::age`.
                Lines::Several => AgeValue::Invalid,
            },
            last_modified: None,
            cc,
        }
    }

    /// Reads the response directives in force into `cc` (which holds none yet, see
    /// [`ResponseDirectives::parse_lines`]): those of the first valid, non-empty targeted field
    /// (RFC 9213 §2.2), else `Cache-Control`. `true` when a targeted field was used.
    pub(crate) fn directives(
        &self,
        headers: &'a HeaderMap,
        opts: &CacheOptions,
        cc: &mut ResponseDirectives,
    ) -> bool {
        for name in &opts.targeted_fields {
            let mut lines = headers.get_all(name).iter().peekable();
            if lines.peek().is_none() {
                continue;
            }
            let combined: Vec<u8> = headers
                .get_all(name)
                .iter()
                .enumerate()
                .flat_map(|(i, v)| {
                    let sep: &[u8] = if i == 0 { b"" } else { b", " };
                    sep.iter().chain(v.as_bytes()).copied()
                })
                .collect();
            if let Some(d) = targeted_directives(&combined) {
                *cc = d;
                return true;
            }
        }
        if let Some(token) = opts.surrogate_token.as_deref()
            && let Some(d) = surrogate_directives(headers, token)
        {
            *cc = d;
            return true;
        }
        match self.cache_control {
            Lines::Absent => {}
            Lines::One(line) => cc.parse_lines([line]),
            Lines::Several => cc.parse_lines(headers.get_all(CACHE_CONTROL)),
        }
        false
    }
}

/// Fields never stored, whatever the response (RFC 9111 §3.1, RFC 9110 §7.6.1): connection
/// options and fields specific to a client's proxy configuration. One `match` on the
/// (always lower-case) name: this runs for every field of every stored response.
fn is_unstored(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "te"
            | "transfer-encoding"
            | "upgrade"
            | "trailer"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authentication-info"
    )
}

/// Removes what §3.1 says not to store: connection-specific fields and those `Connection`
/// names, proxy fields, and (for a shared cache) qualified `private` fields.
pub(crate) fn strip_unstored(headers: &mut HeaderMap, private_fields: &[HeaderName]) {
    if headers.keys().any(is_unstored) {
        let named = connection_named(headers);
        let remove: Vec<HeaderName> = headers.keys().filter(|n| is_unstored(n)).cloned().collect();
        for n in remove.iter().chain(&named) {
            headers.remove(n);
        }
    }
    for n in private_fields {
        headers.remove(n);
    }
}

/// The fields the `Connection` lines of `headers` name (RFC 9110 §7.6.1).
fn connection_named(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(CONNECTION)
        .iter()
        .flat_map(|line| crate::directives::list::elements(line.as_bytes()))
        .filter_map(|e| HeaderName::from_bytes(e).ok())
        .collect()
}

/// Fields a 304 or HEAD response never rewrites (§3.2): `Content-Length` (required), and the
/// fields that describe the stored bytes — their coding, range and digest. Updating them would
/// make the stored body disagree with its own header section, i.e. serve wrong bytes.
const INTEGRITY_FIELDS: [HeaderName; 4] = [
    CONTENT_LENGTH,
    CONTENT_RANGE,
    CONTENT_ENCODING,
    HeaderName::from_static("content-md5"),
];

impl StoredResponse {
    /// Builds the metadata of a response about to be stored from its head (taken whole:
    /// [`CachePolicy::store`](crate::CachePolicy::store) copies the header section, and
    /// [`CachePolicy::store_owned`](crate::CachePolicy::store_owned) moves it here), removing
    /// fields that must not be stored (§3.1). Storability itself is decided by
    /// [`CachePolicy::storable`](crate::CachePolicy::storable).
    ///
    /// Always inlined into the two entry points, so that what was admitted is moved into the
    /// stored response once, not into a call's arguments first.
    #[inline(always)]
    pub(crate) fn capture(
        status: StatusCode,
        version: Version,
        mut headers: HeaderMap,
        admitted: Admitted,
        request_time: SystemTime,
        response_time: SystemTime,
        opts: &CacheOptions,
    ) -> StoredResponse {
        let Admitted {
            mut facts,
            vary,
            unstored,
        } = admitted;
        let private_fields = if opts.shared {
            facts.cc.private_fields()
        } else {
            &[]
        };
        if unstored || !private_fields.is_empty() {
            // `Last-Modified` is read from the stored fields when needed (see `Facts`): if
            // `Connection` or `private="..."` names it, keep what the response said.
            let last_modified = fields::date_field(&headers, &LAST_MODIFIED);
            strip_unstored(&mut headers, private_fields);
            if !headers.contains_key(LAST_MODIFIED) {
                facts.last_modified = last_modified;
            }
        }
        StoredResponse {
            status,
            version,
            headers,
            vary,
            request_time,
            response_time,
            corrected_initial_age: corrected_initial_age(&facts, request_time, response_time),
            facts,
        }
    }

    /// Rebuilds stored metadata from its persisted parts (for stores). The header section is
    /// parsed again under `opts`.
    pub fn from_parts(
        status: StatusCode,
        version: Version,
        headers: HeaderMap,
        vary: VaryKey,
        request_time: SystemTime,
        response_time: SystemTime,
        opts: &CacheOptions,
    ) -> StoredResponse {
        let facts = Facts::parse(&headers, opts);
        StoredResponse {
            status,
            version,
            headers,
            vary,
            request_time,
            response_time,
            corrected_initial_age: corrected_initial_age(&facts, request_time, response_time),
            facts,
        }
    }

    /// The stored status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The stored HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }
    /// The stored header section (as received, minus fields §3.1 excludes).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    /// The selecting request fields (§4.1).
    pub fn vary(&self) -> &VaryKey {
        &self.vary
    }
    /// When the request that produced (or last validated) this response was sent (§4.2.3).
    pub fn request_time(&self) -> SystemTime {
        self.request_time
    }
    /// When this response (or its last validation) was received (§4.2.3).
    pub fn response_time(&self) -> SystemTime {
        self.response_time
    }
    /// The response directives in force (from `Cache-Control` or a targeted field).
    pub fn directives(&self) -> &ResponseDirectives {
        &self.facts.cc
    }

    /// The `Date` used for "most recent" comparisons (§4): the `Date` field, else the time
    /// the response was received.
    pub(crate) fn date_or_received(&self) -> SystemTime {
        self.facts.date.unwrap_or(self.response_time)
    }

    pub(crate) fn etag(&self) -> Option<EntityTag<'_>> {
        self.headers
            .get(ETAG)
            .and_then(|v| EntityTag::parse(v.as_bytes()))
    }

    pub(crate) fn last_modified_value(&self) -> Option<&HeaderValue> {
        self.headers.get(LAST_MODIFIED)
    }

    /// `Last-Modified` as an HTTP-date (`None` when absent or invalid), parsed on demand: only
    /// heuristic freshness (§4.2.2) and `If-Modified-Since` (§4.3.2) need it.
    pub(crate) fn last_modified(&self) -> Option<SystemTime> {
        self.facts
            .last_modified
            .or_else(|| fields::date_field(&self.headers, &LAST_MODIFIED))
    }

    /// Whether the stored response has a validator (`ETag` or `Last-Modified`).
    pub fn has_validator(&self) -> bool {
        self.headers.contains_key(ETAG) || self.headers.contains_key(LAST_MODIFIED)
    }

    /// The response head to send for a reuse without validation (§4): the stored status and
    /// fields, `Age` replaced by `age` (§4, §5.1), and qualified `no-cache` fields removed,
    /// since those may only be reused after validation (§5.2.2.4).
    pub fn response_head(&self, age: u64) -> response::Parts {
        let mut parts = http::Response::new(()).into_parts().0;
        parts.status = self.status;
        parts.version = self.version;
        parts.headers = self.headers.clone();
        for name in self.facts.cc.no_cache_fields() {
            parts.headers.remove(name);
        }
        parts.headers.insert(AGE, HeaderValue::from(age));
        parts
    }

    /// Applies a 304 or HEAD response's fields to this response (§3.2): every field of `new`
    /// replaces the stored field of that name, except those §3.1 does not store and
    /// [`INTEGRITY_FIELDS`], which describe the stored content itself. The request and
    /// response times become those of the validation.
    pub(crate) fn updated(
        &self,
        new: &HeaderMap,
        request_time: SystemTime,
        response_time: SystemTime,
        opts: &CacheOptions,
    ) -> StoredResponse {
        let mut headers = self.headers.clone();
        let mut new_cc = ResponseDirectives::default();
        let scan = Scan::new(new);
        scan.directives(new, opts, &mut new_cc);
        let private_fields = if opts.shared {
            new_cc.private_fields()
        } else {
            &[]
        };
        // What `strip_unstored` would remove from the 304's fields, and the integrity fields,
        // are passed over rather than removed from a copy of them.
        let named = if scan.unstored {
            connection_named(new)
        } else {
            Vec::new()
        };
        let kept = |name: &HeaderName| {
            !(is_unstored(name)
                || INTEGRITY_FIELDS.contains(name)
                || private_fields.contains(name)
                || named.contains(name))
        };
        // `HeaderMap::iter` yields each field's lines one after another: the first replaces
        // the stored field, the others are appended to it.
        let mut last: Option<&HeaderName> = None;
        for (name, value) in new {
            if !kept(name) {
                continue;
            }
            if last == Some(name) {
                headers.append(name.clone(), value.clone());
            } else {
                headers.insert(name.clone(), value.clone());
                last = Some(name);
            }
        }
        StoredResponse::from_parts(
            self.status,
            self.version,
            headers,
            self.vary.clone(),
            request_time,
            response_time,
            opts,
        )
    }
}
