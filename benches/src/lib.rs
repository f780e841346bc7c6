//! Criterion benchmarks of cardline.
