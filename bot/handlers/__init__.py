"""Telegram handlers, one module per command family; each only parses, calls a service and renders."""
