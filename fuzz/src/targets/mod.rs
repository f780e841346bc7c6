//! Every fuzz target, one per parser of bytes from outside (see docs/fuzzing.md).

pub mod apdu;
pub mod api;
pub mod card;
pub mod evolis;
pub mod files;
pub mod magicard;

use crate::target::Target;

/// Every target, in the order of docs/fuzzing.md.
pub static ALL: &[&Target] = &[
    &evolis::REPLIES,
    &evolis::STREAM,
    &evolis::ROUND_TRIP,
    &magicard::REPLIES,
    &magicard::STREAM,
    &magicard::ROUND_TRIP,
    &apdu::RESPONSES,
    &apdu::BER_TLV,
    &apdu::COMMAND_ROUND_TRIP,
    &card::APDU_COMMANDS,
    &card::VPCD_FRAMES,
    &files::OPTIONS,
    &files::PROFILES,
    &files::STATIONS,
    &files::FACE_TEMPLATE,
    &files::REQUESTS_CSV,
    &api::API_BODIES,
];

/// The target called `name`.
pub fn by_name(name: &str) -> Option<&'static Target> {
    ALL.iter().copied().find(|t| t.name == name)
}
