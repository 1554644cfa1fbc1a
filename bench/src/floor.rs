//! Two reference middlewares for the no-store scenario, which measure what any cache built
//! the way hcache-reqwest is must pay before it does any caching work:
//!
//! - [`PassThrough`] is a `reqwest_middleware::Middleware` that only calls the rest of the
//!   chain: the cost of being a middleware at all (its future boxed by `async_trait`, the
//!   chain's dispatch).
//! - [`Converted`] also makes the round of conversions an engine on `http` types needs, with
//!   reqwest's public API and nothing else: the caller's request into an `http::Request` (its
//!   URL parsed into an `http::Uri`) and back into a `reqwest::Request`, and the response into
//!   an `http::Response` whose body is wrapped as the engine's [`CacheBody`], and back into a
//!   `reqwest::Response` with the origin's URL. No key, no lookup, no decision, no `Cache-Status`.
//!
//! Neither caches; they are floors to read hcache's rows against, not configurations a user
//! would run.

use http::Extensions;
use reqwest::{Request, Response, ResponseBuilderExt};
use reqwest_middleware::{Middleware, Next, Result};

use hcache_core::CacheBody;

/// Calls the rest of the chain, nothing else.
pub(crate) struct PassThrough;

#[async_trait::async_trait]
impl Middleware for PassThrough {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response> {
        next.run(req, extensions).await
    }
}

/// The conversions between reqwest's types and `http`'s around the rest of the chain.
pub(crate) struct Converted;

#[async_trait::async_trait]
impl Middleware for Converted {
    async fn handle(
        &self,
        mut req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response> {
        let url = req.url().clone();
        let Ok(uri) = http::Uri::try_from(url.as_str()) else {
            return next.run(req, extensions).await;
        };
        let mut request = http::Request::new(req.body_mut().take().unwrap_or_default());
        *request.method_mut() = std::mem::take(req.method_mut());
        *request.uri_mut() = uri;
        *request.headers_mut() = std::mem::take(req.headers_mut());
        *request.extensions_mut() = extensions.clone();

        let (parts, body) = request.into_parts();
        let mut out = Request::new(parts.method, url);
        *out.headers_mut() = parts.headers;
        *out.body_mut() = Some(body);
        let res = next.run(out, extensions).await?;
        let origin = res.url().clone();
        let mut res = http::Response::from(res).map(CacheBody::new);
        // The response's URL, which reqwest reads from an extension only its builder sets.
        if let Ok(carrier) = http::Response::builder().url(origin).body(()) {
            res.extensions_mut()
                .extend(carrier.into_parts().0.extensions);
        }
        Ok(Response::from(res.map(reqwest::Body::wrap)))
    }
}
