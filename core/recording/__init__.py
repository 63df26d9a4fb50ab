"""Recordings of the market snapshots the desk builds: the only source of real past option chains.

Kite gives no history for expired options, so every snapshot the bot builds is written down
(:mod:`core.recording.recorder`, a ``MarketService`` listener) in a compact, versioned Parquet layout
(:mod:`core.recording.layout`) and can be served back through the market-data port at any moment of a
recorded day (:mod:`core.recording.source`), which is what ``niftybot replay --source recorded`` uses.
"""
