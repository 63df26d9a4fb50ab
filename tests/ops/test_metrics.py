"""The Prometheus endpoint of the real bot: drive commands, a scan and an approval through the emulator,
scrape ``/metrics`` over HTTP and check the names and the values against what happened (counted from the
database where the database is the truth).

Also: every metric the Grafana dashboard and the Prometheus rules use is one the bot exports.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from telegram.ext import CommandHandler

from bot.handlers.common import command
from core.persistence.models import OutboxMessageRow, SuggestionRow
from core.resilience import BreakerState
from tests.bot.harness import ADMIN, TRADER, at
from tests.ops.harness import OpsBot

pytestmark = [pytest.mark.e2e, pytest.mark.db]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def emu():
    from bot.emulator import DEFAULT_TOKEN, TelegramEmulator

    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


class Scrape:
    """One scrape of /metrics, parsed with prometheus_client's own text parser."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples: dict[str, list[tuple[dict[str, str], float]]] = {}
        self.families: dict[str, str] = {}
        for family in text_string_to_metric_families(text):
            self.families[family.name] = family.type
            for s in family.samples:
                self.samples.setdefault(s.name, []).append((dict(s.labels), s.value))

    def value(self, name: str, **labels: str) -> float | None:
        """The one sample of ``name`` with exactly these labels (None when absent)."""
        found = [v for lab, v in self.samples.get(name, []) if lab == labels]
        assert len(found) <= 1
        return found[0] if found else None

    def by(self, name: str, label: str, **where: str) -> dict[str, float]:
        return {
            lab[label]: v
            for lab, v in self.samples.get(name, [])
            if all(lab.get(k) == w for k, w in where.items())
        }


async def scrape(port: int) -> Scrape:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics", timeout=aiohttp.ClientTimeout(total=20)) as resp,
    ):
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        return Scrape(await resp.text())


def outbox_sent_by_kind(bot: OpsBot) -> Counter[str]:
    with bot.bc.app.factory() as s:
        rows = s.scalars(select(OutboxMessageRow.kind).where(OutboxMessageRow.status == "sent"))
        return Counter(rows)


def suggestions_by_algorithm(bot: OpsBot) -> Counter[str]:
    with bot.bc.app.factory() as s:
        return Counter(s.scalars(select(SuggestionRow.algorithm)))


@command("boom")
async def boom(update, context, bc) -> None:
    """A command whose handler fails."""
    raise RuntimeError("boom")


async def test_the_endpoint_reports_commands_pushes_suggestions_positions_breakers_and_jobs(
    engine, emu, tmp_path
):
    bot = await OpsBot(
        engine, emu, tmp_path, at=at(14, 13, 0, month=10), handlers=[CommandHandler("boom", boom)]
    ).start()
    port = bot.bc.metrics.serve(0)
    try:
        # Before anything happened: the families exist, the state gauges read the database.
        first = await scrape(port)
        assert first.value("niftybot_open_positions") == 0
        assert first.value("niftybot_equity_rupees") == 1_000_000
        assert first.value("niftybot_outbox_backlog") == 0
        assert first.value("niftybot_telegram_429_total") == 0
        assert first.families["niftybot_commands"] == "counter"
        assert first.families["niftybot_command_seconds"] == "histogram"
        assert first.families["niftybot_gc_pause_seconds"] == "histogram"

        await bot.say(TRADER, "/positions")
        await bot.say(TRADER, "/positions")
        await bot.say(TRADER, "/pnl")
        await bot.say(ADMIN, "/health")

        # 13:00: the daily jobs whose time passed long ago are skipped; monitor and scan run.
        ran = await bot.tick()
        assert "scan" in ran
        pushed = [m for m in bot.messages() if any(d.startswith("v1:ap:") for d in m.button_data())]
        assert pushed
        data = next(d for d in pushed[0].button_data() if d.startswith("v1:ap:"))
        await bot.press(TRADER, pushed[0], data)
        await bot.deliver()
        assert len(bot.bc.app.desk.open_positions()) == 1

        m = await scrape(port)
        assert m.value("niftybot_commands_total", command="positions", outcome="ok") == 2
        assert m.value("niftybot_commands_total", command="pnl", outcome="ok") == 1
        assert m.value("niftybot_commands_total", command="health", outcome="ok") == 1
        assert m.value("niftybot_commands_total", command="button:ap", outcome="ok") == 1
        assert m.value("niftybot_command_seconds_count", command="positions") == 2
        assert 0 < m.value("niftybot_command_seconds_sum", command="positions") < 10

        # Pushes: the counter equals what the outbox recorded as sent, kind by kind.
        sent = m.by("niftybot_messages_total", "kind", result="sent")
        assert sent == {k: float(n) for k, n in outbox_sent_by_kind(bot).items()}
        assert sent["sg"] >= 1 and sent["fl"] == 1 and sent["edit"] >= 1  # NotificationType wire ids
        assert m.value("niftybot_outbox_backlog") == 0

        # Suggestions: created per algorithm as stored; one executed.
        created = m.by("niftybot_suggestions_total", "algorithm", outcome="created")
        assert created == {a: float(n) for a, n in suggestions_by_algorithm(bot).items()}
        assert sum(m.by("niftybot_suggestions_total", "algorithm", outcome="executed").values()) == 1

        # State read at scrape time agrees with the desk.
        risk = bot.bc.app.desk.risk().state
        assert m.value("niftybot_open_positions") == 1
        assert m.value("niftybot_unrealized_pnl_rupees") == pytest.approx(float(risk.unrealized))
        assert m.value("niftybot_equity_rupees") == pytest.approx(float(risk.equity))
        assert m.value("niftybot_drawdown_rupees") == pytest.approx(float(risk.drawdown))
        assert m.value("niftybot_snapshot_age_seconds") == pytest.approx(0, abs=60)
        assert m.by("niftybot_llm_tokens_today", "kind") == {
            "input": 0,
            "output": 0,
            "cache_write": 0,
            "cache_read": 0,
        }
        assert m.value("niftybot_llm_cost_usd_today") == 0

        # One breaker per guarded source, closed; the outside calls were timed.
        assert m.by("niftybot_breaker_state", "source") == {"llm": 0, "simulator": 0}
        assert m.value("niftybot_fetch_seconds_count", source="simulator", endpoint="simulator") >= 7
        assert "niftybot_fetch_errors_total" not in m.samples

        # Jobs: the morning jobs were skipped at 13:00.
        skipped = m.by("niftybot_job_runs_total", "job", status="skipped")
        assert skipped == {"checks": 1, "premarket_brief": 1, "opening_snapshot": 1}

        # 14:00 the source fails: its breaker opens, the gauge says so, the errors are counted by kind.
        bot.feed.failing = True
        bot.clock.set(at(14, 14, 0, month=10))
        await bot.tick()
        assert bot.breaker.state is BreakerState.OPEN
        m = await scrape(port)
        assert m.by("niftybot_breaker_state", "source") == {"llm": 0, "simulator": 2}
        errors = m.by("niftybot_fetch_errors_total", "kind", source="simulator")
        assert errors["DataFetchError"] >= bot.bc.app.config.engine.breaker.failure_threshold

        # 15:50 it is back: the end-of-day summary runs (its snapshot closes the breaker again).
        bot.feed.failing = False
        bot.monotonic.advance(61)
        bot.clock.set(at(14, 15, 50, month=10))
        assert "eod_summary" in await bot.tick()
        m = await scrape(port)
        assert m.value("niftybot_job_runs_total", job="eod_summary", status="ok") == 1
        assert m.by("niftybot_breaker_state", "source") == {"llm": 0, "simulator": 0}

        # A usage error is an answered command; a handler that raises is counted as an error.
        await bot.say(TRADER, "/close abc")
        await bot.say(TRADER, "/boom")
        m = await scrape(port)
        assert m.value("niftybot_commands_total", command="close", outcome="ok") == 1
        assert m.value("niftybot_commands_total", command="boom", outcome="error") == 1

        # The process's garbage collections are timed (young ones run all the time).
        young = m.value("niftybot_gc_pause_seconds_count", generation="0")
        assert young is not None and young > 0
        assert m.value("niftybot_gc_pause_seconds_bucket", generation="0", le="+Inf") == young

        # Everything the dashboard and the alert rules query exists in a real scrape.
        for name in dashboard_and_rule_metrics():
            assert name in m.samples or name in m.families, f"{name} is not exported"
        emu.assert_no_violations()
    finally:
        bot.bc.metrics.stop()
        await bot.stop()


def dashboard_and_rule_metrics() -> set[str]:
    names: set[str] = set()
    dashboard = json.loads((REPO / "docs" / "grafana-dashboard.json").read_text("utf-8"))
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            names |= set(re.findall(r"niftybot_[a-z0-9_]+", target["expr"]))
    rules = yaml.safe_load((REPO / "deploy" / "prometheus-alerts.yml").read_text("utf-8"))
    for group in rules["groups"]:
        for rule in group["rules"]:
            names |= set(re.findall(r"niftybot_[a-z0-9_]+", rule["expr"]))
    return names


def test_the_dashboard_is_valid_grafana_json_on_a_datasource_variable():
    dashboard = json.loads((REPO / "docs" / "grafana-dashboard.json").read_text("utf-8"))
    assert dashboard["uid"] == "niftybot" and dashboard["timezone"] == "Asia/Kolkata"
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"], panel["title"]
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24
    # Every metric family the bot defines has a panel.
    used = dashboard_and_rule_metrics()
    source = (REPO / "core" / "ops" / "metrics.py").read_text("utf-8")
    defined = set(re.findall(r'"(niftybot_[a-z0-9_]+)"', source))
    # The desk gauges are named in a loop: niftybot_<key>, with _rupees for the money ones.
    defined |= {f"niftybot_{k}_rupees" for k in ("unrealized_pnl", "drawdown", "equity")}
    defined.add("niftybot_open_positions")
    for name in defined:
        assert any(u == name or u.startswith(name + "_") for u in used), f"no panel uses {name}"
