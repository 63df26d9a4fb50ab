"""Prometheus metrics (``prometheus_client``) on METRICS_PORT; off when the setting is unset.

Event-like numbers are counters and histograms updated where things happen (commands, messages, 429s,
fetches, jobs, suggestions); state-like numbers (breaker states, snapshot age, open positions,
unrealized P&L, drawdown, equity, today's LLM tokens and cost) are read at scrape time by a collector,
so they can never drift from the database. Each app has its own registry (no global state), which keeps
tests independent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from core.ops.heap import PauseStats
from core.resilience import CallRecord
from core.resilience.breaker import BreakerState

log = logging.getLogger(__name__)

BREAKER_VALUE = {BreakerState.CLOSED: 0.0, BreakerState.HALF_OPEN: 1.0, BreakerState.OPEN: 2.0}


@dataclass
class StateReaders:
    """Callables the scrape-time collector reads; each may raise (the metric is then left out)."""

    breakers: Callable[[], Iterable[Any]] | None = None  # BreakerStatus
    snapshot_age: Callable[[], float | None] | None = None
    desk: Callable[[], dict[str, float]] | None = None  # open_positions, unrealized, drawdown, equity
    llm_today: Callable[[], dict[str, float]] | None = None  # input/output/cache tokens, cost_usd
    outbox_backlog: Callable[[], int] | None = None
    gc_pauses: Callable[[], PauseStats] | None = None  # core.ops.heap.PAUSES.stats
    gc_bounds: tuple[float, ...] = ()


class _StateCollector(Collector):
    def __init__(self, readers: StateReaders) -> None:
        self.readers = readers

    def collect(self) -> Iterable[Metric]:
        r = self.readers
        if r.breakers is not None:
            g = GaugeMetricFamily(
                "niftybot_breaker_state",
                "Circuit breaker state (0 closed, 1 half-open, 2 open)",
                labels=["source"],
            )
            for status in _safe(r.breakers, ()):
                g.add_metric([status.name], BREAKER_VALUE[status.state])
            yield g
        if r.snapshot_age is not None:
            age = _safe(r.snapshot_age, None)
            if age is not None:
                yield GaugeMetricFamily(
                    "niftybot_snapshot_age_seconds", "Age of the latest market snapshot", value=age
                )
        if r.desk is not None:
            desk = _safe(r.desk, {})
            for key, help_ in (
                ("open_positions", "Open paper positions"),
                ("unrealized_pnl", "Unrealized P&L of open positions, rupees (net of entry charges)"),
                ("drawdown", "Drawdown from peak equity, rupees"),
                ("equity", "Paper equity, rupees"),
            ):
                if key in desk:
                    yield GaugeMetricFamily(
                        f"niftybot_{key}" + ("_rupees" if key != "open_positions" else ""),
                        help_,
                        value=float(desk[key]),
                    )
        if r.llm_today is not None:
            llm = _safe(r.llm_today, {})
            tokens = GaugeMetricFamily(
                "niftybot_llm_tokens_today", "LLM tokens used today (IST)", labels=["kind"]
            )
            for kind in ("input", "output", "cache_write", "cache_read"):
                if kind in llm:
                    tokens.add_metric([kind], float(llm[kind]))
            yield tokens
            if "cost_usd" in llm:
                yield GaugeMetricFamily(
                    "niftybot_llm_cost_usd_today", "LLM cost today (IST), USD", value=float(llm["cost_usd"])
                )
        if r.outbox_backlog is not None:
            backlog = _safe(r.outbox_backlog, None)
            if backlog is not None:
                yield GaugeMetricFamily(
                    "niftybot_outbox_backlog", "Push messages not yet sent", value=float(backlog)
                )
        if r.gc_pauses is not None:
            stats = _safe(r.gc_pauses, None)
            if stats is not None:
                yield _gc_histogram(stats, r.gc_bounds)


def _gc_histogram(stats: PauseStats, bounds: tuple[float, ...]) -> Metric:
    h = HistogramMetricFamily(
        "niftybot_gc_pause_seconds",
        "Cyclic garbage collections by generation (the whole process, event loop included, waits)",
        labels=["generation"],
    )
    for g in range(3):
        buckets = [(repr(b), float(n)) for b, n in zip(bounds, stats.buckets[g], strict=True)]
        buckets.append(("+Inf", float(stats.count[g])))
        h.add_metric([str(g)], buckets, sum_value=stats.total[g])
    return h


def _safe(fn: Callable[[], Any], default: Any) -> Any:
    try:
        return fn()
    except Exception:
        log.debug("metrics reader failed", exc_info=True)
        return default


class Metrics:
    def __init__(self, readers: StateReaders | None = None) -> None:
        self.registry = CollectorRegistry()
        reg = self.registry
        self.commands = Counter(
            "niftybot_commands",
            "Bot commands and button presses handled",
            ["command", "outcome"],
            registry=reg,
        )
        self.command_seconds = Histogram(
            "niftybot_command_seconds",
            "Time to handle a command or button press",
            ["command"],
            registry=reg,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.messages = Counter(
            "niftybot_messages", "Push messages by kind and result", ["kind", "result"], registry=reg
        )
        self.telegram_429 = Counter("niftybot_telegram_429", "Telegram 429 answers waited out", registry=reg)
        self.fetch_seconds = Histogram(
            "niftybot_fetch_seconds",
            "Outside calls by source and endpoint",
            ["source", "endpoint"],
            registry=reg,
        )
        self.fetch_errors = Counter(
            "niftybot_fetch_errors", "Failed outside calls", ["source", "kind"], registry=reg
        )
        self.suggestions = Counter(
            "niftybot_suggestions",
            "Suggestions by algorithm and outcome",
            ["algorithm", "outcome"],
            registry=reg,
        )
        self.job_runs = Counter(
            "niftybot_job_runs", "Scheduled job runs by status", ["job", "status"], registry=reg
        )
        self.state = StateReaders()
        reg.register(_StateCollector(readers or self.state))
        self._server: Any = None
        self._lock = threading.Lock()

    # ---- observers ------------------------------------------------------------------------------
    def observe_command(self, command: str, seconds: float, ok: bool) -> None:
        self.commands.labels(command, "ok" if ok else "error").inc()
        self.command_seconds.labels(command).observe(seconds)

    def observe_call(self, record: CallRecord) -> None:
        self.fetch_seconds.labels(record.source, record.endpoint).observe(record.seconds)
        if not record.ok:
            self.fetch_errors.labels(record.source, record.error_kind or "error").inc()

    def observe_message(self, kind: str, ok: bool) -> None:
        self.messages.labels(kind, "sent" if ok else "failed").inc()

    # ---- the endpoint ---------------------------------------------------------------------------
    def serve(self, port: int, addr: str = "127.0.0.1") -> int:
        """Start the HTTP endpoint (a daemon thread); returns the bound port (0 picks a free one)."""
        with self._lock:
            if self._server is None:
                server, _thread = start_http_server(port, addr=addr, registry=self.registry)
                self._server = server
            return int(self._server.server_port)

    def stop(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                self._server = None
