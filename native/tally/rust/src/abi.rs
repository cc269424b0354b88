//! The header's types and constants, mirrored exactly (#[repr(C)]). seam checks the mirror
//! against the C compiler's layout from DWARF (the header has no layout function).

use std::ffi::c_char;

pub const TALLY_ABI_VERSION: u32 = 2;

pub const TALLY_MAX_TOKEN: u32 = 64;
pub const TALLY_MAX_FEED: u32 = 1_048_576;
pub const TALLY_MAX_DISTINCT: u32 = 4096;
pub const TALLY_MAX_TOP: u32 = 1024;

pub const TALLY_FLAG_FOLD_CASE: u32 = 1;
pub const TALLY_FLAG_ALL: u32 = 1;

pub const TALLY_OK: i32 = 0;
pub const TALLY_EINVAL: i32 = -1;
pub const TALLY_ELIMIT: i32 = -2;
pub const TALLY_ESTATE: i32 = -3;
pub const TALLY_EFULL: i32 = -4;
pub const TALLY_ENOMEM: i32 = -5;

pub const TALLY_MODE_WORDS: u32 = 0;
pub const TALLY_MODE_LINES: u32 = 1;
pub const TALLY_MODE_BYTES: u32 = 2;
pub const TALLY_MODE_COUNT: u32 = 3;

/// `tally_options`. `mode` is the C enum `tally_mode` (an int on every ABI seam targets), kept
/// as u32: C may store any value there, and an out-of-range Rust enum would be UB before the
/// range check could run.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TallyOptions {
    pub struct_size: u32,
    pub mode: u32,
    pub flags: u32,
    pub min_len: u32,
}

/// `tally_entry`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TallyEntry {
    pub count: u64,
    pub token_len: u32,
    pub token: [c_char; TALLY_MAX_TOKEN as usize + 1],
}

impl TallyEntry {
    /// An entry for `token`: its bytes, then the NUL the header promises, then zeros (no stale
    /// bytes leak to the caller).
    pub fn new(count: u64, token: &[u8]) -> Self {
        let mut e = TallyEntry {
            count,
            token_len: token.len() as u32,
            token: [0; TALLY_MAX_TOKEN as usize + 1],
        };
        for (dst, &src) in e.token.iter_mut().zip(token) {
            *dst = src as c_char;
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    fn layout_matches_the_header() {
        // x86_64 SysV, what gcc gives the header's structs.
        assert_eq!(
            (size_of::<TallyOptions>(), align_of::<TallyOptions>()),
            (16, 4)
        );
        assert_eq!(
            (
                offset_of!(TallyOptions, mode),
                offset_of!(TallyOptions, flags),
                offset_of!(TallyOptions, min_len)
            ),
            (4, 8, 12)
        );
        assert_eq!((size_of::<TallyEntry>(), align_of::<TallyEntry>()), (80, 8));
        assert_eq!(
            (
                offset_of!(TallyEntry, token_len),
                offset_of!(TallyEntry, token)
            ),
            (8, 12)
        );
    }
}
