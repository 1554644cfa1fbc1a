//! (tests to come)
#[allow(unused_imports)]
use crate::support::*;
