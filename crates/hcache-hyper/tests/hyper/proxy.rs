//! The reverse proxy example (`examples/reverse_proxy.rs`, included as a module), run on
//! 127.0.0.1 in front of test origins and driven by a plain hyper client.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http::Request;
use http_body_util::BodyExt;
use tokio::net::TcpListener;

use crate::reverse_proxy::{Command, Config, StoreChoice, parse_args, serve};
use crate::support::{
    Origin, Raw, RawOrigin, TestBody, client, empty, full, get, lines, read, reply, within,
};

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn config(upstream: SocketAddr, extra: &[&str]) -> Config {
    let mut list = args(&[
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &format!("http://{upstream}"),
    ]);
    list.extend(args(extra));
    match parse_args(list).expect("valid arguments") {
        Command::Run(config) => config,
        Command::Help => unreachable!("no --help given"),
    }
}

/// Starts the proxy in front of `upstream`; returns its address.
async fn proxy(upstream: SocketAddr, extra: &[&str]) -> SocketAddr {
    let config = config(upstream, extra);
    let listener = TcpListener::bind(config.listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let Err(e) = serve(listener, config).await;
        panic!("proxy failed: {e}");
    });
    addr
}

fn at(proxy: SocketAddr, path: &str) -> String {
    format!("http://{proxy}{path}")
}

fn request(method: &str, url: &str, body: TestBody) -> Request<TestBody> {
    Request::builder()
        .method(method)
        .uri(url)
        .body(body)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_caches_and_passes_every_header_line() {
    let origin = Origin::start(|_, n| async move {
        reply(
            200,
            &[
                ("cache-control", b"max-age=60"),
                ("x-multi", b"one"),
                ("x-multi", b"two"),
                ("x-obs", b"\xe9t\xe9"),
                ("connection", b"x-hop"),
                ("x-hop", b"connection-specific"),
            ],
            full(format!("doc {n}")),
        )
    })
    .await;
    let proxy = proxy(origin.addr(), &["--mode", "shared"]).await;
    let client = client();
    let mut got = Vec::new();
    for _ in 0..2 {
        let mut req = get(&at(proxy, "/doc?q=1"));
        let h = req.headers_mut();
        h.append("x-req", "a".parse().unwrap());
        h.append("x-req", "b".parse().unwrap());
        h.append(
            "x-req-obs",
            http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        );
        got.push(read(within(10, "GET", client.request(req)).await.unwrap()).await);
    }
    assert_eq!(origin.hits(), 1, "the second GET is a hit");
    assert!(got[1].cache_status().contains("; hit"), "{:?}", got[1]);
    for g in &got {
        assert_eq!(g.text(), "doc 0");
        assert_eq!(g.lines("x-multi"), [b"one".to_vec(), b"two".to_vec()]);
        assert_eq!(g.lines("x-obs"), [b"\xe9t\xe9".to_vec()]);
        assert!(
            g.headers.get("x-hop").is_none(),
            "hop-by-hop fields stay behind"
        );
    }
    let seen = origin.request(0);
    assert_eq!(seen.uri.path_and_query().unwrap().as_str(), "/doc?q=1");
    assert_eq!(
        lines(&seen.headers, "x-req"),
        [b"a".to_vec(), b"b".to_vec()]
    );
    assert_eq!(seen.headers["x-req-obs"].as_bytes(), b"caf\xe9");
    assert_eq!(seen.headers["host"], proxy.to_string(), "Host is passed on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_forwards_every_method_with_its_body() {
    let origin = Origin::start(|req, n| async move {
        let method = req.method().clone();
        let host = req.headers()["host"].to_str().unwrap().to_owned();
        let body = req.into_body().collect().await.unwrap().to_bytes();
        match method.as_str() {
            "GET" => reply(
                200,
                &[("cache-control", b"max-age=60")],
                full(format!("get {n}")),
            ),
            "POST" => {
                // A new item, located by the Host the origin received.
                let location = format!("http://{host}/items/1");
                reply(201, &[("location", location.as_bytes())], full("created"))
            }
            _ => reply(200, &[], full(format!("{method} {}", body.len()))),
        }
    })
    .await;
    let proxy = proxy(origin.addr(), &[]).await;
    let client = client();
    let send = |method: &str, path: &str, body: &'static str| {
        let req = request(method, &at(proxy, path), full(body));
        let fut = client.request(req);
        async move { read(within(10, "request", fut).await.unwrap()).await }
    };
    assert_eq!(send("PUT", "/x", "put body").await.text(), "PUT 8");
    assert_eq!(send("M-SEARCH", "/x", "ssdp").await.text(), "M-SEARCH 4");
    assert_eq!(send("DELETE", "/x", "").await.text(), "DELETE 0");
    assert_eq!(send("PATCH", "/x", "patch").await.text(), "PATCH 5");

    // The cache is keyed in the client's URI space, so an upstream Location built from the
    // Host it received invalidates what the cache holds (RFC 9111 §4.4).
    assert_eq!(send("GET", "/items/1", "").await.text(), "get 4");
    assert_eq!(send("GET", "/items/1", "").await.text(), "get 4");
    assert_eq!(send("POST", "/items", "{}").await.status, 201);
    assert_eq!(send("GET", "/items/1", "").await.text(), "get 6");
    let methods: Vec<String> = (0..origin.hits())
        .map(|n| origin.request(n).method.to_string())
        .collect();
    assert_eq!(
        methods,
        ["PUT", "M-SEARCH", "DELETE", "PATCH", "GET", "POST", "GET"]
    );
}

/// Sends a GET through a proxy in front of `upstream`; returns the status and how long the
/// head took.
async fn status_via(upstream: SocketAddr, extra: &[&str]) -> (u16, Duration) {
    let proxy = proxy(upstream, extra).await;
    let started = Instant::now();
    let res = within(10, "proxy answer", client().request(get(&at(proxy, "/")))).await;
    (res.unwrap().status().as_u16(), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_that_closes_the_connection_is_a_prompt_502() {
    let upstream = RawOrigin::start(|_| Raw::Close).await;
    let (status, took) = status_via(upstream.addr(), &[]).await;
    assert_eq!(status, 502);
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_with_a_broken_head_is_a_prompt_502() {
    let upstream = RawOrigin::start(|_| Raw::Send(b"HTTP/1.1 2x0 OK\r\n\r\n".to_vec())).await;
    let (status, took) = status_via(upstream.addr(), &[]).await;
    assert_eq!(status, 502);
    assert!(took < Duration::from_secs(5), "{took:?}");
    let upstream = RawOrigin::start(|_| {
        Raw::Send(b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab".to_vec())
    })
    .await;
    let (status, _) = status_via(upstream.addr(), &[]).await;
    assert_eq!(status, 502);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_upstream_is_a_502() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let (status, _) = status_via(addr, &[]).await;
    assert_eq!(status, 502);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_upstream_is_a_504_after_the_header_timeout() {
    let upstream = RawOrigin::start(|_| Raw::Hang).await;
    let (status, took) = status_via(upstream.addr(), &["--header-timeout", "0.3"]).await;
    assert_eq!(status, 504);
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_broken_after_the_head_ends_the_download_promptly() {
    let upstream = RawOrigin::start(|_| {
        Raw::Send(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b".to_vec())
    })
    .await;
    let proxy = proxy(upstream.addr(), &[]).await;
    let res = within(10, "head", client().request(get(&at(proxy, "/")))).await;
    let res = res.unwrap();
    assert_eq!(res.status(), 200);
    let body = within(10, "broken body", res.into_body().collect()).await;
    assert!(
        body.is_err(),
        "a short body is an error, not a complete response"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_failure_serves_stale_where_stale_if_error_allows() {
    let upstream = RawOrigin::start(|n| match n {
        0 => Raw::Send(
            b"HTTP/1.1 200 OK\r\ncache-control: max-age=0, stale-if-error=600\r\n\
              etag: \"s\"\r\ncontent-length: 5\r\nconnection: close\r\n\r\nstale"
                .to_vec(),
        ),
        _ => Raw::Close,
    })
    .await;
    let proxy = proxy(upstream.addr(), &[]).await;
    let client = client();
    let first = read(
        within(10, "first", client.request(get(&at(proxy, "/s"))))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(first.text(), "stale");
    let second = read(
        within(10, "second", client.request(get(&at(proxy, "/s"))))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(second.status, 200);
    assert_eq!(second.text(), "stale");
    assert!(
        second.cache_status().contains("stale-if-error"),
        "{second:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_mode_keeps_private_responses_out() {
    let origin = Origin::start(|_, n| async move {
        reply(
            200,
            &[("cache-control", b"private, max-age=60")],
            full(format!("{n}")),
        )
    })
    .await;
    let client = client();
    for (mode, expected_hits) in [("shared", 2), ("private", 3)] {
        let proxy = proxy(origin.addr(), &["--mode", mode]).await;
        for _ in 0..2 {
            let res = within(10, mode, client.request(get(&at(proxy, "/p")))).await;
            read(res.unwrap()).await;
        }
        assert_eq!(origin.hits(), expected_hits, "{mode}");
    }
}

#[test]
fn arguments_parse() {
    let Command::Run(c) = parse_args(args(&[
        "--listen",
        "127.0.0.1:8080",
        "--upstream=http://127.0.0.1:8000",
        "--store",
        "cacache:/tmp/c",
        "--mode=private",
        "--header-timeout",
        "2.5",
    ]))
    .unwrap() else {
        panic!("expected a run");
    };
    assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(c.upstream.as_str(), "127.0.0.1:8000");
    assert_eq!(c.store, StoreChoice::Cacache("/tmp/c".into()));
    assert!(!c.shared);
    assert_eq!(c.header_timeout, Duration::from_millis(2500));

    let Command::Run(c) = parse_args(args(&[
        "--listen",
        "[::1]:1",
        "--upstream",
        "http://localhost/",
    ]))
    .unwrap() else {
        panic!("expected a run");
    };
    assert_eq!((c.store, c.shared), (StoreChoice::Memory, true), "defaults");
    assert!(matches!(parse_args(args(&["--help"])), Ok(Command::Help)));
    assert_eq!(
        parse_args(args(&[
            "--store",
            "tiered:d",
            "--listen",
            "127.0.0.1:1",
            "--upstream",
            "http://a"
        ]))
        .map(|c| match c {
            Command::Run(c) => c.store,
            Command::Help => StoreChoice::Memory,
        }),
        Ok(StoreChoice::Tiered("d".into()))
    );

    for bad in [
        &["--listen"][..],
        &["--upstream", "http://a"],
        &["--listen", "127.0.0.1:1"],
        &["--listen", "nowhere", "--upstream", "http://a"],
        &["--listen", "127.0.0.1:1", "--upstream", "https://a"],
        &["--listen", "127.0.0.1:1", "--upstream", "http://a/path"],
        &[
            "--listen",
            "127.0.0.1:1",
            "--upstream",
            "http://a",
            "--mode",
            "public",
        ],
        &[
            "--listen",
            "127.0.0.1:1",
            "--upstream",
            "http://a",
            "--store",
            "disk",
        ],
        &[
            "--listen",
            "127.0.0.1:1",
            "--upstream",
            "http://a",
            "--store",
            "cacache:",
        ],
        &[
            "--listen",
            "127.0.0.1:1",
            "--upstream",
            "http://a",
            "--header-timeout",
            "-1",
        ],
        &[
            "--listen",
            "127.0.0.1:1",
            "--upstream",
            "http://a",
            "--bogus",
        ],
    ] {
        assert!(parse_args(args(bad)).is_err(), "{bad:?} should be refused");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cacache_store_caches_on_disk() {
    disk_store_caches("cacache").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_store_caches_in_memory_over_disk() {
    disk_store_caches("tiered").await;
}

/// `--store KIND:DIR` caches, keeps repeated lines, and writes to DIR.
async fn disk_store_caches(kind: &str) {
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::start(|_, n| async move {
        reply(
            200,
            &[
                ("cache-control", b"max-age=60"),
                ("x-multi", b"1"),
                ("x-multi", b"2"),
            ],
            full(format!("disk {n}")),
        )
    })
    .await;
    let store = format!("{kind}:{}", dir.path().display());
    let proxy = proxy(origin.addr(), &["--store", &store]).await;
    let client = client();
    let mut got = Vec::new();
    for _ in 0..2 {
        let res = within(10, "GET", client.request(get(&at(proxy, "/d")))).await;
        got.push(read(res.unwrap()).await);
    }
    assert_eq!(origin.hits(), 1);
    assert!(got[1].cache_status().contains("; hit"), "{:?}", got[1]);
    assert_eq!(got[1].text(), "disk 0");
    assert_eq!(got[1].lines("x-multi"), [b"1".to_vec(), b"2".to_vec()]);
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_some(),
        "files on disk"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_request_bodies_stay_empty() {
    let origin = Origin::start(|req, _| async move {
        let te = req.headers().get("transfer-encoding").is_some();
        let body = req.into_body().collect().await.unwrap().to_bytes();
        reply(200, &[], full(format!("{} {te}", body.len())))
    })
    .await;
    let proxy = proxy(origin.addr(), &[]).await;
    let res = client().request(request("POST", &at(proxy, "/e"), empty()));
    assert_eq!(
        read(within(10, "POST", res).await.unwrap()).await.text(),
        "0 false"
    );
}
