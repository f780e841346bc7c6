//! The `cardline` binary.
fn main() {}
