//! Simulated card printers and PIV cards for cardline.

pub mod card;
pub mod clock;
mod device_thread;
pub mod endpoint;
pub mod faults;
pub mod magicard;
mod png_files;
pub mod printer;
pub mod station;
pub mod vpcd;
