//! The handle, its in-use state and the per-thread last error.
//!
//! The state is one AtomicU32: a reader count plus a WRITER bit, so concurrent misuse of a
//! handle is detected (SEAM_BUSY) rather than suffered, and no call ever blocks.

use std::cell::{RefCell, UnsafeCell};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::rules::RuleSet;

const WRITER: u32 = 0x8000_0000;

pub struct Handle {
    state: AtomicU32,
    // Written only inside a writer section, read only inside reader sections; the state
    // protocol makes those exclusive, which is what makes this UnsafeCell sound.
    rules: UnsafeCell<RuleSet>,
}

// Safety: access to `rules` is serialised by `state` (see Reader and Writer).
unsafe impl Sync for Handle {}

impl Handle {
    pub fn new() -> Self {
        Handle {
            state: AtomicU32::new(0),
            rules: UnsafeCell::new(RuleSet::new()),
        }
    }

    pub fn read(&self) -> Option<Reader<'_>> {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & WRITER != 0 {
                return None;
            }
            match self
                .state
                .compare_exchange_weak(s, s + 1, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return Some(Reader { h: self }),
                Err(now) => s = now,
            }
        }
    }

    pub fn write(&self) -> Option<Writer<'_>> {
        self.state
            .compare_exchange(0, WRITER, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| Writer { h: self })
    }
}

pub struct Reader<'a> {
    h: &'a Handle,
}

impl Reader<'_> {
    pub fn rules(&self) -> &RuleSet {
        // Safety: no writer can be active while this reader holds the count.
        unsafe { &*self.h.rules.get() }
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        self.h.state.fetch_sub(1, Ordering::Release);
    }
}

pub struct Writer<'a> {
    h: &'a Handle,
}

impl Writer<'_> {
    pub fn replace(&self, rules: RuleSet) {
        // Safety: the WRITER bit excludes every reader and other writer.
        unsafe { *self.h.rules.get() = rules }
    }

    /// Keeps the WRITER bit set for good: used by free, which destroys the handle next.
    pub fn into_destroy(self) {
        std::mem::forget(self);
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        self.h.state.store(0, Ordering::Release);
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Records msg as this thread's last error. Never panics: it runs in the panic guard's own
/// error path, where a panic would escape into C. During thread teardown (TLS gone) or a
/// re-entrant borrow the message is dropped instead.
pub fn set_error(msg: &str) {
    let _ = LAST_ERROR.try_with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            e.clear();
            e.extend_from_slice(msg.as_bytes());
        }
    });
}

/// Copies the last error into out (truncated) and returns its full length.
pub fn copy_error(out: &mut [u8]) -> usize {
    LAST_ERROR
        .try_with(|e| {
            let e = e.borrow();
            let n = e.len().min(out.len());
            out[..n].copy_from_slice(&e[..n]);
            e.len()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_share_writers_exclude() {
        let h = Handle::new();
        let a = h.read().unwrap();
        let b = h.read().unwrap();
        assert!(
            h.write().is_none(),
            "a writer must not start while readers run"
        );
        drop(a);
        assert!(h.write().is_none());
        drop(b);
        let w = h.write().unwrap();
        assert!(
            h.read().is_none(),
            "a reader must not start while a writer runs"
        );
        assert!(h.write().is_none());
        drop(w);
        assert!(h.read().is_some());
    }
}
