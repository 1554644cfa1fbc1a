//! Response directives (RFC 9111 §5.2.2, RFC 5861, RFC 8246).

use http::header::HeaderName;
use http::{HeaderMap, HeaderValue};

use super::list::{self, Member, Value};
use super::{Seconds, first};

/// An unrecognised directive, kept as received (§5.2.3: caches ignore unknown directives, but
/// callers may want to read them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    name: Box<str>,
    value: Option<Box<str>>,
}

impl Extension {
    /// The directive name, lower-cased.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The argument, unquoted, if any (non-UTF-8 bytes replaced).
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

/// A qualified field list (`no-cache="a, b"`, `private="x"`), or the unqualified form.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Qualified {
    /// No argument (or one we could not read: fail closed).
    All,
    /// Only these fields.
    Fields(Vec<HeaderName>),
}

const NO_STORE: u16 = 1;
const NO_TRANSFORM: u16 = 1 << 1;
const MUST_REVALIDATE: u16 = 1 << 2;
const PROXY_REVALIDATE: u16 = 1 << 3;
const MUST_UNDERSTAND: u16 = 1 << 4;
const PUBLIC: u16 = 1 << 5;
const IMMUTABLE: u16 = 1 << 6;

/// The response directives [`ResponseDirectives`] reads.
#[derive(Clone, Copy)]
enum Known {
    /// One of the flag bits.
    Flag(u16),
    MaxAge,
    SMaxage,
    NoCache,
    Private,
    StaleWhileRevalidate,
    StaleIfError,
}

impl Known {
    /// The directive named `name`, compared case-insensitively (§5.2).
    fn of(name: &[u8]) -> Option<Known> {
        // Senders write directive names in lower case: match those bytes first, and lower-case
        // a copy only for the rest. No name we know is longer than the buffer.
        if let Some(k) = Known::lower_case(name) {
            return Some(k);
        }
        let mut buf = [0u8; 24];
        let copy = buf.get_mut(..name.len())?;
        copy.copy_from_slice(name);
        if !copy.iter().any(u8::is_ascii_uppercase) {
            return None;
        }
        copy.make_ascii_lowercase();
        Known::lower_case(copy)
    }

    fn lower_case(name: &[u8]) -> Option<Known> {
        Some(match name {
            b"max-age" => Known::MaxAge,
            b"public" => Known::Flag(PUBLIC),
            b"private" => Known::Private,
            b"no-cache" => Known::NoCache,
            b"no-store" => Known::Flag(NO_STORE),
            b"must-revalidate" => Known::Flag(MUST_REVALIDATE),
            b"s-maxage" => Known::SMaxage,
            b"immutable" => Known::Flag(IMMUTABLE),
            b"stale-while-revalidate" => Known::StaleWhileRevalidate,
            b"stale-if-error" => Known::StaleIfError,
            b"no-transform" => Known::Flag(NO_TRANSFORM),
            b"proxy-revalidate" => Known::Flag(PROXY_REVALIDATE),
            b"must-understand" => Known::Flag(MUST_UNDERSTAND),
            _ => return None,
        })
    }
}

/// The cache directives of a response, parsed once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseDirectives {
    flags: u16,
    max_age: Option<Seconds>,
    s_maxage: Option<Seconds>,
    stale_while_revalidate: Option<Seconds>,
    stale_if_error: Option<Seconds>,
    no_cache: Option<Qualified>,
    private: Option<Qualified>,
    extensions: Vec<Extension>,
}

impl ResponseDirectives {
    /// Parses every field line of `name` in `headers` as one list.
    pub fn parse(headers: &HeaderMap, name: &HeaderName) -> Self {
        Self::from_lines(headers.get_all(name))
    }

    /// Directives read from `Surrogate-Control` (see `directives/surrogate.rs`).
    pub(crate) fn from_surrogate(
        max_age: Option<Seconds>,
        no_store: bool,
        stale_if_error: Option<Seconds>,
    ) -> Self {
        ResponseDirectives {
            flags: if no_store { NO_STORE } else { 0 },
            max_age,
            stale_if_error,
            ..ResponseDirectives::default()
        }
    }

    /// Parses the given field lines as one list.
    pub fn from_lines<'a>(lines: impl IntoIterator<Item = &'a HeaderValue>) -> Self {
        let mut d = ResponseDirectives::default();
        for line in lines {
            for m in list::members(line.as_bytes()) {
                d.apply(&m);
            }
        }
        d
    }

    fn apply(&mut self, m: &Member<'_>) {
        let n = m.name;
        let v = m.value.as_ref();
        match Known::of(n) {
            Some(Known::Flag(bit)) => self.flags |= bit,
            Some(Known::MaxAge) => first(&mut self.max_age, || Seconds::parse(m)),
            Some(Known::SMaxage) => first(&mut self.s_maxage, || Seconds::parse(m)),
            Some(Known::NoCache) => merge_qualified(&mut self.no_cache, m),
            Some(Known::Private) => merge_qualified(&mut self.private, m),
            Some(Known::StaleWhileRevalidate) => {
                first(&mut self.stale_while_revalidate, || Seconds::parse(m));
            }
            Some(Known::StaleIfError) => first(&mut self.stale_if_error, || Seconds::parse(m)),
            None => self.extensions.push(Extension {
                name: String::from_utf8_lossy(n).to_ascii_lowercase().into(),
                value: v.map(|v| String::from_utf8_lossy(&v.unescaped()).into()),
            }),
        }
    }

    fn has(&self, bit: u16) -> bool {
        self.flags & bit != 0
    }

    /// `max-age` (§5.2.2.1).
    pub fn max_age(&self) -> Option<Seconds> {
        self.max_age
    }
    /// `s-maxage` (§5.2.2.10).
    pub fn s_maxage(&self) -> Option<Seconds> {
        self.s_maxage
    }
    /// `stale-while-revalidate` (RFC 5861 §3).
    pub fn stale_while_revalidate(&self) -> Option<Seconds> {
        self.stale_while_revalidate
    }
    /// `stale-if-error` (RFC 5861 §4).
    pub fn stale_if_error(&self) -> Option<Seconds> {
        self.stale_if_error
    }
    /// `no-store` (§5.2.2.5).
    pub fn no_store(&self) -> bool {
        self.has(NO_STORE)
    }
    /// `no-transform` (§5.2.2.6).
    pub fn no_transform(&self) -> bool {
        self.has(NO_TRANSFORM)
    }
    /// `must-revalidate` (§5.2.2.2).
    pub fn must_revalidate(&self) -> bool {
        self.has(MUST_REVALIDATE)
    }
    /// `proxy-revalidate` (§5.2.2.8).
    pub fn proxy_revalidate(&self) -> bool {
        self.has(PROXY_REVALIDATE)
    }
    /// `must-understand` (§5.2.2.3).
    pub fn must_understand(&self) -> bool {
        self.has(MUST_UNDERSTAND)
    }
    /// `public` (§5.2.2.9).
    pub fn public(&self) -> bool {
        self.has(PUBLIC)
    }
    /// `immutable` (RFC 8246 §2).
    pub fn immutable(&self) -> bool {
        self.has(IMMUTABLE)
    }
    /// Unqualified `no-cache` (§5.2.2.4): never reuse without validation. A qualified
    /// `no-cache` that could not be read counts as unqualified.
    pub fn no_cache(&self) -> bool {
        matches!(self.no_cache, Some(Qualified::All))
    }
    /// The fields of a qualified `no-cache="..."` (§5.2.2.4), empty when unqualified or absent.
    pub fn no_cache_fields(&self) -> &[HeaderName] {
        match &self.no_cache {
            Some(Qualified::Fields(f)) => f,
            _ => &[],
        }
    }
    /// Unqualified `private` (§5.2.2.7). A qualified `private` that could not be read counts
    /// as unqualified, so a shared cache fails closed.
    pub fn private(&self) -> bool {
        matches!(self.private, Some(Qualified::All))
    }
    /// The fields of a qualified `private="..."` (§5.2.2.7).
    pub fn private_fields(&self) -> &[HeaderName] {
        match &self.private {
            Some(Qualified::Fields(f)) => f,
            _ => &[],
        }
    }
    /// Whether `private` is present in either form.
    pub fn any_private(&self) -> bool {
        self.private.is_some()
    }
    /// Unrecognised directives, in order of appearance (§5.2.3).
    pub fn extensions(&self) -> &[Extension] {
        &self.extensions
    }
}

/// Folds one `no-cache` / `private` occurrence into what was seen so far. The unqualified form
/// is the most restrictive and wins (§4.2.1); qualified lists accumulate; an argument we cannot
/// read as a list of field names fails closed to the unqualified form.
fn merge_qualified(slot: &mut Option<Qualified>, m: &Member<'_>) {
    let parsed = match m.value.as_ref() {
        Some(v) if !m.spaced => parse_field_names(v).map_or(Qualified::All, Qualified::Fields),
        _ => Qualified::All,
    };
    *slot = match (slot.take(), parsed) {
        (Some(Qualified::All), _) | (_, Qualified::All) => Some(Qualified::All),
        (Some(Qualified::Fields(mut a)), Qualified::Fields(b)) => {
            a.extend(b);
            Some(Qualified::Fields(a))
        }
        (None, q) => Some(q),
    };
}

fn parse_field_names(v: &Value<'_>) -> Option<Vec<HeaderName>> {
    if !matches!(
        v,
        Value::Token(_)
            | Value::Quoted {
                terminated: true,
                ..
            }
    ) {
        return None;
    }
    let bytes = v.unescaped();
    let mut names = Vec::new();
    for e in list::elements(&bytes) {
        names.push(HeaderName::from_bytes(e).ok()?);
    }
    // An empty list names nothing we could honour: treat it as unqualified.
    (!names.is_empty()).then_some(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::CACHE_CONTROL;

    fn parse(lines: &[&[u8]]) -> ResponseDirectives {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(CACHE_CONTROL, HeaderValue::from_bytes(l).unwrap());
        }
        ResponseDirectives::parse(&h, &CACHE_CONTROL)
    }

    #[test]
    fn s5_2_names_case_insensitive() {
        let d = parse(&[b"Max-Age=10, NO-STORE, Public"]);
        assert_eq!(d.max_age(), Some(Seconds::Valid(10)));
        assert!(d.no_store() && d.public());
    }

    #[test]
    fn s4_2_1_duplicate_max_age_first_wins() {
        assert_eq!(
            parse(&[b"max-age=10, max-age=20"]).max_age(),
            Some(Seconds::Valid(10))
        );
        assert_eq!(
            parse(&[b"max-age=10", b"max-age=20"]).max_age(),
            Some(Seconds::Valid(10))
        );
    }

    #[test]
    fn s5_2_2_4_qualified_no_cache() {
        let d = parse(&[br#"no-cache="Set-Cookie, X-Foo""#]);
        assert!(!d.no_cache());
        assert_eq!(
            d.no_cache_fields(),
            &[
                HeaderName::from_static("set-cookie"),
                HeaderName::from_static("x-foo")
            ]
        );
    }

    #[test]
    fn s5_2_2_4_qualified_and_unqualified_no_cache_most_restrictive() {
        let d = parse(&[br#"no-cache="x-foo", no-cache"#]);
        assert!(d.no_cache());
    }

    #[test]
    fn s5_2_2_7_malformed_private_fails_closed() {
        assert!(parse(&[br#"private="a b""#]).private());
        assert!(parse(&[br#"private="x, "#]).private());
        assert!(parse(&[br#"private="""#]).private());
        assert!(!parse(&[br#"private="x-a""#]).private());
    }

    #[test]
    fn s5_2_3_unknown_extensions_kept() {
        let d = parse(&[br#"community="UCI", foo, max-age=1"#]);
        assert_eq!(d.extensions().len(), 2);
        assert_eq!(d.extensions()[0].name(), "community");
        assert_eq!(d.extensions()[0].value(), Some("UCI"));
        assert_eq!(d.extensions()[1].value(), None);
    }

    #[test]
    fn s5_2_obs_text_does_not_break_parsing() {
        let d = parse(&[b"x-\xff=\xfe, max-age=7"]);
        assert_eq!(d.max_age(), Some(Seconds::Valid(7)));
    }
}
