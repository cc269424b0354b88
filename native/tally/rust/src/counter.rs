//! The counter behind a `tally` handle: tokenizing, counting and the handle's states. Safe
//! Rust only; lib.rs turns the C arguments into these calls and the errors into statuses.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::abi::*;

const MAX_TOKEN: usize = TALLY_MAX_TOKEN as usize;
const MAX_DISTINCT: usize = TALLY_MAX_DISTINCT as usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Words,
    Lines,
    Bytes,
}

impl Mode {
    /// The header's `tally_mode` as C passed it; None for anything out of range.
    pub fn from_c(mode: u32) -> Option<Mode> {
        match mode {
            TALLY_MODE_WORDS => Some(Mode::Words),
            TALLY_MODE_LINES => Some(Mode::Lines),
            TALLY_MODE_BYTES => Some(Mode::Bytes),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Open,
    Finished,
    Failed,
}

/// Why a feed or finish stopped. Both leave every token completed before it counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// A new distinct token past TALLY_MAX_DISTINCT; the handle is failed.
    Full,
    /// The map could not grow.
    NoMem,
}

/// A token's first TALLY_MAX_TOKEN bytes, inline: a count map of these needs no allocation
/// per token, and the truncation rule is the type's capacity. Equality, hashing and order
/// look only at the used bytes.
#[derive(Clone, Copy)]
pub struct Token {
    len: u8,
    bytes: [u8; MAX_TOKEN],
}

impl Token {
    pub const EMPTY: Token = Token {
        len: 0,
        bytes: [0; MAX_TOKEN],
    };

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a byte of the run; bytes past TALLY_MAX_TOKEN are dropped, which is the
    /// header's truncation: a longer token counts as its first TALLY_MAX_TOKEN bytes.
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len as usize) {
            *slot = b;
            self.len += 1;
        }
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Token {}

impl Hash for Token {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl Ord for Token {
    /// Unsigned bytes, a prefix first: what the header asks tally_top's ties to be sorted by.
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialOrd for Token {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// ASCII letters, digits, '_' and every byte >= 0x80, so UTF-8 text stays in one word.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

pub struct Counter {
    mode: Mode,
    fold: bool,
    min_len: usize,
    state: State,
    /// The run not yet ended by a separator; it may continue in the next feed.
    pending: Token,
    /// Lines mode: a '\r' was the last byte seen. It belongs to the line unless a '\n' comes
    /// next, and that can be decided only by the next byte, maybe in the next feed.
    pending_cr: bool,
    counts: HashMap<Token, u64>,
}

impl Counter {
    /// `min_len` is 1..=TALLY_MAX_TOKEN (the caller has checked).
    pub fn new(mode: Mode, fold: bool, min_len: u32) -> Counter {
        Counter {
            mode,
            fold,
            min_len: min_len as usize,
            state: State::Open,
            pending: Token::EMPTY,
            pending_cr: false,
            counts: HashMap::new(),
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// ASCII only: bytes >= 0x80 are left alone so both engines agree whatever the encoding.
    pub fn fold(&self, b: u8) -> u8 {
        if self.fold {
            b.to_ascii_lowercase()
        } else {
            b
        }
    }

    /// Feeds `data` to an open counter. A run at the end stays pending.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), Stop> {
        debug_assert_eq!(self.state, State::Open);
        for &b in data {
            match self.mode {
                Mode::Words if is_word_byte(b) => self.pending.push(self.fold(b)),
                Mode::Words => self.end_token()?,
                Mode::Lines => match b {
                    b'\n' => {
                        self.pending_cr = false; // dropped: it ended the line
                        self.end_token()?;
                    }
                    0 => {
                        self.flush_cr();
                        self.end_token()?;
                    }
                    b'\r' => {
                        self.flush_cr();
                        self.pending_cr = true;
                    }
                    _ => {
                        self.flush_cr();
                        self.pending.push(self.fold(b));
                    }
                },
                Mode::Bytes if b == 0 => {}
                Mode::Bytes => {
                    self.pending.push(self.fold(b));
                    self.end_token()?;
                }
            }
        }
        Ok(())
    }

    /// Ends the pending token, if any, and finishes an open counter; a finished one is left
    /// as it is.
    pub fn finish(&mut self) -> Result<(), Stop> {
        if self.state == State::Finished {
            return Ok(());
        }
        debug_assert_eq!(self.state, State::Open);
        // A '\r' at the very end is no '\r' before a '\n': it stays in the line.
        self.flush_cr();
        self.end_token()?;
        self.state = State::Finished;
        Ok(())
    }

    /// The count of `query`, a token as the caller wrote it (folded here, like tokens were).
    pub fn count(&self, query: &[u8]) -> u64 {
        let mut q = Token::EMPTY;
        for &b in query {
            q.push(self.fold(b));
        }
        self.counts.get(&q).copied().unwrap_or(0)
    }

    /// The `n` most counted tokens, by count descending, then token ascending.
    pub fn top(&self, n: usize) -> Result<Vec<(&Token, u64)>, Stop> {
        let mut all: Vec<(&Token, u64)> = Vec::new();
        all.try_reserve_exact(self.counts.len())
            .map_err(|_| Stop::NoMem)?;
        all.extend(self.counts.iter().map(|(t, &c)| (t, c)));
        all.sort_unstable_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(y.0)));
        all.truncate(n);
        Ok(all)
    }

    fn flush_cr(&mut self) {
        if std::mem::take(&mut self.pending_cr) {
            self.pending.push(b'\r');
        }
    }

    /// Counts the pending token (if long enough) and clears it.
    fn end_token(&mut self) -> Result<(), Stop> {
        let token = std::mem::replace(&mut self.pending, Token::EMPTY);
        if token.is_empty() || (token.len as usize) < self.min_len {
            return Ok(());
        }
        if let Some(c) = self.counts.get_mut(&token) {
            *c += 1;
            return Ok(());
        }
        if self.counts.len() >= MAX_DISTINCT {
            self.state = State::Failed;
            return Err(Stop::Full);
        }
        // Fallible growth: out of memory is TALLY_ENOMEM, as the header says, not an abort.
        self.counts.try_reserve(1).map_err(|_| Stop::NoMem)?;
        self.counts.insert(token, 1);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(mode: Mode, fold: bool, min_len: u32) -> Counter {
        Counter::new(mode, fold, min_len)
    }

    fn counts(c: &Counter) -> Vec<(Vec<u8>, u64)> {
        c.top(usize::MAX)
            .unwrap()
            .into_iter()
            .map(|(t, n)| (t.as_bytes().to_vec(), n))
            .collect()
    }

    fn pairs(v: &[(&[u8], u64)]) -> Vec<(Vec<u8>, u64)> {
        v.iter().map(|(t, n)| (t.to_vec(), *n)).collect()
    }

    #[test]
    fn words_separators_utf8_and_nul() {
        let mut c = counter(Mode::Words, false, 1);
        c.feed(b"foo bar,foo\0baz-\xc3\xa9t\xc3\xa9 foo_1").unwrap();
        c.finish().unwrap();
        assert_eq!(
            counts(&c),
            pairs(&[
                (b"foo", 2),
                (b"bar", 1),
                (b"baz", 1),
                (b"foo_1", 1),
                (b"\xc3\xa9t\xc3\xa9", 1)
            ])
        );
    }

    #[test]
    fn tokens_span_feeds_and_pending_is_not_counted() {
        for mode in [Mode::Words, Mode::Lines] {
            let mut c = counter(mode, false, 1);
            c.feed(b"ab").unwrap();
            c.feed(b"").unwrap();
            c.feed(b"c").unwrap();
            assert_eq!(c.count(b"abc"), 0, "{mode:?}: pending is not counted");
            c.feed(b"d").unwrap();
            c.finish().unwrap();
            assert_eq!(counts(&c), pairs(&[(b"abcd", 1)]), "{mode:?}");
        }
        // One byte per feed is the same as one feed.
        let text = b"one two\r\nthree\r\r\n\rfour\n\n two";
        for mode in [Mode::Words, Mode::Lines, Mode::Bytes] {
            let mut whole = counter(mode, false, 1);
            whole.feed(text).unwrap();
            whole.finish().unwrap();
            let mut split = counter(mode, false, 1);
            for b in text.chunks(1) {
                split.feed(b).unwrap();
            }
            split.finish().unwrap();
            assert_eq!(counts(&whole), counts(&split), "{mode:?}");
        }
    }

    #[test]
    fn lines_crlf_empty_lines_and_nul() {
        let mut c = counter(Mode::Lines, false, 1);
        c.feed(b"a b\r\n\r\n\n a b\r").unwrap();
        c.feed(b"\nx\r\ry\n\r\0z\r\rq\0tail\r").unwrap();
        c.finish().unwrap();
        assert_eq!(
            counts(&c),
            pairs(&[
                (b"\r", 1),   // "\r\0": the '\r' is not before a '\n'
                (b" a b", 1), // the '\r' before the '\n' came in the next feed
                (b"a b", 1),
                (b"tail\r", 1), // ended by finish, not by '\n'
                (b"x\r\ry", 1),
                (b"z\r\rq", 1),
            ])
        );
    }

    #[test]
    fn bytes_mode_skips_nul_and_honours_min_len() {
        let mut c = counter(Mode::Bytes, true, 1);
        c.feed(b"aA\0\xff\n").unwrap();
        c.finish().unwrap();
        assert_eq!(counts(&c), pairs(&[(b"a", 2), (b"\n", 1), (b"\xff", 1)]));
        let mut c = counter(Mode::Bytes, false, 2);
        c.feed(b"abc").unwrap();
        assert!(counts(&c).is_empty());
    }

    #[test]
    fn truncation_to_max_token_and_min_len() {
        let long = [b'x'; MAX_TOKEN + 10];
        let mut c = counter(Mode::Words, false, MAX_TOKEN as u32);
        c.feed(&long[..MAX_TOKEN - 1]).unwrap();
        c.feed(b" ").unwrap(); // 63 bytes: under min_len
        c.feed(&long[..MAX_TOKEN]).unwrap();
        c.feed(b" ").unwrap();
        c.feed(&long[..30]).unwrap(); // 94 bytes over two feeds
        c.feed(&long[..MAX_TOKEN]).unwrap();
        c.finish().unwrap();
        assert_eq!(counts(&c), vec![(long[..MAX_TOKEN].to_vec(), 2)]);
        // Lines: a '\r' at byte 65 is past the kept bytes whether or not a '\n' follows.
        let mut c = counter(Mode::Lines, false, 1);
        let mut line = vec![b'y'; MAX_TOKEN - 1];
        line.extend_from_slice(b"\rz\n");
        c.feed(&line).unwrap();
        let mut want = vec![b'y'; MAX_TOKEN - 1];
        want.push(b'\r');
        assert_eq!(counts(&c), vec![(want, 1)]);
    }

    #[test]
    fn fold_case_is_ascii_only() {
        let mut c = counter(Mode::Words, true, 1);
        c.feed(b"HeLLo hello \xc3\x80 \xc3\xa0 Z_9").unwrap();
        c.finish().unwrap();
        assert_eq!(c.count(b"HELLO"), 2);
        assert_eq!(c.count(b"z_9"), 1);
        assert_eq!(c.count(b"\xc3\x80"), 1, "À is not folded to à");
        assert_eq!(c.count(b"\xc3\xa0"), 1);
        // The stored bytes too: a query folded the same wrong way would still find its token.
        assert!(counts(&c).contains(&(b"\xc3\x80".to_vec(), 1)));
        let mut c = counter(Mode::Words, false, 1);
        c.feed(b"Hello hello").unwrap();
        assert_eq!(
            (c.count(b"Hello"), c.count(b"hello"), c.count(b"HELLO")),
            (1, 0, 0),
            "hello is pending"
        );
        c.finish().unwrap();
        assert_eq!(
            (c.count(b"Hello"), c.count(b"hello"), c.count(b"HELLO")),
            (1, 1, 0)
        );
    }

    #[test]
    fn distinct_limit_fails_the_handle_and_keeps_earlier_tokens() {
        let mut c = counter(Mode::Words, false, 1);
        let mut text = Vec::new();
        for i in 0..MAX_DISTINCT {
            text.extend_from_slice(format!("t{i} ").as_bytes());
        }
        c.feed(&text).unwrap();
        // Repeats of known tokens are fine at the limit; a new one is not.
        assert_eq!(c.feed(b"t0 t1 new t2 "), Err(Stop::Full));
        assert_eq!(c.state(), State::Failed);
        assert_eq!((c.count(b"t0"), c.count(b"t1"), c.count(b"t2")), (2, 2, 1));
        assert_eq!(c.count(b"new"), 0);
        assert_eq!(c.counts.len(), MAX_DISTINCT);

        // The pending token overflowing at finish fails the handle too.
        let mut c = counter(Mode::Words, false, 1);
        c.feed(&text).unwrap();
        c.feed(b"t5 last").unwrap();
        assert_eq!(c.finish(), Err(Stop::Full));
        assert_eq!(c.state(), State::Failed);
        assert_eq!(c.count(b"t5"), 2);
    }

    #[test]
    fn finish_is_idempotent() {
        let mut c = counter(Mode::Words, false, 1);
        c.feed(b"a").unwrap();
        c.finish().unwrap();
        c.finish().unwrap();
        assert_eq!(c.state(), State::Finished);
        assert_eq!(counts(&c), pairs(&[(b"a", 1)]));
    }

    #[test]
    fn top_orders_by_count_then_unsigned_bytes_prefix_first() {
        let mut c = counter(Mode::Words, false, 1);
        c.feed(b"b ab a \xff a\xff a ab b z z z").unwrap();
        c.finish().unwrap();
        assert_eq!(
            counts(&c),
            pairs(&[
                (b"z", 3),
                (b"a", 2),
                (b"ab", 2),
                (b"b", 2),
                (b"a\xff", 1),
                (b"\xff", 1)
            ])
        );
        let top2: Vec<_> = c
            .top(2)
            .unwrap()
            .into_iter()
            .map(|(t, n)| (t.as_bytes().to_vec(), n))
            .collect();
        assert_eq!(top2, pairs(&[(b"z", 3), (b"a", 2)]));
    }

    /// The header's token rules applied to the whole stream at once, written independently of
    /// the streaming state machine: split at separators, drop a '\r' before '\n', truncate,
    /// fold, filter by min_len.
    fn model(mode: Mode, fold: bool, min_len: usize, stream: &[u8]) -> Vec<(Vec<u8>, u64)> {
        let mut raw: Vec<Vec<u8>> = Vec::new();
        match mode {
            Mode::Words => raw.extend(stream.split(|&b| !is_word_byte(b)).map(<[u8]>::to_vec)),
            Mode::Bytes => raw.extend(stream.iter().filter(|&&b| b != 0).map(|&b| vec![b])),
            Mode::Lines => {
                let mut start = 0;
                for (i, &b) in stream.iter().enumerate() {
                    if b == b'\n' || b == 0 {
                        let mut line = &stream[start..i];
                        if b == b'\n' {
                            line = line.strip_suffix(b"\r").unwrap_or(line);
                        }
                        raw.push(line.to_vec());
                        start = i + 1;
                    }
                }
                raw.push(stream[start..].to_vec());
            }
        }
        let mut m: HashMap<Vec<u8>, u64> = HashMap::new();
        for mut t in raw {
            t.truncate(MAX_TOKEN);
            if fold {
                t.make_ascii_lowercase();
            }
            if !t.is_empty() && t.len() >= min_len {
                *m.entry(t).or_default() += 1;
            }
        }
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
        v
    }

    #[test]
    fn random_streams_and_splits_match_the_model() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        const ALPHABET: &[u8] = b"aAbZ_9 \r\n\0\r\n-\xc3\x80\xff";
        for round in 0..3000 {
            let mode = [Mode::Words, Mode::Lines, Mode::Bytes][round % 3];
            let fold = rnd(2) == 1;
            let min_len = [1, 1, 2, 3, 63, 64][rnd(6)];
            let len = rnd(if round % 10 == 0 { 400 } else { 40 });
            let stream: Vec<u8> = (0..len)
                .map(|_| {
                    if rnd(3) == 0 {
                        b'x' // long runs, past TALLY_MAX_TOKEN now and then
                    } else {
                        ALPHABET[rnd(ALPHABET.len())]
                    }
                })
                .collect();
            let mut c = counter(mode, fold, min_len as u32);
            let mut rest = &stream[..];
            while !rest.is_empty() {
                let (feed, tail) = rest.split_at(rnd(rest.len() + 1));
                c.feed(feed).unwrap();
                rest = tail;
            }
            c.finish().unwrap();
            assert_eq!(
                counts(&c),
                model(mode, fold, min_len, &stream),
                "{mode:?} fold={fold} min_len={min_len} stream={stream:?}"
            );
        }
    }
}
