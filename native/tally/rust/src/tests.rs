//! Tests through the C boundary: statuses, check order, out-parameters on error, and the
//! callee-allocated array.

use super::*;
use std::ffi::CStr;
use std::ptr::{dangling, dangling_mut, null};

fn opts(mode: u32, flags: u32, min_len: u32) -> TallyOptions {
    TallyOptions {
        struct_size: size_of::<TallyOptions>() as u32,
        mode,
        flags,
        min_len,
    }
}

fn new(o: Option<TallyOptions>) -> (i32, *mut Tally) {
    let mut t = dangling_mut::<Tally>();
    let st = unsafe { tally_new(o.as_ref().map_or(null(), |o| o as *const _), &mut t) };
    (st, t)
}

fn open(o: Option<TallyOptions>) -> *mut Tally {
    let (st, t) = new(o);
    assert_eq!(st, TALLY_OK);
    assert!(!t.is_null());
    t
}

fn feed(t: *mut Tally, b: &[u8]) -> i32 {
    unsafe { tally_feed(t, b.as_ptr(), b.len()) }
}

fn count(t: *const Tally, q: &CStr) -> (i32, u64) {
    let mut n = 77u64;
    let st = unsafe { tally_count(t, q.as_ptr(), &mut n) };
    (st, n)
}

fn top(t: *const Tally, n: usize) -> (i32, Vec<(u64, Vec<u8>)>) {
    let (mut p, mut k) = (dangling_mut::<TallyEntry>(), 99usize);
    let st = unsafe { tally_top(t, n, &mut p, &mut k) };
    if p.is_null() {
        assert_eq!(k, 0);
        return (st, Vec::new());
    }
    let v = unsafe { std::slice::from_raw_parts(p, k) }
        .iter()
        .map(|e| {
            let len = e.token_len as usize;
            assert!((1..=TALLY_MAX_TOKEN as usize).contains(&len));
            assert_eq!(e.token[len], 0, "NUL after the token");
            (e.count, e.token[..len].iter().map(|&c| c as u8).collect())
        })
        .collect();
    unsafe { tally_entries_free(p, k) };
    (st, v)
}

#[test]
fn globals() {
    assert_eq!(tally_abi_version(), 2);
    let v = unsafe { CStr::from_ptr(tally_version()) };
    assert_eq!(v.to_bytes(), b"tally-rust 2.0");
    for s in [0, -1, -2, -3, -4, -5, -6, 1, i32::MIN, i32::MAX] {
        let e = unsafe { CStr::from_ptr(tally_strerror(s)) };
        assert!(!e.to_bytes().is_empty());
    }
    unsafe {
        assert_eq!(tally_checksum(b"Wikipedia".as_ptr(), 9, 1), 0x11E6_0398);
        assert_eq!(tally_checksum(null(), 9, 0x1234_5678), 0x1234_5678);
        assert_eq!(tally_checksum(null(), 0, 7), 7);
        assert_eq!(tally_checksum(dangling(), 0, 1), 1);
    }
}

#[test]
fn new_checks_in_header_order() {
    unsafe {
        assert_eq!(tally_new(null(), null_mut()), TALLY_EINVAL);
        let bad = opts(TALLY_MODE_COUNT, 2, 0);
        assert_eq!(tally_new(&bad, null_mut()), TALLY_EINVAL);
    }
    let mut o = opts(0, 0, 1);
    o.struct_size += 4;
    for bad in [
        o,
        opts(TALLY_MODE_COUNT, 0, 1),
        opts(u32::MAX, 0, 1), // a negative C enum
        opts(0, 2, 1),
        opts(0, 0x8000_0001, 1),
        opts(0, 0, 0),
        opts(0, 0, TALLY_MAX_TOKEN + 1),
    ] {
        let (st, t) = new(Some(bad));
        assert_eq!((st, t), (TALLY_EINVAL, null_mut()), "{bad:?}");
    }
    for good in [
        None,
        Some(opts(TALLY_MODE_BYTES, TALLY_FLAG_ALL, TALLY_MAX_TOKEN)),
        Some(opts(TALLY_MODE_LINES, 0, 1)),
    ] {
        unsafe { tally_free(open(good)) };
    }
    unsafe { tally_free(null_mut()) };
}

#[test]
fn default_options_are_words_no_fold_min_len_1() {
    let t = open(None);
    assert_eq!(feed(t, b"A a\nb-b"), TALLY_OK);
    assert_eq!(unsafe { tally_finish(t) }, TALLY_OK);
    assert_eq!(
        top(t, 10).1,
        vec![(2, b"b".to_vec()), (1, b"A".to_vec()), (1, b"a".to_vec())]
    );
    unsafe { tally_free(t) };
}

#[test]
fn feed_and_finish_statuses_and_states() {
    let t = open(None);
    unsafe {
        assert_eq!(
            tally_feed(null_mut(), null(), 5),
            TALLY_EINVAL,
            "t NULL comes first"
        );
        assert_eq!(tally_feed(t, null(), 1), TALLY_EINVAL);
        assert_eq!(tally_feed(t, null(), 0), TALLY_OK);
        // No slice is made of a length past the limit (the pointer has no bytes behind it).
        assert_eq!(
            tally_feed(t, dangling(), TALLY_MAX_FEED as usize + 1),
            TALLY_ELIMIT
        );
        assert_eq!(
            tally_feed(t, null(), TALLY_MAX_FEED as usize + 1),
            TALLY_EINVAL
        );
        let big = vec![b'q'; TALLY_MAX_FEED as usize];
        assert_eq!(feed(t, &big), TALLY_OK, "the limit itself is valid");
        assert_eq!(tally_finish(null_mut()), TALLY_EINVAL);
        assert_eq!(tally_finish(t), TALLY_OK);
        assert_eq!(tally_finish(t), TALLY_OK, "finish is idempotent");
        assert_eq!(feed(t, b"x"), TALLY_ESTATE);
        assert_eq!(tally_feed(t, null(), 0), TALLY_ESTATE);
        assert_eq!(
            tally_feed(t, dangling(), TALLY_MAX_FEED as usize + 1),
            TALLY_ELIMIT,
            "limit before state"
        );
        let want = vec![(1, vec![b'q'; TALLY_MAX_TOKEN as usize])];
        assert_eq!(top(t, 1).1, want, "one 1 MiB token, truncated");
        tally_free(t);
    }
}

#[test]
fn efull_fails_the_handle_and_counts_stay_readable() {
    let t = open(Some(opts(TALLY_MODE_WORDS, 0, 1)));
    let mut text = Vec::new();
    for i in 0..TALLY_MAX_DISTINCT {
        text.extend_from_slice(format!("w{i} ").as_bytes());
    }
    assert_eq!(feed(t, &text), TALLY_OK);
    assert_eq!(feed(t, b"w1 extra w2"), TALLY_EFULL);
    assert_eq!(feed(t, b"w1"), TALLY_ESTATE);
    assert_eq!(unsafe { tally_finish(t) }, TALLY_ESTATE);
    assert_eq!(count(t, c"w1"), (TALLY_OK, 2));
    assert_eq!(count(t, c"w2"), (TALLY_OK, 1));
    assert_eq!(count(t, c"extra"), (TALLY_OK, 0));
    let (st, v) = top(t, TALLY_MAX_TOP as usize);
    assert_eq!(
        (st, v.len(), v[0].clone()),
        (TALLY_OK, TALLY_MAX_TOP as usize, (2, b"w1".to_vec()))
    );
    unsafe { tally_free(t) };

    // At finish: the pending token is the one too many.
    let t = open(None);
    assert_eq!(feed(t, &text), TALLY_OK);
    assert_eq!(feed(t, b"extra"), TALLY_OK);
    assert_eq!(unsafe { tally_finish(t) }, TALLY_EFULL);
    assert_eq!(unsafe { tally_finish(t) }, TALLY_ESTATE);
    unsafe { tally_free(t) };
}

#[test]
fn count_query_checks_and_folding() {
    let t = open(Some(opts(TALLY_MODE_WORDS, TALLY_FLAG_FOLD_CASE, 1)));
    let long = [b'K'; TALLY_MAX_TOKEN as usize + 10];
    assert_eq!(feed(t, &long), TALLY_OK);
    assert_eq!(feed(t, b" \xc3\x89t\xc3\xa9 "), TALLY_OK);
    let mut q64 = vec![b'k'; TALLY_MAX_TOKEN as usize];
    q64.push(0);
    let q64 = CStr::from_bytes_with_nul(&q64).unwrap();
    assert_eq!(count(t, q64), (TALLY_OK, 1));
    let mut q65 = vec![b'K'; TALLY_MAX_TOKEN as usize + 1];
    q65.push(0);
    assert_eq!(
        count(t, CStr::from_bytes_with_nul(&q65).unwrap()),
        (TALLY_EINVAL, 0)
    );
    assert_eq!(count(t, c""), (TALLY_EINVAL, 0));
    assert_eq!(count(t, c"\xc3\x89T\xc3\xa9"), (TALLY_OK, 1));
    assert_eq!(
        count(t, c"\xc3\xa9t\xc3\xa9"),
        (TALLY_OK, 0),
        "no folding past ASCII"
    );
    assert_eq!(count(t, c"nope"), (TALLY_OK, 0));
    let mut n = 5u64;
    unsafe {
        assert_eq!(tally_count(null(), c"a".as_ptr(), &mut n), TALLY_EINVAL);
        assert_eq!(n, 0);
        n = 5;
        assert_eq!(tally_count(t, null(), &mut n), TALLY_EINVAL);
        assert_eq!(n, 0);
        assert_eq!(tally_count(t, c"a".as_ptr(), null_mut()), TALLY_EINVAL);
        tally_free(t);
    }
}

#[test]
fn count_reads_no_more_than_max_token_plus_one_bytes() {
    // 65 non-NUL bytes and nothing after them that belongs to the query: the engine must
    // decide "too long" from these alone.
    let raw = [b'z'; TALLY_MAX_TOKEN as usize + 1];
    let t = open(None);
    let mut n = 1u64;
    let st = unsafe { tally_count(t, raw.as_ptr() as *const c_char, &mut n) };
    assert_eq!((st, n), (TALLY_EINVAL, 0));
    unsafe { tally_free(t) };
}

#[test]
fn top_checks_and_array() {
    let t = open(None);
    unsafe {
        let (mut p, mut k) = (dangling_mut::<TallyEntry>(), 3usize);
        assert_eq!(tally_top(null(), 1, &mut p, &mut k), TALLY_EINVAL);
        assert_eq!((p, k), (null_mut(), 0));
        assert_eq!(tally_top(t, 1, null_mut(), &mut k), TALLY_EINVAL);
        assert_eq!(tally_top(t, 1, &mut p, null_mut()), TALLY_EINVAL);
        assert_eq!(tally_top(t, 0, &mut p, &mut k), TALLY_EINVAL);
        (p, k) = (dangling_mut(), 3);
        assert_eq!(
            tally_top(t, TALLY_MAX_TOP as usize + 1, &mut p, &mut k),
            TALLY_ELIMIT
        );
        assert_eq!((p, k), (null_mut(), 0));
        (p, k) = (dangling_mut(), 3);
        assert_eq!(
            tally_top(t, TALLY_MAX_TOP as usize, &mut p, &mut k),
            TALLY_OK,
            "no tokens"
        );
        assert_eq!((p, k), (null_mut(), 0));
        tally_entries_free(null_mut(), 0);
    }
    let max = vec![b'm'; TALLY_MAX_TOKEN as usize];
    assert_eq!(feed(t, &max), TALLY_OK);
    assert_eq!(feed(t, b" b a b\xff ab a b"), TALLY_OK);
    assert_eq!(unsafe { tally_finish(t) }, TALLY_OK);
    assert_eq!(
        top(t, 10),
        (
            TALLY_OK,
            vec![
                (2, b"a".to_vec()),
                (2, b"b".to_vec()),
                (1, b"ab".to_vec()),
                (1, b"b\xff".to_vec()),
                (1, max.clone()),
            ]
        )
    );
    assert_eq!(top(t, 2).1.len(), 2);
    unsafe { tally_free(t) };
}

#[test]
fn a_panic_becomes_enomem() {
    assert_eq!(
        guard(|| -> Result<(), i32> { panic!("seeded {}", 42) }),
        Err(TALLY_ENOMEM)
    );
    assert_eq!(
        guard(|| -> Result<(), i32> { std::panic::panic_any(7u8) }),
        Err(TALLY_ENOMEM)
    );
}
