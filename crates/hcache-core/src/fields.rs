//! The single-valued fields a cache reads: `Date` (RFC 9110 §6.6.1), `Age` (RFC 9111 §5.1),
//! `Expires` (§5.3), `Last-Modified` and `ETag` (RFC 9110 §8.8), and HTTP-date itself
//! (RFC 9110 §5.6.7).

use std::time::SystemTime;

use http::header::HeaderName;
use http::{HeaderMap, HeaderValue};

use crate::directives::list::{delta_seconds, trim_ows};

/// Parses an HTTP-date in any of its three forms (IMF-fixdate, RFC 850, asctime; RFC 9110
/// §5.6.7). Matching is case-insensitive as RFC 9111 §4.2 recommends; a zone other than `GMT`
/// and anything unparsable give `None`.
///
/// ```
/// use hcache_core::parse_http_date;
/// let a = parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
/// assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), Some(a));
/// assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994"), Some(a));
/// assert_eq!(parse_http_date(b"sun, 06 nov 1994 08:49:37 gmt"), Some(a));
/// assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 PST"), None);
/// ```
pub fn parse_http_date(bytes: &[u8]) -> Option<SystemTime> {
    let bytes = trim_ows(bytes);
    if let Some(t) = imf_fixdate(bytes) {
        return Some(t);
    }
    let s = std::str::from_utf8(bytes).ok()?;
    if let Ok(t) = httpdate::parse_http_date(s) {
        return Some(t);
    }
    // httpdate is case-sensitive; retry once with canonical capitalisation. Real dates are
    // short ASCII, so a small stack buffer suffices and longer input is simply invalid.
    let mut buf = [0u8; 40];
    if bytes.len() > buf.len() || !bytes.is_ascii() {
        return None;
    }
    let mut word_start = true;
    for (i, &b) in bytes.iter().enumerate() {
        buf[i] = if word_start {
            b.to_ascii_uppercase()
        } else {
            b.to_ascii_lowercase()
        };
        word_start = !b.is_ascii_alphabetic();
    }
    let canon = &mut buf[..bytes.len()];
    if canon.len() >= 3 && canon[canon.len() - 3..].eq_ignore_ascii_case(b"gmt") {
        let n = canon.len();
        canon[n - 3..].copy_from_slice(b"GMT");
    }
    let s = std::str::from_utf8(canon).ok()?;
    httpdate::parse_http_date(s).ok()
}

/// The fast path for the form senders must generate (IMF-fixdate, RFC 9110 §5.6.7), exactly
/// as `httpdate` reads it — same layout, case-sensitive names, a weekday that must match the
/// date, no day past the end of its month — without its check that formats the parsed date
/// back and compares. `None` sends the caller down the general path.
fn imf_fixdate(b: &[u8]) -> Option<SystemTime> {
    // `Sun, 06 Nov 1994 08:49:37 GMT`
    if b.len() != 29 || &b[25..] != b" GMT" || b[16] != b' ' || b[19] != b':' || b[22] != b':' {
        return None;
    }
    let digits = |s: &[u8]| {
        s.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let wday = match &b[..5] {
        b"Mon, " => 0,
        b"Tue, " => 1,
        b"Wed, " => 2,
        b"Thu, " => 3,
        b"Fri, " => 4,
        b"Sat, " => 5,
        b"Sun, " => 6,
        _ => return None,
    };
    let month: u32 = match &b[7..12] {
        b" Jan " => 1,
        b" Feb " => 2,
        b" Mar " => 3,
        b" Apr " => 4,
        b" May " => 5,
        b" Jun " => 6,
        b" Jul " => 7,
        b" Aug " => 8,
        b" Sep " => 9,
        b" Oct " => 10,
        b" Nov " => 11,
        b" Dec " => 12,
        _ => return None,
    };
    let (day, year) = (digits(&b[5..7])?, digits(&b[12..16])?);
    let (hour, min, sec) = (
        digits(&b[17..19])?,
        digits(&b[20..22])?,
        digits(&b[23..25])?,
    );
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_len = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1970..=9999).contains(&year) || day == 0 || day > month_len {
        return None;
    }
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    // Days since 1970-01-01 (H. Hinnant's days_from_civil, years from March).
    let y = u64::from(if month <= 2 { year - 1 } else { year });
    let mp = u64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + u64::from(day) - 1;
    let days = y * 365 + y / 4 - y / 100 + y / 400 + doy - 719_468;
    // 1970-01-01 was a Thursday (3 with Monday as 0).
    if (days + 3) % 7 != wday {
        return None;
    }
    let secs = days * 86_400 + u64::from(hour * 3600 + min * 60 + sec);
    Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// The first field line of `name` parsed as an HTTP-date (`None` when absent or invalid).
pub(crate) fn date_field(headers: &HeaderMap, name: &HeaderName) -> Option<SystemTime> {
    headers
        .get(name)
        .and_then(|v| parse_http_date(v.as_bytes()))
}

/// The `Age` field as read by §5.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AgeValue {
    /// No `Age` field.
    #[default]
    Absent,
    /// A valid age in seconds (saturated at 2^31, §1.3).
    Valid(u32),
    /// An invalid value: §5.1 says to consider the response stale.
    Invalid,
}

/// Reads `Age` (§5.1) from its only field line: a list or anything other than digits is
/// invalid. Several field lines are invalid too (the caller sees them): §5.1 suggests using
/// the first of several lines; we treat them as a list instead (which is what several lines of
/// one field mean, RFC 9110 §5.3) and so as invalid: a response whose age is ambiguous is
/// stale, never wrongly fresh.
pub(crate) fn age_value(line: &HeaderValue) -> AgeValue {
    delta_seconds(trim_ows(line.as_bytes())).map_or(AgeValue::Invalid, AgeValue::Valid)
}

/// The `Expires` field as read by §5.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiresValue {
    /// A valid HTTP-date.
    At(SystemTime),
    /// Present but invalid (e.g. `0`): already expired.
    Invalid,
}

/// Reads `Expires` (§5.3) from its first field line: an invalid date means "already expired".
pub(crate) fn expires_value(line: &HeaderValue) -> ExpiresValue {
    parse_http_date(line.as_bytes()).map_or(ExpiresValue::Invalid, ExpiresValue::At)
}

/// An entity-tag (RFC 9110 §8.8.3), borrowed from a field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntityTag<'a> {
    pub(crate) weak: bool,
    /// The opaque-tag including its quotes.
    pub(crate) opaque: &'a [u8],
}

impl<'a> EntityTag<'a> {
    /// Parses one entity-tag, OWS trimmed. Unquoted tags (a common origin mistake) are
    /// accepted as opaque strings so that they still compare equal to themselves.
    pub(crate) fn parse(bytes: &'a [u8]) -> Option<Self> {
        let b = trim_ows(bytes);
        let (weak, rest) = match b {
            [b'W', b'/', rest @ ..] => (true, rest),
            _ => (false, b),
        };
        if rest.is_empty() {
            return None;
        }
        Some(EntityTag { weak, opaque: rest })
    }

    /// Strong comparison (RFC 9110 §8.8.3.2): both strong and identical.
    pub(crate) fn strong_eq(&self, other: &EntityTag<'_>) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }

    /// Weak comparison (RFC 9110 §8.8.3.2): identical opaque-tags.
    pub(crate) fn weak_eq(&self, other: &EntityTag<'_>) -> bool {
        self.opaque == other.opaque
    }
}

/// Iterates the entity-tags of an `If-None-Match`-style list across field lines; `*` yields
/// `None` in place of a tag.
pub(crate) fn entity_tag_list<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> impl Iterator<Item = Option<EntityTag<'a>>> + 'a {
    headers
        .get_all(name)
        .into_iter()
        .flat_map(|line| crate::directives::list::elements(line.as_bytes()))
        .map(|e| if e == b"*" { None } else { EntityTag::parse(e) })
}

/// Seconds from `earlier` to `later`, negative when `later` is before `earlier`, saturating
/// instead of overflowing.
pub(crate) fn secs_between(later: SystemTime, earlier: SystemTime) -> i64 {
    // Equal times are common — a response without `Date` is dated by its response time, and
    // a clock that did not tick between request and response gives equal times — and the
    // subtraction below is a call into `std`.
    if later == earlier {
        return 0;
    }
    match later.duration_since(earlier) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{AGE, EXPIRES};
    use std::time::{Duration, UNIX_EPOCH};

    fn age(h: &HeaderMap) -> AgeValue {
        crate::stored::Facts::parse(h, &crate::CacheOptions::default()).age
    }

    fn expires(h: &HeaderMap) -> Option<ExpiresValue> {
        crate::stored::Facts::parse(h, &crate::CacheOptions::default()).expires
    }

    const T: u64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT

    #[test]
    fn rfc9110_s5_6_7_three_forms() {
        let t = UNIX_EPOCH + Duration::from_secs(T);
        assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994"), Some(t));
    }

    #[test]
    fn s4_2_dates_match_case_insensitively() {
        let t = UNIX_EPOCH + Duration::from_secs(T);
        assert_eq!(parse_http_date(b"SUN, 06 NOV 1994 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date(b"sunday, 06-nov-94 08:49:37 gmt"), Some(t));
    }

    #[test]
    fn rfc9110_s5_6_7_imf_fixdate_fast_path_agrees_with_httpdate() {
        // Every day from 1970 to 2110, at a time that changes with the day, and the edges.
        let mut secs: Vec<u64> = (0..51_500u64)
            .map(|d| d * 86_400 + d * 37 % 86_400)
            .collect();
        secs.extend([0, 951_782_400, 4_107_542_399, 253_402_300_799]); // 2000-02-29, 2100-02-28
        for s in secs {
            let t = UNIX_EPOCH + Duration::from_secs(s);
            let text = httpdate::fmt_http_date(t);
            assert_eq!(imf_fixdate(text.as_bytes()), Some(t), "{text}");
        }
        // Rejected by both; the general path then sees them (and accepts the lower-case one).
        for bad in [
            "Mon, 06 Nov 1994 08:49:37 GMT", // wrong weekday
            "Thu, 29 Feb 2001 00:00:00 GMT", // no such day
            "Thu, 31 Apr 2001 00:00:00 GMT",
            "Mon, 29 Feb 2100 00:00:00 GMT", // 2100 is no leap year
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:37 GMT",
            "Sun, 06 Nov 1994 08:49:60 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "sun, 06 nov 1994 08:49:37 gmt", // the general path handles case
            "Sun, 06 Nov 1994 08:49:3a GMT",
            "Sun,  6 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(imf_fixdate(bad.as_bytes()), None, "{bad}");
            assert!(httpdate::parse_http_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn s4_2_non_gmt_zone_is_invalid() {
        assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 UTC"), None);
        assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 +0000"), None);
    }

    #[test]
    fn rfc9110_s5_6_7_extreme_years() {
        assert!(parse_http_date(b"Fri, 31 Dec 9999 23:59:59 GMT").is_some());
        assert_eq!(parse_http_date(b"Thu, 01 Jan 1960 00:00:00 GMT"), None);
        assert_eq!(parse_http_date(b"0"), None);
        assert_eq!(parse_http_date(b""), None);
        assert_eq!(parse_http_date(b"\xff\xfe"), None);
    }

    #[test]
    fn s5_1_age_lists_and_several_lines_invalid() {
        let mut h = HeaderMap::new();
        assert_eq!(age(&h), AgeValue::Absent);
        h.append(AGE, HeaderValue::from_static("10"));
        assert_eq!(age(&h), AgeValue::Valid(10));
        h.append(AGE, HeaderValue::from_static("10"));
        assert_eq!(age(&h), AgeValue::Invalid);
        h.insert(AGE, HeaderValue::from_static("10, 20"));
        assert_eq!(age(&h), AgeValue::Invalid);
        h.insert(AGE, HeaderValue::from_static("-5"));
        assert_eq!(age(&h), AgeValue::Invalid);
        h.insert(AGE, HeaderValue::from_static("99999999999999999999999"));
        assert_eq!(age(&h), AgeValue::Valid(1 << 31));
    }

    #[test]
    fn s5_3_invalid_expires_is_expired() {
        let mut h = HeaderMap::new();
        assert_eq!(expires(&h), None);
        h.insert(EXPIRES, HeaderValue::from_static("0"));
        assert_eq!(expires(&h), Some(ExpiresValue::Invalid));
    }

    #[test]
    fn rfc9110_s8_8_3_2_entity_tag_comparison() {
        let s1 = EntityTag::parse(br#""1""#).unwrap();
        let w1 = EntityTag::parse(br#"W/"1""#).unwrap();
        let s2 = EntityTag::parse(br#""2""#).unwrap();
        assert!(s1.strong_eq(&s1) && !s1.strong_eq(&w1) && !w1.strong_eq(&w1));
        assert!(s1.weak_eq(&w1) && w1.weak_eq(&w1) && !s1.weak_eq(&s2));
    }

    #[test]
    fn secs_between_saturates() {
        let max = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        assert!(secs_between(max, UNIX_EPOCH) > 0);
        assert!(secs_between(UNIX_EPOCH, max) < 0);
        assert_eq!(secs_between(UNIX_EPOCH, UNIX_EPOCH), 0);
    }
}
