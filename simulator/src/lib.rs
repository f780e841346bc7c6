//! Simulated card printers and PIV cards for cardline.
