//! The Rust engine of the pricing contract (native/pricing/include/seam_pricing.h).
//!
//! Safety contract for every export (the header's conventions): a non-NULL pointer argument is
//! valid for the call, a (pointer, length) pair points at `length` readable bytes, and a handle
//! is one returned by pricing_rules_new that has not been freed.
//!
//! Every export runs inside `guard`, so no panic unwinds into C: a panic becomes SEAM_INTERNAL
//! (or, for the void functions, is swallowed with its message kept as the last error).
//! Caller-owned structs and out-parameters are read and written unaligned: an engine must not
//! abort on a pointer C would merely have accessed slowly (debug builds check alignment on
//! every raw-pointer dereference, and that check aborts rather than unwinds).

// The safety contract is the header's, stated once above for every export.
#![allow(clippy::missing_safety_doc)]

mod abi;
mod quote;
mod rules;
mod state;

use std::alloc::{alloc, Layout};
use std::any::Any;
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{addr_of, addr_of_mut};

use abi::*;
use state::{copy_error, set_error, Handle};

/// The opaque `pricing_rules` of the header.
pub struct PricingRules(Handle);

/// A failed check: the status to return and the message for seam_last_error.
type Fail = (i32, &'static str);

const BUSY: Fail = (
    SEAM_BUSY,
    "busy: another call on this handle is in progress",
);

fn bad(msg: &'static str) -> Fail {
    (SEAM_BAD_INPUT, msg)
}

/// The one panic boundary: runs an export body, records the message of a failed check, and
/// turns a panic into SEAM_INTERNAL with the panic message as the last error. Nothing in here
/// may panic itself (set_error does not).
fn guard<T>(body: impl FnOnce() -> Result<T, Fail>) -> Result<T, i32> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err((status, msg))) => {
            set_error(msg);
            Err(status)
        }
        Err(payload) => {
            set_error(&format!("internal: panic: {}", panic_message(&*payload)));
            // A payload whose Drop panics must not unwind out of here either.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            Err(SEAM_INTERNAL)
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "non-string panic payload"
    }
}

fn status(r: Result<(), i32>) -> i32 {
    r.err().unwrap_or(SEAM_OK)
}

/// A borrowed byte slice from a (pointer, length) pair whose length the caller has already
/// checked against its limit. NULL is allowed only with length 0; from_raw_parts needs a
/// non-NULL pointer even then, so length 0 never touches `p`.
unsafe fn bytes<'a>(p: *const u8, len: usize, null_msg: &'static str) -> Result<&'a [u8], Fail> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(bad(null_msg));
    }
    Ok(std::slice::from_raw_parts(p, len))
}

#[no_mangle]
pub extern "C" fn seam_abi_version() -> u32 {
    guard(|| Ok(SEAM_ABI_VERSION)).unwrap_or(SEAM_ABI_VERSION)
}

#[no_mangle]
pub extern "C" fn seam_engine_name() -> *const c_char {
    static NAME: &std::ffi::CStr = c"rust";
    guard(|| Ok(NAME.as_ptr())).unwrap_or(NAME.as_ptr())
}

#[no_mangle]
pub unsafe extern "C" fn seam_layout(out: *mut SeamLayoutInfo) {
    let _ = guard(|| {
        if !out.is_null() {
            out.write_unaligned(SeamLayoutInfo::of_this_build());
        }
        Ok(())
    });
}

#[no_mangle]
pub unsafe extern "C" fn pricing_rules_new(out: *mut *mut PricingRules) -> i32 {
    status(guard(|| {
        if out.is_null() {
            return Err(bad("bad input: out is NULL"));
        }
        out.write_unaligned(std::ptr::null_mut());
        // Allocated by hand so an allocation failure is SEAM_INTERNAL, as the header says,
        // instead of Box::new's abort. Freed with Box::from_raw (same global allocator, same
        // layout).
        let p = alloc(Layout::new::<PricingRules>()) as *mut PricingRules;
        if p.is_null() {
            return Err((SEAM_INTERNAL, "internal: out of memory"));
        }
        p.write(PricingRules(Handle::new()));
        out.write_unaligned(p);
        Ok(())
    }))
}

#[no_mangle]
pub unsafe extern "C" fn pricing_rules_load(
    r: *mut PricingRules,
    text: *const u8,
    len: usize,
) -> i32 {
    status(guard(|| {
        let h = r.as_ref().ok_or(bad("bad input: rules handle is NULL"))?;
        if text.is_null() && len > 0 {
            return Err(bad("bad input: text is NULL with a non-zero length"));
        }
        let w = h.0.write().ok_or(BUSY)?;
        // Before the slice exists: a length past the limit never becomes a slice.
        if len > SEAM_MAX_RULES_TEXT as usize {
            return Err(bad(rules::TOO_LONG));
        }
        let text = bytes(text, len, "bad input: text is NULL with a non-zero length")?;
        let parsed = rules::parse(text).map_err(bad)?;
        w.replace(parsed); // only now: a failed load keeps the old rules
        Ok(())
    }))
}

#[no_mangle]
pub unsafe extern "C" fn pricing_quote(
    r: *const PricingRules,
    req: *const PricingRequest,
    out: *mut PricingResult,
) -> i32 {
    status(guard(|| {
        if r.is_null() || req.is_null() || out.is_null() {
            return Err(bad("bad input: NULL argument"));
        }
        // struct_size first, alone: the rest of a wrongly sized struct may not be there.
        if addr_of!((*req).struct_size).read_unaligned() as usize != size_of::<PricingRequest>() {
            return Err(bad("bad input: request struct_size"));
        }
        if addr_of!((*out).struct_size).read_unaligned() as usize != size_of::<PricingResult>() {
            return Err(bad("bad input: result struct_size"));
        }
        let rd = (*r).0.read().ok_or(BUSY)?;
        let q = req.read_unaligned();
        if q.item_count < 1 || q.item_count > SEAM_MAX_ITEM_COUNT {
            return Err(bad("bad input: item_count out of range"));
        }
        if q.subtotal_cents < 0 || q.subtotal_cents > SEAM_MAX_SUBTOTAL_CENTS {
            return Err(bad("bad input: subtotal_cents out of range"));
        }
        if q.region_id > SEAM_MAX_REGION_ID {
            return Err(bad("bad input: region_id out of range"));
        }
        if q.customer_tier >= SEAM_TIER_COUNT {
            return Err(bad("bad input: customer_tier is not a SEAM_TIER_* value"));
        }
        if q.coupon.is_null() && q.coupon_len > 0 {
            return Err(bad("bad input: coupon is NULL with a non-zero length"));
        }
        if q.coupon_len > SEAM_MAX_COUPON_LEN as usize {
            return Err(bad("bad input: coupon longer than SEAM_MAX_COUPON_LEN"));
        }
        let coupon = bytes(
            q.coupon,
            q.coupon_len,
            "bad input: coupon is NULL with a non-zero length",
        )?;
        if std::str::from_utf8(coupon).is_err() {
            return Err(bad("bad input: coupon is not valid UTF-8"));
        }
        let rule = rd
            .rules()
            .get(&(q.region_id, q.customer_tier))
            .ok_or((SEAM_NO_RULE, "no rule for this region and tier"))?;
        let p = quote::price(rule, q.subtotal_cents, coupon);
        addr_of_mut!((*out).final_price_cents).write_unaligned(p.final_price);
        addr_of_mut!((*out).discount_cents).write_unaligned(p.discount);
        addr_of_mut!((*out).tax_cents).write_unaligned(p.tax);
        Ok(())
    }))
}

#[no_mangle]
pub unsafe extern "C" fn pricing_rules_describe(
    r: *const PricingRules,
    region: u32,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> i32 {
    status(guard(|| {
        // *needed is always set: 0 until there is a description to measure.
        if !needed.is_null() {
            needed.write_unaligned(0);
        }
        if r.is_null() || needed.is_null() {
            return Err(bad("bad input: NULL argument"));
        }
        if buf.is_null() && cap > 0 {
            return Err(bad("bad input: buf is NULL with a non-zero cap"));
        }
        let rd = (*r).0.read().ok_or(BUSY)?;
        if region > SEAM_MAX_REGION_ID {
            return Err(bad("bad input: region out of range"));
        }
        let text = rules::describe(rd.rules(), region);
        if text.is_empty() {
            return Err((SEAM_NO_RULE, "no rule for this region"));
        }
        needed.write_unaligned(text.len());
        if cap < text.len() {
            return Err(bad("bad input: cap is smaller than needed"));
        }
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf, text.len());
        Ok(())
    }))
}

#[no_mangle]
pub unsafe extern "C" fn pricing_rules_export(
    r: *const PricingRules,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    status(guard(|| {
        if !out.is_null() {
            out.write_unaligned(std::ptr::null_mut());
        }
        if !out_len.is_null() {
            out_len.write_unaligned(0);
        }
        if r.is_null() || out.is_null() || out_len.is_null() {
            return Err(bad("bad input: NULL argument"));
        }
        let rd = (*r).0.read().ok_or(BUSY)?;
        let text = rules::export(rd.rules());
        if text.is_empty() {
            return Ok(());
        }
        // The caller's copy is allocated fallibly: out of memory is SEAM_INTERNAL, not an abort.
        let mut owned: Vec<u8> = Vec::new();
        owned
            .try_reserve_exact(text.len())
            .map_err(|_| (SEAM_INTERNAL, "internal: out of memory"))?;
        owned.extend_from_slice(&text);
        let boxed: Box<[u8]> = owned.into_boxed_slice();
        let n = boxed.len();
        out.write_unaligned(Box::into_raw(boxed) as *mut u8);
        out_len.write_unaligned(n);
        Ok(())
    }))
}

#[no_mangle]
pub unsafe extern "C" fn seam_bytes_free(p: *mut u8, len: usize) {
    let _ = guard(|| {
        if !p.is_null() {
            // The length rebuilds the Box<[u8]> that export handed out: that is why the
            // header asks for it.
            drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, len)));
        }
        Ok(())
    });
}

#[no_mangle]
pub unsafe extern "C" fn pricing_rules_free(r: *mut PricingRules) {
    // A busy handle is not freed; the only trace is the last error (the function is void).
    let _ = guard(|| {
        if r.is_null() {
            return Ok(());
        }
        let w = (*r).0.write().ok_or((
            SEAM_BUSY,
            "busy: pricing_rules_free while another call on this handle is in progress; not freed",
        ))?;
        w.into_destroy();
        drop(Box::from_raw(r));
        Ok(())
    });
}

#[no_mangle]
pub unsafe extern "C" fn seam_last_error(buf: *mut u8, cap: usize) -> usize {
    guard(|| {
        // NULL is allowed only with cap 0; NULL with a cap is treated as cap 0 (nothing can be
        // written, and this function has no status to report it with).
        let out: &mut [u8] = if buf.is_null() || cap == 0 {
            &mut []
        } else {
            std::slice::from_raw_parts_mut(buf, cap)
        };
        Ok(copy_error(out))
    })
    .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    const REF: &[u8] = b"# ref\n1,0,1000,825\n1,1,1500,825,SAVE10:1000\n7,0,5000,1000,HALF:5000\n";

    fn new_rules() -> *mut PricingRules {
        let mut r = null_mut();
        assert_eq!(unsafe { pricing_rules_new(&mut r) }, SEAM_OK);
        assert!(!r.is_null());
        r
    }

    fn request(subtotal: i64, region: u32, tier: u32, coupon: &[u8]) -> PricingRequest {
        PricingRequest {
            struct_size: size_of::<PricingRequest>() as u32,
            item_count: 1,
            subtotal_cents: subtotal,
            region_id: region,
            customer_tier: tier,
            coupon: if coupon.is_empty() {
                null()
            } else {
                coupon.as_ptr()
            },
            coupon_len: coupon.len(),
        }
    }

    fn quote(r: *const PricingRules, req: &PricingRequest) -> (i32, [i64; 3]) {
        let mut out = PricingResult {
            struct_size: size_of::<PricingResult>() as u32,
            final_price_cents: 0,
            discount_cents: 0,
            tax_cents: 0,
        };
        let st = unsafe { pricing_quote(r, req, &mut out) };
        (
            st,
            [out.final_price_cents, out.discount_cents, out.tax_cents],
        )
    }

    fn last_error() -> String {
        let mut buf = [0u8; 256];
        let n = unsafe { seam_last_error(buf.as_mut_ptr(), buf.len()) };
        String::from_utf8_lossy(&buf[..n.min(buf.len())]).into_owned()
    }

    #[test]
    fn quote_checks_run_in_header_order() {
        let r = new_rules();
        unsafe {
            assert_eq!(pricing_rules_load(r, REF.as_ptr(), REF.len()), SEAM_OK);
            assert_eq!(
                quote(r, &request(10000, 1, 0, b"")),
                (SEAM_OK, [9742, 1000, 742])
            );
            assert_eq!(
                quote(r, &request(10000, 1, 1, b"SAVE10")),
                (SEAM_OK, [8119, 2500, 619])
            );
            // region out of range is checked before the coupon: both bad, region wins (same status,
            // but the message proves the order).
            let mut q = request(10000, SEAM_MAX_REGION_ID + 1, 0, b"\xff");
            assert_eq!(quote(r, &q).0, SEAM_BAD_INPUT);
            assert!(last_error().contains("region_id"), "{}", last_error());
            q.region_id = 1;
            assert_eq!(quote(r, &q).0, SEAM_BAD_INPUT);
            assert!(last_error().contains("UTF-8"), "{}", last_error());
            // coupon_len past the limit with a pointer to fewer bytes is rejected before any
            // slice exists (no read, no debug-build abort).
            q.coupon_len = usize::MAX;
            assert_eq!(quote(r, &q).0, SEAM_BAD_INPUT);
            assert!(last_error().contains("longer"), "{}", last_error());
            q.coupon = null();
            assert_eq!(quote(r, &q).0, SEAM_BAD_INPUT);
            assert!(last_error().contains("NULL"), "{}", last_error());
            assert_eq!(quote(r, &request(1, 2, 0, b"")).0, SEAM_NO_RULE);
            let mut q = request(1, 1, 0, b"");
            q.struct_size -= 1;
            assert_eq!(quote(r, &q).0, SEAM_BAD_INPUT);
            pricing_rules_free(r);
        }
    }

    #[test]
    fn busy_handle_is_refused_and_not_freed() {
        let r = new_rules();
        unsafe {
            let rd = (*r).0.read().unwrap();
            assert_eq!(pricing_rules_load(r, REF.as_ptr(), REF.len()), SEAM_BUSY);
            pricing_rules_free(r); // must not free
            assert!(last_error().starts_with("busy"));
            drop(rd);
            let w = (*r).0.write().unwrap();
            assert_eq!(quote(r, &request(1, 1, 0, b"")).0, SEAM_BUSY);
            let mut needed = 7usize;
            assert_eq!(
                pricing_rules_describe(r, 1, null_mut(), 0, &mut needed),
                SEAM_BUSY
            );
            assert_eq!(needed, 0);
            let (mut p, mut n) = (std::ptr::dangling_mut::<u8>(), 1usize);
            assert_eq!(pricing_rules_export(r, &mut p, &mut n), SEAM_BUSY);
            assert_eq!((p, n), (null_mut(), 0));
            drop(w);
            assert_eq!(pricing_rules_load(r, REF.as_ptr(), REF.len()), SEAM_OK);
            pricing_rules_free(r);
        }
    }

    #[test]
    fn failed_load_keeps_old_rules_and_export_round_trips() {
        let r = new_rules();
        unsafe {
            let (mut p, mut n) = (std::ptr::dangling_mut::<u8>(), 1usize);
            assert_eq!(pricing_rules_export(r, &mut p, &mut n), SEAM_OK);
            assert_eq!((p, n), (null_mut(), 0), "empty rule set exports NULL, 0");
            assert_eq!(pricing_rules_load(r, REF.as_ptr(), REF.len()), SEAM_OK);
            assert_eq!(
                pricing_rules_load(r, b"1,0,0,0\n1,0,0,0".as_ptr(), 15),
                SEAM_BAD_INPUT
            );
            assert_eq!(pricing_rules_load(r, null(), 1), SEAM_BAD_INPUT);
            assert_eq!(
                pricing_rules_load(
                    r,
                    std::ptr::dangling::<u8>(),
                    SEAM_MAX_RULES_TEXT as usize + 1
                ),
                SEAM_BAD_INPUT
            );
            assert_eq!(pricing_rules_export(r, &mut p, &mut n), SEAM_OK);
            let text = std::slice::from_raw_parts(p, n).to_vec();
            assert_eq!(
                text,
                b"1,0,1000,825\n1,1,1500,825,SAVE10:1000\n7,0,5000,1000,HALF:5000\n".to_vec()
            );
            seam_bytes_free(p, n);
            let r2 = new_rules();
            assert_eq!(pricing_rules_load(r2, text.as_ptr(), text.len()), SEAM_OK);
            assert_eq!(rules::export((*r2).0.read().unwrap().rules()), text);
            pricing_rules_free(r2);
            assert_eq!(
                pricing_rules_load(r, null(), 0),
                SEAM_OK,
                "NULL, 0 is an empty rule set"
            );
            assert_eq!(quote(r, &request(1, 1, 0, b"")).0, SEAM_NO_RULE);
            pricing_rules_free(r);
        }
    }

    #[test]
    fn describe_cap_and_needed() {
        let r = new_rules();
        unsafe {
            assert_eq!(pricing_rules_load(r, REF.as_ptr(), REF.len()), SEAM_OK);
            let want = b"tier=0 discount_bp=1000 tax_bp=825\ntier=1 discount_bp=1500 tax_bp=825 coupon=SAVE10 extra_bp=1000\n";
            let mut needed = 0usize;
            assert_eq!(
                pricing_rules_describe(r, 1, null_mut(), 0, &mut needed),
                SEAM_BAD_INPUT
            );
            assert_eq!(needed, want.len());
            let mut buf = vec![0xAAu8; want.len() + 1];
            assert_eq!(
                pricing_rules_describe(r, 1, buf.as_mut_ptr(), want.len() - 1, &mut needed),
                SEAM_BAD_INPUT
            );
            assert!(
                buf.iter().all(|&b| b == 0xAA),
                "writes nothing unless SEAM_OK"
            );
            assert_eq!(
                pricing_rules_describe(r, 1, buf.as_mut_ptr(), want.len(), &mut needed),
                SEAM_OK
            );
            assert_eq!(&buf[..want.len()], want);
            assert_eq!(buf[want.len()], 0xAA, "no NUL terminator, nothing past cap");
            needed = 9;
            assert_eq!(
                pricing_rules_describe(r, 2, buf.as_mut_ptr(), buf.len(), &mut needed),
                SEAM_NO_RULE
            );
            assert_eq!(needed, 0);
            assert_eq!(
                pricing_rules_describe(r, SEAM_MAX_REGION_ID + 1, null_mut(), 0, &mut needed),
                SEAM_BAD_INPUT
            );
            assert_eq!(
                pricing_rules_describe(r, 1, null_mut(), 1, &mut needed),
                SEAM_BAD_INPUT
            );
            assert_eq!(
                pricing_rules_describe(r, 1, buf.as_mut_ptr(), 1, null_mut()),
                SEAM_BAD_INPUT
            );
            pricing_rules_free(r);
        }
    }

    #[test]
    fn panic_becomes_internal_with_its_message() {
        let st = guard(|| -> Result<(), Fail> { panic!("seeded {}", 42) });
        assert_eq!(st, Err(SEAM_INTERNAL));
        assert_eq!(last_error(), "internal: panic: seeded 42");
        let st = guard(|| -> Result<(), Fail> { std::panic::panic_any(7u8) });
        assert_eq!(st, Err(SEAM_INTERNAL));
        assert_eq!(last_error(), "internal: panic: non-string panic payload");
    }

    #[test]
    fn last_error_truncates_and_reports_full_length() {
        set_error("0123456789");
        let mut buf = [0u8; 4];
        assert_eq!(unsafe { seam_last_error(buf.as_mut_ptr(), 4) }, 10);
        assert_eq!(&buf, b"0123");
        assert_eq!(unsafe { seam_last_error(null_mut(), 0) }, 10);
        // A success leaves the slot unchanged.
        let r = new_rules();
        unsafe { pricing_rules_free(r) };
        assert_eq!(unsafe { seam_last_error(null_mut(), 0) }, 10);
    }

    #[test]
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    fn layout_matches_the_header() {
        let mut l = SeamLayoutInfo::default();
        unsafe { seam_layout(&mut l) };
        unsafe { seam_layout(null_mut()) };
        // x86_64 SysV, what the C compiler gives the header's structs.
        assert_eq!(
            (
                l.layout_size,
                l.request_size,
                l.request_align,
                l.result_size,
                l.result_align
            ),
            (64, 40, 8, 32, 8)
        );
        assert_eq!(
            (
                l.request_subtotal_cents,
                l.request_coupon,
                l.request_coupon_len
            ),
            (8, 24, 32)
        );
        assert_eq!((l.result_final_price_cents, l.result_tax_cents), (8, 24));
        let name = unsafe { std::ffi::CStr::from_ptr(seam_engine_name()) };
        assert_eq!(name.to_bytes(), b"rust");
        assert_eq!(seam_abi_version(), 1);
    }
}
