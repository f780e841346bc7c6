use super::*;

fn err(text: &str) -> OptionsError {
    Options::from_toml(text, "p.toml").unwrap_err()
}

fn one_problem(text: &str) -> (Problem, String) {
    let e = err(text);
    assert_eq!(e.problems().len(), 1, "{e}");
    (e.problems()[0].clone(), e.to_string())
}

#[test]
fn defaults_are_valid_and_match_the_documented_values() {
    let o = Options::default();
    o.validate().unwrap();
    assert_eq!((o.pin_length, o.puk_length, o.validity_days), (6, 8, 14));
    assert!(o.encode);
    assert_eq!(o.certificates, ["piv-auth"]);
    assert_eq!(o.numbering, Numbering::new("TMP", 8).unwrap());
    assert_eq!(o.face_template, "temporary");
    assert_eq!(o.card_profile, CardProfile::Piv);
    let p = &o.certificate_profiles["piv-auth"];
    assert_eq!(
        (p.slot, p.algorithm),
        (PivSlot(0x9a), KeyAlgorithm::EccP256)
    );
    assert_eq!(o.key_requests().len(), 1);
}

#[test]
fn the_commented_template_gives_the_defaults() {
    let o = Options::from_toml(DEFAULT_PROFILE_TEXT, "t").unwrap();
    assert_eq!(
        o,
        Options {
            source_file: Some("t".into()),
            ..Options::default()
        }
    );
}

#[test]
fn the_uncommented_template_says_exactly_the_defaults() {
    let text: String = DEFAULT_PROFILE_TEXT
        .lines()
        .map(|l| {
            let setting = |r: &&str| {
                r.starts_with('[')
                    || r.split_once(" = ").is_some_and(|(k, _)| {
                        k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    })
            };
            l.strip_prefix("# ").filter(setting).unwrap_or("")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let o = Options::from_toml(&text, "t").unwrap();
    let d = Options::default();
    assert_eq!(o.pin_length, d.pin_length);
    assert_eq!(o.certificate_profiles, d.certificate_profiles);
    assert_eq!(o.numbering, d.numbering);
    assert_eq!(o.certificates, d.certificates);
    assert!(
        o.effective_with_sources()
            .iter()
            .all(|e| e.source == Source::File)
    );
}

#[test]
fn pin_length_out_of_range_names_file_line_key_value_and_range() {
    let (p, text) = one_problem("encode = true\npin_length = 5\n");
    assert_eq!(p.line, Some(2));
    assert_eq!(p.key, "pin_length");
    assert_eq!(p.value.as_deref(), Some("5"));
    assert!(text.starts_with("p.toml:2: `pin_length = 5`"), "{text}");
    assert!(text.contains("6–8"), "{text}");
    // A value that does not even fit a byte is reported the same way.
    let (p, _) = one_problem("pin_length = 300\n");
    assert_eq!((p.line, p.value.as_deref()), (Some(1), Some("300")));
    let (p, _) = one_problem("\n\npin_length = 9\n");
    assert_eq!(p.line, Some(3));
}

#[test]
fn puk_is_eight_for_piv_and_six_to_eight_only_when_the_card_profile_allows() {
    let (p, text) = one_problem("puk_length = 6\n");
    assert_eq!(p.key, "puk_length");
    assert!(
        text.contains("allowed 8") && text.contains("generic-6-8"),
        "{text}"
    );
    let o = Options::from_toml("card_profile = \"generic-6-8\"\npuk_length = 6\n", "p").unwrap();
    assert_eq!(o.puk_length, 6);
    let (_, text) = one_problem("card_profile = \"generic-6-8\"\npuk_length = 9\n");
    assert!(text.contains("6–8"), "{text}");
    let (p, _) = one_problem("card_profile = \"java\"\n");
    assert_eq!((p.key.as_str(), p.line), ("card_profile", Some(1)));
}

#[test]
fn certificates_with_encoding_off_is_refused_with_that_message() {
    let (p, text) = one_problem("encode = false\ncertificates = [\"piv-auth\"]\n");
    assert_eq!(p.key, "certificates");
    assert_eq!(p.line, Some(2));
    assert!(text.contains("certificates need encoding on"), "{text}");
    assert!(
        text.contains("line 1"),
        "the message names the encode line: {text}"
    );
    let o = Options::from_toml("encode = false\ncertificates = []\n", "p").unwrap();
    assert!(!o.encode && o.key_requests().is_empty());
}

#[test]
fn other_ranges() {
    for (text, key, range) in [
        ("validity_days = 0\n", "validity_days", "1–366"),
        ("validity_days = 367\n", "validity_days", "1–366"),
        ("[numbering]\ndigits = 3\n", "numbering.digits", "4–12"),
        ("[numbering]\ndigits = 13\n", "numbering.digits", "4–12"),
        (
            "[numbering]\nprefix = \"T P\"\n",
            "numbering.prefix",
            "0–16",
        ),
        ("face_template = \"../x\"\n", "face_template", "1–64"),
    ] {
        let (p, msg) = one_problem(text);
        assert_eq!(p.key, key, "{text}");
        assert!(msg.contains(range), "{msg}");
        assert!(p.line.is_some(), "{msg}");
    }
}

#[test]
fn syntax_type_and_unknown_key_errors_have_lines() {
    let (p, _) = one_problem("pin_length = 6\npin_lenght = 7\n");
    assert_eq!(p.line, Some(2));
    assert!(p.message.contains("pin_lenght"), "{}", p.message);
    let (p, _) = one_problem("\nvalidity_days = \"two weeks\"\n");
    assert_eq!(p.line, Some(2));
    let (p, _) = one_problem("encode = \n");
    assert_eq!(p.line, Some(1));
}

#[test]
fn several_problems_are_all_listed_in_line_order() {
    let e = err("pin_length = 4\nvalidity_days = 999\n");
    let lines: Vec<_> = e.problems().iter().map(|p| p.line).collect();
    assert_eq!(lines, [Some(1), Some(2)]);
    assert!(e.to_string().contains("2 problems"));
}

#[test]
fn certificate_profiles_from_the_file() {
    let text = "certificates = [\"piv-auth\", \"sign\"]\n\
                [certificate_profiles.sign]\nslot = \"9c\"\nalgorithm = \"p384\"\n\
                subject = \"CN={card_number}\"\nkey_usage = [\"nonRepudiation\"]\n";
    let o = Options::from_toml(text, "p").unwrap();
    assert_eq!(o.key_requests().len(), 2);
    assert_eq!(
        o.certificate_profiles["sign"].algorithm,
        KeyAlgorithm::EccP384
    );
    // Same slot twice.
    let (p, msg) = one_problem(&text.replace("9c", "9a"));
    assert_eq!(p.key, "certificates");
    assert!(msg.contains("slot 9a"), "{msg}");
    // Bad slot and algorithm, with their lines.
    let e = err(&text.replace("9c", "77").replace("p384", "ed25519"));
    let keys: Vec<_> = e
        .problems()
        .iter()
        .map(|p| (p.key.as_str(), p.line))
        .collect();
    assert_eq!(
        keys,
        [
            ("certificate_profiles.sign.slot", Some(3)),
            ("certificate_profiles.sign.algorithm", Some(4))
        ]
    );
    // Unknown profile name.
    let (_, msg) = one_problem("certificates = [\"nope\"]\n");
    assert!(msg.contains("unknown certificate profile `nope`"), "{msg}");
    // Bad EKU.
    let (p, _) =
        one_problem("[certificate_profiles.piv-auth]\nextended_key_usage = [\"flying\"]\n");
    assert_eq!(p.key, "certificate_profiles.piv-auth.extended_key_usage");
    assert_eq!(p.line, Some(2));
}

#[test]
fn sources_say_default_or_file() {
    let o = Options::from_toml("validity_days = 30\n[numbering]\nprefix = \"T-\"\n", "p").unwrap();
    let eff = o.effective_with_sources();
    let find = |k: &str| eff.iter().find(|e| e.key == k).unwrap().clone();
    assert_eq!(find("validity_days").source, Source::File);
    assert_eq!(find("validity_days").value, toml::Value::Integer(30));
    assert_eq!(find("numbering.prefix").source, Source::File);
    assert_eq!(find("numbering.digits").source, Source::Default);
    assert_eq!(find("pin_length").source, Source::Default);
}

#[test]
fn load_reports_missing_files() {
    let e = Options::load(std::path::Path::new("/nonexistent/options.toml")).unwrap_err();
    assert!(matches!(e, OptionsError::Read { .. }));
    assert!(e.to_string().contains("/nonexistent/options.toml"));
}

#[test]
fn a_subject_the_card_or_x509_cannot_hold_is_refused_before_any_card_is_fed() {
    let long_org = "x".repeat(3000);
    let text = format!(
        "certificates = [\"big\"]\n\n[certificate_profiles.big]\nslot = \"9a\"\nalgorithm = \"p256\"\n\
         subject = \"CN=Temporary card {{card_number}},O={long_org}\"\nkey_usage = [\"digitalSignature\"]\n\
         extended_key_usage = [\"clientAuth\"]\n"
    );
    let (p, shown) = one_problem(&text);
    assert_eq!(p.key, "certificate_profiles.big.subject");
    assert_eq!(p.line, Some(6), "{shown}");
    assert!(
        shown.contains("attribute O is 3000 characters") && shown.contains("at most 64"),
        "{shown}"
    );
    // The same profile on a print-only line is not checked against the card.
    let print_only = text.replace(
        "certificates = [\"big\"]",
        "encode = false\ncertificates = []",
    );
    Options::from_toml(&print_only, "p.toml").expect("nothing is encoded");
    // Two attributes of one type cannot be written in a certificate.
    let twice = text.replace(&format!("O={long_org}"), "OU=a,OU=b");
    let (_, shown) = one_problem(&twice);
    assert!(shown.contains("`OU` appears twice"), "{shown}");
}

#[test]
fn encode_false_alone_means_no_certificates_and_naming_them_is_still_refused() {
    let o = Options::from_toml("encode = false\n", "p.toml").unwrap();
    assert!(!o.encode);
    assert!(o.certificates.is_empty());
    assert!(o.key_requests().is_empty());
    let (p, shown) = one_problem("encode = false\ncertificates = [\"piv-auth\"]\n");
    assert_eq!(p.key, "certificates");
    assert!(
        shown.contains("set `encode = true` or `certificates = []`"),
        "{shown}"
    );
}

#[test]
fn pin_letters_carry_the_puk_unless_the_profile_says_not() {
    assert!(Options::default().pin_letters_include_puk);
    let o = Options::from_toml("[pin_letters]\ninclude_puk = false\n", "p.toml").unwrap();
    assert!(!o.pin_letters_include_puk);
    let eff = o.effective_with_sources();
    let e = eff
        .iter()
        .find(|e| e.key == "pin_letters.include_puk")
        .unwrap();
    assert_eq!(
        (&e.value, e.source),
        (&toml::Value::Boolean(false), Source::File)
    );
    let e = err("[pin_letters]\ninclude_puk = \"no\"\n");
    assert!(e.to_string().contains("p.toml:2"), "{e}");
    let e = err("[pin_letters]\ninclude_pin = true\n");
    assert!(e.to_string().contains("include_pin"), "{e}");
}
