"""Karmabot benchmarks; results go to docs/PERFORMANCE.md (see bench/README.md)."""
