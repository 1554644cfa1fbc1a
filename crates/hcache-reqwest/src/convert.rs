//! Between reqwest's types and the `http` types the engine speaks. Nothing is parsed or
//! re-encoded on the way: header maps (repeated field lines, values that are not UTF-8),
//! bodies and extensions move across as they are.

use std::time::Duration;

use http::Extensions;
use reqwest::{Body, ResponseBuilderExt, Url};

use hcache_core::CacheBody;

/// The URL an origin response came from (after reqwest's redirects), carried beside the
/// response through the engine.
#[derive(Debug, Clone)]
struct OriginUrl(Url);

/// What reqwest knew of the caller's request that its `http` form does not carry cheaply:
/// the parsed URL (parsing it again from the `http::Uri` costs more than the rest of a
/// round of conversions) and the per-request timeout.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    url: Url,
    uri: http::Uri,
    timeout: Option<Duration>,
}

impl Target {
    /// The caller's URL, which a response served from the cache reports.
    pub(crate) fn into_url(self) -> Url {
        self.url
    }
}

/// The caller's request as the engine sees it, or the request back when its URL cannot be
/// expressed as an `http::Uri` (it is then passed through uncached rather than failed). Its
/// extensions are a copy of the middleware chain's, which carry hcache's per-request markers
/// (`CacheMode`, `CacheKey`, `StaleIfErrorWindow`); reqwest's own (its per-request timeout)
/// stay in `Target`.
///
/// Built here rather than with reqwest's `TryFrom`, which parses the URL into a `Uri` once
/// more after the check: the URL is parsed once, and the head moves across untouched.
#[allow(clippy::result_large_err)] // the `Err` is the caller's request, handed back whole
pub(crate) fn to_http_request(
    mut req: reqwest::Request,
    middleware_extensions: &Extensions,
) -> Result<(http::Request<Body>, Target), reqwest::Request> {
    let Ok(uri) = http::Uri::try_from(req.url().as_str()) else {
        return Err(req);
    };
    let target = Target {
        url: req.url().clone(),
        uri: uri.clone(),
        timeout: req.timeout().copied(),
    };
    let mut request = http::Request::new(req.body_mut().take().unwrap_or_default());
    *request.method_mut() = std::mem::take(req.method_mut());
    *request.uri_mut() = uri;
    *request.version_mut() = req.version();
    *request.headers_mut() = std::mem::take(req.headers_mut());
    *request.extensions_mut() = middleware_extensions.clone();
    Ok((request, target))
}

/// The engine's request, back in reqwest's form for the rest of the chain.
pub(crate) fn to_reqwest_request(
    req: http::Request<Body>,
) -> Result<reqwest::Request, reqwest::Error> {
    reqwest::Request::try_from(req)
}

/// The engine's request to `target`, back in reqwest's form with the caller's timeout,
/// reusing the target's parsed URL when the engine kept the caller's URI (it always does
/// today; a request to another URI is converted in full). The extensions are not carried
/// over: reqwest reads only its timeout from them, which `target` holds, and the chain's own
/// travel beside the request.
pub(crate) fn to_reqwest_request_for(
    req: http::Request<Body>,
    target: &Target,
) -> Result<reqwest::Request, reqwest::Error> {
    if !same_text(req.uri(), &target.uri) {
        let mut out = to_reqwest_request(req)?;
        *out.timeout_mut() = target.timeout;
        return Ok(out);
    }
    let (parts, body) = req.into_parts();
    let mut out = reqwest::Request::new(parts.method, target.url.clone());
    *out.headers_mut() = parts.headers;
    *out.version_mut() = parts.version;
    *out.body_mut() = Some(body);
    *out.timeout_mut() = target.timeout;
    Ok(out)
}

/// Whether `a` is `b` byte for byte. `Uri`'s `==` compares the scheme and authority without
/// regard to case, which costs more than the rest of the conversion; a URI equal only up to
/// case takes the full conversion, which is as correct, just slower.
fn same_text(a: &http::Uri, b: &http::Uri) -> bool {
    a.scheme_str() == b.scheme_str()
        && a.authority().map(http::uri::Authority::as_str)
            == b.authority().map(http::uri::Authority::as_str)
        && a.path_and_query().map(http::uri::PathAndQuery::as_str)
            == b.path_and_query().map(http::uri::PathAndQuery::as_str)
}

/// An origin response for the engine; its body keeps streaming from the connection.
pub(crate) fn from_reqwest_response(res: reqwest::Response) -> http::Response<Body> {
    let url = OriginUrl(res.url().clone());
    let mut res = http::Response::from(res);
    res.extensions_mut().insert(url);
    res
}

/// The engine's answer as a `reqwest::Response`. Its URL is the origin's when the response
/// came from the network, and the request's when it came from the cache.
pub(crate) fn to_reqwest_response(
    mut res: http::Response<CacheBody>,
    request_url: Url,
) -> reqwest::Response {
    let url = res
        .extensions_mut()
        .remove::<OriginUrl>()
        .map_or(request_url, |u| u.0);
    // reqwest reads a response's URL from an extension only its response builder can set.
    // The smaller map joins the larger: a response from the cache has no extensions of its
    // own (the carrier's map is taken as it is), one from the origin has reqwest's (the
    // carrier's one entry moves into them).
    if let Ok(carrier) = http::Response::builder().url(url).body(()) {
        let carried = carrier.into_parts().0.extensions;
        if res.extensions().is_empty() {
            *res.extensions_mut() = carried;
        } else {
            res.extensions_mut().extend(carried);
        }
    }
    reqwest::Response::from(res.map(Body::wrap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcache_core::CacheMode;
    use http::{HeaderValue, Method};

    fn request(url: &str) -> reqwest::Request {
        reqwest::Request::new(Method::GET, Url::parse(url).expect("url"))
    }

    #[test]
    fn request_round_trip_keeps_head_and_markers() {
        let mut req = request("http://127.0.0.1:1/a?b=c");
        let headers = req.headers_mut();
        headers.append("x-multi", HeaderValue::from_static("one"));
        headers.append("x-multi", HeaderValue::from_static("two"));
        headers.append(
            "x-opaque",
            HeaderValue::from_bytes(b"caf\xe9 \xff").expect("obs-text"),
        );
        *req.timeout_mut() = Some(std::time::Duration::from_secs(7));
        let mut ext = Extensions::new();
        ext.insert(CacheMode::NoStore);

        let Ok((http_req, target)) = to_http_request(req, &ext) else {
            panic!("convertible");
        };
        assert_eq!(target.url.as_str(), "http://127.0.0.1:1/a?b=c");
        assert_eq!(http_req.uri(), "http://127.0.0.1:1/a?b=c");
        assert_eq!(http_req.extensions().get(), Some(&CacheMode::NoStore));
        let multi: Vec<_> = http_req.headers().get_all("x-multi").iter().collect();
        assert_eq!(multi, ["one", "two"]);

        let back = to_reqwest_request_for(http_req, &target).expect("convertible");
        assert_eq!(back.url().as_str(), "http://127.0.0.1:1/a?b=c");
        assert_eq!(
            back.headers()["x-opaque"].as_bytes(),
            b"caf\xe9 \xff".as_slice()
        );
        assert_eq!(back.headers().get_all("x-multi").iter().count(), 2);
        assert_eq!(back.timeout(), Some(&std::time::Duration::from_secs(7)));
    }

    #[test]
    fn request_to_its_target_reuses_the_url_and_keeps_the_head() {
        let mut req = request("http://user:pw@127.0.0.1:1/a%20b?q={y}");
        req.headers_mut()
            .append("x-multi", HeaderValue::from_static("one"));
        req.headers_mut()
            .append("x-multi", HeaderValue::from_static("two"));
        *req.timeout_mut() = Some(std::time::Duration::from_secs(7));
        *req.version_mut() = http::Version::HTTP_11;
        *req.body_mut() = Some(Body::from("payload"));
        let Ok((http_req, target)) = to_http_request(req, &Extensions::new()) else {
            panic!("convertible");
        };

        let back = to_reqwest_request_for(http_req, &target).expect("convertible");
        assert_eq!(back.url(), &target.url);
        assert_eq!(
            back.url().as_str(),
            "http://user:pw@127.0.0.1:1/a%20b?q={y}"
        );
        assert_eq!(back.headers().get_all("x-multi").iter().count(), 2);
        assert_eq!(back.timeout(), Some(&std::time::Duration::from_secs(7)));
        assert_eq!(back.version(), http::Version::HTTP_11);
        let body = back.body().and_then(Body::as_bytes);
        assert_eq!(body, Some(b"payload".as_slice()));
    }

    #[test]
    fn request_to_another_uri_is_converted_in_full() {
        let mut req = request("http://127.0.0.1:1/a");
        *req.timeout_mut() = Some(std::time::Duration::from_secs(7));
        let Ok((_, target)) = to_http_request(req, &Extensions::new()) else {
            panic!("convertible");
        };
        let other = http::Request::get("http://127.0.0.1:1/b")
            .body(Body::default())
            .expect("request");
        let back = to_reqwest_request_for(other, &target).expect("convertible");
        assert_eq!(back.url().as_str(), "http://127.0.0.1:1/b");
        assert_eq!(back.timeout(), Some(&std::time::Duration::from_secs(7)));
    }

    #[test]
    fn request_to_the_target_in_other_case_is_converted_in_full() {
        let mut req = request("http://host.test:1/a?q");
        *req.timeout_mut() = Some(std::time::Duration::from_secs(7));
        let Ok((_, target)) = to_http_request(req, &Extensions::new()) else {
            panic!("convertible");
        };
        let other = http::Request::get("http://HOST.test:1/a?q")
            .body(Body::default())
            .expect("request");
        assert!(!same_text(other.uri(), &target.uri));
        let back = to_reqwest_request_for(other, &target).expect("convertible");
        assert_eq!(back.url().as_str(), "http://host.test:1/a?q");
        assert_eq!(back.timeout(), Some(&std::time::Duration::from_secs(7)));
    }

    #[test]
    fn representable_urls() {
        let odd = "http://user:pw@[::1]:8080/x?q={y}#frag";
        let Ok((http_req, _)) = to_http_request(request(odd), &Extensions::new()) else {
            panic!("{odd}: representable");
        };
        assert_eq!(http_req.uri().host(), Some("[::1]"));
        // Beyond http::Uri's length limit: the request comes back whole, to pass through.
        let long = format!("http://127.0.0.1:1/?q={}", "a".repeat(70_000));
        let mut req = request(&long);
        req.headers_mut()
            .insert("x-kept", HeaderValue::from_static("yes"));
        *req.body_mut() = Some(Body::from("payload"));
        let Err(back) = to_http_request(req, &Extensions::new()) else {
            panic!("not representable");
        };
        assert_eq!(back.url().as_str(), long);
        assert_eq!(back.headers()["x-kept"], "yes");
        let body = back.body().and_then(Body::as_bytes);
        assert_eq!(body, Some(b"payload".as_slice()));
    }

    #[test]
    fn cached_response_takes_the_request_url() {
        let res = http::Response::new(CacheBody::full("hi"));
        let url = Url::parse("http://127.0.0.1:1/cached").expect("url");
        let res = to_reqwest_response(res, url.clone());
        assert_eq!(res.url(), &url);
    }

    #[test]
    fn origin_response_keeps_the_origin_url() {
        let mut res = http::Response::new(CacheBody::empty());
        let origin = Url::parse("http://127.0.0.1:1/redirected").expect("url");
        res.extensions_mut().insert(OriginUrl(origin.clone()));
        let asked = Url::parse("http://127.0.0.1:1/asked").expect("url");
        assert_eq!(to_reqwest_response(res, asked).url(), &origin);
    }
}
