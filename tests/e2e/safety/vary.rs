//! RFC 9111 §4.1: a stored response is reused only for requests whose selecting fields match.
//! `Vary: *` never matches; `Vary` on the fields that identify a user keeps users apart even
//! when the response is `public`.

use super::{Shared, nothing_of, secret_of, user};
use crate::support::Reply;

const URL: &str = "http://news.test/front";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s4_1_vary_star_never_reused() {
    for vary in ["*", "accept-language, *"] {
        let cache = Shared::start(move |req, _| {
            Reply::ok(&secret_of(&user(req)))
                .header("cache-control", "public, max-age=60")
                .header("vary", vary)
        })
        .await;
        cache.get(URL, &[("cookie", "alice")]).await;
        let b = cache.get(URL, &[("cookie", "bob")]).await;
        assert_eq!(b.text(), secret_of("bob"), "Vary: {vary}");
        nothing_of(&b, "alice");
        // Not even the same user: `*` matches no request.
        cache.get(URL, &[("cookie", "alice")]).await;
        assert_eq!(cache.origin.hits(), 3, "Vary: {vary}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s4_1_vary_on_user_fields_keeps_users_apart() {
    for (vary, field) in [("cookie", "cookie"), ("Authorization", "authorization")] {
        let cache = Shared::start(move |req, _| {
            Reply::ok(&secret_of(&user(req)))
                .header("cache-control", "public, max-age=60")
                .header("vary", vary)
        })
        .await;
        let a = cache.get(URL, &[(field, "alice")]).await;
        assert_eq!(a.text(), secret_of("alice"));
        let b = cache.get(URL, &[(field, "bob")]).await;
        assert_eq!(b.text(), secret_of("bob"), "Vary: {vary}");
        nothing_of(&b, "alice");
        let anonymous = cache.get(URL, &[]).await;
        nothing_of(&anonymous, "alice");
        nothing_of(&anonymous, "bob");
        // Each user's own variant is reused for that user only.
        let a_again = cache.get(URL, &[(field, "alice")]).await;
        assert_eq!(a_again.text(), secret_of("alice"));
        assert_eq!(a_again.cache_status(), "hcache; hit; ttl=60");
        assert_eq!(cache.origin.hits(), 3, "Vary: {vary}");
    }
}
