"""Frozen domain types shared by every layer (no I/O, no ORM)."""
