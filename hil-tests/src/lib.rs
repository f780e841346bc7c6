//! Hardware-in-the-loop production scenarios for cardline, simulated by default.
