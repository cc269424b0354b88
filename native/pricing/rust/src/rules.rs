//! Rules text: parsing (the header's grammar, strictly) and the canonical export and
//! describe formats.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::abi::{
    SEAM_MAX_BP, SEAM_MAX_COUPON_LEN, SEAM_MAX_LINE_LEN, SEAM_MAX_REGION_ID, SEAM_MAX_RULES,
    SEAM_MAX_RULES_TEXT, SEAM_TIER_COUNT,
};

pub const TOO_LONG: &str = "bad input: rules text longer than SEAM_MAX_RULES_TEXT";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub discount_bp: u32,
    pub tax_bp: u32,
    /// Empty: the rule has no coupon. Otherwise 1..=SEAM_MAX_COUPON_LEN bytes of [A-Z0-9].
    pub code: Vec<u8>,
    pub extra_bp: u32,
}

/// Keyed by (region, tier); BTreeMap gives the canonical export order.
pub type RuleSet = BTreeMap<(u32, u32), Rule>;

/// 1 to 5 ASCII digits, at most `max`.
fn number(field: &[u8], max: u32) -> Option<u32> {
    if field.is_empty() || field.len() > 5 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = field.iter().fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
    (v <= max).then_some(v)
}

fn parse_line(line: &[u8]) -> Option<((u32, u32), Rule)> {
    let mut fields = line.split(|&b| b == b',');
    let mut next = || fields.next();
    let region = number(next()?, SEAM_MAX_REGION_ID)?;
    let tier = number(next()?, SEAM_TIER_COUNT - 1)?;
    let discount_bp = number(next()?, SEAM_MAX_BP)?;
    let tax_bp = number(next()?, SEAM_MAX_BP)?;
    let mut rule = Rule {
        discount_bp,
        tax_bp,
        code: Vec::new(),
        extra_bp: 0,
    };
    if let Some(coupon) = next() {
        let colon = coupon.iter().position(|&b| b == b':')?;
        let (code, extra) = (&coupon[..colon], &coupon[colon + 1..]);
        if code.is_empty()
            || code.len() > SEAM_MAX_COUPON_LEN as usize
            || !code
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return None;
        }
        rule.extra_bp = number(extra, SEAM_MAX_BP)?;
        rule.code = code.to_vec();
    }
    if next().is_some() {
        return None; // a sixth field
    }
    Some(((region, tier), rule))
}

/// Parses a whole rules text; the error is the message for seam_last_error.
pub fn parse(text: &[u8]) -> Result<RuleSet, &'static str> {
    if text.len() > SEAM_MAX_RULES_TEXT as usize {
        return Err(TOO_LONG);
    }
    // RFC 3629-strict: rejects overlong forms, surrogates and code points above U+10FFFF.
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
        // Every line counts against the limit, comments and blank ones too.
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

/// A code is [A-Z0-9] by construction (parse checked it), so it is also valid str.
fn code_str(code: &[u8]) -> &str {
    std::str::from_utf8(code).unwrap_or("")
}

/// Canonical export: one line per rule, sorted by (region, tier), no leading zeros.
pub fn export(rules: &RuleSet) -> Vec<u8> {
    let mut s = String::new();
    for (&(region, tier), r) in rules {
        let _ = write!(s, "{region},{tier},{},{}", r.discount_bp, r.tax_bp);
        if !r.code.is_empty() {
            let _ = write!(s, ",{}:{}", code_str(&r.code), r.extra_bp);
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// The describe text of one region, tiers ascending (empty when it has no rules).
pub fn describe(rules: &RuleSet, region: u32) -> Vec<u8> {
    let mut s = String::new();
    for (&(_, tier), r) in rules.range((region, 0)..=(region, u32::MAX)) {
        let _ = write!(
            s,
            "tier={tier} discount_bp={} tax_bp={}",
            r.discount_bp, r.tax_bp
        );
        if !r.code.is_empty() {
            let _ = write!(s, " coupon={} extra_bp={}", code_str(&r.code), r.extra_bp);
        }
        s.push('\n');
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &[u8]) -> RuleSet {
        parse(text).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(text)))
    }

    fn bad(text: &[u8]) {
        assert!(
            parse(text).is_err(),
            "accepted {:?}",
            String::from_utf8_lossy(text)
        );
    }

    #[test]
    fn parses_and_exports_canonically() {
        let rules = ok(b"# c\r\n7,0,5000,1000,HALF:5000\n\n1,0,01000,00825\r");
        assert_eq!(
            export(&rules),
            b"1,0,1000,825\n7,0,5000,1000,HALF:5000\n".to_vec()
        );
        assert_eq!(
            describe(&rules, 7),
            b"tier=0 discount_bp=5000 tax_bp=1000 coupon=HALF extra_bp=5000\n".to_vec()
        );
        assert!(describe(&rules, 2).is_empty());
        assert_eq!(
            ok(&export(&rules)),
            rules,
            "export loads back to the same rules"
        );
    }

    #[test]
    fn describe_orders_tiers() {
        let rules = ok(b"3,2,0,0\n3,0,1,2,A1:3\n4,1,0,0\n2,1,0,0\n");
        assert_eq!(
            describe(&rules, 3),
            b"tier=0 discount_bp=1 tax_bp=2 coupon=A1 extra_bp=3\ntier=2 discount_bp=0 tax_bp=0\n"
                .to_vec()
        );
    }

    #[test]
    fn empty_and_comment_only_texts_are_empty_sets() {
        for t in [
            &b""[..],
            b"\n",
            b"\r",
            b"\r\n\r\n",
            b"# only\n#",
            b"#\x00 NUL in a comment",
        ] {
            assert!(ok(t).is_empty());
        }
    }

    #[test]
    fn number_and_field_limits() {
        ok(b"65535,2,10000,10000,ABC:10000");
        ok(b"00000,0,00000,0");
        bad(b"65536,0,0,0");
        bad(b"1,3,0,0");
        bad(b"1,0,10001,0");
        bad(b"1,0,0,10001");
        bad(b"1,0,0,0,A:10001");
        bad(b"000001,0,0,0"); // 6 digits, even with a small value
        bad(b"1,0,0,000000");
        bad(b"1,0,0,0,A:000000");
        bad(b"1,0,0");
        bad(b"1,0,0,0,A:1,");
        bad(b"1,0,0,0,A:1,2");
        bad(b"1,0,0,0,");
        bad(b",1,0,0,0");
        bad(b"1,0,+1,0");
        bad(b"1,0,-1,0");
        bad(b"1,0,0,0 ");
        bad(b" 1,0,0,0");
        bad(b"1,0,0\r,0");
        bad(b"1,0,0,0\r\r");
        bad(b"1,0,0,0\x00");
        bad(b"\x00");
        bad(b"1,0,0,0\n1,0,5,5");
        bad(b"1,0,\xd9\xa1,0"); // ARABIC-INDIC DIGIT ONE is not an ASCII digit
    }

    #[test]
    fn coupon_codes() {
        let code32 = "C".repeat(SEAM_MAX_COUPON_LEN as usize);
        ok(format!("1,0,0,0,{code32}:1").as_bytes());
        bad(format!("1,0,0,0,{code32}C:1").as_bytes());
        for b in [
            &b"1,0,0,0,save:1"[..],
            b"1,0,0,0,:1",
            b"1,0,0,0,A",
            b"1,0,0,0,A:",
            b"1,0,0,0,A-B:1",
            b"1,0,0,0,A:1:2",
            b"1,0,0,0,\xc3\x84:1",
        ] {
            bad(b);
        }
    }

    #[test]
    fn text_line_and_rule_count_limits() {
        let max_text = SEAM_MAX_RULES_TEXT as usize;
        let mut t = vec![b'#'; max_text];
        for i in (255..max_text).step_by(256) {
            t[i] = b'\n';
        }
        assert!(ok(&t).is_empty());
        t.push(b'\n');
        assert_eq!(parse(&t), Err(TOO_LONG));

        // A rule line cannot reach 256 bytes (5 fields of at most 32 + 5 digits), so the line
        // limit is measured with comments, which may be any length.
        let comment = |n: usize| {
            let mut l = vec![b'#'; n];
            l.push(b'\n');
            l
        };
        let max_line = SEAM_MAX_LINE_LEN as usize;
        ok(&comment(max_line));
        bad(&comment(max_line + 1));
        // The '\r' before '\n' (or at the end) does not count; a second one does.
        let mut l = vec![b'#'; max_line];
        l.extend_from_slice(b"\r\n");
        ok(&l);
        l.truncate(max_line);
        l.push(b'\r');
        ok(&l);
        l.truncate(max_line);
        l.extend_from_slice(b"\r\r\n");
        bad(&l);

        let rules = |n: u32| {
            (0..n)
                .map(|i| format!("{},{},0,0\n", i / 3, i % 3))
                .collect::<String>()
        };
        assert_eq!(
            ok(rules(SEAM_MAX_RULES).as_bytes()).len(),
            SEAM_MAX_RULES as usize
        );
        bad(rules(SEAM_MAX_RULES + 1).as_bytes());
        // Comments do not count as rules.
        let with_comments = format!("#a\n\n{}#b\n", rules(SEAM_MAX_RULES));
        ok(with_comments.as_bytes());
    }

    #[test]
    fn utf8_is_rfc3629_strict() {
        ok("# ünïcødé ✓ 𝄞\n1,0,0,0".as_bytes());
        for t in [
            &b"#\xff"[..],
            b"#\xc0\xaf",              // overlong '/'
            b"#\xe0\x80\xaf",          // overlong, 3 bytes
            b"#\xed\xa0\x80",          // surrogate U+D800
            b"#\xf4\x90\x80\x80",      // U+110000
            b"#\xf0\x9d\x84",          // truncated
            b"#\x80",                  // lone continuation
            b"1,0,0,0\n#\xed\xbf\xbf", // invalid after a valid rule line
        ] {
            bad(t);
        }
    }
}
