//! The embedded SQLite implementation of [`Store`](super::Store). (To be written.)
