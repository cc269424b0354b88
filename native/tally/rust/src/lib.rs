//! The Rust engine of the tally contract (native/tally/include/tally.h).
//!
//! Safety contract for every export (the header's conventions): a non-NULL pointer argument is
//! valid for the call; a (pointer, length) pair points at `length` readable bytes; a string is
//! NUL-terminated; a handle is one tally_new returned that has not been freed and is not in use
//! on another thread; entries passed to tally_entries_free are exactly what tally_top returned.
//!
//! Every export runs inside `guard`, so no panic unwinds into C: a panic becomes TALLY_ENOMEM
//! (the void functions swallow it). Caller-owned structs and out-parameters are read and
//! written unaligned: debug builds check alignment on every raw-pointer dereference, and that
//! check aborts rather than unwinds, so an engine must not rely on the caller's alignment.

// The safety contract is the header's, stated once above for every export.
#![allow(clippy::missing_safety_doc)]

mod abi;
mod checksum;
mod counter;

use std::alloc::{alloc, Layout};
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{addr_of, null_mut};

pub use abi::*;
use counter::{Counter, Mode, State, Stop};

/// The opaque `tally` of the header.
pub struct Tally(Counter);

/// The one panic boundary: runs an export body and turns a panic into TALLY_ENOMEM ("the
/// engine failed"). Nothing in here may panic itself.
fn guard<T>(body: impl FnOnce() -> Result<T, i32>) -> Result<T, i32> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r,
        Err(payload) => {
            // A payload whose Drop panics must not unwind out of here either.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            Err(TALLY_ENOMEM)
        }
    }
}

fn status(r: Result<(), i32>) -> i32 {
    r.err().unwrap_or(TALLY_OK)
}

fn stop_status(s: Stop) -> i32 {
    match s {
        Stop::Full => TALLY_EFULL,
        Stop::NoMem => TALLY_ENOMEM,
    }
}

#[no_mangle]
pub extern "C" fn tally_abi_version() -> u32 {
    guard(|| Ok(TALLY_ABI_VERSION)).unwrap_or(TALLY_ABI_VERSION)
}

#[no_mangle]
pub extern "C" fn tally_version() -> *const c_char {
    static VERSION: &CStr = c"tally-rust 2.0";
    guard(|| Ok(VERSION.as_ptr())).unwrap_or(VERSION.as_ptr())
}

fn strerror(status: i32) -> &'static CStr {
    match status {
        TALLY_OK => c"ok",
        TALLY_EINVAL => c"invalid argument",
        TALLY_ELIMIT => c"length or count over its limit",
        TALLY_ESTATE => c"the handle's state forbids this call",
        TALLY_EFULL => c"too many distinct tokens",
        TALLY_ENOMEM => c"engine failure (out of memory or internal error)",
        _ => c"unknown tally status",
    }
}

#[no_mangle]
pub extern "C" fn tally_strerror(status: i32) -> *const c_char {
    guard(|| Ok(strerror(status).as_ptr())).unwrap_or(c"engine failure".as_ptr())
}

#[no_mangle]
pub unsafe extern "C" fn tally_checksum(data: *const u8, len: usize, seed: u32) -> u32 {
    guard(|| {
        if data.is_null() || len == 0 {
            return Ok(seed);
        }
        // SAFETY: the caller guarantees `len` readable bytes at a non-NULL `data`.
        let data = std::slice::from_raw_parts(data, len);
        Ok(checksum::adler32(seed, data))
    })
    // Not a status, so there is nothing better to report; the body cannot panic.
    .unwrap_or(seed)
}

#[no_mangle]
pub unsafe extern "C" fn tally_new(opts: *const TallyOptions, out: *mut *mut Tally) -> i32 {
    status(guard(|| {
        if out.is_null() {
            return Err(TALLY_EINVAL);
        }
        // SAFETY: out is non-NULL and, per the header, valid for a write.
        out.write_unaligned(null_mut());
        let (mode, flags, min_len) = if opts.is_null() {
            (TALLY_MODE_WORDS, 0, 1)
        } else {
            // SAFETY: a non-NULL opts points at a tally_options whose struct_size the caller
            // set; struct_size is read alone first, because a struct of another size may not
            // have the other fields there.
            if addr_of!((*opts).struct_size).read_unaligned() as usize != size_of::<TallyOptions>()
            {
                return Err(TALLY_EINVAL);
            }
            let o = opts.read_unaligned();
            (o.mode, o.flags, o.min_len)
        };
        let mode = Mode::from_c(mode).ok_or(TALLY_EINVAL)?;
        if flags & !TALLY_FLAG_ALL != 0 {
            return Err(TALLY_EINVAL);
        }
        if min_len == 0 || min_len > TALLY_MAX_TOKEN {
            return Err(TALLY_EINVAL);
        }
        // Allocated by hand so an allocation failure is TALLY_ENOMEM, as the header says,
        // instead of Box::new's abort. Freed with Box::from_raw (same global allocator, same
        // layout).
        // SAFETY: Tally is not zero-sized, as alloc requires.
        let p = alloc(Layout::new::<Tally>()) as *mut Tally;
        if p.is_null() {
            return Err(TALLY_ENOMEM);
        }
        let fold = flags & TALLY_FLAG_FOLD_CASE != 0;
        // SAFETY: p is a fresh allocation with Tally's size and alignment.
        p.write(Tally(Counter::new(mode, fold, min_len)));
        out.write_unaligned(p);
        Ok(())
    }))
}

#[no_mangle]
pub unsafe extern "C" fn tally_feed(t: *mut Tally, data: *const u8, len: usize) -> i32 {
    status(guard(|| {
        // SAFETY: a non-NULL t is a live handle used by this thread only.
        let c = &mut t.as_mut().ok_or(TALLY_EINVAL)?.0;
        if data.is_null() && len > 0 {
            return Err(TALLY_EINVAL);
        }
        // Before the slice exists: a length past the limit never becomes a slice.
        if len > TALLY_MAX_FEED as usize {
            return Err(TALLY_ELIMIT);
        }
        if c.state() != State::Open {
            return Err(TALLY_ESTATE);
        }
        if len == 0 {
            return Ok(()); // from_raw_parts wants a non-NULL pointer even for no bytes
        }
        // SAFETY: the caller guarantees `len` readable bytes at a non-NULL `data`.
        let data = std::slice::from_raw_parts(data, len);
        c.feed(data).map_err(stop_status)
    }))
}

#[no_mangle]
pub unsafe extern "C" fn tally_finish(t: *mut Tally) -> i32 {
    status(guard(|| {
        // SAFETY: a non-NULL t is a live handle used by this thread only.
        let c = &mut t.as_mut().ok_or(TALLY_EINVAL)?.0;
        if c.state() == State::Failed {
            return Err(TALLY_ESTATE);
        }
        c.finish().map_err(stop_status)
    }))
}

/// The query's bytes before its NUL, or None when there are more than TALLY_MAX_TOKEN of them.
/// Reads byte by byte and stops at the NUL: the header lets the engine read nothing after it,
/// and at most TALLY_MAX_TOKEN + 1 bytes are ever looked at (a CStr would scan to the NUL,
/// however far away it is).
///
/// SAFETY: `s` is non-NULL and NUL-terminated (the caller's guarantee).
unsafe fn bounded_cstr(
    s: *const c_char,
    buf: &mut [u8; TALLY_MAX_TOKEN as usize],
) -> Option<&[u8]> {
    for i in 0..=TALLY_MAX_TOKEN as usize {
        // SAFETY: every byte before the NUL is readable, and we stop at the NUL.
        let b = s.add(i).read() as u8;
        if b == 0 {
            return Some(&buf[..i]);
        }
        *buf.get_mut(i)? = b;
    }
    None
}

#[no_mangle]
pub unsafe extern "C" fn tally_count(
    t: *const Tally,
    token: *const c_char,
    count: *mut u64,
) -> i32 {
    status(guard(|| {
        if !count.is_null() {
            // SAFETY: a non-NULL count is valid for a write.
            count.write_unaligned(0);
        }
        if t.is_null() || token.is_null() || count.is_null() {
            return Err(TALLY_EINVAL);
        }
        let mut buf = [0u8; TALLY_MAX_TOKEN as usize];
        // SAFETY: token is non-NULL and NUL-terminated.
        let query = bounded_cstr(token, &mut buf).ok_or(TALLY_EINVAL)?;
        if query.is_empty() {
            return Err(TALLY_EINVAL);
        }
        // SAFETY: t is a live handle not in use elsewhere.
        count.write_unaligned((*t).0.count(query));
        Ok(())
    }))
}

#[no_mangle]
pub unsafe extern "C" fn tally_top(
    t: *const Tally,
    n: usize,
    out: *mut *mut TallyEntry,
    out_count: *mut usize,
) -> i32 {
    status(guard(|| {
        // SAFETY: non-NULL out-parameters are valid for a write.
        if !out.is_null() {
            out.write_unaligned(null_mut());
        }
        if !out_count.is_null() {
            out_count.write_unaligned(0);
        }
        if t.is_null() || out.is_null() || out_count.is_null() || n == 0 {
            return Err(TALLY_EINVAL);
        }
        if n > TALLY_MAX_TOP as usize {
            return Err(TALLY_ELIMIT);
        }
        // SAFETY: t is a live handle not in use elsewhere.
        let top = (*t).0.top(n).map_err(stop_status)?;
        if top.is_empty() {
            return Ok(());
        }
        // The caller's array is allocated fallibly: out of memory is TALLY_ENOMEM, not an
        // abort. Exact capacity, so into_boxed_slice does not reallocate, and
        // tally_entries_free can rebuild the Box<[TallyEntry]> from the pointer and count.
        let mut entries: Vec<TallyEntry> = Vec::new();
        entries
            .try_reserve_exact(top.len())
            .map_err(|_| TALLY_ENOMEM)?;
        entries.extend(
            top.iter()
                .map(|(tok, c)| TallyEntry::new(*c, tok.as_bytes())),
        );
        let entries: Box<[TallyEntry]> = entries.into_boxed_slice();
        let k = entries.len();
        out.write_unaligned(Box::into_raw(entries) as *mut TallyEntry);
        out_count.write_unaligned(k);
        Ok(())
    }))
}

#[no_mangle]
pub unsafe extern "C" fn tally_entries_free(entries: *mut TallyEntry, count: usize) {
    let _ = guard(|| {
        if !entries.is_null() {
            // SAFETY: entries and count are what tally_top returned, freed once: the
            // Box<[TallyEntry]> it leaked.
            drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                entries, count,
            )));
        }
        Ok(())
    });
}

#[no_mangle]
pub unsafe extern "C" fn tally_free(t: *mut Tally) {
    let _ = guard(|| {
        if !t.is_null() {
            // SAFETY: t came from tally_new (a Box's layout) and is freed once, with no other
            // call on it in progress.
            drop(Box::from_raw(t));
        }
        Ok(())
    });
}

#[cfg(test)]
mod tests;
