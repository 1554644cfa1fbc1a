//! Interim responses (RFC 9110 §15.2) and bursts of server errors (RFC 9111 §3, RFC 5861 §4):
//! a 1xx is never the final response nor stored; a 5xx reaches the caller as the origin sent
//! it and is not stored, or — where stale-if-error allows — the stale response stands in.

use hcache_core::CacheOptions;
use hcache_store_memory::MemoryStore;

use super::{
    Adapter, FaultEnv, Outcome, good, join_all, ok_head, status_head, through_every_adapter,
};
use crate::support::adapters::Client;
use crate::support::raw_origin::{Step, answer, write};

/// `100 Continue` and `103 Early Hints` before the final, storable 200: hyper reads past them
/// to the final response, which is stored. surf's async-h1 hands the `100` over as if final
/// (the real response is lost): hcache-surf turns that into an error, and nothing is stored.
async fn rfc9110_s15_2_interim_responses<C: Client<Store = MemoryStore>>() {
    let mut bytes = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
    bytes.extend_from_slice(b"HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n");
    bytes.extend(ok_head(&[
        ("content-length", "4"),
        ("cache-control", "max-age=60"),
    ]));
    bytes.extend_from_slice(b"good");
    let env = FaultEnv::<C>::first(vec![Step::ReadHead, write(bytes), Step::Close]).await;
    let outcome = env.get("/interim").await;
    if Adapter::of::<C>() == Adapter::Surf {
        assert!(matches!(outcome, Outcome::Error(_)), "{outcome:?}");
        assert!(outcome.error().contains("interim (1xx)"), "{outcome:?}");
        return env.recovers("/interim").await;
    }
    let got = outcome.response("the final response");
    assert_eq!((got.status, got.text().as_str()), (200, "good"));
    assert!(
        got.header("link").is_empty(),
        "no field of an interim response"
    );
    let hit = env.get("/interim").await.response("the hit");
    assert_eq!(
        (hit.status, hit.text().as_str(), hit.cache_status()),
        (200, "good", "hcache; hit; ttl=60")
    );
}

/// The 5xx statuses of a burst, in turn.
const BURST: [&str; 4] = [
    "500 Internal Server Error",
    "502 Bad Gateway",
    "503 Service Unavailable",
    "504 Gateway Timeout",
];

fn server_error(n: usize) -> Vec<Step> {
    answer(
        status_head(
            BURST[n % BURST.len()],
            &[("content-length", "4"), ("retry-after", "1")],
        ),
        b"down",
    )
}

/// A burst of 5xx with nothing stored: each caller gets the origin's error response as sent;
/// none is stored; the first good response after the burst is.
async fn s3_5xx_burst_passes_through<C: Client<Store = MemoryStore>>() {
    const ERRORS: usize = 8;
    let env = FaultEnv::<C>::start(CacheOptions::default(), |n| {
        if n < ERRORS { server_error(n) } else { good() }
    })
    .await;
    for n in 0..ERRORS {
        let got = env.get("/burst").await.response("the origin's error");
        assert_eq!(got.status, [500, 502, 503, 504][n % 4]);
        assert_eq!(got.text(), "down");
        assert_eq!(got.header("retry-after"), "1");
    }
    assert_eq!(
        env.origin.requests(),
        ERRORS,
        "every error went to the origin"
    );
    env.recovers("/burst").await;
}

/// A burst of 5xx while a stale response allows stale-if-error: every caller gets the stored
/// response, marked; after the burst, the new response replaces it.
async fn rfc5861_s4_5xx_burst_serves_stale<C: Client<Store = MemoryStore>>() {
    const ERRORS: usize = 8;
    let env = FaultEnv::<C>::start(CacheOptions::default(), |n| match n {
        0 => answer(
            ok_head(&[
                ("content-length", "5"),
                ("cache-control", "max-age=10, stale-if-error=600"),
            ]),
            b"first",
        ),
        n if n <= ERRORS => server_error(n - 1),
        _ => good(),
    })
    .await;
    let first = env.get("/burst").await.response("the first response");
    assert_eq!(first.text(), "first");
    env.clock.advance(std::time::Duration::from_secs(20));
    for n in 0..ERRORS {
        let got = env.get("/burst").await.response("the stale response");
        let code = [500, 502, 503, 504][n % 4];
        assert_eq!((got.status, got.text().as_str()), (200, "first"));
        assert_eq!(
            got.cache_status(),
            format!("hcache; fwd=stale; fwd-status={code}; detail=stale-if-error")
        );
    }
    assert_eq!(env.stats().stale, ERRORS as u64);
    let next = env.get("/burst").await.response("after the burst");
    assert_eq!(next.text(), "good");
    let hit = env.get("/burst").await.response("the new hit");
    // Dated at the test's epoch, received 20 s later: 20 s old already.
    assert_eq!(
        (hit.text().as_str(), hit.cache_status()),
        ("good", "hcache; hit; ttl=40")
    );
}

/// Concurrent callers during a burst: the requests that would coalesce on one origin fetch
/// find its 503 unstorable and each go once more on their own — every caller gets a 5xx or the
/// good response after the burst, none an error, none waits on another forever, and the
/// origin sees at most two requests per caller.
async fn s3_5xx_burst_concurrent_callers<C: Client<Store = MemoryStore>>() {
    const CALLERS: usize = 16;
    const ERRORS: usize = 20;
    let env = FaultEnv::<C>::start(CacheOptions::default(), |n| {
        if n < ERRORS { server_error(n) } else { good() }
    })
    .await;
    let calls = (0..CALLERS).map(|_| env.get("/burst"));
    let outcomes = join_all(calls).await;
    for outcome in outcomes {
        let got = outcome.response("a 5xx or the good response");
        assert!(
            (got.status >= 500 && got.text() == "down")
                || (got.status == 200 && got.text() == "good"),
            "{got:?}"
        );
    }
    assert!(
        env.origin.requests() <= 2 * CALLERS,
        "{} requests",
        env.origin.requests()
    );
}

through_every_adapter!(
    rfc9110_s15_2_interim_responses,
    s3_5xx_burst_passes_through,
    rfc5861_s4_5xx_burst_serves_stale,
    s3_5xx_burst_concurrent_callers,
);
