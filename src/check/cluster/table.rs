//! One worker's share of the visited set: fingerprint → parent fingerprint, for the
//! fingerprints it owns. Membership is the search's deduplication; the parent records are what
//! a counterexample is walked back along (TLC's trace file keeps the same pair per state).

/// Open addressing with linear probing, at most 3/4 full, 16 bytes a slot. The home slot is
/// taken from the fingerprint's low bits: the high bits choose the owner (see
/// [`super::search::owner`]), so within one owner they are nearly constant.
#[derive(Debug)]
pub(crate) struct ParentTable {
    /// `(fingerprint, parent)`; fingerprint 0 marks an empty slot (0 itself is kept aside).
    slots: Vec<(u64, u64)>,
    len: usize,
    /// The parent of fingerprint 0, when that fingerprint is present.
    zero: Option<u64>,
}

impl ParentTable {
    /// An empty table.
    pub(crate) fn new() -> Self {
        ParentTable {
            slots: vec![(0, 0); 1 << 12],
            len: 0,
            zero: None,
        }
    }

    fn find(&self, fp: u64) -> (usize, bool) {
        let mask = self.slots.len() - 1;
        let mut i = fp as usize & mask;
        loop {
            match self.slots[i].0 {
                0 => return (i, false),
                f if f == fp => return (i, true),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// True when `fp` is present.
    pub(crate) fn contains(&self, fp: u64) -> bool {
        if fp == 0 {
            return self.zero.is_some();
        }
        self.find(fp).1
    }

    /// The parent recorded for `fp`.
    pub(crate) fn parent(&self, fp: u64) -> Option<u64> {
        if fp == 0 {
            return self.zero;
        }
        match self.find(fp) {
            (i, true) => Some(self.slots[i].1),
            _ => None,
        }
    }

    /// Records `fp` with `parent` unless present; true when it was new.
    pub(crate) fn insert(&mut self, fp: u64, parent: u64) -> bool {
        if fp == 0 {
            if self.zero.is_some() {
                return false;
            }
            self.zero = Some(parent);
            self.len += 1;
            return true;
        }
        let (i, present) = self.find(fp);
        if present {
            return false;
        }
        self.slots[i] = (fp, parent);
        self.len += 1;
        if self.len * 4 > self.slots.len() * 3 {
            self.grow();
        }
        true
    }

    fn grow(&mut self) {
        let doubled = vec![(0, 0); self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        let mask = self.slots.len() - 1;
        for (fp, parent) in old.into_iter().filter(|s| s.0 != 0) {
            let mut i = fp as usize & mask;
            while self.slots[i].0 != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = (fp, parent);
        }
    }

    /// Fingerprints recorded.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_finds_and_grows() {
        let mut t = ParentTable::new();
        for fp in 0..20_000u64 {
            assert!(t.insert(fp.wrapping_mul(0x9e37_79b9_7f4a_7c15), fp));
        }
        for fp in 0..20_000u64 {
            let key = fp.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            assert!(!t.insert(key, 7), "{fp} admitted twice");
            assert_eq!(t.parent(key), Some(fp));
        }
        assert_eq!(t.len(), 20_000);
        assert!(t.contains(0), "fingerprint 0 is kept aside");
        assert_eq!(t.parent(12345), None);
    }
}
