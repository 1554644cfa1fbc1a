#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
