//! Evolis escape-command printer driver for cardline.
