"""Benchmarks: run by hand or `make bench`; each prints its figures and writes JSON."""
