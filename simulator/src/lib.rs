//! Simulated card printers and PIV cards for cardline.
pub mod card;
pub mod vpcd;
