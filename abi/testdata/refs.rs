// A Rust cdylib whose exports take the header's struct through every reference form rustc
// can put in an extern "C" signature, so abi's reader is proven on each: *const T, &T,
// &mut T, Option<&T>, Option<&mut T>, Option<NonNull<T>>, *mut *mut T, and T by value.
use std::ptr::NonNull;

#[repr(C)]
pub struct Inner {
    pub a: u16,
    pub b: u64,
}

#[repr(C)]
pub struct Outer {
    pub tag: u8,
    pub inner: Inner,
    pub list: [Inner; 2],
    pub tail: u32,
}

#[no_mangle]
pub extern "C" fn by_raw(p: *const Outer) -> u8 {
    if p.is_null() { 0 } else { unsafe { (*p).tag } }
}

#[no_mangle]
pub extern "C" fn by_ref(p: &Outer) -> u8 {
    p.tag
}

#[no_mangle]
pub extern "C" fn by_mut(p: &mut Outer) -> u8 {
    p.tag
}

#[no_mangle]
pub extern "C" fn by_option(p: Option<&Outer>) -> u8 {
    p.map_or(0, |o| o.tag)
}

#[no_mangle]
pub extern "C" fn by_option_mut(p: Option<&mut Outer>) -> u8 {
    p.map_or(0, |o| o.tag)
}

#[no_mangle]
pub extern "C" fn by_nonnull(p: Option<NonNull<Outer>>) -> u8 {
    p.map_or(0, |o| unsafe { o.as_ref().tag })
}

#[no_mangle]
pub extern "C" fn by_out(out: *mut *mut Outer) -> u8 {
    if out.is_null() { 0 } else { 1 }
}

#[no_mangle]
pub extern "C" fn by_value(o: Outer) -> u8 {
    o.tag
}
