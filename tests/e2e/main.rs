//! End-to-end scenarios: the engine (and, as they land, every adapter) against a real HTTP
//! origin on 127.0.0.1, with real stores. Each scenario names the RFC section it exercises and
//! runs once per store. Cache time is a `ManualClock`; nothing sleeps to make time pass.

mod support;

mod engine;
