//! hcache-hyper's integration tests: the layer over hyper-util's client, and the reverse proxy
//! example, each against real origins on 127.0.0.1.

mod layer;
mod proxy;
mod support;

/// The example, compiled as a module so its server can be started in-process.
#[path = "../../examples/reverse_proxy.rs"]
#[allow(dead_code)]
mod reverse_proxy;
