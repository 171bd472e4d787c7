//! Shard routing checked against the name it is given: what happens to the keys when a
//! shard is added. Consistent hashing promises *monotonicity* — a key either stays or moves
//! to the new shard, so about 1/(n+1) of the keys move — while modulo hashing re-deals
//! almost every key among the old shards too. Decides §2.3's "路由算法：一致性哈希" whose code
//! is `hash_value % 32`.
//!
//! The modulo figures are exact: a uniform hash is uniform over the residues modulo
//! lcm(n, n+1), so counting those residues gives the fractions as rationals. A simulation
//! over fixed keys runs both routers side by side, so the same check that refutes the code
//! is seen to accept a real consistent-hash ring.

use super::rational::Q;
use crate::report::table::Table;
use num_integer::Integer;
use std::fmt::Write as _;

/// A way of assigning hashed keys to `shards` shards.
pub trait Router {
    /// Its name in the evidence.
    fn name(&self) -> String;
    /// The shard (0-based) of every hash in `hashes` when there are `shards` shards.
    fn assign(&self, hashes: &[u64], shards: u32) -> Vec<u32>;
}

/// `hash % shards`: the document's `route_shard`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Modulo;

impl Router for Modulo {
    fn name(&self) -> String {
        "modulo (`hash % n`)".into()
    }
    fn assign(&self, hashes: &[u64], shards: u32) -> Vec<u32> {
        hashes
            .iter()
            .map(|h| (h % u64::from(shards)) as u32)
            .collect()
    }
}

/// A consistent-hash ring: each shard owns `points` pseudo-random points of the 64-bit
/// ring, and a key goes to the first point at or after its hash (wrapping around).
#[derive(Debug, Clone, Copy)]
pub struct Ring {
    /// Points (virtual nodes) per shard.
    pub points: u32,
}

impl Router for Ring {
    fn name(&self) -> String {
        format!("consistent-hash ring ({} points per shard)", self.points)
    }
    fn assign(&self, hashes: &[u64], shards: u32) -> Vec<u32> {
        let mut ring: Vec<(u64, u32)> = (0..shards)
            .flat_map(|s| {
                (0..self.points).map(move |p| (mix((u64::from(s) << 32) | u64::from(p)), s))
            })
            .collect();
        ring.sort_unstable();
        hashes
            .iter()
            .map(|h| {
                let i = ring.partition_point(|(point, _)| point < h);
                ring[i % ring.len()].1
            })
            .collect()
    }
}

/// SplitMix64's finaliser: a fixed, portable 64-bit mixer (keys and ring points).
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hashes of keys `0..count` (fixed: every run sees the same keys).
pub fn sample_hashes(count: u64) -> Vec<u64> {
    (0..count).map(mix).collect()
}

/// What adding shard n (going from n to n+1 shards) did to a set of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resharding {
    /// Keys routed.
    pub keys: u64,
    /// Keys whose shard changed.
    pub moved: u64,
    /// Of those, keys that moved to the new shard.
    pub to_new: u64,
    /// Keys that moved from one old shard to another: consistent hashing allows none.
    pub between_old: u64,
}

impl Resharding {
    /// Whether it kept consistent hashing's promise: no key moved between old shards.
    pub fn monotone(&self) -> bool {
        self.between_old == 0
    }
}

/// Routes `hashes` with `n` and with `n + 1` shards and counts the moves.
pub fn reshard(router: &dyn Router, hashes: &[u64], n: u32) -> Resharding {
    let before = router.assign(hashes, n);
    let after = router.assign(hashes, n + 1);
    let mut r = Resharding {
        keys: hashes.len() as u64,
        moved: 0,
        to_new: 0,
        between_old: 0,
    };
    for (b, a) in before.iter().zip(&after) {
        if b != a {
            r.moved += 1;
            if *a == n {
                r.to_new += 1;
            } else {
                r.between_old += 1;
            }
        }
    }
    r
}

/// Modulo routing, exactly: the fractions of a uniform hash that move, and that move
/// between old shards, when n shards become n + 1 (counted over the lcm(n, n+1) residues).
pub fn modulo_exact(n: u32) -> (Q, Q) {
    let period = u64::from(n).lcm(&(u64::from(n) + 1));
    let residues: Vec<u64> = (0..period).collect();
    let r = reshard(&Modulo, &residues, n);
    let frac = |k: u64| Q::new(k.into(), period.into());
    (frac(r.moved), frac(r.between_old))
}

/// The decision on a routing claim.
#[derive(Debug, Clone)]
pub struct RoutingDecision {
    /// Whether the code keeps the promise of the name (`None`: the check could not tell).
    pub keeps_promise: Option<bool>,
    /// One line: why.
    pub reason: String,
    /// The computation as Markdown (inputs, both routers, the exact figures).
    pub evidence: String,
}

/// Keys in the simulation.
pub const SAMPLE_KEYS: u64 = 100_000;
/// Points per shard of the reference ring.
pub const RING_POINTS: u32 = 160;

/// Checks `code` (the router the document's code implements) against consistent hashing's
/// promise when `n` shards become `n + 1`. The reference ring is checked the same way: if
/// the check rejected it, it would decide nothing.
pub fn decide(code: &dyn Router, n: u32) -> RoutingDecision {
    let hashes = sample_hashes(SAMPLE_KEYS);
    let ring = Ring {
        points: RING_POINTS,
    };
    let of_code = reshard(code, &hashes, n);
    let of_ring = reshard(&ring, &hashes, n);
    let (moved_exact, between_exact) = modulo_exact(n);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Consistent hashing promises that when a shard is added a key either stays or moves \
         to the new shard (monotonicity), so about 1/(n+1) of the keys move. The check: route \
         the same keys with n = {n} and n + 1 = {} shards and count the keys that moved \
         between two old shards (must be 0).\n",
        n + 1
    );
    let _ = writeln!(
        md,
        "Keys: the SplitMix64 hashes of 0..{SAMPLE_KEYS} (fixed). Expected share moving to \
         the new shard under consistent hashing: 1/{} = {:.4}.\n",
        n + 1,
        1.0 / f64::from(n + 1)
    );
    let mut table = Table::new(&[
        "router",
        "keys",
        "moved",
        "to the new shard",
        "between old shards",
        "promise kept",
    ])
    .right(&[1, 2, 3, 4]);
    for (name, r) in [
        (code.name() + " — the document's code", &of_code),
        (ring.name() + " — reference", &of_ring),
    ] {
        table.row([
            name,
            r.keys.to_string(),
            format!(
                "{} ({:.2}%)",
                r.moved,
                100.0 * r.moved as f64 / r.keys as f64
            ),
            r.to_new.to_string(),
            r.between_old.to_string(),
            if r.monotone() { "yes" } else { "**no**" }.to_string(),
        ]);
    }
    md.push_str(&table.render());
    let _ = writeln!(
        md,
        "\nExactly, for modulo hashing with a uniform hash (counted over the lcm({n}, {}) residues): \
         {} of the keys move when shard {} is added, {} of them between old shards \
         (consistent hashing: 1/{} move, none between old shards).",
        n + 1,
        super::rational::render_exact(&moved_exact),
        n + 1,
        super::rational::render_exact(&between_exact),
        n + 1
    );
    let (keeps_promise, reason) = if !of_ring.monotone() {
        (
            None,
            "the check rejected the reference consistent-hash ring too: it decides nothing"
                .to_string(),
        )
    } else if of_code.monotone() {
        (
            Some(true),
            format!(
                "adding a shard to {n} moved no key between old shards ({} of {} moved, all to the new shard), as consistent hashing promises",
                of_code.moved, of_code.keys
            ),
        )
    } else {
        (
            Some(false),
            format!(
                "the code is {}: adding a shard to {n} moves {} of {} keys, {} between old shards (exactly {} of a uniform hash moves); consistent hashing moves ≈ 1/{} and none between old shards",
                code.name(),
                of_code.moved,
                of_code.keys,
                of_code.between_old,
                super::rational::render_exact(&moved_exact),
                n + 1
            ),
        )
    };
    let _ = writeln!(md, "\nDecision: {reason}.");
    RoutingDecision {
        keeps_promise,
        reason,
        evidence: md,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulo_moves_all_but_one_in_n_plus_1_exactly() {
        let (moved, between) = modulo_exact(32);
        assert_eq!(moved, Q::new(32.into(), 33.into()));
        assert_eq!(between, Q::new(31.into(), 33.into()));
        let (moved, _) = modulo_exact(4);
        assert_eq!(moved, Q::new(4.into(), 5.into()));
    }

    #[test]
    fn a_ring_is_monotone_and_moves_about_one_in_n_plus_1() {
        let hashes = sample_hashes(20_000);
        let r = reshard(
            &Ring {
                points: RING_POINTS,
            },
            &hashes,
            32,
        );
        assert!(r.monotone(), "{r:?}");
        let share = r.moved as f64 / r.keys as f64;
        assert!((0.015..0.05).contains(&share), "{share}");
    }

    #[test]
    fn the_documents_modulo_routing_breaks_the_promise() {
        let d = decide(&Modulo, 32);
        assert_eq!(d.keeps_promise, Some(false), "{}", d.reason);
        assert!(d.reason.contains("32/33"), "{}", d.reason);
        assert!(d.evidence.contains("| **no** |"));
    }

    /// A router called consistent that really is modulo must be caught.
    struct ModuloInDisguise;
    impl Router for ModuloInDisguise {
        fn name(&self) -> String {
            "consistent hashing (so it says)".into()
        }
        fn assign(&self, hashes: &[u64], shards: u32) -> Vec<u32> {
            Modulo.assign(hashes, shards)
        }
    }

    #[test]
    fn modulo_named_consistent_is_caught_and_a_real_ring_passes() {
        assert_eq!(decide(&ModuloInDisguise, 32).keeps_promise, Some(false));
        assert_eq!(
            decide(&Ring { points: 40 }, 32).keeps_promise,
            Some(true),
            "{}",
            decide(&Ring { points: 40 }, 32).reason
        );
    }
}
