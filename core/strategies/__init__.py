"""Algorithms, structure building, scoring and gates."""
