//! PC/SC card readers for cardline.
