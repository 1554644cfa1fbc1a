//! Response directives (RFC 9111 §5.2.2, RFC 5861, RFC 8246).

use http::header::HeaderName;
use http::{HeaderMap, HeaderValue};

use super::Seconds;
use super::list::{self, Member, Value};

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

const NO_STORE: u16 = 1;
const NO_TRANSFORM: u16 = 1 << 1;
const MUST_REVALIDATE: u16 = 1 << 2;
const PROXY_REVALIDATE: u16 = 1 << 3;
const MUST_UNDERSTAND: u16 = 1 << 4;
const PUBLIC: u16 = 1 << 5;
const IMMUTABLE: u16 = 1 << 6;
/// Unqualified `no-cache` (or a qualified one that could not be read).
const NO_CACHE_ALL: u16 = 1 << 7;
/// Unqualified `private` (or a qualified one that could not be read).
const PRIVATE_ALL: u16 = 1 << 8;
/// The bits that are directives of their own, as `Debug` shows them.
const DIRECTIVE_FLAGS: u16 = (1 << 7) - 1;

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
    /// The directive named `name`, compared case-insensitively (§5.2). This and
    /// `lower_case` are inlined: they run for every member of every `Cache-Control`.
    #[inline(always)]
    fn of(name: &[u8]) -> Option<Known> {
        // Senders write directive names in lower case: match those bytes first, and lower-case
        // a copy only for the rest.
        match Known::lower_case(name) {
            Some(k) => Some(k),
            None => Known::folded(name),
        }
    }

    /// [`Known::of`] for a name that is not one of ours in lower case: it may be in another.
    #[cold]
    #[inline(never)]
    fn folded(name: &[u8]) -> Option<Known> {
        // No name we know is longer than the buffer.
        let mut buf = [0u8; 24];
        let copy = buf.get_mut(..name.len())?;
        copy.copy_from_slice(name);
        if !copy.iter().any(u8::is_ascii_uppercase) {
            return None;
        }
        copy.make_ascii_lowercase();
        Known::lower_case(copy)
    }

    #[inline(always)]
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
///
/// Kept small (32 bytes), because every stored response holds one and is moved a few times
/// while it is built: the `delta-seconds` arguments take four bytes each, and what most
/// responses never carry — qualified field lists and unknown directives — sits behind one
/// pointer that stays `None` (no allocation) without them.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseDirectives {
    /// Directive bits, with `NO_CACHE_ALL` and `PRIVATE_ALL`.
    flags: u16,
    max_age: Slot,
    s_maxage: Slot,
    stale_while_revalidate: Slot,
    stale_if_error: Slot,
    /// `None` when all of it would be empty, so that equal directives compare equal.
    rare: Option<Box<Rare>>,
}

/// What few responses carry.
#[derive(Clone, Default, PartialEq, Eq)]
struct Rare {
    /// The fields of a qualified `no-cache`; empty when it is unqualified (`NO_CACHE_ALL`).
    no_cache: Vec<HeaderName>,
    /// The fields of a qualified `private`; empty when it is unqualified (`PRIVATE_ALL`).
    private: Vec<HeaderName>,
    extensions: Vec<Extension>,
}

impl Rare {
    fn is_empty(&self) -> bool {
        self.no_cache.is_empty() && self.private.is_empty() && self.extensions.is_empty()
    }
}

/// An `Option<Seconds>` in four bytes: a valid argument is at most 2^31 (§1.3, which
/// [`list::delta_seconds`] saturates to), so the two largest `u32` stand for "absent" and
/// "invalid".
#[derive(Clone, Copy, PartialEq, Eq)]
struct Slot(u32);

impl Slot {
    const ABSENT: Slot = Slot(u32::MAX);
    const INVALID: u32 = u32::MAX - 1;

    fn new(s: Option<Seconds>) -> Slot {
        match s {
            None => Slot::ABSENT,
            Some(Seconds::Invalid) => Slot(Slot::INVALID),
            Some(Seconds::Valid(n)) => {
                debug_assert!(n <= 1 << 31, "delta-seconds saturate at 2^31");
                Slot(n.min(1 << 31))
            }
        }
    }

    fn get(self) -> Option<Seconds> {
        match self.0 {
            u32::MAX => None,
            Slot::INVALID => Some(Seconds::Invalid),
            n => Some(Seconds::Valid(n)),
        }
    }

    fn is_absent(self) -> bool {
        self == Slot::ABSENT
    }

    /// Stores the argument of `m` unless an earlier occurrence is already here (§4.2.1: the
    /// first occurrence of a duplicated directive is used).
    fn first(&mut self, m: &Member<'_>) {
        if self.is_absent() {
            *self = Slot::new(Some(Seconds::parse(m)));
        }
    }
}

impl Default for ResponseDirectives {
    fn default() -> Self {
        ResponseDirectives {
            flags: 0,
            max_age: Slot::ABSENT,
            s_maxage: Slot::ABSENT,
            stale_while_revalidate: Slot::ABSENT,
            stale_if_error: Slot::ABSENT,
            rare: None,
        }
    }
}

impl std::fmt::Debug for ResponseDirectives {
    /// As the plain struct it stands for: flags, the four arguments, `no_cache` and `private`
    /// as `None`, `Some(All)` or `Some(Fields([..]))`, and the extensions.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseDirectives")
            .field("flags", &(self.flags & DIRECTIVE_FLAGS))
            .field("max_age", &self.max_age())
            .field("s_maxage", &self.s_maxage())
            .field("stale_while_revalidate", &self.stale_while_revalidate())
            .field("stale_if_error", &self.stale_if_error())
            .field(
                "no_cache",
                &Qualified(self.has(NO_CACHE_ALL), self.no_cache_fields()),
            )
            .field(
                "private",
                &Qualified(self.has(PRIVATE_ALL), self.private_fields()),
            )
            .field("extensions", &self.extensions())
            .finish()
    }
}

/// `no_cache` or `private` (unqualified, and the qualified fields) as `Debug` shows them:
/// `None`, `Some(All)` or `Some(Fields([..]))`.
struct Qualified<'a>(bool, &'a [HeaderName]);

impl std::fmt::Debug for Qualified<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Qualified(true, _) => f.write_str("Some(All)"),
            Qualified(false, []) => f.write_str("None"),
            Qualified(false, fields) => write!(f, "Some(Fields({fields:?}))"),
        }
    }
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
            max_age: Slot::new(max_age),
            stale_if_error: Slot::new(stale_if_error),
            ..ResponseDirectives::default()
        }
    }

    /// Parses the given field lines as one list.
    pub fn from_lines<'a>(lines: impl IntoIterator<Item = &'a HeaderValue>) -> Self {
        let mut d = ResponseDirectives::default();
        d.parse_lines(lines);
        d
    }

    /// [`ResponseDirectives::from_lines`] into `self`, which holds no directive yet: where the
    /// caller keeps them, as returning them would copy them right after they were written
    /// piece by piece, which stalls the processor (this runs for every stored response).
    pub(crate) fn parse_lines<'a>(&mut self, lines: impl IntoIterator<Item = &'a HeaderValue>) {
        for line in lines {
            for m in list::members(line.as_bytes()) {
                self.apply(&m);
            }
        }
        // A field list emptied by an unqualified form leaves nothing to keep.
        if self.rare.as_deref().is_some_and(Rare::is_empty) {
            self.rare = None;
        }
    }

    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_default()
    }

    /// Applies one member. The directives almost every response carries are handled here,
    /// inlined into the parse loop; qualified field lists and unknown extensions, which
    /// allocate, are out of line so that they do not weigh on the common path.
    #[inline(always)]
    fn apply(&mut self, m: &Member<'_>) {
        match Known::of(m.name) {
            Some(Known::Flag(bit)) => self.flags |= bit,
            Some(Known::MaxAge) => self.max_age.first(m),
            Some(Known::SMaxage) => self.s_maxage.first(m),
            Some(Known::StaleWhileRevalidate) => self.stale_while_revalidate.first(m),
            Some(Known::StaleIfError) => self.stale_if_error.first(m),
            // Unqualified, with no qualified list to clear: what `merge_qualified` would do.
            Some(Known::NoCache) if m.value.is_none() && self.rare.is_none() => {
                self.flags |= NO_CACHE_ALL;
            }
            Some(Known::Private) if m.value.is_none() && self.rare.is_none() => {
                self.flags |= PRIVATE_ALL;
            }
            Some(Known::NoCache) => self.merge_qualified(NO_CACHE_ALL, |r| &mut r.no_cache, m),
            Some(Known::Private) => self.merge_qualified(PRIVATE_ALL, |r| &mut r.private, m),
            None => self.extension(m),
        }
    }

    #[cold]
    #[inline(never)]
    fn extension(&mut self, m: &Member<'_>) {
        self.rare().extensions.push(Extension {
            name: String::from_utf8_lossy(m.name).to_ascii_lowercase().into(),
            value: m
                .value
                .as_ref()
                .map(|v| String::from_utf8_lossy(&v.unescaped()).into()),
        });
    }

    fn has(&self, bit: u16) -> bool {
        self.flags & bit != 0
    }

    /// `max-age` (§5.2.2.1).
    pub fn max_age(&self) -> Option<Seconds> {
        self.max_age.get()
    }
    /// `s-maxage` (§5.2.2.10).
    pub fn s_maxage(&self) -> Option<Seconds> {
        self.s_maxage.get()
    }
    /// `stale-while-revalidate` (RFC 5861 §3).
    pub fn stale_while_revalidate(&self) -> Option<Seconds> {
        self.stale_while_revalidate.get()
    }
    /// `stale-if-error` (RFC 5861 §4).
    pub fn stale_if_error(&self) -> Option<Seconds> {
        self.stale_if_error.get()
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
        self.has(NO_CACHE_ALL)
    }
    /// The fields of a qualified `no-cache="..."` (§5.2.2.4), empty when unqualified or absent.
    pub fn no_cache_fields(&self) -> &[HeaderName] {
        self.rare.as_ref().map_or(&[], |r| &r.no_cache)
    }
    /// Unqualified `private` (§5.2.2.7). A qualified `private` that could not be read counts
    /// as unqualified, so a shared cache fails closed.
    pub fn private(&self) -> bool {
        self.has(PRIVATE_ALL)
    }
    /// The fields of a qualified `private="..."` (§5.2.2.7).
    pub fn private_fields(&self) -> &[HeaderName] {
        self.rare.as_ref().map_or(&[], |r| &r.private)
    }
    /// Whether `private` is present in either form.
    pub fn any_private(&self) -> bool {
        self.private() || !self.private_fields().is_empty()
    }
    /// Unrecognised directives, in order of appearance (§5.2.3).
    pub fn extensions(&self) -> &[Extension] {
        self.rare.as_ref().map_or(&[], |r| &r.extensions)
    }

    /// Folds one `no-cache` / `private` occurrence into what was seen so far. The unqualified
    /// form (flag `all`) is the most restrictive and wins (§4.2.1); qualified lists (in
    /// `list`) accumulate; an argument we cannot read as a list of field names fails closed
    /// to the unqualified form.
    #[inline(never)]
    fn merge_qualified(
        &mut self,
        all: u16,
        list: impl FnOnce(&mut Rare) -> &mut Vec<HeaderName>,
        m: &Member<'_>,
    ) {
        let names = match m.value.as_ref() {
            Some(v) if !m.spaced => parse_field_names(v),
            _ => None,
        };
        match names {
            Some(_) if self.has(all) => {}
            Some(names) => list(self.rare()).extend(names),
            None => {
                self.flags |= all;
                if let Some(r) = self.rare.as_deref_mut() {
                    list(r).clear();
                }
            }
        }
    }
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
    fn s4_2_1_unqualified_form_leaves_equal_directives() {
        // The fields named before an unqualified `no-cache` / `private` are forgotten: the
        // result is the unqualified directive alone, equal to it and without extra storage.
        let d = parse(&[br#"no-cache="x-a", max-age=5"#, b"no-cache"]);
        assert_eq!(d, parse(&[b"max-age=5, no-cache"]));
        assert!(d.no_cache() && d.no_cache_fields().is_empty() && d.rare.is_none());
        let d = parse(&[br#"private="x-a", private, private="x-b""#]);
        assert_eq!(d, parse(&[b"private"]));
        assert!(d.private() && d.any_private() && d.private_fields().is_empty());
        let d = parse(&[br#"private="x-a""#]);
        assert!(!d.private() && d.any_private());
        assert_eq!(d.private_fields(), &[HeaderName::from_static("x-a")]);
    }

    #[test]
    fn s1_3_arguments_keep_their_range() {
        let d = parse(&[b"max-age=0, s-maxage=2147483648, stale-if-error=99999999999"]);
        assert_eq!(d.max_age(), Some(Seconds::Valid(0)));
        assert_eq!(d.s_maxage(), Some(Seconds::Valid(1 << 31)));
        assert_eq!(d.stale_if_error(), Some(Seconds::Valid(1 << 31)));
        assert_eq!(d.stale_while_revalidate(), None);
        let d = parse(&[b"stale-while-revalidate=x, stale-while-revalidate=5"]);
        assert_eq!(d.stale_while_revalidate(), Some(Seconds::Invalid));
    }

    #[test]
    fn debug_shows_the_directives() {
        let d = parse(&[br#"public, max-age=60, no-cache="set-cookie", private, foo"#]);
        assert_eq!(
            format!("{d:?}"),
            "ResponseDirectives { flags: 32, max_age: Some(Valid(60)), s_maxage: None, \
             stale_while_revalidate: None, stale_if_error: None, \
             no_cache: Some(Fields([\"set-cookie\"])), private: Some(All), \
             extensions: [Extension { name: \"foo\", value: None }] }"
        );
    }

    #[test]
    fn s5_2_obs_text_does_not_break_parsing() {
        let d = parse(&[b"x-\xff=\xfe, max-age=7"]);
        assert_eq!(d.max_age(), Some(Seconds::Valid(7)));
    }
}
