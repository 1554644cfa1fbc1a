//! What can fail in this adapter itself: converting between surf's types and `http`'s.

/// A request or response that surf's types (http-types) and the `http` crate's cannot both
/// represent. Reaches the caller inside a [`surf::Error`]; find it with
/// [`surf::Error::downcast_ref`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// A method one of the two crates does not know.
    #[error("method {0:?} cannot be represented")]
    Method(String),
    /// A URL that is not a valid `http` request target.
    #[error("URL {url:?} is not a valid request target")]
    Uri {
        /// The URL.
        url: String,
        /// Why `http` refused it.
        #[source]
        source: http::uri::InvalidUri,
    },
    /// A request target that is not a valid URL.
    #[error("request target {uri:?} is not a valid URL")]
    Url {
        /// The target.
        uri: String,
        /// Why the URL parser refused it.
        #[source]
        source: surf::http::url::ParseError,
    },
    /// A field name that is not an HTTP token (http-types accepts any ASCII).
    #[error("field name {name:?} is not an HTTP token")]
    FieldName {
        /// The name.
        name: String,
        /// Why `http` refused it.
        #[source]
        source: http::header::InvalidHeaderName,
    },
    /// A status code http-types does not know (it holds only registered codes).
    #[error("status code {0} cannot be represented by http-types")]
    Status(u16),
    /// A response surf's h1 client frames differently from RFC 9112 (an interim response
    /// handed over as final, `Content-Length` values that disagree): what surf hands over is
    /// not what the origin sent.
    #[error("response framing surf's client cannot read: {0}")]
    Framing(&'static str),
}
