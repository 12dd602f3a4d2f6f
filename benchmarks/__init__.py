"""Benchmarks of the nightly refresh (`python -m benchmarks.refresh`); results in benchmarks/RESULTS.md."""
