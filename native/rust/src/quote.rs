//! The header's arithmetic: integer cents, basis points, round half to even.

use crate::abi::SEAM_MAX_BP;
use crate::rules::Rule;

/// n / 10000 with banker's rounding; n >= 0.
pub fn round_half_even(n: i64) -> i64 {
    let (q, r) = (n / 10000, n % 10000);
    if r > 5000 || (r == 5000 && q % 2 == 1) {
        q + 1
    } else {
        q
    }
}

pub struct Quote {
    pub final_price: i64,
    pub discount: i64,
    pub tax: i64,
}

pub fn price(rule: &Rule, subtotal: i64, coupon: &[u8]) -> Quote {
    let mut bp = i64::from(rule.discount_bp);
    if !coupon.is_empty() && !rule.code.is_empty() && coupon == rule.code.as_slice() {
        bp += i64::from(rule.extra_bp);
    }
    let bp = bp.min(i64::from(SEAM_MAX_BP));
    let discount = round_half_even(subtotal * bp);
    let taxable = subtotal - discount;
    let tax = round_half_even(taxable * i64::from(rule.tax_bp));
    Quote { final_price: taxable + tax, discount, tax }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banker_rounding() {
        assert_eq!(round_half_even(7_425_000), 742); // 742.5 -> even
        assert_eq!(round_half_even(495_000), 50); // 49.5 -> 50
        assert_eq!(round_half_even(165_000), 16); // 16.5 -> 16
        assert_eq!(round_half_even(7_425_825), 743);
    }

    #[test]
    fn prices_to_the_cent() {
        let r = Rule { discount_bp: 1500, tax_bp: 825, code: b"SAVE10".to_vec(), extra_bp: 1000 };
        let q = price(&r, 10000, b"SAVE10");
        assert_eq!((q.final_price, q.discount, q.tax), (8119, 2500, 619));
        let q = price(&r, 10000, b"");
        assert_eq!((q.final_price, q.discount, q.tax), (9201, 1500, 701));
    }
}
