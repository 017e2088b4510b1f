//! Shared helpers for crest's benchmarks. Benchmarks live in `benches/benches/`.
