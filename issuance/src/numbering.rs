//! Card numbering: prefix + zero-padded sequence + check digit.
//!
//! The check digit is the Luhn (mod 10) check digit computed over the digits of the
//! zero-padded sequence, so a single mistyped digit or a swap of two adjacent digits is caught
//! when an operator types a card number. The prefix is constant and takes no part in it.
//!
//! ```
//! use cardline_issuance::numbering::Numbering;
//! let n = Numbering::new("TMP", 8).unwrap();
//! assert_eq!(n.format(1), "TMP000000018");
//! assert_eq!(n.validate("TMP000000018").unwrap(), 1);
//! assert!(n.validate("TMP000000017").is_err());
//! ```
//!
//! The sequence continues across requests: the store keeps the last sequence used per prefix.

/// Fewest sequence digits a scheme may have.
pub const MIN_DIGITS: u8 = 4;
/// Most sequence digits a scheme may have.
pub const MAX_DIGITS: u8 = 12;
/// Longest prefix.
pub const MAX_PREFIX_LEN: usize = 16;

/// A numbering scheme from the options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Numbering {
    /// Text before the sequence, e.g. `TMP-`.
    pub prefix: String,
    /// Digits of the zero-padded sequence.
    pub digits: u8,
}

/// Why a scheme or a card number is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NumberingError {
    /// The sequence width is out of range.
    #[error("numbering digits {digits} is out of range: allowed {MIN_DIGITS}–{MAX_DIGITS}")]
    Digits {
        /// The width given.
        digits: u8,
    },
    /// The prefix is too long or has characters other than ASCII letters, digits and `-`.
    #[error(
        "numbering prefix `{prefix}` is not allowed: 0–{MAX_PREFIX_LEN} ASCII letters, digits or `-`"
    )]
    Prefix {
        /// The prefix given.
        prefix: String,
    },
    /// The number does not start with the scheme's prefix.
    #[error("card number `{number}` does not start with `{prefix}`")]
    WrongPrefix {
        /// The number.
        number: String,
        /// The expected prefix.
        prefix: String,
    },
    /// The part after the prefix is not `digits` + 1 decimal digits.
    #[error("card number `{number}` must have {expected} digits after the prefix")]
    Shape {
        /// The number.
        number: String,
        /// How many digits are expected (sequence + check digit).
        expected: usize,
    },
    /// The check digit does not match (a typo).
    #[error("card number `{number}` has a wrong check digit (expected {expected}): a typo?")]
    CheckDigit {
        /// The number.
        number: String,
        /// The correct check digit.
        expected: u8,
    },
    /// The scheme has no sequence numbers left.
    #[error(
        "numbering `{prefix}` with {digits} digits has room for {capacity} cards; {requested} more do not fit (raise `numbering.digits` or change the prefix)"
    )]
    Exhausted {
        /// The prefix.
        prefix: String,
        /// The sequence width.
        digits: u8,
        /// Highest sequence the scheme can hold.
        capacity: u64,
        /// How many numbers were asked for.
        requested: u64,
    },
}

impl Numbering {
    /// A checked scheme.
    pub fn new(prefix: impl Into<String>, digits: u8) -> Result<Numbering, NumberingError> {
        let n = Numbering {
            prefix: prefix.into(),
            digits,
        };
        n.check()?;
        Ok(n)
    }

    /// Checks the width (4–12) and the prefix (≤ 16 ASCII letters, digits, `-`).
    pub fn check(&self) -> Result<(), NumberingError> {
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&self.digits) {
            return Err(NumberingError::Digits {
                digits: self.digits,
            });
        }
        if !prefix_is_valid(&self.prefix) {
            return Err(NumberingError::Prefix {
                prefix: self.prefix.clone(),
            });
        }
        Ok(())
    }

    /// The highest sequence number the scheme can format (`10^digits - 1`).
    pub fn max_sequence(&self) -> u64 {
        10u64.pow(u32::from(self.digits.min(MAX_DIGITS))) - 1
    }

    /// Checks that sequences `after + 1 ..= after + count` fit.
    pub fn check_room(&self, after: u64, count: u64) -> Result<(), NumberingError> {
        if after.saturating_add(count) > self.max_sequence() {
            return Err(NumberingError::Exhausted {
                prefix: self.prefix.clone(),
                digits: self.digits,
                capacity: self.max_sequence(),
                requested: count,
            });
        }
        Ok(())
    }

    /// The card number of sequence `seq`: prefix, `seq` zero-padded to `digits`, check digit.
    /// A `seq` wider than `digits` is written in full (callers check room first).
    pub fn format(&self, seq: u64) -> String {
        let body = format!("{seq:0width$}", width = usize::from(self.digits));
        let check = luhn_check_digit(body.as_bytes());
        let mut s = String::with_capacity(self.prefix.len() + body.len() + 1);
        s.push_str(&self.prefix);
        s.push_str(&body);
        s.push(char::from(b'0' + check));
        s
    }

    /// Validates a card number of this scheme and returns its sequence.
    pub fn validate(&self, number: &str) -> Result<u64, NumberingError> {
        let rest = number.strip_prefix(self.prefix.as_str()).ok_or_else(|| {
            NumberingError::WrongPrefix {
                number: number.into(),
                prefix: self.prefix.clone(),
            }
        })?;
        let expected = usize::from(self.digits) + 1;
        if rest.len() != expected || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumberingError::Shape {
                number: number.into(),
                expected,
            });
        }
        let (body, check) = rest.as_bytes().split_at(expected - 1);
        let want = luhn_check_digit(body);
        if check[0] - b'0' != want {
            return Err(NumberingError::CheckDigit {
                number: number.into(),
                expected: want,
            });
        }
        // At most 12 digits: always fits in u64.
        Ok(std::str::from_utf8(body)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }
}

impl Default for Numbering {
    /// `TMP` with 8 digits: `TMP000000018`.
    fn default() -> Self {
        Numbering {
            prefix: "TMP".into(),
            digits: 8,
        }
    }
}

fn prefix_is_valid(prefix: &str) -> bool {
    prefix.len() <= MAX_PREFIX_LEN
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A numbering scheme in use: its prefix and the length of its card numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemeInUse {
    /// The prefix.
    pub prefix: String,
    /// The length of its card numbers (prefix, sequence digits, check digit).
    pub number_len: usize,
}

impl Numbering {
    /// The length of this scheme's card numbers.
    pub fn number_len(&self) -> usize {
        self.prefix.len() + usize::from(self.digits) + 1
    }

    /// Whether this scheme could make a number another scheme in use already made: the same
    /// number length and one prefix the start of the other (in any case), the rest of the
    /// longer prefix digits — then `T1` + 8 digits and `T` + 9 digits write the same numbers.
    /// The same prefix with the same length is the same scheme (its sequence goes on).
    /// Returns what collides, for the message.
    pub fn collides_with<'a>(&self, in_use: &'a [SchemeInUse]) -> Option<&'a SchemeInUse> {
        let mine = self.prefix.to_ascii_uppercase();
        in_use.iter().find(|other| {
            let theirs = other.prefix.to_ascii_uppercase();
            if other.number_len != self.number_len() || theirs == mine {
                return false;
            }
            let (short, long) = if mine.len() <= theirs.len() {
                (&mine, &theirs)
            } else {
                (&theirs, &mine)
            };
            long.starts_with(short.as_str())
                && long[short.len()..].bytes().all(|b| b.is_ascii_digit())
        })
    }
}

/// The Luhn check digit of ASCII decimal digits: double every second digit from the right
/// (starting with the rightmost), sum the digits, and take what makes the sum a multiple of 10.
pub fn luhn_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_matches_known_vectors() {
        // 7992739871 → 3 (the classic example); 0 → 0; 1 → 8.
        assert_eq!(luhn_check_digit(b"7992739871"), 3);
        assert_eq!(luhn_check_digit(b"0000"), 0);
        assert_eq!(luhn_check_digit(b"0001"), 8);
    }

    #[test]
    fn format_pads_and_appends_the_check_digit() {
        let n = Numbering::new("TMP-", 4).unwrap();
        assert_eq!(n.format(1), "TMP-00018");
        assert_eq!(n.format(9999), "TMP-99994");
        assert_eq!(n.validate("TMP-99994"), Ok(9999));
    }

    #[test]
    fn every_single_digit_typo_is_caught() {
        let n = Numbering::default();
        let good = n.format(12345);
        assert_eq!(n.validate(&good), Ok(12345));
        for pos in 3..good.len() {
            for d in b'0'..=b'9' {
                let mut bad = good.clone().into_bytes();
                if bad[pos] == d {
                    continue;
                }
                bad[pos] = d;
                let bad = String::from_utf8(bad).unwrap();
                assert!(n.validate(&bad).is_err(), "{bad} accepted");
            }
        }
    }

    #[test]
    fn adjacent_swaps_are_caught() {
        let n = Numbering::default();
        let good = n.format(12_345_678);
        let mut b = good.clone().into_bytes();
        b.swap(5, 6);
        assert!(n.validate(std::str::from_utf8(&b).unwrap()).is_err());
    }

    #[test]
    fn bad_numbers_say_why() {
        let n = Numbering::default();
        assert!(matches!(
            n.validate("XYZ000000018"),
            Err(NumberingError::WrongPrefix { .. })
        ));
        assert!(matches!(
            n.validate("TMP00000018"),
            Err(NumberingError::Shape { expected: 9, .. })
        ));
        assert!(matches!(
            n.validate("TMP00000001x"),
            Err(NumberingError::Shape { .. })
        ));
        assert!(matches!(
            n.validate("TMP000000017"),
            Err(NumberingError::CheckDigit { expected: 8, .. })
        ));
    }

    #[test]
    fn prefixes_that_would_write_the_same_numbers_collide() {
        let t9 = SchemeInUse {
            prefix: "T".into(),
            number_len: 11,
        };
        let t1 = Numbering::new("T1", 8).unwrap();
        assert_eq!(t1.number_len(), 11);
        assert_eq!(t1.collides_with(std::slice::from_ref(&t9)), Some(&t9));
        assert_eq!(
            Numbering::new("t1", 8)
                .unwrap()
                .collides_with(std::slice::from_ref(&t9)),
            Some(&t9),
            "any case"
        );
        assert_eq!(
            Numbering::new("T1", 7)
                .unwrap()
                .collides_with(std::slice::from_ref(&t9)),
            None,
            "other length"
        );
        assert_eq!(
            Numbering::new("TX", 8)
                .unwrap()
                .collides_with(std::slice::from_ref(&t9)),
            None,
            "a letter after the prefix"
        );
        assert_eq!(
            Numbering::new("T", 9)
                .unwrap()
                .collides_with(std::slice::from_ref(&t9)),
            None,
            "the same scheme"
        );
        assert_eq!(
            Numbering::new("U1", 8)
                .unwrap()
                .collides_with(std::slice::from_ref(&t9)),
            None
        );
    }

    #[test]
    fn scheme_limits() {
        assert!(Numbering::new("TMP", 3).is_err());
        assert!(Numbering::new("TMP", 13).is_err());
        assert!(Numbering::new("TMP", 12).is_ok());
        assert!(Numbering::new("T M", 8).is_err());
        assert!(Numbering::new("A".repeat(17), 8).is_err());
        assert!(Numbering::new("", 8).is_ok());
        let n = Numbering::new("T", 4).unwrap();
        assert_eq!(n.max_sequence(), 9999);
        assert!(n.check_room(9990, 9).is_ok());
        assert!(matches!(
            n.check_room(9990, 10),
            Err(NumberingError::Exhausted { capacity: 9999, .. })
        ));
    }
}
