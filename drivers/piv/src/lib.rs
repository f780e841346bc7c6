//! PIV card edge client and personalisation for cardline.
