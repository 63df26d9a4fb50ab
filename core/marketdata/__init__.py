"""Market data: the source port, its adapters and the engine that assembles a MarketSnapshot."""
