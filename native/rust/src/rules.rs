//! Rules text: parsing (the header's grammar, strictly) and the canonical export and
//! describe formats.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::abi::{
    SEAM_MAX_BP, SEAM_MAX_COUPON_LEN, SEAM_MAX_LINE_LEN, SEAM_MAX_REGION_ID, SEAM_MAX_RULES,
    SEAM_MAX_RULES_TEXT, SEAM_TIER_COUNT,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub discount_bp: u32,
    pub tax_bp: u32,
    /// Empty: the rule has no coupon.
    pub code: Vec<u8>,
    pub extra_bp: u32,
}

/// Keyed by (region, tier); BTreeMap gives the canonical export order.
pub type RuleSet = BTreeMap<(u32, u32), Rule>;

/// 1 to 5 ASCII digits.
fn number(field: &[u8]) -> Option<u32> {
    if field.is_empty() || field.len() > 5 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(field.iter().fold(0u32, |v, d| v * 10 + u32::from(d - b'0')))
}

fn parse_line(line: &[u8]) -> Option<((u32, u32), Rule)> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b',').collect();
    if fields.len() != 4 && fields.len() != 5 {
        return None;
    }
    let region = number(fields[0]).filter(|&r| r <= SEAM_MAX_REGION_ID)?;
    let tier = number(fields[1]).filter(|&t| t < SEAM_TIER_COUNT)?;
    let discount_bp = number(fields[2]).filter(|&b| b <= SEAM_MAX_BP)?;
    let tax_bp = number(fields[3]).filter(|&b| b <= SEAM_MAX_BP)?;
    let mut rule = Rule { discount_bp, tax_bp, code: Vec::new(), extra_bp: 0 };
    if let Some(coupon) = fields.get(4) {
        let colon = coupon.iter().position(|&b| b == b':')?;
        let (code, extra) = (&coupon[..colon], &coupon[colon + 1..]);
        if code.is_empty()
            || code.len() > SEAM_MAX_COUPON_LEN as usize
            || !code.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return None;
        }
        rule.extra_bp = number(extra).filter(|&b| b <= SEAM_MAX_BP)?;
        rule.code = code.to_vec();
    }
    Some(((region, tier), rule))
}

/// Parses a whole rules text; the error is the message for seam_last_error.
pub fn parse(text: &[u8]) -> Result<RuleSet, &'static str> {
    if text.len() > SEAM_MAX_RULES_TEXT as usize {
        return Err("bad input: rules text longer than SEAM_MAX_RULES_TEXT");
    }
    if std::str::from_utf8(text).is_err() {
        return Err("bad input: rules text is not valid UTF-8");
    }
    let mut rules = RuleSet::new();
    let mut count = 0usize;
    let mut rest = text;
    while !rest.is_empty() {
        let (mut line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        // One '\r' directly before '\n' or at the end of the text is not part of the line.
        if let Some((b'\r', head)) = line.split_last() {
            line = head;
        }
        if line.len() > SEAM_MAX_LINE_LEN as usize {
            return Err("bad input: a line is longer than SEAM_MAX_LINE_LEN");
        }
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        count += 1;
        if count > SEAM_MAX_RULES as usize {
            return Err("bad input: more than SEAM_MAX_RULES rules");
        }
        let (key, rule) = parse_line(line).ok_or("bad input: malformed rule line")?;
        if rules.insert(key, rule).is_some() {
            return Err("bad input: duplicate region,tier");
        }
    }
    Ok(rules)
}

/// Canonical export: one line per rule, sorted by (region, tier).
pub fn export(rules: &RuleSet) -> Vec<u8> {
    let mut s = String::new();
    for (&(region, tier), r) in rules {
        let _ = write!(s, "{region},{tier},{},{}", r.discount_bp, r.tax_bp);
        if !r.code.is_empty() {
            let _ = write!(s, ",{}:{}", String::from_utf8_lossy(&r.code), r.extra_bp);
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// The describe text of one region (empty when it has no rules).
pub fn describe(rules: &RuleSet, region: u32) -> Vec<u8> {
    let mut s = String::new();
    for (&(_, tier), r) in rules.range((region, 0)..=(region, u32::MAX)) {
        let _ = write!(s, "tier={tier} discount_bp={} tax_bp={}", r.discount_bp, r.tax_bp);
        if !r.code.is_empty() {
            let _ = write!(s, " coupon={} extra_bp={}", String::from_utf8_lossy(&r.code), r.extra_bp);
        }
        s.push('\n');
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_exports_canonically() {
        let rules = parse(b"# c\r\n7,0,5000,1000,HALF:5000\n1,0,01000,825\r").unwrap();
        assert_eq!(export(&rules), b"1,0,1000,825\n7,0,5000,1000,HALF:5000\n".to_vec());
        assert_eq!(describe(&rules, 7), b"tier=0 discount_bp=5000 tax_bp=1000 coupon=HALF extra_bp=5000\n".to_vec());
    }

    #[test]
    fn rejects_what_the_header_rejects() {
        for bad in [
            &b"1,0,1000"[..], b"1,3,0,0", b"65536,0,0,0", b"000001,0,0,0", b"1,0,0,0,save:1",
            b"1,0,0,0,:1", b"1,0,0,0\n1,0,5,5", b"#\xff", b"1,0,0,0 ", b"1,0,0\r,0",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(parse(b"").unwrap().is_empty());
    }
}
