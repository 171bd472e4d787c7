//! State fingerprints: a fixed-seed 64-bit hash, identical in every process and on every run.
//!
//! The engine keeps fingerprints, not states, and a cluster partitions them between processes,
//! so the function must not depend on a per-process random seed (std's `RandomState`) or on the
//! CPU's features (ahash picks AES instructions where present). This is a plain
//! multiply-and-fold hasher over the bytes `Hash` writes, with a final avalanche, the same on
//! every x86_64/aarch64 machine running the same binary (`Hash` writes integers in native byte
//! order, so processes of one run must share an architecture, as timely's do).
//!
//! Collisions: two distinct states with one fingerprint make the search treat the second as
//! visited. [`collision_probability`] states the chance as TLC does.

use std::hash::{Hash, Hasher};

const SEED: u64 = 0x243f_6a88_85a3_08d3; // π's fractional bits: nothing up the sleeve
const K0: u64 = 0x9e37_79b9_7f4a_7c15;
const K1: u64 = 0xc2b2_ae3d_27d4_eb4f;

/// The fingerprint of `value`.
#[inline]
pub fn fingerprint<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = FpHasher::default();
    value.hash(&mut h);
    h.finish()
}

/// The hasher behind [`fingerprint`].
#[derive(Debug, Clone, Copy)]
pub struct FpHasher {
    acc: u64,
}

impl Default for FpHasher {
    fn default() -> Self {
        FpHasher { acc: SEED }
    }
}

#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let p = (a as u128).wrapping_mul(b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

impl FpHasher {
    #[inline(always)]
    fn mix(&mut self, word: u64) {
        self.acc = fold(self.acc ^ word, K0).rotate_left(23);
    }
}

impl Hasher for FpHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            // the length keeps "a" and "a\0" apart
            self.mix(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(i as u64 | 0x100);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.mix(i as u64 | 0x2_0000);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(i as u64 | 0x4_0000_0000);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // murmur3's fmix64: every input bit reaches every output bit
        let mut x = self.acc ^ K1;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^= x >> 33;
        x
    }
}

/// TLC's "optimistic" estimate of the probability that some fingerprint collided:
/// `distinct × (generated − distinct) / 2^64` for 64-bit fingerprints.
pub fn collision_probability(distinct: u64, generated: u64) -> f64 {
    let d = distinct as f64;
    let g = generated.max(distinct) as f64;
    d * (g - d) / 2f64.powi(64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_across_runs() {
        // Pinned: a change here changes every process's partition and must be deliberate.
        assert_eq!(
            fingerprint(&(1u8, 2u64, "ab")),
            fingerprint(&(1u8, 2u64, "ab"))
        );
        assert_ne!(fingerprint(&[0u8; 0][..]), fingerprint(&[0u8][..]));
        assert_ne!(fingerprint(&(1u64, 2u64)), fingerprint(&(2u64, 1u64)));
        assert_eq!(fingerprint(&42u64), PINNED_42, "{:#x}", fingerprint(&42u64));
    }

    const PINNED_42: u64 = 0xf9f5_2048_cc67_2f32;

    #[test]
    fn low_and_high_bits_spread() {
        let mut low = [0u32; 16];
        let mut high = [0u32; 16];
        for i in 0..16_000u64 {
            let f = fingerprint(&i);
            low[(f & 15) as usize] += 1;
            high[(f >> 60) as usize] += 1;
        }
        for b in low.iter().chain(high.iter()) {
            assert!((800..1200).contains(b), "{low:?} {high:?}");
        }
    }

    #[test]
    fn tlc_style_estimate() {
        assert_eq!(collision_probability(10, 10), 0.0);
        let p = collision_probability(5_729_787, 45_000_000);
        assert!((1.2e-5..1.3e-5).contains(&p), "{p}");
    }
}
