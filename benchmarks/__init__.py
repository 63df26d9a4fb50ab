"""Benchmarks: ``make bench`` runs every ``benchmarks/bench_*.py`` and rewrites docs/benchmarks.md.

Each module exposes ``run(quick: bool) -> str`` returning a Markdown section (a ``## `` heading, the
command that produced it, the machine and a table). Speed goals are ratios against a peer measured in the
same run, never absolute timings in unit tests.
"""
