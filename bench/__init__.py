"""Benchmarks; each module is a script a person reruns (see bench/README.md)."""
