//! The header's arithmetic: integer cents, basis points, round half to even.

use crate::abi::SEAM_MAX_BP;
use crate::rules::Rule;

/// n / 10000 with banker's rounding on the exact quotient; n >= 0.
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

/// Prices a subtotal already checked to be in 0..=SEAM_MAX_SUBTOTAL_CENTS: every product
/// stays below 1e15, far inside i64 (the debug build's overflow checks would say otherwise).
pub fn price(rule: &Rule, subtotal: i64, coupon: &[u8]) -> Quote {
    let mut bp = i64::from(rule.discount_bp);
    if !coupon.is_empty() && coupon == rule.code.as_slice() {
        bp += i64::from(rule.extra_bp);
    }
    let bp = bp.min(i64::from(SEAM_MAX_BP));
    let discount = round_half_even(subtotal * bp);
    let taxable = subtotal - discount;
    let tax = round_half_even(taxable * i64::from(rule.tax_bp));
    Quote {
        final_price: taxable + tax,
        discount,
        tax,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::SEAM_MAX_SUBTOTAL_CENTS;

    fn rule(discount_bp: u32, tax_bp: u32, code: &[u8], extra_bp: u32) -> Rule {
        Rule {
            discount_bp,
            tax_bp,
            code: code.to_vec(),
            extra_bp,
        }
    }

    fn cents(q: Quote) -> (i64, i64, i64) {
        (q.final_price, q.discount, q.tax)
    }

    #[test]
    fn banker_rounding() {
        assert_eq!(round_half_even(0), 0);
        assert_eq!(round_half_even(4999), 0);
        assert_eq!(round_half_even(5000), 0); // 0.5 -> 0 (even)
        assert_eq!(round_half_even(5001), 1);
        assert_eq!(round_half_even(15000), 2); // 1.5 -> 2 (even)
        assert_eq!(round_half_even(7_425_000), 742); // 742.5 -> 742
        assert_eq!(round_half_even(495_000), 50); // 49.5 -> 50
        assert_eq!(round_half_even(165_000), 16); // 16.5 -> 16
        assert_eq!(round_half_even(7_425_001), 743);
        assert_eq!(round_half_even(7_424_999), 742);
    }

    #[test]
    fn prices_to_the_cent() {
        let r = rule(1500, 825, b"SAVE10", 1000);
        assert_eq!(cents(price(&r, 10000, b"SAVE10")), (8119, 2500, 619)); // tax 618.75
        assert_eq!(cents(price(&r, 10000, b"")), (9201, 1500, 701)); // tax 701.25
        assert_eq!(cents(price(&r, 10000, b"SAVE1")), (9201, 1500, 701));
        assert_eq!(cents(price(&r, 10000, b"SAVE10\0")), (9201, 1500, 701));
        // 10% of 10000 = 1000; tax 8.25% of 9000 = 742.5 -> 742 (even).
        assert_eq!(
            cents(price(&rule(1000, 825, b"", 0), 10000, b"")),
            (9742, 1000, 742)
        );
        // discount 10% of 667 = 66.7 -> 67; tax 8.25% of 600 = 49.5 -> 50 (odd q goes up).
        assert_eq!(
            cents(price(&rule(1000, 825, b"", 0), 667, b"")),
            (650, 67, 50)
        );
        // discount 10% of 225 = 22.5 -> 22 (even); tax 8.25% of 203 = 16.7475 -> 17.
        assert_eq!(
            cents(price(&rule(1000, 825, b"", 0), 225, b"")),
            (220, 22, 17)
        );
        // discount 10% of 235 = 23.5 -> 24 (odd q goes up).
        assert_eq!(cents(price(&rule(1000, 0, b"", 0), 235, b"")), (211, 24, 0));
    }

    #[test]
    fn discount_is_capped_and_extremes_fit() {
        let r = rule(5000, 1000, b"HALF", 5000);
        assert_eq!(cents(price(&r, 12345, b"HALF")), (0, 12345, 0));
        let r = rule(9000, 10000, b"X", 10000);
        assert_eq!(cents(price(&r, 12345, b"X")), (0, 12345, 0));
        let m = SEAM_MAX_SUBTOTAL_CENTS;
        assert_eq!(cents(price(&rule(0, 10000, b"", 0), m, b"")), (2 * m, 0, m));
        assert_eq!(
            cents(price(&rule(250, 2000, b"", 0), m, b"")),
            (117_000_000_000, 2_500_000_000, 19_500_000_000)
        );
        assert_eq!(cents(price(&rule(0, 0, b"", 0), 0, b"")), (0, 0, 0));
    }
}
