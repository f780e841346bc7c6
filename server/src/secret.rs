//! Random secrets (session ids, CSRF tokens, API tokens) and their stored form.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// A random secret as 64 hex characters (256 bits from the OS).
pub fn random_token() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut()).expect("the operating system's random source failed");
    Zeroizing::new(hex::encode(bytes.as_slice()))
}

/// The stored form of an API token: SHA-256, hex. A token has 256 random bits, so a plain
/// hash (no salt, no stretching) cannot be searched.
pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_compare_exactly() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(*a, *b);
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert!(!same(&a, &a[..63]));
        assert_eq!(token_sha256("abc").len(), 64);
        assert_ne!(token_sha256(&a), token_sha256(&b));
    }
}
