//! Exact rationals: parsing decimal text (never through a binary float), rendering to a
//! fixed number of decimals, and closed rational intervals.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::fmt;

/// Exact rational number.
pub type Q = BigRational;

/// Parses a decimal literal such as `99.95`, `-0.1`, `1e6` or `2.5E-3` into an exact rational.
pub fn parse_decimal(text: &str) -> Option<Q> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (neg, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((a, b)) => (a, b),
        None => (digits, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let all = format!("{int_part}{frac_part}").replace('_', "");
    if !all.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: BigInt = all.parse().ok()?;
    let scale = exp - i32::try_from(frac_part.len()).ok()?;
    let ten = BigInt::from(10);
    let mut q = if scale >= 0 {
        Q::from_integer(n * num_traits::pow(ten, scale as usize))
    } else {
        Q::new(n, num_traits::pow(ten, (-scale) as usize))
    };
    if neg {
        q = -q;
    }
    Some(q)
}

/// Converts a TOML float to an exact rational through its shortest round-trip decimal
/// representation (Rust's `Display` for `f64`), so `0.1` in a file becomes exactly 1/10, the
/// number the author wrote, not the binary float nearest to it. `None` for NaN or infinity.
pub fn from_toml_float(x: f64) -> Option<Q> {
    if !x.is_finite() {
        return None;
    }
    parse_decimal(&format!("{x}"))
}

/// Integer from i64.
pub fn int(n: i64) -> Q {
    Q::from_integer(BigInt::from(n))
}

/// `q` rounded half away from zero to `places` decimals, rendered with exactly that many.
pub fn render_fixed(q: &Q, places: usize) -> String {
    let scale = num_traits::pow(BigInt::from(10), places);
    let scaled = q * Q::from_integer(scale.clone());
    let abs = scaled.abs();
    let floor = abs.floor().to_integer();
    let frac = abs - Q::from_integer(floor.clone());
    let rounded = if frac * int(2) >= Q::one() {
        floor + 1
    } else {
        floor
    };
    let (i, f) = rounded.div_rem(&scale);
    let sign = if q.is_negative() && !rounded_is_zero(&i, &f) {
        "-"
    } else {
        ""
    };
    if places == 0 {
        format!("{sign}{i}")
    } else {
        format!("{sign}{i}.{:0>width$}", f.to_string(), width = places)
    }
}

fn rounded_is_zero(i: &BigInt, f: &BigInt) -> bool {
    i.is_zero() && f.is_zero()
}

/// Renders a rational compactly: an integer, a terminating decimal, or `p/q (≈ d)`.
pub fn render_exact(q: &Q) -> String {
    if q.is_integer() {
        return q.to_integer().to_string();
    }
    let mut d = q.denom().clone();
    for p in [2u32, 5] {
        let pb = BigInt::from(p);
        while (&d % &pb).is_zero() {
            d /= &pb;
        }
    }
    if d.is_one() {
        // Terminating decimal: find the number of places.
        for places in 1..=60 {
            let s = num_traits::pow(BigInt::from(10), places);
            if (q * Q::from_integer(s)).is_integer() {
                return render_fixed(q, places);
            }
        }
    }
    format!("{}/{} (≈ {})", q.numer(), q.denom(), render_fixed(q, 6))
}

/// A closed interval `[lo, hi]` of rationals with `lo <= hi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    /// Lower end.
    pub lo: Q,
    /// Upper end.
    pub hi: Q,
}

impl Interval {
    /// The degenerate interval `[q, q]`.
    pub fn point(q: Q) -> Self {
        Interval {
            lo: q.clone(),
            hi: q,
        }
    }
    /// `[lo, hi]`; the caller guarantees `lo <= hi`.
    pub fn new(lo: Q, hi: Q) -> Self {
        debug_assert!(lo <= hi);
        Interval { lo, hi }
    }
    /// `hi - lo`.
    pub fn width(&self) -> Q {
        &self.hi - &self.lo
    }
    /// True when the interval is one exact number.
    pub fn is_point(&self) -> bool {
        self.lo == self.hi
    }
    /// Interval sum.
    pub fn add(&self, o: &Interval) -> Interval {
        Interval::new(&self.lo + &o.lo, &self.hi + &o.hi)
    }
    /// Interval difference.
    pub fn sub(&self, o: &Interval) -> Interval {
        Interval::new(&self.lo - &o.hi, &self.hi - &o.lo)
    }
    /// Interval negation.
    pub fn neg(&self) -> Interval {
        Interval::new(-&self.hi, -&self.lo)
    }
    /// Interval product.
    pub fn mul(&self, o: &Interval) -> Interval {
        let c = [
            &self.lo * &o.lo,
            &self.lo * &o.hi,
            &self.hi * &o.lo,
            &self.hi * &o.hi,
        ];
        let lo = c.iter().min().cloned().unwrap_or_else(Q::zero);
        let hi = c.iter().max().cloned().unwrap_or_else(Q::zero);
        Interval::new(lo, hi)
    }
    /// Interval quotient; `None` when the divisor contains zero.
    pub fn div(&self, o: &Interval) -> Option<Interval> {
        if o.lo <= Q::zero() && o.hi >= Q::zero() {
            return None;
        }
        let inv = Interval::new(o.hi.recip(), o.lo.recip());
        Some(self.mul(&inv))
    }
    /// Natural power.
    pub fn pow(&self, k: u32) -> Interval {
        let mut acc = Interval::point(Q::one());
        for _ in 0..k {
            acc = acc.mul(self);
        }
        if k & 1 == 0 && self.lo < Q::zero() && self.hi > Q::zero() {
            acc.lo = Q::zero();
        }
        acc
    }
    /// Midpoint.
    pub fn mid(&self) -> Q {
        (&self.lo + &self.hi) / int(2)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_point() {
            write!(f, "{}", render_exact(&self.lo))
        } else {
            write!(
                f,
                "[{}, {}]",
                render_fixed(&self.lo, 9),
                render_fixed(&self.hi, 9)
            )
        }
    }
}

/// Rounds `q` down (`up = false`) or up to a multiple of `2^-bits`, to keep numbers small.
pub fn round_dyadic(q: &Q, bits: u32, up: bool) -> Q {
    let s = Q::from_integer(BigInt::one() << bits);
    let scaled = q * &s;
    let r = if up { scaled.ceil() } else { scaled.floor() };
    r / s
}

/// Floor of the square root of a non-negative integer.
pub fn isqrt(n: &BigInt) -> BigInt {
    n.sqrt()
}

/// Sound rational bounds of `sqrt(q)` with `2^-bits` accuracy; `None` for negative `q`.
pub fn sqrt_interval(q: &Q, bits: u32) -> Option<Interval> {
    if q.is_negative() {
        return None;
    }
    let s = BigInt::one() << (2 * bits);
    // floor(sqrt(floor(q * 4^bits))) / 2^bits <= sqrt(q) <= (isqrt(ceil(q*4^bits)) + 1) / 2^bits
    let lo_n = (q * Q::from_integer(s.clone())).floor().to_integer();
    let hi_n = (q * Q::from_integer(s)).ceil().to_integer();
    let d = Q::from_integer(BigInt::one() << bits);
    let lo = Q::from_integer(isqrt(&lo_n)) / &d;
    let r = isqrt(&hi_n);
    let hi = if &r * &r == hi_n {
        Q::from_integer(r) / &d
    } else {
        Q::from_integer(r + 1) / &d
    };
    Some(Interval::new(lo, hi))
}

/// Best-effort f64 view, only for display-free uses such as proptest generators.
pub fn to_f64(q: &Q) -> f64 {
    q.to_f64().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_decimal("0.1"), Some(Q::new(1.into(), 10.into())));
        assert_eq!(parse_decimal("99.95"), Some(Q::new(1999.into(), 20.into())));
        assert_eq!(parse_decimal("1e6"), Some(int(1_000_000)));
        assert_eq!(
            parse_decimal("-2.5E-1"),
            Some(Q::new((-1).into(), 4.into()))
        );
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal("."), None);
        assert_eq!(from_toml_float(0.1), parse_decimal("0.1"));
        assert_eq!(from_toml_float(f64::NAN), None);
    }

    #[test]
    fn fixed_rendering_rounds_half_away() {
        assert_eq!(
            render_fixed(&parse_decimal("223.1071").unwrap(), 3),
            "223.107"
        );
        assert_eq!(render_fixed(&parse_decimal("0.0005").unwrap(), 3), "0.001");
        assert_eq!(render_fixed(&parse_decimal("-1.25").unwrap(), 1), "-1.3");
        assert_eq!(render_exact(&parse_decimal("99.95").unwrap()), "99.95");
    }

    #[test]
    fn sqrt_bounds_contain_the_root() {
        let i = sqrt_interval(&int(2), 40).unwrap();
        assert!(&i.lo * &i.lo <= int(2) && &i.hi * &i.hi >= int(2));
        let e = sqrt_interval(&int(49), 10).unwrap();
        assert_eq!(e, Interval::point(int(7)));
    }
}
