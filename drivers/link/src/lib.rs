//! Printer links (serial, USB, TCP) for cardline.
