//! Secret values: PIN, PUK, management keys and master keys.
//!
//! They are zeroized on drop, print as `***` in `Debug`, and have no `Display`. Use
//! [`expose`](SecretBytes::expose) only where the bytes are put on the wire or encrypted.

use zeroize::{Zeroize, Zeroizing};

/// A secret byte string, zeroized on drop, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps bytes (the caller's copy should be zeroized by the caller).
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }
    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl Zeroize for SecretBytes {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

macro_rules! secret_digits {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(SecretBytes);

        impl $name {
            /// Wraps ASCII digits. Length and content are validated by whoever issues the value.
            pub fn new(digits: impl Into<Vec<u8>>) -> Self {
                Self(SecretBytes::new(digits.into()))
            }
            /// The ASCII digits.
            pub fn expose(&self) -> &[u8] {
                self.0.expose()
            }
            /// Number of digits.
            pub fn len(&self) -> usize {
                self.0.len()
            }
            /// True when empty.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "(***)"))
            }
        }
    };
}

secret_digits!(
    /// A card PIN (PIV: 6–8 ASCII digits).
    Pin
);
secret_digits!(
    /// A card PUK (PIV: 8 ASCII digits).
    Puk
);

/// A card management key (PIV key reference 9B): the algorithm is known from the key length
/// and the card's metadata (24 bytes 3DES or AES-192, 16 AES-128, 32 AES-256).
#[derive(Clone, PartialEq, Eq)]
pub struct ManagementKey(SecretBytes);

impl ManagementKey {
    /// Wraps key bytes.
    pub fn new(key: Vec<u8>) -> Self {
        Self(SecretBytes::new(key))
    }
    /// The key bytes.
    pub fn expose(&self) -> &[u8] {
        self.0.expose()
    }
    /// The well-known default key of PIV test cards and YubiKeys (01..08 three times).
    pub fn piv_default() -> Self {
        Self::new([1, 2, 3, 4, 5, 6, 7, 8].repeat(3))
    }
    /// Key length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for ManagementKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManagementKey(***)")
    }
}

/// The master key from which per-card management keys are derived (HKDF-SHA256 over the
/// card's identity). 32 bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey(SecretBytes);

impl MasterKey {
    /// Wraps key bytes.
    pub fn new(key: Vec<u8>) -> Self {
        Self(SecretBytes::new(key))
    }
    /// The key bytes.
    pub fn expose(&self) -> &[u8] {
        self.0.expose()
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secret() {
        let pin = Pin::new(b"918273".to_vec());
        let puk = Puk::new(b"12345678".to_vec());
        let mk = ManagementKey::piv_default();
        let all = format!("{pin:?} {puk:?} {mk:?} {:?}", MasterKey::new(vec![7; 32]));
        assert!(!all.contains("918273") && !all.contains("12345678"));
        assert!(!all.contains('1') && all.contains("***"));
        assert_eq!(pin.expose(), b"918273");
    }
}
