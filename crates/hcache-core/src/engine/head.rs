//! The response head of a reuse, built for the hit path.

use http::header::{AGE, HeaderValue};
use http::{HeaderMap, response};

use crate::stored::StoredResponse;

/// Room left in a hit's header map for the fields the engine adds after the stored ones
/// (`Age`, `Cache-Status`), so that adding them never regrows the map.
const ADDED_FIELDS: usize = 2;

/// What [`StoredResponse::response_head`] returns — the stored status and fields, qualified
/// `no-cache` fields removed (§5.2.2.4), `Age` set to `age` (§4, §5.1) — built at its final
/// size instead of cloned and then regrown (twice: once for `Age`, once for `Cache-Status`),
/// with `Age` rendered in one allocation. A test holds the two equal.
pub(super) fn reuse_head(stored: &StoredResponse, age: u64) -> response::Parts {
    let src = stored.headers();
    let mut headers = HeaderMap::with_capacity(src.keys_len() + ADDED_FIELDS);
    for (name, value) in src {
        headers.append(name.clone(), value.clone());
    }
    for name in stored.directives().no_cache_fields() {
        headers.remove(name);
    }
    headers.insert(AGE, decimal(age));
    let mut parts = http::Response::new(()).into_parts().0;
    parts.status = stored.status();
    parts.version = stored.version();
    parts.headers = headers;
    parts
}

/// `n` as a field value (what `HeaderValue::from(u64)` makes, with one allocation, not two).
fn decimal(n: u64) -> HeaderValue {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut m = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    HeaderValue::from_bytes(&buf[i..]).unwrap_or_else(|_| HeaderValue::from(n))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::{CacheOptions, CachePolicy};

    fn stored(fields: &[(&str, &str)]) -> StoredResponse {
        let req = http::Request::get("http://e.com/").body(()).unwrap();
        let mut res = http::Response::builder();
        for (n, v) in fields {
            res = res.header(*n, *v);
        }
        let res = res.body(()).unwrap();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        CachePolicy::new(CacheOptions::default())
            .store(&req.into_parts().0, &res.into_parts().0, t, t)
            .unwrap()
    }

    fn lines(h: &HeaderMap) -> Vec<(String, Vec<u8>)> {
        h.iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn same_head_as_the_policy_builds() {
        let cases: &[&[(&str, &str)]] = &[
            &[("cache-control", "max-age=60")],
            &[
                ("cache-control", "max-age=60"),
                ("content-type", "text/plain"),
                ("etag", "\"v1\""),
                ("set-cookie", "a=1"),
                ("x-custom", "one"),
                ("set-cookie", "b=2"),
                ("x-custom", "two"),
                ("age", "17"),
                ("vary", "accept"),
            ],
            &[
                (
                    "cache-control",
                    "max-age=60, no-cache=\"x-secret, set-cookie\"",
                ),
                ("x-secret", "s"),
                ("set-cookie", "a=1"),
                ("x-kept", "k"),
            ],
        ];
        for fields in cases {
            let s = stored(fields);
            for age in [0, 1, 9, 10, 376, 2_147_483_648, u64::MAX] {
                let ours = reuse_head(&s, age);
                let policy = s.response_head(age);
                assert_eq!(ours.status, policy.status);
                assert_eq!(ours.version, policy.version);
                assert_eq!(lines(&ours.headers), lines(&policy.headers), "{fields:?}");
                // Room for `Cache-Status` without regrowing.
                assert!(ours.headers.capacity() > ours.headers.keys_len());
            }
        }
    }
}
