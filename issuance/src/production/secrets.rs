//! Fresh PIN, PUK and GUID per card, from the operating system's CSPRNG.

/// `n` random ASCII digits, uniformly drawn (rejection sampling, no modulo bias).
pub fn generate_digits(n: usize) -> zeroize::Zeroizing<Vec<u8>> {
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(n));
    let mut buf = zeroize::Zeroizing::new([0u8; 32]);
    while out.len() < n {
        getrandom::fill(&mut buf[..]).expect("the OS random generator is available");
        for b in buf.iter() {
            // 250 = 25 × 10: bytes at or above it would bias the digits.
            if *b < 250 && out.len() < n {
                out.push(b'0' + b % 10);
            }
        }
    }
    out
}

/// A random 16-byte card GUID for the CHUID.
pub fn generate_guid() -> [u8; 16] {
    let mut g = [0u8; 16];
    getrandom::fill(&mut g).expect("the OS random generator is available");
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_have_the_length_and_alphabet_asked() {
        for n in [6, 8] {
            let d = generate_digits(n);
            assert_eq!(d.len(), n);
            assert!(d.iter().all(u8::is_ascii_digit));
        }
        assert_ne!(generate_guid(), generate_guid());
    }
}
