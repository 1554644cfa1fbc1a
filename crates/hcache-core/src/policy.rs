//! [`CachePolicy`]: the configured cache's entry point for every decision.

use std::sync::Arc;

use http::header::HOST;
use http::{Method, request};

use crate::key::CacheKey;
use crate::options::{CacheMode, CacheOptions};
use crate::overrides::RequestOverrides;

/// The caching policy of one configured cache: pure, synchronous decisions on `http` types.
///
/// It holds no state besides its options and is cheap to clone. Every method that depends on
/// time takes `now`; none does IO.
#[derive(Debug, Clone, Default)]
pub struct CachePolicy {
    pub(crate) opts: Arc<CacheOptions>,
}

impl CachePolicy {
    /// A policy with `options`.
    pub fn new(options: CacheOptions) -> Self {
        CachePolicy {
            opts: Arc::new(options),
        }
    }

    /// The options this policy was built with.
    pub fn options(&self) -> &CacheOptions {
        &self.opts
    }

    /// The mode in force for a request: its own [`CacheMode`] extension, else the
    /// configured one.
    pub fn mode(&self, overrides: &RequestOverrides) -> CacheMode {
        overrides.mode.unwrap_or(self.opts.mode)
    }

    /// [`CachePolicy::mode`] for `req`, reading only its [`CacheMode`] marker.
    pub(crate) fn request_mode(&self, req: &request::Parts) -> CacheMode {
        RequestOverrides::mode_of(&req.extensions).unwrap_or(self.opts.mode)
    }

    /// The primary key under which responses to `req` are stored and looked up (RFC 9111
    /// §2, §4), or `None` when its method is never answered from the cache. HEAD looks up the
    /// stored GET response (a HEAD response is a GET response without content, RFC 9110
    /// §9.3.2). A [`CacheKey`] in the request's extensions, or the configured key function,
    /// replaces method + URI.
    pub fn cache_key(&self, req: &request::Parts) -> Option<CacheKey> {
        let method = self.lookup_method(req)?;
        if let Some(k) = req.extensions.get::<CacheKey>() {
            return Some(k.clone());
        }
        Some(self.key_for(method, req))
    }

    /// The method whose stored responses answer `req` (GET for HEAD), or `None` when the
    /// cache never answers it. [`CachePolicy::cache_key`] is `None` exactly when this is;
    /// callers that only need that test use this and skip building the key.
    pub(crate) fn lookup_method<'a>(&self, req: &'a request::Parts) -> Option<&'a Method> {
        let method = if req.method == Method::HEAD {
            &Method::GET
        } else {
            &req.method
        };
        self.opts
            .cacheable_methods
            .contains(method)
            .then_some(method)
    }

    /// The key for `method` on the target of `req` (used for HEAD and invalidation).
    pub(crate) fn key_for(&self, method: &Method, req: &request::Parts) -> CacheKey {
        match &self.opts.key_fn {
            Some(f) if req.method == *method => f(req),
            Some(f) => {
                let mut p = clone_parts(req);
                p.method = method.clone();
                f(&p)
            }
            None => CacheKey::from_method_uri(
                method,
                &req.uri,
                req.headers.get(HOST).map(|h| h.as_bytes()),
            ),
        }
    }
}

impl CachePolicy {
    /// Prepares a request the cache sends to the next hop: when the cache acts as a
    /// surrogate ([`CacheOptions::surrogate_control`]), it appends its `Surrogate-Capability`
    /// (W3C Edge Architecture 1.0 §4) so the origin can address `Surrogate-Control` to it.
    pub fn prepare_upstream(&self, req: &mut request::Parts) {
        if let Some(token) = self.opts.surrogate_token.as_deref()
            && let Some(v) = crate::directives::surrogate_capability(token)
        {
            req.headers.append(SURROGATE_CAPABILITY, v);
        }
    }

    /// Whether answering `req` needs the stored responses at all: not when its mode bypasses
    /// them ([`CacheMode::NoStore`], [`CacheMode::Reload`]), which saves a store read.
    pub fn needs_lookup(&self, req: &request::Parts) -> bool {
        !matches!(
            self.request_mode(req),
            CacheMode::NoStore | CacheMode::Reload
        )
    }
}

/// The `Surrogate-Capability` request field (W3C Edge Architecture 1.0 §4).
const SURROGATE_CAPABILITY: http::HeaderName =
    http::HeaderName::from_static("surrogate-capability");

/// Copies a request head (method, target, version, fields and extensions).
pub fn clone_parts(p: &request::Parts) -> request::Parts {
    let mut out = http::Request::new(()).into_parts().0;
    out.method = p.method.clone();
    out.uri = p.uri.clone();
    out.version = p.version;
    out.headers = p.headers.clone();
    out.extensions = p.extensions.clone();
    out
}
