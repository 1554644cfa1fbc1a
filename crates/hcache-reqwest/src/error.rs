//! The engine's failure as the middleware chain's error: the caller sees its own client's
//! error whenever there is one.

use hcache_core::Error as EngineError;
use reqwest_middleware::Error;

/// Maps an engine error back to the `reqwest_middleware::Error` the rest of the chain
/// returned (a `reqwest::Error` or another middleware's error, unchanged); anything else
/// becomes [`Error::Middleware`] with the engine's error and its sources intact.
pub(crate) fn from_engine(err: EngineError) -> Error {
    match err {
        EngineError::Upstream(source) => match source.downcast::<Error>() {
            Ok(chain) => *chain,
            Err(source) => match source.downcast::<reqwest::Error>() {
                Ok(client) => Error::Reqwest(*client),
                Err(source) => Error::Middleware(EngineError::Upstream(source).into()),
            },
        },
        other => Error::Middleware(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_middlewares_error_comes_back_unchanged() {
        let chain = Error::Middleware(anyhow::anyhow!("auth refused"));
        let err = from_engine(EngineError::Upstream(Box::new(chain)));
        match err {
            Error::Middleware(e) => assert_eq!(e.to_string(), "auth refused"),
            other => panic!("expected the middleware error, got {other:?}"),
        }
    }

    #[test]
    fn a_foreign_error_keeps_its_source_chain() {
        let io = std::io::Error::other("socket gone");
        let err = from_engine(EngineError::Upstream(Box::new(io)));
        let Error::Middleware(e) = err else {
            panic!("expected a middleware error");
        };
        let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
        assert_eq!(chain, ["upstream request failed", "socket gone"]);
        assert!(e.chain().any(|c| c.is::<std::io::Error>()));
    }
}
