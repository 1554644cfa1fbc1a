//! Property tests: arbitrary field values never make the policy panic, the age and freshness
//! arithmetic never overflows and follows §4.2.3, and a few invariants hold for every input
//! (what is never stored, when a response is never fresh).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hcache_core::{
    CacheOptions, CachePolicy, Decision, HeadOutcome, MaxStale, NotStorable, RequestDirectives,
    ResponseDirectives, Seconds, StoredResponse, parse_http_date,
};
use http::header::{CACHE_CONTROL, PRAGMA};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

mod arb;

use arb::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

/// The last second of year 9999 (the largest HTTP-date).
const MAX_DATE: u64 = 253_402_300_799;
/// 2^31, where delta-seconds saturate (§1.3).
const CAP: u64 = 1 << 31;

/// `UNIX_EPOCH ± secs`.
fn at(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

/// Seconds since the epoch: mostly near the test epoch, sometimes anywhere a `SystemTime` can
/// be (before 1970, after 9999, at the extremes).
fn wide_secs() -> impl Strategy<Value = i64> {
    let t0 = 1_700_000_000i64;
    prop_oneof![
        3 => t0 - 1_000..t0 + 1_000,
        2 => 0..=MAX_DATE as i64,
        2 => -(1i64 << 40)..(1i64 << 40),
        1 => any::<i64>().prop_map(|s| s.max(-i64::MAX)),
        1 => select(vec![i64::MAX, -i64::MAX, 0, -1, 1]),
    ]
}

proptest! {
    #![proptest_config(config())]

    // §5.2 / §5.4: every byte sequence parses as directives (unknown ones kept), never panics.
    #[test]
    fn s5_2_arbitrary_cache_control_never_panics(
        lines in vec(value_bytes(), 0..4),
        pragma in value_bytes(),
    ) {
        let mut h = HeaderMap::new();
        for l in &lines {
            if let Ok(v) = HeaderValue::from_bytes(l) {
                h.append(CACHE_CONTROL, v);
            }
        }
        if let Ok(v) = HeaderValue::from_bytes(&pragma) {
            h.append(PRAGMA, v);
        }
        let rq = RequestDirectives::parse(&h);
        let _ = (rq.max_age(), rq.max_stale(), rq.min_fresh(), rq.stale_if_error());
        let _ = (rq.no_cache(), rq.pragma_no_cache(), rq.no_store(), rq.only_if_cached());
        let rs = ResponseDirectives::parse(&h, &CACHE_CONTROL);
        let _ = (rs.max_age(), rs.s_maxage(), rs.stale_while_revalidate(), rs.stale_if_error());
        let _ = (rs.no_store(), rs.no_cache(), rs.private(), rs.any_private(), rs.public());
        let _ = (rs.no_cache_fields().len(), rs.private_fields().len());
        for e in rs.extensions() {
            let _ = (e.name(), e.value());
        }
    }

    // RFC 9110 §5.6.7: any bytes given as an HTTP-date parse or are rejected, never panic.
    #[test]
    fn rfc9110_s5_6_7_arbitrary_http_date_never_panics(bytes in value_bytes()) {
        let _ = parse_http_date(&bytes);
    }

    #[test]
    fn rfc9110_s5_6_7_imf_fixdate_round_trips(secs in 0..=MAX_DATE) {
        let t = at(secs as i64);
        prop_assert_eq!(parse_http_date(httpdate::fmt_http_date(t).as_bytes()), Some(t));
    }

    // Every entry point, fed arbitrary fields, times (before 1970, far future) and statuses,
    // answers without panicking.
    #[test]
    fn s4_arbitrary_exchange_never_panics(x in exchange()) {
        let policy = x.policy();
        let (request, response) = (x.request(), x.response());
        let (_, rs, now) = x.times;
        let now = at(now);
        let _ = policy.storable(&request, &response);
        let stored = x.stored();
        let next = x.next_request();
        let _ = policy.cache_key(&next);
        let decision = policy.decide(&next, std::slice::from_ref(&stored), now);
        let _ = decision.cache_status().to_field_value("hcache");
        if let Decision::Fresh(r) | Decision::Stale { reuse: r, .. } = &decision {
            let _ = stored.response_head(r.age);
        }
        let _ = stored.response_head(u64::MAX);
        let _ = policy.conditional_request(&next, &stored);
        let _ = policy.precondition_matches(&next, &stored);
        let _ = policy.stale_if_error_allowed(&next, &stored, now);

        let not_modified = response_parts(304, &x.not_modified);
        let _ = policy.select_for_freshening(&[&stored, &stored], Some(1), &not_modified.headers);
        let _ = policy.select_for_freshening(&[&stored], None, &not_modified.headers);
        let freshened = policy.freshen(&stored, &not_modified, now, now);
        let _ = policy.decide(&next, &[freshened], now).cache_status().to_field_value("c");

        let head = response_parts(x.head.0, &x.head.1);
        if let HeadOutcome::Update(s) = policy.head_outcome(&stored, &head, at(rs), now) {
            let _ = policy.decide(&next, &[s], now);
        }
        let _ = policy.invalidations(&request, &response);
        let _ = policy.invalidations(&next, &head);
    }

    // §4.2: a reuse is Fresh only while the lifetime exceeds the age, and reports that age.
    #[test]
    fn s4_2_decide_never_fresh_when_lifetime_not_greater_than_age(x in exchange()) {
        let policy = x.policy();
        let stored = x.stored();
        let now = at(x.times.2);
        let lifetime = stored.freshness_lifetime(policy.options()).secs;
        let age = stored.current_age(now);
        match policy.decide(&x.next_request(), std::slice::from_ref(&stored), now) {
            Decision::Fresh(r) => {
                prop_assert!(lifetime > age, "fresh with lifetime {} <= age {}", lifetime, age);
                prop_assert_eq!(r.age, age);
            }
            Decision::Stale { reuse, .. } => prop_assert_eq!(reuse.age, age),
            _ => {}
        }
    }
}

// ---- arithmetic ----

/// `digits` as a number, saturated at 2^31 (§1.3).
fn saturated(digits: &str) -> u32 {
    let n: u128 = digits.parse().expect("digits");
    n.min(u128::from(CAP)) as u32
}

/// `secs_between` of the core: seconds from `earlier` to `later`, saturated to `i64`.
fn between(later: i64, earlier: i64) -> i128 {
    (i128::from(later) - i128::from(earlier)).clamp(i64::MIN.into(), i64::MAX.into())
}

proptest! {
    #![proptest_config(config())]

    // §1.3: "a recipient ... MUST use 2147483648 (2^31) if it receives a delta-seconds greater
    // than the greatest integer it can represent" — here, anything above 2^31.
    #[test]
    fn s1_3_delta_seconds_saturate_never_overflow(digits in "[0-9]{1,30}", quoted in any::<bool>()) {
        let arg = if quoted { format!("\"{digits}\"") } else { digits.clone() };
        let value = format!(
            "max-age={arg}, s-maxage={arg}, stale-while-revalidate={arg}, stale-if-error={arg}, \
             max-stale={arg}, min-fresh={arg}"
        );
        let mut h = HeaderMap::new();
        h.insert(CACHE_CONTROL, HeaderValue::from_str(&value).expect("value"));
        let want = Some(Seconds::Valid(saturated(&digits)));
        let rs = ResponseDirectives::parse(&h, &CACHE_CONTROL);
        prop_assert_eq!(rs.max_age(), want);
        prop_assert_eq!(rs.s_maxage(), want);
        prop_assert_eq!(rs.stale_while_revalidate(), want);
        prop_assert_eq!(rs.stale_if_error(), want);
        let rq = RequestDirectives::parse(&h);
        prop_assert_eq!(rq.max_age(), want);
        prop_assert_eq!(rq.min_fresh(), want);
        prop_assert_eq!(rq.max_stale(), Some(MaxStale::Seconds(saturated(&digits))));
    }

    // §5.2.2.1 with §1.3: `max-age=<digits>` is min(value, 2^31), and so is the lifetime.
    #[test]
    fn s5_2_2_1_max_age_digits_give_min_of_value_and_2_31(digits in "[0-9]{1,30}") {
        let policy = CachePolicy::default();
        let res = response_parts(200, &vec![("cache-control", format!("max-age={digits}").into_bytes())]);
        let req = request_parts(&Method::GET, "http://example.com/r", &Vec::new(), None);
        let s = policy.store(&req, &res, at(0), at(0)).expect("storable");
        prop_assert_eq!(s.directives().max_age(), Some(Seconds::Valid(saturated(&digits))));
        prop_assert_eq!(s.freshness_lifetime(policy.options()).secs, u64::from(saturated(&digits)));
    }

    // §5.1 with §1.3: an `Age` of any size counts as at most 2^31.
    #[test]
    fn s5_1_age_digits_saturate_at_2_31(digits in "[0-9]{1,30}", now in wide_secs()) {
        let policy = CachePolicy::default();
        let res = response_parts(200, &vec![
            ("cache-control", b"max-age=60".to_vec()),
            ("age", digits.clone().into_bytes()),
        ]);
        let req = request_parts(&Method::GET, "http://example.com/r", &Vec::new(), None);
        let s = policy.store(&req, &res, at(now), at(now)).expect("storable");
        prop_assert_eq!(s.current_age(at(now)), u64::from(saturated(&digits)));
    }

    // §4.2.3 and §4.2.1 for any Age, max-age, Date and Expires (years 1970–9999) and any
    // request, response and current times, including `now` before the response time: the
    // age and lifetime follow the formulas (saturating, never overflowing), `Reuse::age` is
    // the current age and `Reuse::ttl` is lifetime − age.
    #[test]
    fn s4_2_3_age_arithmetic_never_overflows(
        age in "[0-9]{1,30}",
        max_age in proptest::option::of("[0-9]{1,30}"),
        date in proptest::option::of(0..=MAX_DATE as i64),
        expires in proptest::option::of(0..=MAX_DATE as i64),
        (rq, rs, now) in (wide_secs(), wide_secs(), wide_secs()),
        shared in any::<bool>(),
    ) {
        let mut lines: Fields = vec![("age", age.clone().into_bytes())];
        if let Some(m) = &max_age {
            lines.push(("cache-control", format!("max-age={m}").into_bytes()));
        }
        if let Some(d) = date {
            lines.push(("date", httpdate::fmt_http_date(at(d)).into_bytes()));
        }
        if let Some(e) = expires {
            lines.push(("expires", httpdate::fmt_http_date(at(e)).into_bytes()));
        }
        let policy = CachePolicy::new(CacheOptions::default().shared(shared));
        let req = request_parts(&Method::GET, "http://example.com/r", &Vec::new(), None);
        let s = policy
            .store(&req, &response_parts(200, &lines), at(rq), at(rs))
            .expect("storable");

        // §4.2.3, in exact arithmetic, each interval saturated like the core's.
        let date_value = date.unwrap_or(rs);
        let apparent_age = between(rs, date_value).max(0);
        let response_delay = between(rs, rq).max(0);
        let corrected_age_value = (i128::from(saturated(&age)) + response_delay).min(u64::MAX.into());
        let corrected_initial_age = apparent_age.max(corrected_age_value);
        let resident_time = between(now, rs).max(0);
        let want_age = (corrected_initial_age + resident_time).min(u64::MAX.into());
        let current_age = s.current_age(at(now));
        prop_assert_eq!(i128::from(current_age), want_age);

        // §4.2.1: max-age, else Expires − Date (Date defaulting to the receipt time), else 0
        // (no heuristic without Last-Modified).
        let want_lifetime = match (&max_age, expires) {
            (Some(m), _) => i128::from(saturated(m)),
            (None, Some(e)) => between(e, date_value).max(0),
            (None, None) => 0,
        };
        let lifetime = s.freshness_lifetime(policy.options()).secs;
        prop_assert_eq!(i128::from(lifetime), want_lifetime);

        let want_ttl = (want_lifetime - want_age).clamp(i64::MIN.into(), i64::MAX.into());
        let next = request_parts(&Method::GET, "http://example.com/r", &vec![("cache-control", b"max-stale".to_vec())], None);
        match policy.decide(&next, &[s], at(now)) {
            Decision::Fresh(r) => {
                prop_assert!(want_lifetime > want_age);
                prop_assert_eq!(r.age, current_age);
                prop_assert_eq!(i128::from(r.ttl), want_ttl);
            }
            Decision::Stale { reuse: r, .. } => {
                prop_assert!(want_lifetime <= want_age);
                prop_assert_eq!(r.age, current_age);
                prop_assert_eq!(i128::from(r.ttl), want_ttl);
            }
            other => prop_assert!(false, "not a reuse: {:?}", other),
        }
    }
}

// ---- invariants ----

const DIRECTIVES: &[&str] = &[
    "max-age",
    "s-maxage",
    "no-cache",
    "private",
    "public",
    "must-revalidate",
    "proxy-revalidate",
    "must-understand",
    "immutable",
    "stale-while-revalidate",
    "stale-if-error",
    "no-transform",
    "no-store",
];

/// A well-formed Cache-Control member: a directive or extension, bare, with a token argument
/// or with a quoted-string argument (which may hold commas).
fn member() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        select(DIRECTIVES).prop_map(str::to_owned),
        "[a-z][a-z-]{0,10}",
    ];
    let arg = prop_oneof![
        Just(String::new()),
        "[0-9]{1,12}".prop_map(|d| format!("={d}")),
        "[a-zA-Z0-9, -]{0,12}".prop_map(|s| format!("=\"{s}\"")),
    ];
    (name, arg).prop_map(|(n, a)| n + &a)
}

/// Members whose names are none of `excluded`, with `required` inserted at `pos` (its case
/// varied when `upper`), joined as one Cache-Control value.
fn list_with(
    required: &str,
    excluded: &[&str],
    members: Vec<String>,
    pos: usize,
    upper: bool,
) -> String {
    let mut ms: Vec<String> = members
        .into_iter()
        .filter(|m| {
            let name = m.split('=').next().unwrap_or_default();
            !excluded.iter().any(|e| name.eq_ignore_ascii_case(e))
        })
        .collect();
    let req = if upper {
        required.to_ascii_uppercase()
    } else {
        required.to_owned()
    };
    ms.insert(pos.min(ms.len()), req);
    ms.join(", ")
}

/// Whether `policy` stores a `status` response with `Cache-Control: cc` (and `extra` fields)
/// to a GET with `req_fields`.
fn stores(
    policy: &CachePolicy,
    req_fields: &Fields,
    status: u16,
    cc: &str,
    extra: &Fields,
) -> Result<StoredResponse, NotStorable> {
    let mut lines = extra.clone();
    lines.push(("cache-control", cc.as_bytes().to_vec()));
    let req = request_parts(&Method::GET, "http://example.com/r", req_fields, None);
    policy.store(&req, &response_parts(status, &lines), at(0), at(0))
}

/// Connection-specific fields (RFC 9110 §7.6.1) never stored (§3.1), and a few names a
/// `Connection` line may list.
const HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "te",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
];
const NAMED: &[&str] = &["x-a", "x-b", "content-type", "etag", "close"];

fn hop_fields() -> impl Strategy<Value = (Fields, Vec<&'static str>)> {
    (
        vec((select(HOP), value_bytes()), 0..6),
        vec(select(NAMED), 0..3),
    )
        .prop_map(|(mut f, named)| {
            // A response still stored has at most its one `chunked` coding left (RFC 9112
            // §6.1); any other is `NotStorable::Framing`.
            let mut coded = false;
            f.retain_mut(|(name, value)| {
                if *name != "transfer-encoding" {
                    return true;
                }
                *value = b"chunked".to_vec();
                !std::mem::replace(&mut coded, true)
            });
            if !named.is_empty() {
                f.push(("connection", named.join(", ").into_bytes()));
            }
            (f, named)
        })
}

fn assert_no_hop_fields(s: &StoredResponse, named: &[&str]) -> Result<(), TestCaseError> {
    for n in HOP.iter().chain(named) {
        prop_assert!(!s.headers().contains_key(*n), "{} stored", n);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    // §5.2.2.5: a cache "MUST NOT store any part of either the immediate request or the
    // response" marked no-store (unless must-understand applies, §5.2.2.3).
    #[test]
    fn s5_2_2_5_no_store_response_never_stored(
        members in vec(member(), 0..6), pos in 0usize..6, upper in any::<bool>(),
        shared in any::<bool>(), status in 200u16..600,
    ) {
        let cc = list_with("no-store", &["must-understand"], members, pos, upper);
        let policy = CachePolicy::new(CacheOptions::default().shared(shared));
        prop_assert!(stores(&policy, &Vec::new(), status, &cc, &Vec::new()).is_err(), "stored: {}", cc);
    }

    // §5.2.2.7: "a shared cache MUST NOT store the response" with unqualified private.
    #[test]
    fn s5_2_2_7_shared_cache_never_stores_private(
        members in vec(member(), 0..6), pos in 0usize..6, upper in any::<bool>(), status in 200u16..600,
    ) {
        let cc = list_with("private", &[], members, pos, upper);
        let policy = CachePolicy::new(CacheOptions::default().shared(true));
        prop_assert!(stores(&policy, &Vec::new(), status, &cc, &Vec::new()).is_err(), "stored: {}", cc);
    }

    // §3.5: a shared cache "MUST NOT use a cached response to a request with an Authorization
    // header field ... unless" must-revalidate, public or s-maxage allows it.
    #[test]
    fn s3_5_shared_cache_never_stores_authorized_without_permission(
        members in vec(member(), 0..6), auth in value_bytes(), status in 200u16..600,
    ) {
        let cc = list_with("max-age=60", &["public", "must-revalidate", "s-maxage"], members, 0, false);
        let mut auth = auth;
        auth.insert(0, b'x');
        let req_fields: Fields = vec![("authorization", auth)];
        if !header_map(&req_fields).contains_key("authorization") {
            return Ok(());
        }
        let policy = CachePolicy::new(CacheOptions::default().shared(true));
        prop_assert!(stores(&policy, &req_fields, status, &cc, &Vec::new()).is_err(), "stored: {}", cc);
    }

    // §3.1: connection-specific fields (and those Connection names) are never stored, neither
    // from the response nor from a 304 that freshens it (§3.2).
    #[test]
    fn s3_1_stored_headers_never_hold_connection_fields(
        (res_fields, res_named) in hop_fields(),
        (nm_fields, nm_named) in hop_fields(),
        shared in any::<bool>(),
    ) {
        let policy = CachePolicy::new(CacheOptions::default().shared(shared));
        let s = stores(&policy, &Vec::new(), 200, "max-age=60", &res_fields).expect("storable");
        assert_no_hop_fields(&s, &res_named)?;
        let not_modified = response_parts(304, &nm_fields);
        let f = policy.freshen(&s, &not_modified, at(10), at(10));
        assert_no_hop_fields(&f, &nm_named)?;
        let head = response_parts(200, &nm_fields);
        if let HeadOutcome::Update(h) = policy.head_outcome(&s, &head, at(10), at(10)) {
            assert_no_hop_fields(&h, &nm_named)?;
        }
        prop_assert_eq!(s.status(), StatusCode::OK);
    }
}

// The shrunk case that found `Reuse::ttl` off by one once the age passed i64::MAX: an age of
// ~2^63 s with no lifetime must report the most negative ttl, not i64::MIN + 1.
#[test]
fn s4_2_3_ttl_saturates_when_age_exceeds_i64() {
    let policy = CachePolicy::default();
    let req = request_parts(&Method::GET, "http://example.com/r", &Vec::new(), None);
    let res = response_parts(200, &vec![("age", b"1".to_vec())]);
    let s = policy
        .store(&req, &res, at(1_699_999_000), at(0))
        .expect("storable");
    let next = request_parts(
        &Method::GET,
        "http://example.com/r",
        &vec![("cache-control", b"max-stale".to_vec())],
        None,
    );
    match policy.decide(&next, &[s], at(i64::MAX)) {
        Decision::Stale { reuse, .. } => assert_eq!(reuse.ttl, i64::MIN),
        other => panic!("{other:?}"),
    }
}
