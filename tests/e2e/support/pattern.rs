//! Large bodies without large buffers: the origin's pattern chunks, and a checksum a reader
//! updates chunk by chunk, whatever sizes its chunks come in.

use std::sync::OnceLock;

use bytes::Bytes;

/// The longest pattern chunk.
pub const MAX_CHUNK: usize = 1 << 20;

/// How many distinct chunk starts there are (a prime, so neighbouring chunks differ).
const STARTS: usize = 251;

/// Chunk `i` of `len` bytes (`len <= MAX_CHUNK`): a window into one shared pseudo-random
/// buffer, so producing it copies nothing.
pub fn chunk(i: usize, len: usize) -> Bytes {
    assert!(
        len <= MAX_CHUNK,
        "pattern chunks are at most {MAX_CHUNK} bytes"
    );
    static BASE: OnceLock<Bytes> = OnceLock::new();
    let base = BASE.get_or_init(|| {
        // xorshift64: no short period, so windows at different starts differ.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let bytes: Vec<u8> = (0..MAX_CHUNK + STARTS)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        Bytes::from(bytes)
    });
    let start = (i * 97) % STARTS;
    base.slice(start..start + len)
}

/// The length and checksum of `count` pattern chunks of `len` bytes.
pub fn expected(count: usize, len: usize) -> (u64, u64) {
    let mut sum = Checksum::default();
    for i in 0..count {
        sum.update(&chunk(i, len));
    }
    (sum.len(), sum.finish())
}

/// A 64-bit checksum over a byte stream, fed in chunks of any size: the same bytes give the
/// same value however they were split. Word at a time (an unoptimised build reads tens of
/// MiB in well under a second).
#[derive(Debug, Clone)]
pub struct Checksum {
    hash: u64,
    len: u64,
    carry: [u8; 8],
    carried: usize,
}

impl Default for Checksum {
    fn default() -> Self {
        Checksum {
            hash: 0xcbf2_9ce4_8422_2325,
            len: 0,
            carry: [0; 8],
            carried: 0,
        }
    }
}

impl Checksum {
    fn mix(&mut self, word: u64) {
        self.hash = (self.hash ^ word)
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(29);
    }

    /// Adds the next bytes of the stream.
    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.carried > 0 {
            let take = (8 - self.carried).min(bytes.len());
            self.carry[self.carried..self.carried + take].copy_from_slice(&bytes[..take]);
            self.carried += take;
            bytes = &bytes[take..];
            if self.carried < 8 {
                return;
            }
            self.mix(u64::from_le_bytes(self.carry));
            self.carried = 0;
        }
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.mix(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        self.carry[..rest.len()].copy_from_slice(rest);
        self.carried = rest.len();
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The checksum of everything seen.
    pub fn finish(mut self) -> u64 {
        if self.carried > 0 {
            self.carry[self.carried..].fill(0);
            self.mix(u64::from_le_bytes(self.carry));
        }
        let len = self.len;
        self.mix(len);
        self.hash
    }
}

#[test]
fn checksum_ignores_how_the_stream_is_split() {
    let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 256) as u8).collect();
    let whole = {
        let mut c = Checksum::default();
        c.update(&data);
        c.finish()
    };
    for step in [1, 3, 7, 8, 9, 64, 999] {
        let mut c = Checksum::default();
        for piece in data.chunks(step) {
            c.update(piece);
        }
        assert_eq!(c.finish(), whole, "split every {step} bytes");
    }
    let mut swapped = data.clone();
    swapped.swap(10, 500);
    let mut c = Checksum::default();
    c.update(&swapped);
    assert_ne!(c.finish(), whole, "a reordering changes it");
}

#[test]
fn pattern_chunks_differ_from_their_neighbours() {
    assert_ne!(chunk(0, 4096), chunk(1, 4096));
    assert_eq!(chunk(3, 100), chunk(3, 100));
    assert_eq!(chunk(0, MAX_CHUNK).len(), MAX_CHUNK);
}
