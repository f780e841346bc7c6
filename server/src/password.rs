//! Passwords: Argon2id hashes stored as PHC strings ([`hash`], [`verify`]).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use zeroize::Zeroizing;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 10;
/// Longest password accepted (bounds the hashing work an outsider can cause).
pub const MAX_LENGTH: usize = 256;

/// A password in memory: zeroized on drop, never printed.
pub struct Password(Zeroizing<String>);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A password that may not be set.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    /// Too short.
    #[error("the password has {0} characters; use at least 10")]
    TooShort(usize),
    /// Too long.
    #[error("the password has {0} characters; use at most 256")]
    TooLong(usize),
}

impl Password {
    /// Wraps a password given to log in (any length up to [`MAX_LENGTH`] is checked).
    pub fn new(text: String) -> Password {
        Password(Zeroizing::new(text))
    }

    /// A password to set: between [`MIN_LENGTH`] and [`MAX_LENGTH`] characters.
    pub fn new_checked(text: String) -> Result<Password, PasswordError> {
        let p = Password::new(text);
        let n = p.0.chars().count();
        if n < MIN_LENGTH {
            return Err(PasswordError::TooShort(n));
        }
        if n > MAX_LENGTH {
            return Err(PasswordError::TooLong(n));
        }
        Ok(p)
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The Argon2id PHC string of `password` with a fresh random salt (Argon2's default cost).
pub fn hash(password: &Password) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source failed");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.bytes(), &salt)
        .expect("Argon2id with default parameters hashes any password")
        .to_string()
}

/// True when `password` matches the PHC string `phc`; false for a malformed one or a
/// password longer than [`MAX_LENGTH`].
pub fn verify(password: &Password, phc: &str) -> bool {
    if password.0.chars().count() > MAX_LENGTH {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A valid hash of no known password: verified against when the user does not exist, so a
/// login takes as long for an unknown name as for a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let random = crate::secret::random_token();
        hash(&Password::new(random.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password_and_is_salted() {
        let p = Password::new_checked("correct horse battery".into()).unwrap();
        let h = hash(&p);
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify(&p, &h));
        assert!(!verify(&Password::new("correct horse batterY".into()), &h));
        assert!(!verify(&p, "not a phc string"));
        assert_ne!(h, hash(&p), "a fresh salt each time");
        assert!(!verify(&p, decoy_hash()));
    }

    #[test]
    fn password_rules_and_debug() {
        assert_eq!(
            Password::new_checked("short".into()).unwrap_err(),
            PasswordError::TooShort(5)
        );
        assert!(Password::new_checked("x".repeat(257)).is_err());
        let p = Password::new("hunter2hunter2".into());
        assert_eq!(format!("{p:?}"), "Password(***)");
    }
}
