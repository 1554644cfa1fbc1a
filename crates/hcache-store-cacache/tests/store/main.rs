//! The cacache store against real directories: the store contract, the size limit and its
//! accounting across reopens, garbage collection, metadata updates that leave the disk flat,
//! corruption, processes killed mid-write, processes sharing one directory, and updates
//! written behind.

mod support;

mod absent;
mod contract;
mod corruption;
mod crash;
mod eviction;
mod processes;
mod revalidation;
mod writeback;
