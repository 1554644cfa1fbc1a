//! Responses to POST reused for GET and HEAD (RFC 9110 §9.3.3, RFC 9111 §4):
//! `CachePolicy::store_post`. "Responses to POST requests are only cacheable when they include
//! explicit freshness information … and a Content-Location header field that has the same
//! value as the POST's target URI"; "a POST request cannot be satisfied by a cached POST
//! response".

use hcache_core::{CacheKey, Decision, ForwardReason, NotStorable, StoredResponse};
use http::Method;

use crate::support::*;

/// `POST http://example.com/r` answered 200 with `Content-Location: /r` and `res` lines.
fn post(res: &[&str]) -> Case {
    Case::new()
        .method(Method::POST)
        .next_method(Method::GET)
        .res("content-location: /r")
        .res_all(res)
}

/// What `store_post` makes of the case's exchange: the key, or why not.
fn store_post(c: &Case) -> Result<(String, StoredResponse), NotStorable> {
    c.policy()
        .store_post(
            &c.original_request(),
            &c.response(),
            t(c.request_at),
            t(c.response_at),
        )
        .map(|(k, s)| (k.to_string(), s))
}

const KEY: &str = "GET http://example.com/r";

/// `name: case => Ok(()) (stored under KEY) or Err(why);`
macro_rules! post_stored {
    ($( $name:ident : $case:expr => $expect:expr; )*) => {
        $(
            #[test]
            fn $name() {
                let case: Case = $case;
                let got = store_post(&case).map(|(key, _)| assert_eq!(key, KEY));
                assert_eq!(got, $expect);
            }
        )*
    };
}

// Explicit freshness and a Content-Location naming the target URI: stored under its GET key.
post_stored! {
    rfc9110_s9_3_3_max_age_and_content_location_stored:
        post(&["cache-control: max-age=60"]) => Ok(());
    rfc9110_s9_3_3_expires_is_explicit_freshness:
        post(&["date: {T}", "expires: {T+60}"]) => Ok(());
    rfc9110_s9_3_3_past_expires_is_explicit_freshness:
        post(&["date: {T}", "expires: {T-60}"]) => Ok(());
    rfc9110_s9_3_3_s_maxage_explicit_in_shared_cache:
        post(&["cache-control: s-maxage=60"]).shared() => Ok(());
    rfc9110_s9_3_3_absolute_content_location_stored:
        Case::new().method(Method::POST).res("content-location: http://EXAMPLE.com:80/r")
            .res("cache-control: max-age=60") => Ok(());
}

// "only cacheable when they include explicit freshness information": no heuristics.
post_stored! {
    rfc9110_s9_3_3_no_freshness_not_stored:
        post(&[]) => Err(NotStorable::PostFreshness);
    rfc9110_s9_3_3_heuristic_freshness_not_enough:
        post(&["date: {T}", "last-modified: {T-3600}"]) => Err(NotStorable::PostFreshness);
    rfc9110_s9_3_3_public_without_lifetime_not_enough:
        post(&["cache-control: public"]) => Err(NotStorable::PostFreshness);
    rfc9110_s9_3_3_s_maxage_ignored_by_private_cache:
        post(&["cache-control: s-maxage=60"]) => Err(NotStorable::PostFreshness);
    rfc9110_s9_3_3_invalid_max_age_not_explicit:
        post(&["cache-control: max-age=abc"]) => Err(NotStorable::PostFreshness);
    rfc9110_s9_3_3_default_ttl_not_explicit:
        post(&[]).options(|o| o.default_ttl(Some(std::time::Duration::from_secs(60))))
            => Err(NotStorable::PostFreshness);
}

// "a Content-Location header field that has the same value as the POST's target URI".
post_stored! {
    rfc9110_s9_3_3_no_content_location_not_stored:
        Case::new().method(Method::POST).res("cache-control: max-age=60")
            => Err(NotStorable::PostContentLocation);
    rfc9110_s9_3_3_other_path_not_stored:
        Case::new().method(Method::POST).res("content-location: /r/1")
            .res("cache-control: max-age=60") => Err(NotStorable::PostContentLocation);
    rfc9110_s9_3_3_other_query_not_stored:
        Case::new().method(Method::POST).res("content-location: /r?a")
            .res("cache-control: max-age=60") => Err(NotStorable::PostContentLocation);
    rfc9110_s9_3_3_other_origin_not_stored:
        Case::new().method(Method::POST).res("content-location: https://example.com/r")
            .res("cache-control: max-age=60") => Err(NotStorable::PostContentLocation);
    rfc9110_s9_3_3_two_content_locations_not_stored:
        post(&["content-location: /r", "cache-control: max-age=60"])
            => Err(NotStorable::PostContentLocation);
}

// A GET of the URI answers 200 with its representation; every other rule for storing that
// GET's response applies (RFC 9111 §3).
post_stored! {
    rfc9110_s9_3_3_created_not_stored:
        post(&["cache-control: max-age=60"]).status(201) => Err(NotStorable::Status);
    rfc9110_s9_3_3_no_content_not_stored:
        post(&["cache-control: max-age=60"]).status(204) => Err(NotStorable::Status);
    rfc9110_s9_3_3_response_no_store_not_stored:
        post(&["cache-control: max-age=60, no-store"]) => Err(NotStorable::ResponseNoStore);
    rfc9110_s9_3_3_request_no_store_not_stored:
        post(&["cache-control: max-age=60"]).req("cache-control: no-store")
            => Err(NotStorable::RequestNoStore);
    rfc9110_s9_3_3_private_not_stored_by_shared_cache:
        post(&["cache-control: max-age=60, private"]).shared() => Err(NotStorable::Private);
    rfc9110_s9_3_3_authorization_not_stored_by_shared_cache:
        post(&["cache-control: max-age=60"]).shared().req("authorization: Basic eDp5")
            => Err(NotStorable::Authorization);
    rfc9110_s9_3_3_vary_star_not_stored:
        post(&["cache-control: max-age=60", "vary: *"]) => Err(NotStorable::VaryStar);
    rfc9110_s9_3_3_get_not_cacheable_not_stored:
        post(&["cache-control: max-age=60"]).options(|o| o.cacheable_methods([Method::PUT]))
            => Err(NotStorable::Method);
    rfc9110_s9_3_3_only_post_responses:
        post(&["cache-control: max-age=60"]).method(Method::PUT) => Err(NotStorable::Method);
}

/// The decision for `method` on the URI at `T0 + at`, with the POST response of `case` stored.
fn after_post(case: &Case, method: Method, lines: &[&str], at: i64) -> Decision {
    let (_, stored) = store_post(case).expect("stored");
    let r = req(method, "http://example.com/r", lines);
    case.policy().decide(&r, &[stored], t(at))
}

// "A cached POST response can be reused to satisfy a later GET or HEAD request. In contrast,
// a POST request cannot be satisfied by a cached POST response".
#[test]
fn rfc9110_s9_3_3_reused_for_get_and_head_never_post() {
    let case = post(&["cache-control: max-age=60"]);
    for m in [Method::GET, Method::HEAD] {
        assert_eq!(outcome(after_post(&case, m.clone(), &[], 10)), Fresh, "{m}");
    }
    assert_eq!(
        outcome(after_post(&case, Method::POST, &[], 10)),
        Forward(ForwardReason::Method)
    );
    assert_eq!(
        outcome(after_post(&case, Method::GET, &[], 60)),
        ValidateUnconditional,
        "stale: sent on, without validators"
    );
}

#[test]
fn rfc9110_s9_3_3_stored_fields_are_the_responses() {
    let (_, stored) = store_post(&post(&["cache-control: max-age=60", "x-a: 1"])).unwrap();
    assert_eq!(stored.status(), 200);
    assert_eq!(stored.headers()["x-a"], "1");
    assert_eq!(stored.headers()["content-location"], "/r");
}

#[test]
fn rfc9110_s9_3_3_vary_captured_from_the_post() {
    let case =
        post(&["cache-control: max-age=60", "vary: accept-language"]).req("accept-language: en");
    let d = |lines: &[&str]| outcome(after_post(&case, Method::GET, lines, 0));
    assert_eq!(d(&["accept-language: en"]), Fresh);
    assert_eq!(
        d(&["accept-language: fr"]),
        Forward(ForwardReason::VaryMiss)
    );
    assert_eq!(d(&[]), Forward(ForwardReason::VaryMiss));
}

// The key is the one a GET of the URI looks up, whatever the spelling or the key function.
#[test]
fn rfc9110_s9_3_3_key_is_the_get_key() {
    let case = post(&["cache-control: max-age=60"]);
    let get = req(Method::GET, "http://example.com/r", &[]);
    let (key, _) = case
        .policy()
        .store_post(&case.original_request(), &case.response(), t(0), t(0))
        .unwrap();
    assert_eq!(Some(key), case.policy().cache_key(&get));

    let keyed = case.clone().options(|o| {
        o.key_fn(|p: &http::request::Parts| {
            CacheKey::new(format!("k:{}:{}", p.method, p.uri.path()))
        })
    });
    let (key, _) = keyed
        .policy()
        .store_post(&keyed.original_request(), &keyed.response(), t(0), t(0))
        .unwrap();
    assert_eq!(key.as_str(), "k:GET:/r");
    assert_eq!(Some(key), keyed.policy().cache_key(&get));
}

// RFC 9111 §4.4: the POST still invalidates its target, the very key it is stored under — a
// caller invalidates first, then stores, and only the POST's response remains.
#[test]
fn rfc9110_s9_3_3_stored_key_is_invalidated_first() {
    let case = post(&["cache-control: max-age=60"]);
    let policy = case.policy();
    let (key, _) = policy
        .store_post(&case.original_request(), &case.response(), t(0), t(0))
        .unwrap();
    let invalidated = policy.invalidations(&case.original_request(), &case.response());
    assert!(invalidated.contains(&key), "{invalidated:?}");
}
