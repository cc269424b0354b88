//! The Rust engine of the pricing contract (native/include/seam_pricing.h).
//!
//! Safety contract for every export (the header's conventions): pointer arguments are valid
//! for the call when non-NULL, a (pointer, length) pair points at `length` readable bytes, and
//! a handle is one returned by pricing_rules_new that has not been freed. Every export runs
//! inside `guard`, so no panic unwinds into C: a panic becomes SEAM_INTERNAL.

mod abi;
mod quote;
mod rules;
mod state;

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use abi::*;
use state::{copy_error, set_error, Handle};

/// The opaque `pricing_rules` of the header.
pub struct PricingRules(Handle);

type Outcome = Result<(), (i32, &'static str)>;

const BUSY: (i32, &str) = (SEAM_BUSY, "busy: another call on this handle is in progress");

/// Runs an export body: Err((status, message)) records the message; a panic is caught and
/// becomes SEAM_INTERNAL (unwinding must never cross the C ABI).
fn guard(body: impl FnOnce() -> Outcome) -> i32 {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => SEAM_OK,
        Ok(Err((status, msg))) => {
            set_error(msg);
            status
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_error(&format!("internal: panic: {what}"));
            SEAM_INTERNAL
        }
    }
}

/// A borrowed byte slice from a (pointer, length) pair; NULL is allowed only with length 0.
unsafe fn bytes<'a>(p: *const u8, len: usize) -> Result<&'a [u8], (i32, &'static str)> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err((SEAM_BAD_INPUT, "bad input: NULL pointer with a non-zero length"));
    }
    Ok(std::slice::from_raw_parts(p, len))
}

#[no_mangle]
pub extern "C" fn seam_abi_version() -> u32 {
    SEAM_ABI_VERSION
}

#[no_mangle]
pub extern "C" fn seam_engine_name() -> *const c_char {
    c"rust".as_ptr()
}

#[no_mangle]
pub unsafe extern "C" fn seam_layout(out: *mut SeamLayoutInfo) {
    if !out.is_null() {
        *out = SeamLayoutInfo::of_this_build();
    }
}

#[no_mangle]
pub unsafe extern "C" fn pricing_rules_new(out: *mut *mut PricingRules) -> i32 {
    guard(|| {
        if out.is_null() {
            return Err((SEAM_BAD_INPUT, "bad input: out is NULL"));
        }
        *out = std::ptr::null_mut();
        *out = Box::into_raw(Box::new(PricingRules(Handle::new())));
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn pricing_rules_load(r: *mut PricingRules, text: *const u8, len: usize) -> i32 {
    guard(|| {
        let h = r.as_ref().ok_or((SEAM_BAD_INPUT, "bad input: rules handle is NULL"))?;
        let text = bytes(text, len)?;
        let w = h.0.write().ok_or(BUSY)?;
        let parsed = rules::parse(text).map_err(|m| (SEAM_BAD_INPUT, m))?;
        w.replace(parsed); // only now: a failed load keeps the old rules
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn pricing_quote(r: *const PricingRules, req: *const PricingRequest, out: *mut PricingResult) -> i32 {
    guard(|| {
        let bad = |m| Err((SEAM_BAD_INPUT, m));
        if r.is_null() || req.is_null() || out.is_null() {
            return bad("bad input: NULL argument");
        }
        let (h, req, out) = (&*r, &*req, &mut *out);
        if req.struct_size as usize != std::mem::size_of::<PricingRequest>() {
            return bad("bad input: request struct_size");
        }
        if out.struct_size as usize != std::mem::size_of::<PricingResult>() {
            return bad("bad input: result struct_size");
        }
        let rd = h.0.read().ok_or(BUSY)?;
        if req.item_count < 1 || req.item_count > SEAM_MAX_ITEM_COUNT {
            return bad("bad input: item_count out of range");
        }
        if req.subtotal_cents < 0 || req.subtotal_cents > SEAM_MAX_SUBTOTAL_CENTS {
            return bad("bad input: subtotal_cents out of range");
        }
        if req.region_id > SEAM_MAX_REGION_ID {
            return bad("bad input: region_id out of range");
        }
        if req.customer_tier >= SEAM_TIER_COUNT {
            return bad("bad input: customer_tier is not a SEAM_TIER_* value");
        }
        let coupon = bytes(req.coupon, req.coupon_len)?;
        if coupon.len() > SEAM_MAX_COUPON_LEN as usize {
            return bad("bad input: coupon longer than SEAM_MAX_COUPON_LEN");
        }
        if std::str::from_utf8(coupon).is_err() {
            return bad("bad input: coupon is not valid UTF-8");
        }
        let rule = rd
            .rules()
            .get(&(req.region_id, req.customer_tier))
            .ok_or((SEAM_NO_RULE, "no rule for this region and tier"))?;
        let q = quote::price(rule, req.subtotal_cents, coupon);
        out.final_price_cents = q.final_price;
        out.discount_cents = q.discount;
        out.tax_cents = q.tax;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn pricing_rules_describe(
    r: *const PricingRules,
    region: u32,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> i32 {
    guard(|| {
        if !needed.is_null() {
            *needed = 0;
        }
        if r.is_null() || needed.is_null() {
            return Err((SEAM_BAD_INPUT, "bad input: NULL argument"));
        }
        if buf.is_null() && cap > 0 {
            return Err((SEAM_BAD_INPUT, "bad input: buf is NULL with a non-zero cap"));
        }
        let rd = (*r).0.read().ok_or(BUSY)?;
        if region > SEAM_MAX_REGION_ID {
            return Err((SEAM_BAD_INPUT, "bad input: region out of range"));
        }
        let text = rules::describe(rd.rules(), region);
        if text.is_empty() {
            return Err((SEAM_NO_RULE, "no rule for this region"));
        }
        *needed = text.len();
        if cap < text.len() {
            return Err((SEAM_BAD_INPUT, "bad input: cap is smaller than needed"));
        }
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf, text.len());
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn pricing_rules_export(r: *const PricingRules, out: *mut *mut u8, out_len: *mut usize) -> i32 {
    guard(|| {
        if !out.is_null() {
            *out = std::ptr::null_mut();
        }
        if !out_len.is_null() {
            *out_len = 0;
        }
        if r.is_null() || out.is_null() || out_len.is_null() {
            return Err((SEAM_BAD_INPUT, "bad input: NULL argument"));
        }
        let rd = (*r).0.read().ok_or(BUSY)?;
        let text = rules::export(rd.rules());
        if text.is_empty() {
            return Ok(());
        }
        let boxed: Box<[u8]> = text.into_boxed_slice();
        *out_len = boxed.len();
        *out = Box::into_raw(boxed) as *mut u8;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn seam_bytes_free(p: *mut u8, len: usize) {
    if p.is_null() {
        return;
    }
    // The length rebuilds the Box<[u8]> that export leaked; that is why the header asks for it.
    let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, len)))));
}

#[no_mangle]
pub unsafe extern "C" fn pricing_rules_free(r: *mut PricingRules) {
    if r.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| match (*r).0.write() {
        Some(w) => {
            w.into_destroy();
            drop(Box::from_raw(r));
        }
        None => set_error("busy: pricing_rules_free while another call on this handle is in progress; not freed"),
    }));
}

#[no_mangle]
pub unsafe extern "C" fn seam_last_error(buf: *mut u8, cap: usize) -> usize {
    catch_unwind(AssertUnwindSafe(|| {
        if buf.is_null() || cap == 0 {
            copy_error(&mut [])
        } else {
            copy_error(std::slice::from_raw_parts_mut(buf, cap))
        }
    }))
    .unwrap_or(0)
}
