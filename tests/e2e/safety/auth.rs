//! RFC 9111 §3.5: a shared cache does not reuse a response to a request with `Authorization`
//! unless a directive allows it (`public`, `s-maxage`, `must-revalidate`) — and then only as
//! that directive allows (`must-revalidate`: validated, with the new user's credentials, once
//! stale).

use super::{Shared, nothing_of, secret_of, user};
use crate::support::Reply;

const URL: &str = "http://bank.test/account";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_5_authorization_response_not_stored() {
    let cache = Shared::start(|req, _| {
        Reply::ok(&secret_of(&user(req))).header("cache-control", "max-age=60")
    })
    .await;
    let a = cache.get_as(URL, "alice").await;
    assert_eq!(a.text(), secret_of("alice"));
    assert_eq!(a.cache_status(), "hcache; fwd=uri-miss; fwd-status=200");
    let b = cache.get_as(URL, "bob").await;
    assert_eq!(b.text(), secret_of("bob"));
    nothing_of(&b, "alice");
    let anonymous = cache.get(URL, &[]).await;
    nothing_of(&anonymous, "alice");
    nothing_of(&anonymous, "bob");
    assert_eq!(cache.origin.hits(), 3, "every user went to the origin");
}

/// The controls: `public` and `s-maxage` are the origin saying the response may be shared —
/// here a page that is the same for everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_5_authorization_public_or_s_maxage_shared_as_the_origin_allows() {
    for directive in ["public, max-age=60", "s-maxage=60"] {
        let cache = Shared::start(move |_, _| {
            Reply::ok("the same for everyone").header("cache-control", directive)
        })
        .await;
        cache.get_as(URL, "alice").await;
        let b = cache.get_as(URL, "bob").await;
        assert_eq!(b.cache_status(), "hcache; hit; ttl=60", "{directive}");
        assert_eq!(cache.origin.hits(), 1, "{directive}");
    }
}

/// `must-revalidate` allows storing, and once the response is stale every reuse is a
/// validation carrying the new user's credentials: the origin refuses bob, and bob gets the
/// refusal, not alice's account; alice's own validation is answered 304.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_5_authorization_must_revalidate_validates_each_user() {
    let cache = Shared::start(|req, _| {
        let who = user(req);
        if who != "alice" {
            return Reply::new(403).body("forbidden");
        }
        if req
            .headers
            .get("if-none-match")
            .is_some_and(|v| v == "\"v1\"")
        {
            return Reply::new(304).header("etag", "\"v1\"");
        }
        Reply::ok(&secret_of("alice"))
            .header("cache-control", "max-age=0, must-revalidate")
            .header("etag", "\"v1\"")
    })
    .await;
    let a = cache.get_as(URL, "alice").await;
    assert_eq!(a.text(), secret_of("alice"));
    assert_eq!(cache.store().entries, 1, "must-revalidate allows storing");

    let b = cache.get_as(URL, "bob").await;
    assert_eq!((b.status, b.text().as_str()), (403, "forbidden"));
    nothing_of(&b, "alice");
    assert_eq!(cache.origin.sent(1, "authorization"), ["bob"]);
    assert_eq!(cache.origin.sent(1, "if-none-match"), ["\"v1\""]);

    let again = cache.get_as(URL, "alice").await;
    assert_eq!(again.text(), secret_of("alice"));
    assert_eq!(
        again.cache_status(),
        "hcache; fwd=stale; fwd-status=304",
        "validated, then served from the cache"
    );
    assert_eq!(cache.origin.hits(), 3);
}
