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

#[cfg(test)]
mod tests {
    use super::*;

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
