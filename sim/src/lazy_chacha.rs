//! ChaCha8 computed one 64-byte block at a time: the same numbers as
//! `rand_chacha::ChaCha8Rng` (same seeding, same word order), for streams
//! that draw only a few words.
//!
//! Why: every message attempt draws its fate from a fresh labelled stream
//! (`rng::stream`), four or five words. `ChaCha8Rng` computes four blocks
//! (256 bytes) whenever its buffer is empty, so three quarters of that work
//! was thrown away for every message, and seeding and refilling streams
//! was a fifth of a sweep seed's time. The output is pinned to
//! `ChaCha8Rng`'s by a test, so no trace changes.

use rand::{RngCore, SeedableRng};

/// A ChaCha8 stream (block counter from 0, stream id 0) that computes each
/// block when it is first needed.
#[derive(Debug, Clone)]
pub struct LazyChaCha8 {
    key: [u32; 8],
    counter: u64,
    block: [u32; 16],
    /// Next unread word of `block`; 16 when it is used up.
    index: usize,
}

const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

#[inline(always)]
fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// ChaCha8's rounds over the state `$s` with the quarter round `$quarter`
/// (on words, or on lanes of words): four double rounds, columns then
/// diagonals. One schedule for both.
macro_rules! eight_rounds {
    ($quarter:ident, $s:ident) => {
        for _ in 0..4 {
            $quarter(&mut $s, 0, 4, 8, 12);
            $quarter(&mut $s, 1, 5, 9, 13);
            $quarter(&mut $s, 2, 6, 10, 14);
            $quarter(&mut $s, 3, 7, 11, 15);
            $quarter(&mut $s, 0, 5, 10, 15);
            $quarter(&mut $s, 1, 6, 11, 12);
            $quarter(&mut $s, 2, 7, 8, 13);
            $quarter(&mut $s, 3, 4, 9, 14);
        }
    };
}

impl LazyChaCha8 {
    fn refill(&mut self) {
        let mut init = [0u32; 16];
        init[..4].copy_from_slice(&CONSTANTS);
        init[4..12].copy_from_slice(&self.key);
        init[12] = self.counter as u32;
        init[13] = (self.counter >> 32) as u32;
        let mut s = init;
        eight_rounds!(quarter, s);
        for (o, i) in s.iter_mut().zip(init) {
            *o = o.wrapping_add(i);
        }
        self.block = s;
        self.counter = self.counter.wrapping_add(1);
        self.index = 0;
    }
}

/// Streams whose first blocks are computed together, eight at a time.
const LANES: usize = 8;

impl LazyChaCha8 {
    /// The streams `seed_from_u64` gives for each of `seeds`, in order,
    /// with their first blocks already computed: eight at a time, a stream
    /// per SIMD lane, where the CPU has AVX2.
    ///
    /// Why: a sweep seed's largest single cost was the first ChaCha8 block
    /// of each message attempt's stream, one at a time. Eight streams'
    /// blocks cost about what one did. The numbers are the same on every
    /// path (pinned to `seed_from_u64` by a test), so no trace changes.
    pub fn many_from_u64(seeds: &[u64], out: &mut Vec<LazyChaCha8>) {
        out.clear();
        out.extend(seeds.iter().map(|&s| LazyChaCha8::seed_from_u64(s)));
        let vectorised = first_blocks_simd(out);
        for s in &mut out[vectorised..] {
            s.refill();
        }
    }
}

/// Computes the first block of as many whole groups of [`LANES`] fresh
/// streams at the front of `streams` as the CPU allows; returns how many.
/// (Padding the last few into a group of their own measured the same.)
#[cfg(target_arch = "x86_64")]
fn first_blocks_simd(streams: &mut [LazyChaCha8]) -> usize {
    if !std::arch::is_x86_feature_detected!("avx2") {
        return 0;
    }
    let mut done = 0;
    for group in streams.chunks_exact_mut(LANES) {
        // SAFETY: AVX2 is present, checked above.
        unsafe { avx2::first_blocks(group) };
        done += LANES;
    }
    done
}

#[cfg(not(target_arch = "x86_64"))]
fn first_blocks_simd(_: &mut [LazyChaCha8]) -> usize {
    0
}

/// ChaCha8's first block for eight keys at once, lane `l` of every
/// vector holding word `w` of stream `l`'s state.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{LazyChaCha8, CONSTANTS, LANES};
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_or_si256, _mm256_set1_epi32, _mm256_setr_epi8,
        _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_slli_epi32, _mm256_srli_epi32,
        _mm256_xor_si256,
    };

    type Words = [__m256i; 16];

    #[inline]
    #[target_feature(enable = "avx2")]
    fn rotl<const L: i32, const R: i32>(x: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_slli_epi32::<L>(x), _mm256_srli_epi32::<R>(x))
    }

    /// Rotations by whole bytes are one byte shuffle each.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn rotl16(x: __m256i) -> __m256i {
        let m = _mm256_setr_epi8(
            2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11,
            8, 9, 14, 15, 12, 13,
        );
        _mm256_shuffle_epi8(x, m)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn rotl8(x: __m256i) -> __m256i {
        let m = _mm256_setr_epi8(
            3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9,
            10, 15, 12, 13, 14,
        );
        _mm256_shuffle_epi8(x, m)
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn quarter(s: &mut Words, a: usize, b: usize, c: usize, d: usize) {
        s[a] = _mm256_add_epi32(s[a], s[b]);
        s[d] = rotl16(_mm256_xor_si256(s[d], s[a]));
        s[c] = _mm256_add_epi32(s[c], s[d]);
        s[b] = rotl::<12, 20>(_mm256_xor_si256(s[b], s[c]));
        s[a] = _mm256_add_epi32(s[a], s[b]);
        s[d] = rotl8(_mm256_xor_si256(s[d], s[a]));
        s[c] = _mm256_add_epi32(s[c], s[d]);
        s[b] = rotl::<7, 25>(_mm256_xor_si256(s[b], s[c]));
    }

    /// Block 0 of each of the eight fresh streams in `group`.
    #[target_feature(enable = "avx2")]
    pub(super) fn first_blocks(group: &mut [LazyChaCha8]) {
        debug_assert!(group.len() == LANES && group.iter().all(|s| s.counter == 0));
        let zero = _mm256_setzero_si256();
        // Words 12 and 13 are the block counter (0), 14 and 15 the stream
        // id (0).
        let mut init: Words = [zero; 16];
        for (w, c) in CONSTANTS.iter().enumerate() {
            init[w] = _mm256_set1_epi32(*c as i32);
        }
        for w in 0..8 {
            let mut lanes = [0u32; LANES];
            for (lane, s) in lanes.iter_mut().zip(group.iter()) {
                *lane = s.key[w];
            }
            // SAFETY: `[u32; 8]` and `__m256i` are 32 plain bytes.
            init[4 + w] = unsafe { std::mem::transmute::<[u32; LANES], __m256i>(lanes) };
        }
        let mut s = init;
        eight_rounds!(quarter, s);
        for (o, i) in s.iter_mut().zip(init) {
            *o = _mm256_add_epi32(*o, i);
        }
        // SAFETY: as above, sixteen times.
        let words = unsafe { std::mem::transmute::<Words, [[u32; LANES]; 16]>(s) };
        for (l, stream) in group.iter_mut().enumerate() {
            for (w, word) in stream.block.iter_mut().enumerate() {
                *word = words[w][l];
            }
            stream.counter = 1;
            stream.index = 0;
        }
    }
}

impl SeedableRng for LazyChaCha8 {
    type Seed = [u8; 32];

    fn from_seed(seed: [u8; 32]) -> Self {
        let mut key = [0u32; 8];
        for (k, b) in key.iter_mut().zip(seed.chunks_exact(4)) {
            *k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        LazyChaCha8 {
            key,
            counter: 0,
            block: [0; 16],
            index: 16,
        }
    }

    /// `rand_core`'s expansion of a `u64` into the 32-byte key (PCG32, one
    /// output per key word), written straight into the key words. The eight
    /// PCG states are each computed from the seed directly (`PCG_JUMPS`),
    /// not one from the other: eight independent multiply-adds instead of a
    /// chain of eight dependent ones, once per message attempt.
    fn seed_from_u64(state: u64) -> Self {
        let mut key = [0u32; 8];
        for (k, (mul, add)) in key.iter_mut().zip(PCG_JUMPS) {
            let state = state.wrapping_mul(mul).wrapping_add(add);
            let xorshifted = (((state >> 18) ^ state) >> 27) as u32;
            *k = xorshifted.rotate_right((state >> 59) as u32);
        }
        LazyChaCha8 {
            key,
            counter: 0,
            block: [0; 16],
            index: 16,
        }
    }
}

/// PCG32's state after `i + 1` steps from `s` is `s * mul + add` for the
/// `i`th pair: `mul = MUL^(i+1)`, `add = INC * (MUL^i + ... + MUL + 1)`,
/// all modulo 2^64 (`rand_core`'s constants).
const PCG_JUMPS: [(u64, u64); 8] = {
    const MUL: u64 = 6_364_136_223_846_793_005;
    const INC: u64 = 11_634_580_027_462_260_723;
    let mut jumps = [(0u64, 0u64); 8];
    let (mut mul, mut add) = (MUL, INC);
    let mut i = 0;
    while i < 8 {
        jumps[i] = (mul, add);
        // One more step: s * mul + add, then * MUL + INC.
        mul = mul.wrapping_mul(MUL);
        add = add.wrapping_mul(MUL).wrapping_add(INC);
        i += 1;
    }
    jumps
};

impl RngCore for LazyChaCha8 {
    fn next_u32(&mut self) -> u32 {
        if self.index >= 16 {
            self.refill();
        }
        let w = self.block[self.index];
        self.index += 1;
        w
    }

    fn next_u64(&mut self) -> u64 {
        let lo = u64::from(self.next_u32());
        let hi = u64::from(self.next_u32());
        (hi << 32) | lo
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // Whole words, little-endian; a partial last word is consumed, as
        // `rand_core`'s block RNG does.
        for chunk in dest.chunks_mut(4) {
            let w = self.next_u32().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_same_numbers_as_rand_chacha() {
        for seed in (0..2_000u64).chain([u64::MAX, 1 << 63]) {
            let mut a = ChaCha8Rng::seed_from_u64(seed);
            let mut b = LazyChaCha8::seed_from_u64(seed);
            // Across several blocks, and mixing widths as the fates do.
            for i in 0..150 {
                match i % 3 {
                    0 => assert_eq!(a.next_u32(), b.next_u32(), "seed {seed} draw {i}"),
                    1 => assert_eq!(a.next_u64(), b.next_u64(), "seed {seed} draw {i}"),
                    _ => assert_eq!(
                        a.gen_range(0..=1_000i64),
                        b.gen_range(0..=1_000i64),
                        "seed {seed} draw {i}"
                    ),
                }
            }
            let (mut x, mut y) = ([0u8; 37], [0u8; 37]);
            a.fill_bytes(&mut x);
            b.fill_bytes(&mut y);
            assert_eq!(x, y, "seed {seed}");
            assert_eq!(a.next_u32(), b.next_u32(), "seed {seed} after fill");
        }
    }

    /// Streams made many at a time draw what streams made one at a time
    /// do, whatever the count (whole groups of eight and a remainder), on
    /// this CPU's path: AVX2 where present.
    #[test]
    fn many_at_once_are_the_same_streams() {
        let mut many = Vec::new();
        for n in [0usize, 1, 7, 8, 9, 16, 23, 64] {
            let seeds: Vec<u64> = (0..n as u64)
                .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ u64::MAX.wrapping_shr(i as u32))
                .collect();
            LazyChaCha8::many_from_u64(&seeds, &mut many);
            assert_eq!(many.len(), n);
            for (&seed, m) in seeds.iter().zip(&mut many) {
                let mut one = LazyChaCha8::seed_from_u64(seed);
                // Past the first block, which the lanes computed, into the
                // second, which is computed one at a time.
                for i in 0..40 {
                    assert_eq!(m.next_u32(), one.next_u32(), "n {n} seed {seed} word {i}");
                }
            }
        }
    }
}
