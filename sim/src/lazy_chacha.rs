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

impl LazyChaCha8 {
    fn refill(&mut self) {
        let mut init = [0u32; 16];
        init[..4].copy_from_slice(&CONSTANTS);
        init[4..12].copy_from_slice(&self.key);
        init[12] = self.counter as u32;
        init[13] = (self.counter >> 32) as u32;
        let mut s = init;
        for _ in 0..4 {
            quarter(&mut s, 0, 4, 8, 12);
            quarter(&mut s, 1, 5, 9, 13);
            quarter(&mut s, 2, 6, 10, 14);
            quarter(&mut s, 3, 7, 11, 15);
            quarter(&mut s, 0, 5, 10, 15);
            quarter(&mut s, 1, 6, 11, 12);
            quarter(&mut s, 2, 7, 8, 13);
            quarter(&mut s, 3, 4, 9, 14);
        }
        for (o, i) in s.iter_mut().zip(init) {
            *o = o.wrapping_add(i);
        }
        self.block = s;
        self.counter = self.counter.wrapping_add(1);
        self.index = 0;
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
}
