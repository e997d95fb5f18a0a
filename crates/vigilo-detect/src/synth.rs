//! Synthetic benign logs for tests and benchmarks.
