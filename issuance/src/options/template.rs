//! The commented default profile `cardline init` writes.

/// The default `options.toml`: every key, commented out, with its default and allowed range.
/// Uncomment a line to change a value.
pub const DEFAULT_PROFILE_TEXT: &str = r#"# cardline options profile: the administrator's choices for every batch of temporary cards.
# Every key is commented out and shows its default. Uncomment a line to change it, then run
# `cardline options check <this file>` and `cardline options show`.

# What the blank cards are: "piv" (PUK exactly 8 digits) or "generic-6-8" (PUK 6–8 digits).
# The transport PIN/PUK/management key of the blanks belong to the card profile, not here.
# card_profile = "piv"

# Digits of the PIN generated for each card: 6–8 (PIV card edge).
# pin_length = 6

# Digits of the PUK generated for each card: 8 for "piv"; 6–8 for "generic-6-8".
# puk_length = 8

# Encode the chip (PIN, PUK, management key, keys and certificates): true or false.
# encode = true

# Certificate profiles to issue, by name (see [certificate_profiles.*] below).
# Needs encode = true; use [] to encode without certificates.
# certificates = ["piv-auth"]

# Days an assigned card stays valid: 1–366.
# validity_days = 14

# Card face template: "temporary", "temporary-duplex", or NAME for <home>/faces/NAME.toml
# (1–64 ASCII letters, digits, - or _).
# face_template = "temporary"

# Card numbers: prefix + zero-padded sequence + Luhn check digit, e.g. TMP000000018.
# [numbering]
# prefix = "TMP"   # 0–16 ASCII letters, digits or -
# digits = 8       # 4–12

# PIN letters (`cardline cards secrets --order ID --reveal`): export the PUK with the PIN.
# [pin_letters]
# include_puk = true

# Certificate profiles. slot: 9a, 9c, 9d, 9e, 82–95; algorithm: p256, p384, rsa2048;
# subject: template with {card_number}; attributes CN, O, OU, C, L, ST, serialNumber.
# key_usage: digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement.
# extended_key_usage: clientAuth, serverAuth, emailProtection, codeSigning, timeStamping,
# smartcardLogon, or a dotted OID.
# [certificate_profiles.piv-auth]
# slot = "9a"
# algorithm = "p256"
# subject = "CN=Temporary card {card_number},O=cardline"
# key_usage = ["digitalSignature"]
# extended_key_usage = ["clientAuth", "smartcardLogon"]
"#;
