//! RFC 9111 §5.2.2: what the origin says about sharing. `private` is never stored by a shared
//! cache (§5.2.2.7); qualified `private="..."` fields are never stored (§3.1) and qualified
//! `no-cache="..."` fields never reused without validation (§5.2.2.4); `no-store` on any field
//! line counts (§5.2, §4.2.1 lists). A directive the cache cannot read with certainty fails
//! closed: never store what might be private.

use super::{Shared, nothing_of, secret_of, user};
use crate::support::Reply;

const URL: &str = "http://shop.test/cart";

/// A's response (with A's secret in the body and in `Set-Cookie`) under `cache_control`
/// lines, then B: B must go to the origin and get nothing of A's.
async fn never_shared(cache_control: &[&[u8]]) {
    let lines: Vec<Vec<u8>> = cache_control.iter().map(|l| l.to_vec()).collect();
    let cache = Shared::start(move |req, _| {
        let who = user(req);
        let mut reply = Reply::ok(&secret_of(&who)).header("set-cookie", &format!("session={who}"));
        for line in &lines {
            reply = reply.header_bytes("cache-control", line);
        }
        reply
    })
    .await;
    let shown = String::from_utf8_lossy(&cache_control.concat()).into_owned();
    let a = cache.get(URL, &[("cookie", "alice")]).await;
    assert_eq!(a.text(), secret_of("alice"), "{shown}");
    let b = cache.get(URL, &[("cookie", "bob")]).await;
    assert_eq!(b.text(), secret_of("bob"), "{shown}: B's own response");
    nothing_of(&b, "alice");
    assert_eq!(cache.origin.hits(), 2, "{shown}: B went to the origin");
    assert_eq!(cache.store().entries, 0, "{shown}: nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_2_2_7_private_not_stored() {
    never_shared(&[b"private, max-age=60"]).await;
    never_shared(&[b"max-age=60, private"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_2_2_5_no_store_on_a_second_field_line() {
    never_shared(&[b"public, max-age=60", b"no-store"]).await;
    never_shared(&[b"max-age=60", b"private"]).await;
}

/// `private` spelt in ways the grammar reads, or cannot read with certainty: each fails
/// closed to a response that is not stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_2_2_7_malformed_private_fails_closed() {
    let cases: &[&[u8]] = &[
        // Case-insensitive names (§5.2).
        b"pRiVaTe, max-age=60",
        // A qualified private that cannot be read is unqualified.
        b"max-age=60, private=\"set-cookie",
        b"private=\"set-cookie, max-age=60",
        b"max-age=60, private=",
        b"max-age=60, private=\"\"",
        b"max-age=60, private=\"set cookie\"",
        b"max-age=60, private =\"set-cookie\"",
        // Not a list the grammar allows: a member that is no token may be a mangled private.
        b"max-age=60; private",
        b"max-age=60, \xffprivate",
        b"max-age=60, private\x80",
        b"max-age=60, \"private\"",
    ];
    for line in cases {
        never_shared(&[line]).await;
    }
}

/// `private="set-cookie, x-account"`: the response is shared, those fields never are — not
/// even stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_2_2_7_qualified_private_fields_never_shared() {
    let cache = Shared::start(|req, _| {
        let who = user(req);
        Reply::ok("the shared catalogue")
            .header(
                "cache-control",
                "private=\"Set-Cookie, x-account\", max-age=60",
            )
            .header("set-cookie", &format!("session={who}"))
            .header("x-account", &who)
    })
    .await;
    let a = cache.get(URL, &[("cookie", "alice")]).await;
    assert_eq!(
        a.header("set-cookie"),
        "session=alice",
        "A's own response is whole"
    );
    let b = cache.get(URL, &[("cookie", "bob")]).await;
    assert_eq!(b.cache_status(), "hcache; hit; ttl=60");
    assert_eq!(b.text(), "the shared catalogue");
    assert!(b.headers.get("set-cookie").is_none());
    assert!(b.headers.get("x-account").is_none());
    nothing_of(&b, "alice");
    assert_eq!(cache.origin.hits(), 1);
}

/// `no-cache="set-cookie"`: the response is reused, the field only after validation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_2_2_4_qualified_no_cache_field_not_reused() {
    let cache = Shared::start(|req, _| {
        let who = user(req);
        Reply::ok("the shared catalogue")
            .header("cache-control", "no-cache=\"set-cookie\", max-age=60")
            .header("set-cookie", &format!("session={who}"))
    })
    .await;
    cache.get(URL, &[("cookie", "alice")]).await;
    let b = cache.get(URL, &[("cookie", "bob")]).await;
    assert_eq!(b.cache_status(), "hcache; hit; ttl=60");
    assert!(b.headers.get("set-cookie").is_none(), "{:?}", b.headers);
    nothing_of(&b, "alice");
}
