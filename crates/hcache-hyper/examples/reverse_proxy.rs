//! A caching reverse proxy: a hyper server that forwards every request to one upstream through
//! hcache's [`CacheLayer`] over hyper-util's client.
//!
//! ```text
//! cargo run --release -p hcache-hyper --example reverse_proxy -- \
//!     --listen 127.0.0.1:8080 --upstream http://127.0.0.1:8000 \
//!     [--store memory|cacache:DIR|tiered:DIR] [--mode shared|private] \
//!     [--connect-timeout SECS] [--header-timeout SECS]
//! ```
//!
//! Stores: `memory` is hcache-store-memory with its defaults (64 MiB, 4 MiB per entry);
//! `cacache:DIR` is hcache-store-cacache in DIR with its defaults (256 MiB, 32 MiB per entry);
//!
//! Defaults: `--store memory`, `--mode shared` (a proxy is a shared cache, RFC 9111 §1),
//! connect timeout 5 s, header timeout 30 s.
//!
//! # What is forwarded
//!
//! - Every method (registered or not, `M-SEARCH` included) and every header field line, as
//!   bytes: repeated lines stay separate and in order, obs-text values are not re-encoded. Only
//!   the hop-by-hop fields, which describe one connection rather than the message, are dropped
//!   in both directions (RFC 9110 §7.6.1: `Connection` and the fields it names, `Keep-Alive`,
//!   `Proxy-Connection`, `TE`, `Transfer-Encoding`, `Upgrade`); hyper frames each side's body
//!   itself. `Host` is passed on as the client sent it.
//! - Bodies stream both ways; nothing is buffered whole.
//! - The cache works in the client's URI space: a request's key is `http://{Host}{path}`, and
//!   the URI is rewritten to the upstream's authority below the cache, just before the client.
//!   So the upstream's `Location` / `Content-Location` (built from the `Host` it received)
//!   invalidate the keys the cache actually holds (RFC 9111 §4.4).
//!
//! # 1xx interim responses
//!
//! hyper 1 has no server API to send an interim response, so only one 1xx makes it through:
//! `100 Continue`. hyper's server sends it to the client by itself when a request with
//! `Expect: 100-continue` has its body read — which the proxy does as soon as the upstream
//! connection takes the body. The upstream's own 1xx responses (`100`, `102`, `103 Early
//! Hints`) are read and dropped by hyper's client. `101 Switching Protocols` (upgrades,
//! WebSocket) is not tunnelled.
//!
//! # Failures
//!
//! An upstream that refuses the connection, closes it before a complete response head, or
//! sends a head hyper cannot parse gets a prompt `502 Bad Gateway`; one that sends no head
//! within the header timeout gets `504 Gateway Timeout`; either is replaced by the stale
//! response when `stale-if-error` allows (the engine decides). A body that breaks after its
//! head has gone out can only be cut short: the client's connection is closed. Idle upstream
//! connections are dropped after 2 s, before common servers' 5 s keep-alive timeouts close them
//! under a request.

use std::convert::Infallible;
use std::error::Error as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use hcache_core::CacheStore;
use hcache_hyper::{CacheBody, CacheLayer, CacheOptions};
use hcache_store_cacache::{CacacheOptions, CacacheStore};
use hcache_store_memory::MemoryStore;
use hcache_store_tiered::TieredStore;
use http::header::{self, HeaderMap, HeaderName};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::timeout::error::Elapsed;
use tower::{ServiceBuilder, ServiceExt};

const USAGE: &str = "usage: reverse_proxy --listen ADDR --upstream http://HOST:PORT \
[--store memory|cacache:DIR|tiered:DIR] [--mode shared|private] \
[--connect-timeout SECS] [--header-timeout SECS]";

/// How long an upstream connection may sit idle in the pool: under the 5 s keep-alive timeout
/// of common servers (Node's among them), so a request never lands on a connection the server
/// is closing.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(2);

/// The request body the proxy hands on: hyper's `Incoming`, boxed so that it has a `Default`
/// (an empty body) for the cache's own background refreshes.
type ProxyBody = UnsyncBoxBody<Bytes, hyper::Error>;

/// Where responses are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreChoice {
    /// `memory`: hcache-store-memory with its defaults.
    Memory,
    /// `cacache:DIR`: the disk store in DIR.
    Cacache(PathBuf),
    /// `tiered:DIR`: memory in front of the disk store in DIR.
    Tiered(PathBuf),
}

/// The proxy's configuration, from the command line.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) listen: SocketAddr,
    pub(crate) upstream: Authority,
    pub(crate) store: StoreChoice,
    pub(crate) shared: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) header_timeout: Duration,
}

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Command {
    Run(Config),
    Help,
}

/// Parses the arguments (without the program name). `--name value` and `--name=value` both
/// work.
pub(crate) fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut listen = None;
    let mut upstream = None;
    let mut store = StoreChoice::Memory;
    let mut shared = true;
    let mut connect_timeout = Duration::from_secs(5);
    let mut header_timeout = Duration::from_secs(30);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Command::Help);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--listen" => {
                let v = value()?;
                listen = Some(v.parse().map_err(|e| format!("--listen {v}: {e}"))?);
            }
            "--upstream" => upstream = Some(parse_upstream(&value()?)?),
            "--store" => store = parse_store(&value()?)?,
            "--mode" => {
                shared = match value()?.as_str() {
                    "shared" => true,
                    "private" => false,
                    other => return Err(format!("--mode {other}: expected shared or private")),
                }
            }
            "--connect-timeout" => connect_timeout = parse_secs(&name, &value()?)?,
            "--header-timeout" => header_timeout = parse_secs(&name, &value()?)?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Command::Run(Config {
        listen: listen.ok_or("--listen is required")?,
        upstream: upstream.ok_or("--upstream is required")?,
        store,
        shared,
        connect_timeout,
        header_timeout,
    }))
}

fn parse_upstream(v: &str) -> Result<Authority, String> {
    let uri: Uri = v.parse().map_err(|e| format!("--upstream {v}: {e}"))?;
    if uri.scheme() != Some(&Scheme::HTTP) {
        return Err(format!(
            "--upstream {v}: only http:// upstreams are supported"
        ));
    }
    if uri.path_and_query().is_some_and(|pq| pq.as_str() != "/") {
        return Err(format!("--upstream {v}: give the origin only, no path"));
    }
    uri.authority()
        .cloned()
        .ok_or_else(|| format!("--upstream {v}: no host"))
}

fn parse_store(v: &str) -> Result<StoreChoice, String> {
    let dir = |d: &str| {
        if d.is_empty() {
            Err(format!("--store {v}: the directory is missing"))
        } else {
            Ok(PathBuf::from(d))
        }
    };
    match v.split_once(':') {
        None if v == "memory" => Ok(StoreChoice::Memory),
        Some(("cacache", d)) => Ok(StoreChoice::Cacache(dir(d)?)),
        Some(("tiered", d)) => Ok(StoreChoice::Tiered(dir(d)?)),
        _ => Err(format!(
            "--store {v}: expected memory, cacache:DIR or tiered:DIR"
        )),
    }
}

fn parse_secs(name: &str, v: &str) -> Result<Duration, String> {
    match v.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() && s < 1e9 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("{name} {v}: expected a positive number of seconds")),
    }
}

/// Serves on `listener` until the task is dropped; returns only when the store cannot be
/// opened.
pub(crate) async fn serve(listener: TcpListener, config: Config) -> Result<Infallible, String> {
    // A shared reverse proxy sits with the origin: it is the origin's surrogate, so it takes
    // `Surrogate-Control` addressed to it (and advertises itself as `hcache`).
    let surrogate = config.shared.then_some("hcache");
    let options = CacheOptions::default()
        .shared(config.shared)
        .surrogate_control(surrogate);
    match &config.store {
        StoreChoice::Memory => Ok(run(listener, &config, options, MemoryStore::default()).await),
        StoreChoice::Cacache(dir) => {
            let store = open_disk(dir, &options, "cacache").await?;
            Ok(run(listener, &config, options, store).await)
        }
        StoreChoice::Tiered(dir) => {
            let disk = open_disk(dir, &options, "tiered").await?;
            let store = TieredStore::new(MemoryStore::default(), disk);
            Ok(run(listener, &config, options, store).await)
        }
    }
}

/// Opens the disk store in `dir` (for `--store cacache:` and `tiered:`).
async fn open_disk(
    dir: &std::path::Path,
    options: &CacheOptions,
    flag: &str,
) -> Result<CacacheStore, String> {
    // The store re-parses stored heads with the engine's options, so it gets them too.
    let store_options = CacacheOptions::default().cache_options(options.clone());
    let path = dir.to_path_buf();
    // Opening scans the directory, blocking.
    match tokio::task::spawn_blocking(move || CacacheStore::open(path, store_options)).await {
        Ok(Ok(store)) => Ok(store),
        Ok(Err(e)) => Err(format!("--store {flag}:{}: {e}", dir.display())),
        Err(e) => Err(format!("--store {flag}:{}: {e}", dir.display())),
    }
}

async fn run<St: CacheStore>(
    listener: TcpListener,
    config: &Config,
    options: CacheOptions,
    store: St,
) -> Infallible {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(config.connect_timeout));
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_timer(TokioTimer::new())
        .build::<_, ProxyBody>(connector);

    // Below the cache: the header timeout (an upstream error, so stale-if-error applies) and
    // the switch from the client's URI space to the upstream's.
    let upstream = config.upstream.clone();
    let to_upstream = ServiceBuilder::new()
        .map_request(move |r| to_upstream(&upstream, r))
        .timeout(config.header_timeout)
        .service(client);
    let layer = CacheLayer::with_background(store, options, to_upstream.clone());
    let cached = ServiceBuilder::new().layer(layer).service(to_upstream);

    let local = listener.local_addr().ok();
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                // Out of file descriptors, say: back off instead of spinning.
                eprintln!("reverse_proxy: accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let cached = cached.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let cached = cached.clone();
                async move {
                    let request = from_client(request, local);
                    let response = match cached.oneshot(request).await {
                        Ok(response) => response,
                        Err(e) => failure_response(&e),
                    };
                    Ok::<_, Infallible>(to_client(response))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}

/// The request as the cache sees it: the target URI the client meant
/// (`http://{Host}{path}`, RFC 9110 §7.1), without hop-by-hop fields.
fn from_client(request: Request<Incoming>, local: Option<SocketAddr>) -> Request<ProxyBody> {
    let (mut parts, body) = request.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| Authority::try_from(h.as_bytes()).ok())
        .or_else(|| parts.uri.authority().cloned())
        .or_else(|| local.and_then(|a| Authority::try_from(a.to_string()).ok()));
    parts.uri = with_authority(&parts.uri, host);
    parts.version = Version::HTTP_11;
    // hyper's server-side extensions mean nothing to the client.
    parts.extensions = http::Extensions::new();
    Request::from_parts(parts, body.boxed_unsync())
}

/// The request as the upstream gets it: the same, addressed to the upstream.
fn to_upstream(upstream: &Authority, mut request: Request<ProxyBody>) -> Request<ProxyBody> {
    *request.uri_mut() = with_authority(request.uri(), Some(upstream.clone()));
    request
}

fn with_authority(uri: &Uri, authority: Option<Authority>) -> Uri {
    let mut parts = uri.clone().into_parts();
    parts.scheme = Some(Scheme::HTTP);
    parts.authority = authority;
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(PathAndQuery::from_static("/"));
    }
    // Only a missing authority can fail here; the client then reports it (a 502).
    Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

fn to_client(mut response: Response<CacheBody>) -> Response<CacheBody> {
    strip_hop_by_hop(response.headers_mut());
    response
}

/// A 502, or a 504 when the upstream sent no response head in time.
fn failure_response(e: &hcache_hyper::Error) -> Response<CacheBody> {
    let timed_out = e.inner().is_some_and(|inner| inner.is::<Elapsed>());
    let status = if timed_out {
        StatusCode::GATEWAY_TIMEOUT
    } else {
        StatusCode::BAD_GATEWAY
    };
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    eprintln!("reverse_proxy: {status}: {message}");
    let mut response = Response::new(CacheBody::full(format!("{status}: {message}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Removes the fields that describe one connection (RFC 9110 §7.6.1).
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .filter_map(|token| HeaderName::from_bytes(token.trim_ascii()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
        header::TE,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("reverse_proxy: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("reverse_proxy: cannot listen on {}: {e}", config.listen);
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "reverse_proxy: listening on {}, upstream http://{}, store {:?}, {} cache",
        config.listen,
        config.upstream,
        config.store,
        if config.shared { "shared" } else { "private" }
    );
    match serve(listener, config).await {
        Ok(never) => match never {},
        Err(e) => {
            eprintln!("reverse_proxy: {e}");
            ExitCode::FAILURE
        }
    }
}
