//! Simulated card printers and PIV cards for cardline.

pub mod card;
pub mod clock;
pub mod faults;
pub mod printer;
pub mod station;
pub mod vpcd;
