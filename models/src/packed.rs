//! Fixed-width fields packed into one integer: the compact per-user arrays of the model
//! states (a few bits per user instead of a `Vec`), so that states hash and copy cheaply.

/// `width`-bit field number `index` of `word`.
#[inline]
pub(crate) fn get(word: u128, width: u32, index: usize) -> u8 {
    ((word >> (width * index as u32)) & ((1u128 << width) - 1)) as u8
}

/// `word` with `width`-bit field number `index` set to `value`.
#[inline]
pub(crate) fn set(word: u128, width: u32, index: usize, value: u8) -> u128 {
    let shift = width * index as u32;
    let mask = ((1u128 << width) - 1) << shift;
    (word & !mask) | ((u128::from(value) << shift) & mask)
}

/// [`get`] for a `u64` word (no 128-bit shifts).
#[inline]
pub(crate) fn get64(word: u64, width: u32, index: usize) -> u8 {
    ((word >> (width * index as u32)) & ((1u64 << width) - 1)) as u8
}

/// [`set`] for a `u64` word (no 128-bit shifts).
#[inline]
pub(crate) fn set64(word: u64, width: u32, index: usize, value: u8) -> u64 {
    let shift = width * index as u32;
    let mask = ((1u64 << width) - 1) << shift;
    (word & !mask) | ((u64::from(value) << shift) & mask)
}

/// How many of the first `n` `width`-bit fields of `word` equal `value`, without a loop over
/// the fields: XOR makes matching fields zero, OR-folding each field's bits into its lowest
/// bit marks the non-zero ones, and a popcount counts them.
/// `low` is [`low_bits`]`(width, n)`, computed once by the caller.
#[inline]
pub(crate) fn count_equal(word: u64, width: u32, low: u64, value: u8) -> u32 {
    let x = word ^ (low * u64::from(value));
    let mut folded = 0u64;
    for j in 0..width {
        folded |= x >> j;
    }
    low.count_ones() - (folded & low).count_ones()
}

/// The lowest bit of each of the first `n` `width`-bit fields.
pub(crate) fn low_bits(width: u32, n: usize) -> u64 {
    (0..n).fold(0, |low, i| low | 1u64 << (width * i as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_equal_matches_a_loop() {
        let mut w = 0;
        let values = [0u8, 5, 3, 5, 5, 0, 7, 1, 5, 2];
        for (i, v) in values.iter().enumerate() {
            w = set(w, 3, i, *v);
        }
        for value in 0..8 {
            for n in 0..=values.len() {
                let expected = values[..n].iter().filter(|&&v| v == value).count() as u32;
                assert_eq!(
                    count_equal(w as u64, 3, low_bits(3, n), value),
                    expected,
                    "value {value}, n {n}"
                );
            }
        }
    }

    #[test]
    fn u64_fields_match_u128_fields() {
        let mut w = 0u64;
        for i in 0..21 {
            w = set64(w, 3, i, (i % 8) as u8);
            assert_eq!(w as u128, set(w as u128, 3, i, (i % 8) as u8));
        }
        for i in 0..21 {
            assert_eq!(get64(w, 3, i), get(w as u128, 3, i));
        }
    }

    #[test]
    fn fields_are_independent() {
        let mut w = 0;
        for i in 0..16 {
            w = set(w, 8, i, (i * 7) as u8);
        }
        w = set(w, 8, 3, 200);
        for i in 0..16 {
            let want = if i == 3 { 200 } else { (i * 7) as u8 };
            assert_eq!(get(w, 8, i), want);
        }
    }
}
