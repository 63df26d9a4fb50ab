"""Fake outside services that tests start on loopback (real client libraries talk to them)."""
