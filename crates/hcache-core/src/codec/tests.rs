use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode, Version};
use proptest::prelude::*;

use super::*;

fn opts() -> CacheOptions {
    CacheOptions::default()
}

fn sample() -> StoredResponse {
    let mut headers = HeaderMap::new();
    headers.append("cache-control", HeaderValue::from_static("max-age=60"));
    headers.append("set-cookie", HeaderValue::from_static("a=1"));
    headers.append("set-cookie", HeaderValue::from_static("b=2"));
    // obs-text survives as raw bytes.
    headers.append(
        "x-latin",
        HeaderValue::from_bytes(b"caf\xe9 \x80\xff").unwrap(),
    );
    headers.append("etag", HeaderValue::from_static("\"v1\""));
    let vary = VaryKey::from_fields([
        (
            HeaderName::from_static("accept-encoding"),
            Some(b"br,gzip".to_vec()),
        ),
        (HeaderName::from_static("x-absent"), None),
        (HeaderName::from_static("x-empty"), Some(Vec::new())),
    ]);
    let t = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
    StoredResponse::from_parts(
        StatusCode::OK,
        Version::HTTP_11,
        headers,
        vary,
        t,
        t + Duration::from_millis(5),
        &opts(),
    )
}

fn assert_same(a: &StoredResponse, b: &StoredResponse) {
    assert_eq!(a.status(), b.status());
    assert_eq!(a.version(), b.version());
    assert_eq!(a.headers(), b.headers());
    // `HeaderMap` equality ignores the order of a name's lines; the codec keeps it.
    for name in a.headers().keys() {
        let x: Vec<_> = a.headers().get_all(name).iter().collect();
        let y: Vec<_> = b.headers().get_all(name).iter().collect();
        assert_eq!(x, y, "lines of {name}");
    }
    assert_eq!(a.vary(), b.vary());
    assert_eq!(a.request_time(), b.request_time());
    assert_eq!(a.response_time(), b.response_time());
}

#[test]
fn round_trip_keeps_every_part() {
    let s = sample();
    let bytes = encode_stored(&s);
    let back = decode_stored(&bytes, &opts()).unwrap();
    assert_same(&s, &back);
    // The facts are parsed again from the decoded header section.
    assert_eq!(back.directives().max_age(), s.directives().max_age());
    assert!(back.has_validator());
    // Encoding is deterministic.
    assert_eq!(encode_stored(&back), bytes);
}

#[test]
fn times_before_1970_round_trip() {
    for t in [
        UNIX_EPOCH - Duration::new(1, 0),
        UNIX_EPOCH - Duration::new(0, 1),
        UNIX_EPOCH - Duration::new(86_400 * 365 * 100, 999_999_999),
        UNIX_EPOCH,
    ] {
        let s = StoredResponse::from_parts(
            StatusCode::NOT_FOUND,
            Version::HTTP_2,
            HeaderMap::new(),
            VaryKey::default(),
            t,
            t,
            &opts(),
        );
        let back = decode_stored(&encode_stored(&s), &opts()).unwrap();
        assert_eq!(back.request_time(), t);
        assert_eq!(back.response_time(), t);
    }
}

#[test]
fn every_truncation_is_rejected() {
    let bytes = encode_stored(&sample());
    for n in 0..bytes.len() {
        assert!(
            decode_stored(&bytes[..n], &opts()).is_err(),
            "a prefix of {n} bytes decoded"
        );
    }
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = encode_stored(&sample());
    bytes.push(0);
    assert!(matches!(
        decode_stored(&bytes, &opts()),
        Err(DecodeError::TrailingBytes(1))
    ));
}

/// Byte offsets of the sample's fields, for targeted corruption.
fn header_start() -> usize {
    4 + 1 + 2 + 1 + 12 + 12
}

#[test]
fn corrupt_fields_are_rejected() {
    let good = encode_stored(&sample());
    let with = |at: usize, b: &[u8]| {
        let mut v = good.clone();
        v[at..at + b.len()].copy_from_slice(b);
        decode_stored(&v, &opts())
    };
    assert!(matches!(with(0, b"HCSR"), Err(DecodeError::BadMagic)));
    assert!(matches!(
        with(4, &[2]),
        Err(DecodeError::UnsupportedVersion(2))
    ));
    assert!(matches!(
        with(4, &[0]),
        Err(DecodeError::UnsupportedVersion(0))
    ));
    assert!(matches!(
        with(5, &[0, 99]),
        Err(DecodeError::InvalidStatus(99))
    ));
    assert!(matches!(
        with(5, &[4, 0]),
        Err(DecodeError::InvalidStatus(1024))
    ));
    assert!(matches!(with(7, &[5]), Err(DecodeError::InvalidVersion(5))));
    // Nanoseconds of a whole second.
    assert!(matches!(
        with(16, &1_000_000_000u32.to_be_bytes()),
        Err(DecodeError::InvalidTime)
    ));
    // The extremes of the seconds field decode where `SystemTime` holds them, and never
    // panic where it does not.
    let _ = with(8, &i64::MAX.to_be_bytes());
    let _ = with(8, &i64::MIN.to_be_bytes());
    // The first header name is `cache-control`: a space is no name byte.
    let name = header_start() + 4 + 4;
    assert!(matches!(with(name, b" "), Err(DecodeError::InvalidName(_))));
    // Its value `max-age=60`: a NUL or a newline is no value byte.
    let value = name + "cache-control".len() + 4;
    assert!(matches!(
        with(value, b"\0"),
        Err(DecodeError::InvalidValue(_))
    ));
    assert!(matches!(
        with(value, b"\n"),
        Err(DecodeError::InvalidValue(_))
    ));
    // A line count past the lines, and a huge one: an error, without a huge allocation.
    assert!(with(header_start(), &[0, 0, 0, 9]).is_err());
    assert!(with(header_start(), &[255; 4]).is_err());
    // A name length past the end.
    assert!(matches!(
        with(header_start() + 4, &[255; 4]),
        Err(DecodeError::Truncated)
    ));
    // The tag of the absent Vary value is the byte before the last field's name length.
    let tag = good.len() - (4 + "x-empty".len() + 1 + 4) - 1;
    assert_eq!(good[tag], 0);
    assert!(matches!(with(tag, &[7]), Err(DecodeError::InvalidTag(7))));
}

#[test]
fn empty_and_minimal_inputs() {
    assert!(matches!(
        decode_stored(b"", &opts()),
        Err(DecodeError::Truncated)
    ));
    assert!(matches!(
        decode_stored(b"hcSR", &opts()),
        Err(DecodeError::Truncated)
    ));
    let minimal = StoredResponse::from_parts(
        StatusCode::from_u16(999).unwrap(),
        Version::HTTP_09,
        HeaderMap::new(),
        VaryKey::default(),
        UNIX_EPOCH,
        UNIX_EPOCH,
        &opts(),
    );
    let bytes = encode_stored(&minimal);
    assert_eq!(bytes.len(), header_start() + 8);
    assert_same(&minimal, &decode_stored(&bytes, &opts()).unwrap());
}

#[test]
fn more_lines_than_a_header_map_holds_is_an_error() {
    let mut bytes = encode_stored(&StoredResponse::from_parts(
        StatusCode::OK,
        Version::HTTP_11,
        HeaderMap::new(),
        VaryKey::default(),
        UNIX_EPOCH,
        UNIX_EPOCH,
        &opts(),
    ));
    let lines = 40_000u32;
    bytes.truncate(header_start());
    bytes.extend_from_slice(&lines.to_be_bytes());
    for i in 0..lines {
        // Distinct names: the limit is on distinct fields.
        bytes.extend_from_slice(&[0, 0, 0, 5, b'x']);
        bytes.extend_from_slice(format!("{i:04x}").as_bytes());
        bytes.extend_from_slice(&[0, 0, 0, 0]);
    }
    bytes.extend_from_slice(&[0; 4]);
    assert!(matches!(
        decode_stored(&bytes, &opts()),
        Err(DecodeError::TooManyHeaders(_))
    ));
}

fn name() -> impl Strategy<Value = HeaderName> {
    "[a-z0-9!#$%&'*+.^_`|~-]{1,12}".prop_map(|s| HeaderName::from_bytes(s.as_bytes()).unwrap())
}

fn value() -> impl Strategy<Value = HeaderValue> {
    // Visible ASCII, space, tab and obs-text.
    proptest::collection::vec(prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff], 0..24)
        .prop_map(|b| HeaderValue::from_bytes(&b).unwrap())
}

fn time() -> impl Strategy<Value = SystemTime> {
    (-4_000_000_000i64..8_000_000_000, 0u32..1_000_000_000).prop_map(|(s, n)| {
        let whole = Duration::from_secs(s.unsigned_abs());
        let t = if s >= 0 {
            UNIX_EPOCH + whole
        } else {
            UNIX_EPOCH - whole
        };
        t + Duration::from_nanos(u64::from(n))
    })
}

fn stored() -> impl Strategy<Value = StoredResponse> {
    let headers = proptest::collection::vec((name(), value()), 0..12);
    let vary = proptest::collection::vec(
        (
            name(),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
        ),
        0..4,
    );
    (100u16..1000, 0u8..5, headers, vary, time(), time()).prop_map(
        |(status, version, headers, vary, t1, t2)| {
            let mut map = HeaderMap::new();
            for (n, v) in headers {
                map.append(n, v);
            }
            StoredResponse::from_parts(
                StatusCode::from_u16(status).unwrap(),
                version_from_code(version).unwrap(),
                map,
                VaryKey::from_fields(vary),
                t1,
                t2,
                &CacheOptions::default(),
            )
        },
    )
}

proptest! {
    #[test]
    fn any_stored_response_round_trips(s in stored()) {
        let bytes = encode_stored(&s);
        let back = decode_stored(&bytes, &opts()).unwrap();
        assert_same(&s, &back);
        prop_assert_eq!(encode_stored(&back), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_stored(&bytes, &opts());
        let mut framed = MAGIC.to_vec();
        framed.push(FORMAT_VERSION);
        framed.extend_from_slice(&bytes);
        let _ = decode_stored(&framed, &opts());
    }

    #[test]
    fn flipped_bytes_never_panic(s in stored(), at in any::<prop::sample::Index>(), x in 1u8..=255) {
        let mut bytes = encode_stored(&s);
        let i = at.index(bytes.len());
        bytes[i] ^= x;
        let _ = decode_stored(&bytes, &opts());
    }
}
