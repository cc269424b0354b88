//! Adler-32 continued from a caller's seed.

const MOD: u32 = 65521;
/// The most bytes whose sums fit a u32 before reducing (zlib's NMAX), with a and b already
/// below MOD: 255·n(n+1)/2 + (n+1)(MOD-1) <= u32::MAX.
const NMAX: usize = 5552;

/// Adler-32 of `data` from `seed`. No bytes leaves the seed as it is, even halves that are not
/// reduced (>= MOD): the header defines the result by feeding bytes, and none were fed. With
/// bytes, the result equals reducing after every byte, which is what the header describes.
pub fn adler32(seed: u32, data: &[u8]) -> u32 {
    if data.is_empty() {
        return seed;
    }
    // Reducing the seed first keeps NMAX's bound, which assumes a and b start below MOD.
    let mut a = (seed & 0xffff) % MOD;
    let mut b = (seed >> 16) % MOD;
    for chunk in data.chunks(NMAX) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header's definition, reduced after every byte.
    fn naive(seed: u32, data: &[u8]) -> u32 {
        let (mut a, mut b) = (seed & 0xffff, seed >> 16);
        for &byte in data {
            a = (a + u32::from(byte)) % MOD;
            b = (b + a) % MOD;
        }
        (b << 16) | a
    }

    #[test]
    fn known_values() {
        assert_eq!(adler32(1, b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(1, b""), 1);
        assert_eq!(adler32(0xdead_beef, b""), 0xdead_beef);
        // Continuing from a previous result is the same as one call over both parts.
        let mid = adler32(1, b"Wiki");
        assert_eq!(adler32(mid, b"pedia"), 0x11E6_0398);
    }

    #[test]
    fn matches_the_per_byte_definition_on_long_input_and_extreme_seeds() {
        // Long runs of 0xff are the worst case for the deferred reduction.
        let ff = vec![0xffu8; 3 * NMAX + 17];
        let mixed: Vec<u8> = (0..20_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for seed in [
            0,
            1,
            0xffff_ffff,
            0xfff0_fff0,
            (MOD - 1) << 16 | (MOD - 1),
            0x0001_ffff,
        ] {
            for data in [&ff[..], &mixed[..], &ff[..1], &ff[..NMAX], &ff[..NMAX + 1]] {
                assert_eq!(
                    adler32(seed, data),
                    naive(seed, data),
                    "seed {seed:#x} len {}",
                    data.len()
                );
            }
        }
    }
}
