//! `cargo xtask soak`: the long load run of reliability testing, once per store.
//!
//! Builds the `soak` example of `hcache-tests` in release mode and runs it with the memory store
//! and then the tiered store (memory over cacache): by default 1,000,000 requests each over
//! 20,000 URLs with churn, through hcache-reqwest against an origin on 127.0.0.1. The example
//! samples RSS and open files as it goes and fails when either grows after the warm-up, or
//! when any request fails or gets a wrong body. Arguments after `soak` go to every run
//! (`--requests N`, `--urls N`, `--concurrency N`, `--samples N`); `--store S` runs one store.

use crate::util::{self, Result};

/// The stores a soak covers unless `--store` names one.
const STORES: [&str; 2] = ["memory", "tiered"];

/// Runs the task.
pub(crate) fn run(args: &[String]) -> Result {
    let (stores, passed) = split_store(args)?;
    util::run(&mut util::cargo_command(&[
        "build",
        "--release",
        "-p",
        "hcache-tests",
        "--example",
        "soak",
    ]))?;
    let exe = util::target_dir()
        .join("release")
        .join("examples")
        .join("soak");
    for store in &stores {
        println!("\nsoak: store {store}");
        let mut command = std::process::Command::new(&exe);
        command.args(["--store", store]).args(&passed);
        util::run(&mut command)?;
    }
    println!("\nsoak: {} store(s) flat", stores.len());
    Ok(())
}

/// The stores to run (the one `--store` names, or all) and the other arguments.
fn split_store(args: &[String]) -> Result<(Vec<String>, Vec<String>)> {
    let mut stores = Vec::new();
    let mut passed = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("`{arg}` needs a value"))?
            .clone();
        if arg == "--store" {
            stores.push(value);
        } else {
            passed.extend([arg.clone(), value]);
        }
    }
    if stores.is_empty() {
        stores = STORES.iter().map(|s| (*s).to_owned()).collect();
    }
    Ok((stores, passed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_store_unless_one_is_named() {
        let (stores, passed) = split_store(&args(&["--requests", "10"])).unwrap();
        assert_eq!(stores, ["memory", "tiered"]);
        assert_eq!(passed, ["--requests", "10"]);
        let (stores, passed) = split_store(&args(&["--store", "tiered"])).unwrap();
        assert_eq!(stores, ["tiered"]);
        assert!(passed.is_empty());
        assert!(split_store(&args(&["--requests"])).is_err());
    }
}
