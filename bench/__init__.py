"""Benchmarks: ours beside the peer we compete with, in the same run (see docs/benchmarks.md)."""
