//! Card profiles: a generic PIV card, or a YubiKey with its PIV extensions (FD, F8, FF, F7).

use crate::mgmt::ManagementAlgorithm;

/// A firmware version `major.minor.patch` (YubiKey GET VERSION).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major.
    pub major: u8,
    /// Minor.
    pub minor: u8,
    /// Patch.
    pub patch: u8,
}

impl Version {
    /// A version.
    pub const fn new(major: u8, minor: u8, patch: u8) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What kind of PIV card is in the reader, and so which optional commands it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardProfile {
    /// A card that implements only the SP 800-73-4 card edge.
    Generic,
    /// A YubiKey (answers GET VERSION FD).
    YubiKey {
        /// Firmware version.
        version: Version,
    },
}

impl CardProfile {
    /// GET SERIAL (F8) exists from YubiKey 5.
    pub fn has_serial(self) -> bool {
        matches!(self, CardProfile::YubiKey { version } if version.major >= 5)
    }

    /// GET METADATA (F7) exists from YubiKey 5.3.
    pub fn has_metadata(self) -> bool {
        matches!(self, CardProfile::YubiKey { version } if version >= Version::new(5, 3, 0))
    }

    /// SET MANAGEMENT KEY (FF) is a YubiKey extension.
    pub fn can_set_management_key(self) -> bool {
        matches!(self, CardProfile::YubiKey { .. })
    }

    /// AES management keys: YubiKey 5.7 and later (whose default key is AES-192).
    pub fn supports_aes_management(self) -> bool {
        matches!(self, CardProfile::YubiKey { version } if version >= Version::new(5, 7, 0))
    }

    /// The algorithm of the factory management key: AES-192 from YubiKey 5.7, else 3DES.
    pub fn factory_management_algorithm(self) -> ManagementAlgorithm {
        if self.supports_aes_management() {
            ManagementAlgorithm::Aes192
        } else {
            ManagementAlgorithm::TripleDes
        }
    }

    /// The algorithm cardline puts on the card: AES-192 where AES is supported, else 3DES.
    pub fn personalised_management_algorithm(self) -> ManagementAlgorithm {
        self.factory_management_algorithm()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_follow_firmware_versions() {
        let old = CardProfile::YubiKey {
            version: Version::new(4, 3, 7),
        };
        let mid = CardProfile::YubiKey {
            version: Version::new(5, 4, 3),
        };
        let new = CardProfile::YubiKey {
            version: Version::new(5, 7, 1),
        };
        assert!(!old.has_serial() && mid.has_serial());
        assert!(!old.has_metadata() && mid.has_metadata());
        assert_eq!(
            mid.factory_management_algorithm(),
            ManagementAlgorithm::TripleDes
        );
        assert_eq!(
            new.factory_management_algorithm(),
            ManagementAlgorithm::Aes192
        );
        assert!(!CardProfile::Generic.can_set_management_key());
        assert_eq!(Version::new(5, 7, 1).to_string(), "5.7.1");
    }
}
