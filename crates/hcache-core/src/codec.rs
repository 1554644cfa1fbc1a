//! The persisted form of a [`StoredResponse`], for stores that keep entries outside memory.
//!
//! A stored entry must be readable by a later process, possibly a later version of hcache, and
//! must never turn into a different response: decoding checks every length and every field
//! and rejects what it does not understand, so a store treats the entry as a miss (RFC 9111
//! §3 gives a cache no obligation to keep anything) instead of serving it.
//!
//! Layout (integers big-endian; `bytes` is a `u32` length then that many bytes):
//!
//! ```text
//! magic "hcSR" · version u8 (1)
//! status u16 · HTTP version u8 (0 = 0.9, 1 = 1.0, 2 = 1.1, 3 = 2, 4 = 3)
//! request time, response time: seconds i64 · nanoseconds u32 (from the UNIX epoch; a time
//!     before 1970 has negative seconds and non-negative nanoseconds)
//! header lines u32 · for each: name bytes · value bytes   (repeated lines kept, in order)
//! Vary fields u32 · for each: name bytes · tag u8 (0 absent, 1 present) · [value bytes]
//! ```
//!
//! Nothing may follow. The parsed facts the policy reads (directives, dates) are not stored:
//! they are parsed again from the header section when decoded
//! ([`StoredResponse::from_parts`]), so a newer hcache reads them its own way.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{HeaderName, HeaderValue, InvalidHeaderName, InvalidHeaderValue};
use http::{HeaderMap, StatusCode, Version};

use crate::options::CacheOptions;
use crate::stored::StoredResponse;
use crate::vary::VaryKey;

const MAGIC: &[u8; 4] = b"hcSR";
/// The format version [`encode_stored`] writes and [`decode_stored`] reads.
pub const FORMAT_VERSION: u8 = 1;

/// Why bytes could not be decoded as a stored response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes do not start with the format's magic.
    #[error("not a stored response (bad magic)")]
    BadMagic,
    /// A format version this hcache does not read.
    #[error("unsupported stored-response format version {0}")]
    UnsupportedVersion(u8),
    /// The bytes end inside a field, or a length points past the end.
    #[error("stored response truncated")]
    Truncated,
    /// Bytes follow the last field.
    #[error("{0} unexpected bytes after the stored response")]
    TrailingBytes(usize),
    /// The status code is outside 100..=999.
    #[error("invalid stored status code {0}")]
    InvalidStatus(u16),
    /// An unknown HTTP version code.
    #[error("invalid stored HTTP version code {0}")]
    InvalidVersion(u8),
    /// A time outside what `SystemTime` represents, or nanoseconds of a second or more.
    #[error("invalid stored time")]
    InvalidTime,
    /// A header or Vary field name that is not a valid field name.
    #[error("invalid stored field name")]
    InvalidName(#[source] InvalidHeaderName),
    /// A header field value with bytes a field value may not hold.
    #[error("invalid stored field value")]
    InvalidValue(#[source] InvalidHeaderValue),
    /// A Vary value tag other than 0 (absent) or 1 (present).
    #[error("invalid Vary value tag {0}")]
    InvalidTag(u8),
    /// More header lines than a header map holds.
    #[error("too many stored header lines")]
    TooManyHeaders(#[source] http::header::MaxSizeReached),
}

/// Encodes `response` in the persisted format (see the [module docs](self)).
pub fn encode_stored(response: &StoredResponse) -> Vec<u8> {
    let headers = response.headers();
    let mut out = Vec::with_capacity(
        64 + headers
            .iter()
            .map(|(n, v)| 8 + n.as_str().len() + v.len())
            .sum::<usize>(),
    );
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&response.status().as_u16().to_be_bytes());
    out.push(version_code(response.version()));
    put_time(&mut out, response.request_time());
    put_time(&mut out, response.response_time());
    put_u32(&mut out, headers.len());
    for (name, value) in headers {
        put_bytes(&mut out, name.as_str().as_bytes());
        put_bytes(&mut out, value.as_bytes());
    }
    let vary: Vec<_> = response.vary().fields().collect();
    put_u32(&mut out, vary.len());
    for (name, value) in vary {
        put_bytes(&mut out, name.as_str().as_bytes());
        match value {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                put_bytes(&mut out, v);
            }
        }
    }
    out
}

/// Decodes bytes written by [`encode_stored`], parsing the header section again under `opts`
/// (the options of the cache that will read it). Never panics, whatever the bytes.
pub fn decode_stored(bytes: &[u8], opts: &CacheOptions) -> Result<StoredResponse, DecodeError> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len())? != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    match r.u8()? {
        FORMAT_VERSION => {}
        v => return Err(DecodeError::UnsupportedVersion(v)),
    }
    let status = r.u16()?;
    let status = StatusCode::from_u16(status).map_err(|_| DecodeError::InvalidStatus(status))?;
    let version = version_from_code(r.u8()?)?;
    let request_time = r.time()?;
    let response_time = r.time()?;

    let lines = r.u32()?;
    // Every line takes at least 8 bytes: never reserve more than the input can describe.
    let mut headers = HeaderMap::with_capacity((lines as usize).min(r.0.len() / 8).min(1024));
    for _ in 0..lines {
        let name = HeaderName::from_bytes(r.bytes()?).map_err(DecodeError::InvalidName)?;
        let value = HeaderValue::from_bytes(r.bytes()?).map_err(DecodeError::InvalidValue)?;
        headers
            .try_append(name, value)
            .map_err(DecodeError::TooManyHeaders)?;
    }

    let count = r.u32()?;
    let mut fields = Vec::with_capacity((count as usize).min(r.0.len() / 5));
    for _ in 0..count {
        let name = HeaderName::from_bytes(r.bytes()?).map_err(DecodeError::InvalidName)?;
        let value = match r.u8()? {
            0 => None,
            1 => Some(r.bytes()?.to_vec()),
            t => return Err(DecodeError::InvalidTag(t)),
        };
        fields.push((name, value));
    }
    if !r.0.is_empty() {
        return Err(DecodeError::TrailingBytes(r.0.len()));
    }
    Ok(StoredResponse::from_parts(
        status,
        version,
        headers,
        VaryKey::from_fields(fields),
        request_time,
        response_time,
        opts,
    ))
}

fn version_code(v: Version) -> u8 {
    match v {
        Version::HTTP_09 => 0,
        Version::HTTP_10 => 1,
        Version::HTTP_2 => 3,
        Version::HTTP_3 => 4,
        _ => 2,
    }
}

fn version_from_code(code: u8) -> Result<Version, DecodeError> {
    Ok(match code {
        0 => Version::HTTP_09,
        1 => Version::HTTP_10,
        2 => Version::HTTP_11,
        3 => Version::HTTP_2,
        4 => Version::HTTP_3,
        c => return Err(DecodeError::InvalidVersion(c)),
    })
}

/// Lengths are `u32`: a field of 4 GiB or more cannot be a header value. Should one appear,
/// the saturated length makes the encoding undecodable (a miss), never a different response.
fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len());
    out.extend_from_slice(b);
}

fn put_time(out: &mut Vec<u8>, t: SystemTime) {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(e) => {
            // Before 1970: whole seconds rounded down, the rest as positive nanoseconds.
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            match d.subsec_nanos() {
                0 => (-secs, 0),
                n => (-secs - 1, 1_000_000_000 - n),
            }
        }
    };
    out.extend_from_slice(&secs.to_be_bytes());
    out.extend_from_slice(&nanos.to_be_bytes());
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.0.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u32()?;
        self.take(n as usize)
    }

    fn time(&mut self) -> Result<SystemTime, DecodeError> {
        let secs = i64::from_be_bytes(self.array()?);
        let nanos = u32::from_be_bytes(self.array()?);
        if nanos >= 1_000_000_000 {
            return Err(DecodeError::InvalidTime);
        }
        let whole = Duration::from_secs(secs.unsigned_abs());
        let t = if secs >= 0 {
            UNIX_EPOCH.checked_add(whole)
        } else {
            UNIX_EPOCH.checked_sub(whole)
        };
        t.and_then(|t| t.checked_add(Duration::from_nanos(u64::from(nanos))))
            .ok_or(DecodeError::InvalidTime)
    }
}

#[cfg(test)]
mod tests;
