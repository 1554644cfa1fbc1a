//! The RFC 9111 policy, rule by rule. Every test names the section it checks (`s4_2_3_…` is
//! RFC 9111 §4.2.3; `rfc5861_s3_…` is RFC 5861 §3); `cargo xtask conformance` groups the
//! results by section. Time is always injected (`support::t`), never read from the system.

mod support;

mod freshness;
mod invalidation;
mod parsing;
mod post;
mod properties;
mod reuse;
mod status;
mod storing;
mod surrogate;
mod targeted;
mod validation;
mod vary;
