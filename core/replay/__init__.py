"""Replay: the desk's own pipeline over past days on a simulated clock (``niftybot replay``).

:mod:`core.replay.runner` builds the app with ``core.bootstrap.build_app`` on a throwaway database and
drives ``DeskService`` minute by minute (monitor every minute, scans on the scheduler's cadence,
approvals by rule); :mod:`core.replay.report` turns the result into per-algorithm statistics;
:mod:`core.replay.chart` draws the equity and drawdown; :mod:`core.replay.output` writes the summary,
the trade list and the chart; :mod:`core.replay.records` keeps the latest result per algorithm for the
chat's suggestion details.
"""
