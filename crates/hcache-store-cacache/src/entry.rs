//! The entry file: one small file per primary key listing its variants — id, body address
//! (cacache integrity) and size, and the encoded response head ([`hcache_core::codec`]).
//!
//! It is the only mutable thing on disk. Every change writes a whole new file beside the old
//! one and renames it over (atomic on POSIX file systems), so a reader, or a process that
//! starts after a crash, sees the old list or the new one, never a mix. A checksum over the
//! file makes a torn or bit-flipped file a miss rather than a different response.
//!
//! Layout (integers big-endian; `bytes` is a `u32` length then that many bytes):
//!
//! ```text
//! magic "hcEF" · version u8 (1) · key bytes · variants u32
//! for each variant: id u64 · body length u64 · integrity bytes · encoded head bytes
//! checksum u64 of everything before it
//! ```

const MAGIC: &[u8; 4] = b"hcEF";
const VERSION: u8 = 1;

/// One variant as listed in an entry file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub(crate) id: u64,
    /// Length of the response body (the content file holds a short header before it).
    pub(crate) body_len: u64,
    /// The content's cacache integrity string (`sha256-…`).
    pub(crate) integrity: String,
    /// The response head, as [`hcache_core::codec::encode_stored`] wrote it.
    pub(crate) head: Vec<u8>,
}

/// The decoded entry file of one key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EntryFile {
    pub(crate) key: String,
    pub(crate) variants: Vec<Listed>,
}

/// Why an entry file was rejected; the store treats it as a miss and removes the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Corrupt {
    #[error("entry file checksum mismatch")]
    Checksum,
    #[error("entry file malformed")]
    Malformed,
    #[error("entry file of an unknown format version")]
    Version,
}

impl EntryFile {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let len = 4 + 1 + 4 + self.key.len() + 4 + 8;
        let len = len
            + self
                .variants
                .iter()
                .map(|v| 8 + 8 + 4 + v.integrity.len() + 4 + v.head.len())
                .sum::<usize>();
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        put_bytes(&mut out, self.key.as_bytes());
        put_u32(&mut out, self.variants.len());
        for v in &self.variants {
            out.extend_from_slice(&v.id.to_be_bytes());
            out.extend_from_slice(&v.body_len.to_be_bytes());
            put_bytes(&mut out, v.integrity.as_bytes());
            put_bytes(&mut out, &v.head);
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_be_bytes());
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<EntryFile, Corrupt> {
        let Some(split) = bytes.len().checked_sub(8) else {
            return Err(Corrupt::Malformed);
        };
        let (body, sum) = bytes.split_at(split);
        let mut s = [0; 8];
        s.copy_from_slice(sum);
        if checksum(body) != u64::from_be_bytes(s) {
            return Err(Corrupt::Checksum);
        }
        let mut r = Reader(body);
        if r.take(4)? != MAGIC {
            return Err(Corrupt::Malformed);
        }
        if r.take(1)? != [VERSION] {
            return Err(Corrupt::Version);
        }
        let key = String::from_utf8(r.bytes()?.to_vec()).map_err(|_| Corrupt::Malformed)?;
        let n = r.u32()? as usize;
        let mut variants = Vec::with_capacity(n.min(body.len() / 24));
        for _ in 0..n {
            let id = r.u64()?;
            let body_len = r.u64()?;
            let integrity = std::str::from_utf8(r.bytes()?).map_err(|_| Corrupt::Malformed)?;
            let head = r.bytes()?.to_vec();
            variants.push(Listed {
                id,
                body_len,
                integrity: integrity.to_owned(),
                head,
            });
        }
        if !r.0.is_empty() {
            return Err(Corrupt::Malformed);
        }
        Ok(EntryFile { key, variants })
    }
}

/// A 64-bit checksum against accidental corruption (torn writes, flipped bits), not against
/// an adversary with write access to the directory. Each step is a bijection of the state for
/// a given input word, so a change confined to one word always changes the result.
pub(crate) fn checksum(data: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = 0x243F_6A88_85A3_08D3 ^ (data.len() as u64).wrapping_mul(K);
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut a = [0; 8];
        a.copy_from_slice(w);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut a = [0; 8];
        a[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    }
    h ^= h >> 31;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 29)
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    // A key or head of 4 GiB cannot occur; a saturated length fails the decode (a miss).
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len());
    out.extend_from_slice(b);
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Corrupt> {
        if n > self.0.len() {
            return Err(Corrupt::Malformed);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32, Corrupt> {
        let mut a = [0; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_be_bytes(a))
    }
    fn u64(&mut self) -> Result<u64, Corrupt> {
        let mut a = [0; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(a))
    }
    fn bytes(&mut self) -> Result<&'a [u8], Corrupt> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EntryFile {
        EntryFile {
            key: "GET http://example.com/a".into(),
            variants: vec![
                Listed {
                    id: 7,
                    body_len: 1024,
                    integrity: "sha256-abc=".into(),
                    head: b"head one".to_vec(),
                },
                Listed {
                    id: u64::MAX,
                    body_len: 0,
                    integrity: "sha256-def=".into(),
                    head: Vec::new(),
                },
            ],
        }
    }

    #[test]
    fn round_trips() {
        let e = sample();
        assert_eq!(EntryFile::decode(&e.encode()), Ok(e));
        let empty = EntryFile::default();
        assert_eq!(EntryFile::decode(&empty.encode()), Ok(empty));
    }

    #[test]
    fn every_truncation_and_every_bit_flip_is_rejected() {
        let bytes = sample().encode();
        for n in 0..bytes.len() {
            assert!(EntryFile::decode(&bytes[..n]).is_err(), "prefix of {n}");
        }
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert!(EntryFile::decode(&b).is_err(), "flip of bit {bit} at {i}");
            }
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(EntryFile::decode(&longer).is_err());
    }

    #[test]
    fn a_valid_checksum_over_a_bad_layout_is_still_rejected() {
        let mut body = sample().encode();
        body.truncate(body.len() - 8);
        body[4] = 9; // version
        let sum = checksum(&body);
        body.extend_from_slice(&sum.to_be_bytes());
        assert_eq!(EntryFile::decode(&body), Err(Corrupt::Version));
        // A variant count past the data.
        let mut body = EntryFile::default().encode();
        body.truncate(body.len() - 8);
        let n = body.len() - 4;
        body[n..].copy_from_slice(&u32::MAX.to_be_bytes());
        let sum = checksum(&body);
        body.extend_from_slice(&sum.to_be_bytes());
        assert_eq!(EntryFile::decode(&body), Err(Corrupt::Malformed));
    }
}
