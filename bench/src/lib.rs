//! Benchmarks of replicate-ideogram live in `benches/`: `batch` (the harness) and `micro` (criterion).
