//! The bounded fuzz run of `make test` (each target's `bounded_cases` inputs from a fixed seed),
//! and the long run of `make fuzz` (`CARDLINE_FUZZ_CASES` or `CARDLINE_FUZZ_SECONDS` per target,
//! a seed from the clock unless `CARDLINE_FUZZ_SEED` is given). Every run prints how many
//! inputs each target tried.

use cardline_fuzz::{Budget, fuzz, targets};

fn run(name: &str) {
    let target = targets::by_name(name).expect("a known target");
    let report = fuzz(target, Budget::from_env(target));
    println!("{report}");
    assert!(report.inputs > 0, "{name}: no input was tried");
}

macro_rules! fuzz_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run(stringify!($name));
            }
        )*

        #[test]
        fn every_target_has_a_test() {
            let tested = [$(stringify!($name)),*];
            for t in targets::ALL {
                assert!(tested.contains(&t.name), "no test runs target {}", t.name);
            }
        }
    };
}

fuzz_tests!(
    evolis_replies,
    evolis_stream,
    evolis_round_trip,
    magicard_replies,
    magicard_stream,
    magicard_round_trip,
    apdu_responses,
    ber_tlv,
    apdu_command_round_trip,
    card_apdu_commands,
    vpcd_frames,
    options_file,
    option_profiles,
    stations_file,
    face_template,
    requests_csv,
    api_bodies,
);
