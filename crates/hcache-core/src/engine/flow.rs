//! The request flow: lookup → decide → act (RFC 9111 §4 end to end).

use std::sync::{Arc, PoisonError};
use std::time::SystemTime;

use http::{Request, Response, StatusCode, request, response};
use http_body::Body;
use http_body_util::BodyExt;

use super::body::CacheBody;
use super::coalesce::{FlightGuard, Role};
use super::head::reuse_head;
use super::stats::Counters;
use super::upstream::{BoxError, Upstream};
use super::{Engine, Error};
use crate::key::CacheKey;
use crate::reuse::{Decision, Reuse, StaleReason, Validation};
use crate::status::{CacheStatus, ForwardReason};
use crate::store::{CacheStore, StoreError, StoreWriter, Variant};
use crate::stored::StoredResponse;
use crate::validate::HeadOutcome;

/// Origin statuses after which a stale response may stand in (RFC 5861 §4).
fn is_error_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

impl<S: CacheStore> Engine<S> {
    /// Answers `request`, from the cache or through `upstream`.
    ///
    /// The response body streams; when the response is being stored, it is committed only
    /// once the caller has read the body to its end.
    pub async fn handle<B, U>(
        &self,
        request: Request<B>,
        upstream: &U,
    ) -> Result<Response<CacheBody>, Error>
    where
        B: Send,
        U: Upstream<B>,
    {
        let inner = &*self.inner;
        Counters::inc(&inner.counters.requests);
        let (parts, body) = request.into_parts();
        let Some(key) = inner.policy.cache_key(&parts) else {
            Counters::inc(&inner.counters.misses);
            tracing::debug!(method = %parts.method, uri = %parts.uri, "hcache: method not cached; forwarding");
            // Forwarding and validating are boxed, here and below: they hold the upstream
            // exchange and the store write, and inline they would make every request's future,
            // hits included, that large (5.5 KiB rather than 1.6 KiB), and it is copied when
            // created and again when an adapter boxes it (hits ~6% faster through reqwest).
            return Box::pin(self.forward(
                parts,
                body,
                upstream,
                None,
                ForwardReason::Method,
                None,
            ))
            .await;
        };
        let mut body = Some(body);
        let mut collapsed = false;
        let mut leading = None;
        loop {
            let ended = inner.flights.ended();
            let now = inner.clock.now();
            let variants = if inner.policy.needs_lookup(&parts) {
                self.lookup(&key).await
            } else {
                Vec::new()
            };
            let decision = inner.policy.decide(&parts, &variants, now);
            tracing::debug!(key = %key, decision = ?DecisionKind::of(&decision), "hcache: decision");
            let status = decision.cache_status().collapsed(collapsed);
            match decision {
                Decision::Fresh(reuse) => {
                    Counters::inc(&inner.counters.hits);
                    match self.serve(&parts, &key, variants, reuse, status).await {
                        Some(res) => return Ok(res),
                        None => continue, // the body was unreadable and removed: decide again
                    }
                }
                Decision::Stale {
                    reuse,
                    reason,
                    revalidate,
                } => {
                    if let Some(revalidate) = revalidate {
                        let variant = variants[reuse.index].clone();
                        if !self.revalidate_in_background(&key, *revalidate, variant) {
                            // No background runtime: validate now instead.
                            let v = self.inner.policy.decide_validation(
                                &parts,
                                &variants,
                                reuse.index,
                                now,
                            );
                            let body = body.take().expect("body is only taken once");
                            return Box::pin(self.validate(
                                parts, body, upstream, key, variants, v, None, collapsed,
                            ))
                            .await;
                        }
                    }
                    Counters::inc(&inner.counters.hits);
                    Counters::inc(&inner.counters.stale);
                    debug_assert!(matches!(
                        reason,
                        StaleReason::MaxStale | StaleReason::WhileRevalidate | StaleReason::Mode
                    ));
                    match self.serve(&parts, &key, variants, reuse, status).await {
                        Some(res) => return Ok(res),
                        None => continue,
                    }
                }
                Decision::Unsatisfiable => {
                    let mut res = Response::new(CacheBody::empty());
                    *res.status_mut() = StatusCode::GATEWAY_TIMEOUT;
                    self.add_status(res.headers_mut(), &status);
                    return Ok(res);
                }
                Decision::Forward(reason) => {
                    // Only a miss may be shared with concurrent requests: the other reasons
                    // to forward (the caller bypassing the cache or refusing what it holds, a
                    // range request) are the caller's own.
                    let shared = matches!(reason, ForwardReason::UriMiss | ForwardReason::VaryMiss);
                    let guard = if shared {
                        match self
                            .join_flight(&parts, &key, &mut collapsed, (&mut leading, ended))
                            .await
                        {
                            Joined::Leader(g) => Some(g),
                            Joined::Waited | Joined::Recheck => continue,
                            Joined::Alone => None,
                        }
                    } else {
                        None
                    };
                    Counters::inc(&inner.counters.misses);
                    let body = body.take().expect("body is only taken once");
                    return Box::pin(self.forward(
                        parts,
                        body,
                        upstream,
                        Some((key, variants)),
                        reason,
                        guard,
                    ))
                    .await;
                }
                Decision::Validate(v) => {
                    let guard = match self
                        .join_flight(&parts, &key, &mut collapsed, (&mut leading, ended))
                        .await
                    {
                        Joined::Leader(g) => Some(g),
                        Joined::Waited | Joined::Recheck => continue,
                        Joined::Alone => None,
                    };
                    let body = body.take().expect("body is only taken once");
                    return Box::pin(
                        self.validate(parts, body, upstream, key, variants, *v, guard, collapsed),
                    )
                    .await;
                }
            }
        }
    }

    /// Joins the key's flight once per request: the first caller leads; a later one waits for
    /// the leader and then decides again, usually finding what the leader stored. After one
    /// wait the request proceeds on its own, so it never waits twice. A HEAD never leads: its
    /// response is never stored (§4.3.5), so requests waiting on it would find nothing and
    /// all go forward at once; it may follow a GET.
    ///
    /// A new leader decides once more before it fetches, holding the flight, when a flight
    /// ended since its lookup (`ended` was [`Flights::ended`](super::coalesce::Flights) then):
    /// the lookup may have run just before another leader committed and left, and without a
    /// second look it would fetch what is already stored.
    async fn join_flight(
        &self,
        parts: &request::Parts,
        key: &CacheKey,
        collapsed: &mut bool,
        (leading, ended): (&mut Option<FlightGuard>, u64),
    ) -> Joined {
        if let Some(guard) = leading.take() {
            return Joined::Leader(guard);
        }
        if *collapsed {
            return Joined::Alone;
        }
        let role = if parts.method == http::Method::HEAD {
            match self.inner.flights.follow(key) {
                Some(w) => Role::Follower(w),
                None => return Joined::Alone,
            }
        } else {
            self.inner.flights.join(key)
        };
        match role {
            Role::Leader(g) if self.inner.flights.ended() == ended => Joined::Leader(g),
            Role::Leader(g) => {
                *leading = Some(g);
                Joined::Recheck
            }
            Role::Follower(w) => {
                Counters::inc(&self.inner.counters.coalesced);
                let outcome = w.wait().await;
                tracing::debug!(key = %key, ?outcome, "hcache: collapsed request resumes");
                *collapsed = true;
                Joined::Waited
            }
        }
    }

    async fn lookup(&self, key: &CacheKey) -> Vec<Variant<S::Handle>> {
        match self.inner.store.get(key).await {
            Ok(v) => v,
            Err(e) => {
                self.store_error("get", &e);
                Vec::new()
            }
        }
    }

    pub(super) fn store_error(&self, op: &'static str, e: &StoreError) {
        Counters::inc(&self.inner.counters.store_errors);
        tracing::warn!(op, error = %e, "hcache: store operation failed");
    }

    fn add_status(&self, headers: &mut http::HeaderMap, status: &CacheStatus) {
        if let Some(value) = self.inner.statuses.as_ref().and_then(|s| s.value(status)) {
            crate::status::append_member(headers, &self.inner.status_field, value);
        }
    }

    /// Serves a stored variant: its head with a recomputed `Age` (§4, §5.1), or a 304 when the
    /// caller's own precondition matched (§4.3.2); no body for HEAD. `None` when the body could
    /// not be opened (the variant is then removed).
    async fn serve(
        &self,
        parts: &request::Parts,
        key: &CacheKey,
        mut variants: Vec<Variant<S::Handle>>,
        reuse: Reuse,
        status: CacheStatus,
    ) -> Option<Response<CacheBody>> {
        let variant = variants.swap_remove(reuse.index);
        let policy = &self.inner.policy;
        let (head, body) = if reuse.not_modified {
            (
                policy.not_modified_head(&variant.response, reuse.age),
                CacheBody::empty(),
            )
        } else if parts.method == http::Method::HEAD {
            (reuse_head(&variant.response, reuse.age), CacheBody::empty())
        } else {
            match self.inner.store.open(key, &variant).await {
                Ok(b) => (
                    reuse_head(&variant.response, reuse.age),
                    CacheBody::stored(b, self.inner.counters.clone()),
                ),
                Err(e) => {
                    self.store_error("open", &e);
                    if let Err(e) = self.inner.store.remove_variant(key, variant.id).await {
                        self.store_error("remove", &e);
                    }
                    return None;
                }
            }
        };
        let mut res = Response::from_parts(head, body);
        self.add_status(res.headers_mut(), &status);
        Some(res)
    }

    /// Validates a stored variant (§4.3): send the conditional request; a 304 freshens the
    /// stored metadata (§4.3.4) and serves the stored body; a full response replaces it; an
    /// error may be answered with the stale response (RFC 5861 §4).
    #[allow(clippy::too_many_arguments)]
    async fn validate<B, U>(
        &self,
        parts: request::Parts,
        body: B,
        upstream: &U,
        key: CacheKey,
        variants: Vec<Variant<S::Handle>>,
        v: Validation,
        guard: Option<FlightGuard>,
        collapsed: bool,
    ) -> Result<Response<CacheBody>, Error>
    where
        B: Send,
        U: Upstream<B>,
    {
        let inner = &*self.inner;
        let request_time = inner.clock.now();
        let mut outgoing = v.request;
        inner.policy.prepare_upstream(&mut outgoing);
        let sent = upstream.send(Request::from_parts(outgoing, body)).await;
        let response_time = inner.clock.now();
        let status = CacheStatus::forward(v.reason).collapsed(collapsed);
        let res = match sent {
            Ok(res)
                if is_error_status(res.status())
                    && self.may_serve_stale(&parts, &variants[v.index]) =>
            {
                tracing::debug!(key = %key, status = %res.status(), "hcache: origin error; serving stale");
                let st = status
                    .fwd_status(res.status().as_u16())
                    .detail("stale-if-error");
                drop(res);
                // Boxed, as are the other paths a 304 does not take, so that a
                // revalidation's future holds only what the 304 needs (see `finish_forward`).
                return Ok(Box::pin(
                    self.serve_stale_on_error(&parts, &key, variants, v.index, st),
                )
                .await);
            }
            Ok(res) => res,
            Err(e) => {
                Counters::inc(&inner.counters.upstream_errors);
                let e: BoxError = e.into();
                if self.may_serve_stale(&parts, &variants[v.index]) {
                    tracing::debug!(key = %key, error = %e, "hcache: origin unreachable; serving stale");
                    return Ok(Box::pin(self.serve_stale_on_error(
                        &parts,
                        &key,
                        variants,
                        v.index,
                        status.detail("stale-if-error"),
                    ))
                    .await);
                }
                return Err(Error::Upstream(e));
            }
        };
        if res.status() != StatusCode::NOT_MODIFIED {
            Counters::inc(&inner.counters.changed);
            return Ok(Box::pin(self.finish_forward(
                parts,
                res,
                Some((key, variants)),
                status,
                guard,
                request_time,
                response_time,
            ))
            .await);
        }
        Counters::inc(&inner.counters.not_modified);
        let (res_parts, _) = res.into_parts();
        let policy = &inner.policy;
        let targets = policy.select_for_freshening(&variants, Some(v.index), &res_parts.headers);
        let mut served: Option<Arc<StoredResponse>> = None;
        for &i in &targets {
            let fresh = Arc::new(policy.freshen(
                &variants[i].response,
                &res_parts,
                request_time,
                response_time,
            ));
            if let Err(e) = inner
                .store
                .update(&key, variants[i].id, fresh.clone())
                .await
            {
                self.store_error("update", &e);
            }
            if i == v.index {
                served = Some(fresh);
            }
        }
        if let Some(g) = guard {
            g.finish(Some(variants[v.index].id));
        }
        let status = status.fwd_status(304);
        let callers_own = parts.headers.contains_key(http::header::IF_NONE_MATCH)
            || parts.headers.contains_key(http::header::IF_MODIFIED_SINCE);
        if served.is_none() && (callers_own || !v.conditional) {
            // The caller's own conditional request, answered 304 for validators we do not
            // hold (§4.3.4 selects no stored response, even when ours were sent too, §4.3.2):
            // the 304 is the caller's.
            let mut res = Response::from_parts(res_parts, CacheBody::empty());
            self.add_status(res.headers_mut(), &status);
            return Ok(res);
        }
        // The origin compared our validators and found the stored response current.
        let mut variant = variants
            .into_iter()
            .nth(v.index)
            .expect("validated index exists");
        if let Some(fresh) = served {
            variant.response = fresh;
        }
        let now = inner.clock.now();
        let reuse = policy.reuse_of(&variant.response, 0, now, &parts);
        let res = self.serve(&parts, &key, vec![variant], reuse, status).await;
        Ok(
            res.unwrap_or_else(|| {
                bad_gateway(self, CacheStatus::forward(v.reason).fwd_status(304))
            }),
        )
    }

    fn may_serve_stale(&self, parts: &request::Parts, variant: &Variant<S::Handle>) -> bool {
        let now = self.inner.clock.now();
        self.inner
            .policy
            .stale_if_error_allowed(parts, &variant.response, now)
    }

    async fn serve_stale_on_error(
        &self,
        parts: &request::Parts,
        key: &CacheKey,
        variants: Vec<Variant<S::Handle>>,
        index: usize,
        status: CacheStatus,
    ) -> Response<CacheBody> {
        Counters::inc(&self.inner.counters.stale);
        let now = self.inner.clock.now();
        let reuse = self
            .inner
            .policy
            .reuse_of(&variants[index].response, index, now, parts);
        match self
            .serve(parts, key, variants, reuse, status.clone())
            .await
        {
            Some(res) => res,
            None => bad_gateway(self, status),
        }
    }

    /// Sends the request as is and handles the response (storing it when allowed).
    async fn forward<B, U>(
        &self,
        parts: request::Parts,
        body: B,
        upstream: &U,
        cached: Option<(CacheKey, Vec<Variant<S::Handle>>)>,
        reason: ForwardReason,
        guard: Option<FlightGuard>,
    ) -> Result<Response<CacheBody>, Error>
    where
        B: Send,
        U: Upstream<B>,
    {
        let inner = &*self.inner;
        let request_time = inner.clock.now();
        let mut outgoing = crate::policy::clone_parts(&parts);
        inner.policy.prepare_upstream(&mut outgoing);
        let res = match upstream.send(Request::from_parts(outgoing, body)).await {
            Ok(res) => res,
            Err(e) => {
                Counters::inc(&inner.counters.upstream_errors);
                return Err(Error::Upstream(e.into()));
            }
        };
        let response_time = inner.clock.now();
        Ok(self
            .finish_forward(
                parts,
                res,
                cached,
                CacheStatus::forward(reason),
                guard,
                request_time,
                response_time,
            )
            .await)
    }

    /// A full response arrived: invalidate (§4.4), freshen with HEAD (§4.3.5), store when
    /// storable (§3) — streaming the body to the caller and the store at once — and add
    /// `Cache-Status`.
    #[allow(clippy::too_many_arguments)]
    async fn finish_forward<RB>(
        &self,
        parts: request::Parts,
        res: Response<RB>,
        cached: Option<(CacheKey, Vec<Variant<S::Handle>>)>,
        status: CacheStatus,
        guard: Option<FlightGuard>,
        request_time: SystemTime,
        response_time: SystemTime,
    ) -> Response<CacheBody>
    where
        RB: Body<Data = bytes::Bytes, Error: Into<BoxError>> + Send + 'static,
    {
        // The store operations awaited here are boxed, each on the path that needs it: inline,
        // every forwarded request's future would be as large as the largest of them (for a
        // disk store, kilobytes), and it is copied whole when created and when boxed by the
        // caller — what a `no-store` miss paid for a store write it never makes.
        let inner = &*self.inner;
        let policy = &inner.policy;
        let (res_parts, res_body) = res.into_parts();
        let invalidated = policy.invalidations(&parts, &res_parts);
        if !invalidated.is_empty() {
            Box::pin(self.invalidate(invalidated)).await;
        }
        let mut status = status.fwd_status(res_parts.status.as_u16());
        let Some((key, variants)) = cached else {
            if let Some(g) = guard {
                g.finish(None);
            }
            let times = (request_time, response_time);
            let body = Box::pin(self.store_uncached_method(
                &parts,
                &res_parts,
                res_body,
                &mut status,
                times,
            ))
            .await;
            let mut res = Response::from_parts(res_parts, body);
            self.add_status(res.headers_mut(), &status);
            return res;
        };
        if parts.method == http::Method::HEAD {
            Box::pin(self.freshen_with_head(
                &parts,
                &key,
                &variants,
                &res_parts,
                request_time,
                response_time,
            ))
            .await;
        }
        let body = match policy.store(&parts, &res_parts, request_time, response_time) {
            Ok(meta) => {
                Box::pin(self.store_streaming(&key, meta, res_body, guard, &mut status)).await
            }
            Err(why) => {
                tracing::debug!(key = %key, reason = %why, "hcache: response not stored");
                CacheBody::new(res_body)
            }
        };
        let mut res = Response::from_parts(res_parts, body);
        self.add_status(res.headers_mut(), &status);
        res
    }

    /// §4.4: removes what an unsafe method's response invalidates.
    async fn invalidate(&self, keys: Vec<CacheKey>) {
        for k in keys {
            Counters::inc(&self.inner.counters.invalidated);
            if let Err(e) = self.inner.store.remove(&k).await {
                self.store_error("remove", &e);
            }
        }
    }

    /// §4.3.5: a 200 to HEAD updates or invalidates each stored GET it could have selected.
    async fn freshen_with_head(
        &self,
        parts: &request::Parts,
        key: &CacheKey,
        variants: &[Variant<S::Handle>],
        head: &response::Parts,
        request_time: SystemTime,
        response_time: SystemTime,
    ) {
        let inner = &*self.inner;
        for v in variants
            .iter()
            .filter(|v| v.response.vary().matches(&parts.headers))
        {
            let outcome = inner
                .policy
                .head_outcome(&v.response, head, request_time, response_time);
            let result = match outcome {
                HeadOutcome::Update(new) => inner.store.update(key, v.id, Arc::from(new)).await,
                HeadOutcome::Invalidate => {
                    Counters::inc(&inner.counters.invalidated);
                    inner.store.remove_variant(key, v.id).await
                }
                _ => Ok(()),
            };
            if let Err(e) = result {
                self.store_error("head-update", &e);
            }
        }
    }

    /// Starts a stale-while-revalidate refresh (RFC 5861 §3), one per key at a time. Returns
    /// false when the engine has no background runtime.
    fn revalidate_in_background(
        &self,
        key: &CacheKey,
        request: request::Parts,
        variant: Variant<S::Handle>,
    ) -> bool {
        let Some(bg) = &self.inner.background else {
            return false;
        };
        {
            let mut running = self
                .inner
                .revalidating
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if !running.insert(key.clone()) {
                return true; // one refresh per entry at a time; this request just serves stale
            }
        }
        Counters::inc(&self.inner.counters.background_revalidations);
        let mark = RefreshMark {
            engine: self.clone(),
            key: key.clone(),
        };
        let send = bg.send.clone();
        bg.spawn.spawn(Box::pin(async move {
            mark.engine
                .refresh(&mark.key, request, variant, &*send)
                .await;
            drop(mark);
        }));
        true
    }

    async fn refresh(
        &self,
        key: &CacheKey,
        request: request::Parts,
        variant: Variant<S::Handle>,
        send: &dyn super::BackgroundSend,
    ) {
        let inner = &*self.inner;
        let request_time = inner.clock.now();
        let mut outgoing = crate::policy::clone_parts(&request);
        inner.policy.prepare_upstream(&mut outgoing);
        let res = match send.send(Request::from_parts(outgoing, ())).await {
            Ok(res) => res,
            Err(e) => {
                Counters::inc(&inner.counters.upstream_errors);
                tracing::debug!(key = %key, error = %e, "hcache: background revalidation failed");
                return;
            }
        };
        let response_time = inner.clock.now();
        if res.status() == StatusCode::NOT_MODIFIED {
            Counters::inc(&inner.counters.not_modified);
            let variants = self.lookup(key).await;
            let (res_parts, _) = res.into_parts();
            let validated = variants.iter().position(|v| v.id == variant.id);
            for i in inner
                .policy
                .select_for_freshening(&variants, validated, &res_parts.headers)
            {
                let fresh = inner.policy.freshen(
                    &variants[i].response,
                    &res_parts,
                    request_time,
                    response_time,
                );
                if let Err(e) = inner
                    .store
                    .update(key, variants[i].id, Arc::new(fresh))
                    .await
                {
                    self.store_error("update", &e);
                }
            }
            return;
        }
        Counters::inc(&inner.counters.changed);
        let (res_parts, mut body) = res.into_parts();
        // Nobody else sees this response: its head becomes the stored one, uncopied.
        let Ok(meta) = inner
            .policy
            .store_owned(&request, res_parts, request_time, response_time)
        else {
            return;
        };
        let hint = body.size_hint().exact();
        let mut writer = match inner.store.begin(key, Arc::new(meta), hint).await {
            Ok(Some(w)) => w,
            Ok(None) => return Counters::inc(&inner.counters.too_large),
            Err(e) => return self.store_error("begin", &e),
        };
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                Counters::inc(&inner.counters.upstream_errors);
                return; // dropping the writer aborts
            };
            if let Ok(data) = frame.into_data() {
                writer = match writer.write(data).await {
                    Ok(w) => w,
                    Err(e) => return self.store_error("write", &e),
                };
            }
        }
        match writer.commit().await {
            Ok(_) => Counters::inc(&inner.counters.stored),
            Err(e) => self.store_error("commit", &e),
        }
    }
}

fn bad_gateway<S: CacheStore>(engine: &Engine<S>, status: CacheStatus) -> Response<CacheBody> {
    let mut res = Response::new(CacheBody::empty());
    *res.status_mut() = StatusCode::BAD_GATEWAY;
    engine.add_status(res.headers_mut(), &status.detail("stored body unreadable"));
    res
}

/// Marks a key as being refreshed in the background; unmarks it when dropped — after the
/// refresh, or if the runtime drops the task without running it — so a key is never stuck.
struct RefreshMark<S> {
    engine: Engine<S>,
    key: CacheKey,
}

impl<S> Drop for RefreshMark<S> {
    fn drop(&mut self) {
        self.engine
            .inner
            .revalidating
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

/// What joining a flight made of a request.
enum Joined {
    /// It fetches for everyone.
    Leader(FlightGuard),
    /// It waited for a leader: decide again.
    Waited,
    /// It leads now: decide again before fetching (see [`Engine::join_flight`]).
    Recheck,
    /// It fetches alone (it already waited once).
    Alone,
}

/// The decision's kind, for tracing without dumping request heads.
#[derive(Debug)]
enum DecisionKind {
    Fresh,
    Stale,
    Validate,
    Forward,
    Unsatisfiable,
}

impl DecisionKind {
    fn of(d: &Decision) -> DecisionKind {
        match d {
            Decision::Fresh(_) => DecisionKind::Fresh,
            Decision::Stale { .. } => DecisionKind::Stale,
            Decision::Validate(_) => DecisionKind::Validate,
            Decision::Unsatisfiable => DecisionKind::Unsatisfiable,
            _ => DecisionKind::Forward,
        }
    }
}
