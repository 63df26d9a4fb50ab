"""Crash harness: the bot as a real process (``python -m bot.cli run``), killed with SIGKILL at random
points and restarted, against the Telegram emulator served by the test process on 127.0.0.1.

The child gets only environment settings: the emulator's base URL, a database URL (a SQLite file or a
fresh PostgreSQL database), the market simulator on a fast clock that continues across restarts
(``SIM_START`` = the run's start + wall time elapsed × ``SIM_SPEED``) and a trading config
(``NIFTYBOT_CONFIG``) that makes a scan every simulated minute. Its ``PYTHONPATH`` starts with
``childsite/`` whose ``sitecustomize`` installs the loopback-only network guard, so it cannot reach the
internet.

While a life runs, a seeded driver acts as the trader: presses Approve (or now and then Reject) on each
suggestion message, sends ``/close <id>`` for open positions and presses the confirmation. Each life is
ended by SIGKILL after a random delay (some while the process is still starting). A last life jumps the
clock past the entry window, runs until the outbox is drained, and stops with SIGTERM. Then
:func:`check` verifies the invariants (see ``docs/reliability.md``, "Crash consistency").
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from core.clock import IST
from core.persistence.db import make_engine, normalise_url

ROOT = Path(__file__).resolve().parents[2]
CHILDSITE = Path(__file__).with_name("childsite")
ADMIN, TRADER = 11, 22
DESK_CHAT = TRADER
CAPITAL = Decimal("100000000")
START = datetime(2026, 11, 25, 10, 0, tzinfo=IST)  # a Wednesday: market open, inside the entry window
FINAL_AT = datetime(2026, 11, 25, 14, 35, tzinfo=IST)  # after the entry window: no new suggestions
SPEED = 60.0
_AP = re.compile(r"^v1:(ap|rj|cc):(\d+)$")


def crash_config() -> dict[str, Any]:
    return {
        "paper_trading": {
            "capital": str(CAPITAL),
            "max_open_positions": 40,
            "max_lots_per_trade": 10,
            "margin_utilisation_limit": 0.9,
            "suggestion_ttl_minutes": 20,
            "approval_price_tolerance": 0.5,
            "daily_loss_limit": "5000000",
        },
        # every algorithm suggests on (almost) every scan: thresholds down, filters open
        "algorithms": {
            "atlas": {"params": {"entry_threshold_min": 1, "entry_threshold_max": 1}},
            "trend": {"params": {"min_agreement": 1, "min_strength": 0.0, "entry_threshold": 1}},
            "range": {
                "params": {
                    "min_iv_percentile": 0,
                    "entry_threshold": 1,
                    "max_strength": 10,
                    "max_agreement": 9,
                }
            },
        },
        "options_desk": {"scan_interval_minutes": 1, "chain_refresh_seconds": 60},
        "schedule": {"monitor_interval_seconds": 30},
    }


# ---- databases ------------------------------------------------------------------------------------
@dataclass
class Database:
    url: str  # what the child gets as DATABASE_URL
    backend: str
    _drop: str | None = None
    _admin_url: str | None = None

    @classmethod
    def sqlite(cls, path: Path) -> Database:
        return cls(f"sqlite:///{path}", "sqlite")

    @classmethod
    def postgres(cls, admin_url: str) -> Database:
        """A fresh schema on the server of ``admin_url``, first on the child's search path (dropped by
        :meth:`drop`; a schema, not a database: dropping a database costs a checkpoint, seconds)."""
        admin_url = normalise_url(admin_url)
        name = f"crash_{uuid.uuid4().hex[:12]}"
        eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        eng.dispose()
        url = make_url(admin_url).update_query_dict({"options": f"-csearch_path={name}"})
        return cls(url.render_as_string(hide_password=False), "postgresql", name, admin_url)

    def engine(self) -> Engine:
        return make_engine(self.url)

    def drop(self) -> None:
        if self._drop and self._admin_url:
            eng = create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
            with eng.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self._drop}" CASCADE'))
            eng.dispose()


# ---- the run ----------------------------------------------------------------------------------------
@dataclass
class Press:
    qid: str
    data: str
    life: int
    at: float


@dataclass
class RunStats:
    backend: str = ""
    seed: int = 0
    kills: int = 0
    kills_in_startup: int = 0
    restarts: int = 0
    approvals_pressed: int = 0
    rejects_pressed: int = 0
    closes_pressed: int = 0
    repressed: int = 0
    presses_unanswered: int = 0
    startup_seconds: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0
    # filled by check()
    suggestions: int = 0
    executed: int = 0
    refused: int = 0
    refused_by_recovery: int = 0
    positions: int = 0
    closed: int = 0
    outbox_rows: int = 0
    messages_checked: int = 0
    explained_duplicates: int = 0
    audit_rows: int = 0


@dataclass
class CrashRun:
    workdir: Path
    db: Database
    seed: int
    kills: int
    speed: float = SPEED
    life_seconds: tuple[float, float] = (0.8, 3.0)
    startup_kill_share: float = 0.2
    targeted_share: float = 0.3  # lives that end within 0.5 s of a press (approvals, close confirmations)
    python: str = sys.executable
    emu: TelegramEmulator | None = None
    stats: RunStats = field(default_factory=RunStats)
    kill_times: list[float] = field(default_factory=list)
    spawn_times: list[float] = field(default_factory=list)
    presses: list[Press] = field(default_factory=list)
    pressed: set[str] = field(default_factory=set)
    forgotten: set[str] = field(default_factory=set)
    _t0: float = 0.0
    _proc: subprocess.Popen[bytes] | None = None
    _log: Any = None

    # ---- child process ----------------------------------------------------------------------------
    def sim_now(self) -> datetime:
        return START + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)

    def child_env(self, start: datetime) -> dict[str, str]:
        assert self.emu is not None
        config = self.workdir / "crash.yaml"
        if not config.exists():
            config.write_text(yaml.safe_dump(crash_config()))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.workdir),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join([str(CHILDSITE), str(ROOT)]),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLCONFIGDIR": str(self.workdir / "mpl"),
            "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
            "TELEGRAM_API_BASE_URL": self.emu.base_url,
            "TELEGRAM_ADMIN_IDS": str(ADMIN),
            "TELEGRAM_TRADER_IDS": str(TRADER),
            "TELEGRAM_CHAT_ID": str(DESK_CHAT),
            "DATABASE_URL": self.db.url,
            "MARKET_DATA": "simulated",
            "SIM_START": start.isoformat(),
            "SIM_SPEED": str(self.speed),
            "SIM_SEED": "7",
            "NIFTYBOT_CONFIG": str(config),
            "LOG_DIR": str(self.workdir / "logs"),
            "LOG_LEVEL": "INFO",
        }
        return env

    def spawn(self, start: datetime) -> int:
        assert self.emu is not None
        mark = len(self.emu.requests)
        self._log = (self.workdir / "child.log").open("ab")
        self.spawn_times.append(time.monotonic())
        self._proc = subprocess.Popen(
            [self.python, "-m", "bot.cli", "run"],
            cwd=self.workdir,
            env=self.child_env(start),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        return mark

    def _ready(self, mark: int) -> bool:
        assert self.emu is not None
        return any(r.method == "getUpdates" for r in self.emu.requests[mark:])

    async def wait_ready(self, mark: int, limit: float = 60.0) -> float:
        began = time.monotonic()
        while not self._ready(mark):
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"the bot exited with {self._proc.returncode}; see {self.workdir}/child.log"
                )
            if time.monotonic() - began > limit:
                raise TimeoutError("the bot did not start polling")
            await asyncio.sleep(0.02)
        return time.monotonic() - began

    async def kill(self) -> None:
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGKILL)
        self.kill_times.append(time.monotonic())
        await asyncio.to_thread(self._proc.wait)
        self._log.close()
        self.stats.kills += 1

    async def stop(self) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGTERM)
        for _ in range(1500):
            if self._proc.poll() is not None:
                break
            await asyncio.sleep(0.01)
        else:
            os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self._log.close()

    # ---- the trader -------------------------------------------------------------------------------
    def _press(self, rng: random.Random, life: int, message: Any, data: str) -> None:
        assert self.emu is not None
        qid = self.emu.user_presses(DESK_CHAT, TRADER, message.message_id, data)
        self.presses.append(Press(qid, data, life, time.monotonic()))
        self.pressed.add(data)
        kind = data.split(":")[1]
        if kind == "ap":
            self.stats.approvals_pressed += 1
        elif kind == "rj":
            self.stats.rejects_pressed += 1
        else:
            self.stats.closes_pressed += 1

    def _pending_ids(self, eng: Engine) -> set[int]:
        with eng.connect() as conn:
            return {
                int(r[0]) for r in conn.execute(text("select id from suggestions where status='pending'"))
            }

    def _open_ids(self, eng: Engine) -> list[int]:
        with eng.connect() as conn:
            return [int(r[0]) for r in conn.execute(text("select id from positions where status='open'"))]

    def _lost_presses(self, eng: Engine) -> None:
        """After a restart: presses the dead process never handled, on suggestions still pending, are
        forgotten, so the trader presses again (as a person would when nothing happened)."""
        assert self.emu is not None
        pending = self._pending_ids(eng)
        for p in self.presses:
            if self.emu.callback_answer(p.qid) is None and p.qid not in self.forgotten:
                kind, num = p.data.split(":")[1:]
                if kind in ("ap", "rj") and int(num) in pending:
                    self.forgotten.add(p.qid)
                    self.pressed.discard(f"v1:ap:{num}")
                    self.pressed.discard(f"v1:rj:{num}")
                    self.stats.repressed += 1

    async def drive(self, rng: random.Random, life: int, eng: Engine, until: float, *, act: bool) -> None:
        """Act as the trader until ``until`` (monotonic)."""
        assert self.emu is not None
        close_asked: set[int] = set()
        next_close = time.monotonic() + rng.uniform(0.3, 1.2)
        while time.monotonic() < until:
            if act:
                for m in self.emu.messages(DESK_CHAT):
                    for data in m.button_data():
                        hit = _AP.match(data)
                        if hit is None or data in self.pressed:
                            continue
                        kind = hit.group(1)
                        if kind == "rj":
                            continue
                        if kind == "ap":
                            pick = data if rng.random() < 0.85 else data.replace(":ap:", ":rj:")
                            self.pressed.add(data)
                            self._press(rng, life, m, pick)
                        else:
                            self._press(rng, life, m, data)
                        if rng.random() < self.targeted_share:  # die while that press is being handled
                            until = min(until, time.monotonic() + rng.uniform(0.0, 0.5))
                if time.monotonic() >= next_close:
                    next_close = time.monotonic() + rng.uniform(0.3, 1.2)
                    ids = [i for i in self._open_ids(eng) if i not in close_asked]
                    if ids and rng.random() < 0.6:
                        pid = rng.choice(ids)
                        close_asked.add(pid)
                        self.emu.user_sends(DESK_CHAT, TRADER, f"/close {pid}")
            await asyncio.sleep(0.05)

    # ---- the whole run ----------------------------------------------------------------------------
    async def run(self) -> RunStats:
        rng = random.Random(self.seed)
        self.stats.seed, self.stats.backend = self.seed, self.db.backend
        began = time.monotonic()
        emu = TelegramEmulator()
        await emu.start()
        self.emu = emu
        emu.add_chat(ADMIN)
        emu.add_chat(TRADER)
        eng = self.db.engine()
        try:
            self._t0 = time.monotonic()
            for life in range(self.kills + 1):
                final = life == self.kills
                mark = self.spawn(FINAL_AT if final else self.sim_now())
                if life > 0:
                    self.stats.restarts += 1
                if not final and life > 0 and rng.random() < self.startup_kill_share:
                    # killed while starting: migrations checked, recovery, set_my_commands, first poll
                    await asyncio.sleep(rng.uniform(0.3, 3.0))
                    if not self._ready(mark):
                        self.stats.kills_in_startup += 1
                    await self.kill()
                    continue
                self.stats.startup_seconds.append(await self.wait_ready(mark))
                if life > 0:
                    self._lost_presses(eng)
                if final:
                    await self.drain(rng, life, eng)
                    await self.stop()
                    break
                await self.drive(rng, life, eng, time.monotonic() + rng.uniform(*self.life_seconds), act=True)
                await self.kill()
            self.stats.presses_unanswered = sum(1 for p in self.presses if emu.callback_answer(p.qid) is None)
        finally:
            if self._proc is not None and self._proc.poll() is None:
                os.kill(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
            eng.dispose()
            await emu.stop()
        self.stats.wall_seconds = time.monotonic() - began
        return self.stats

    async def drain(self, rng: random.Random, life: int, eng: Engine, limit: float = 60.0) -> None:
        """The last life: answer what is left (presses re-done), then wait until everything is
        delivered: no undispatched event, no pending outbox row, nothing mid-approval, 0.7 s quiet."""
        await self.drive(rng, life, eng, time.monotonic() + 0.6, act=True)
        deadline = time.monotonic() + limit
        quiet_since: float | None = None
        seen = len(self.emu.requests) if self.emu else 0
        while time.monotonic() < deadline:
            with eng.connect() as conn:
                busy = conn.execute(
                    text(
                        "select (select count(*) from outbox_messages where status not in ('sent','failed'))"
                        " + (select count(*) from events where dispatched_at is null)"
                        " + (select count(*) from suggestions where status = 'approved')"
                    )
                ).scalar_one()
            assert self.emu is not None
            sends = [r for r in self.emu.requests[seen:] if r.method != "getUpdates"]
            seen = len(self.emu.requests)
            if busy or sends:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 0.7:
                return
            await asyncio.sleep(0.1)
        raise TimeoutError("the outbox did not drain in the last life")


# ---- invariants -------------------------------------------------------------------------------------
def _dec(v: Any) -> Decimal:
    return Decimal(str(v or 0)).quantize(Decimal("0.01"))


def check(run: CrashRun) -> list[str]:
    """Every invariant over the database and what the emulator recorded; returns the violations."""
    from sqlalchemy.orm import Session

    from core.persistence.models.bot import OutboxMessageRow
    from core.persistence.models.desk import (
        EquityPointRow,
        PositionRow,
        RiskStateRow,
        SuggestionRow,
        TradeDecisionRow,
    )

    emu = run.emu
    assert emu is not None
    v: list[str] = []
    st = run.stats
    eng = run.db.engine()
    try:
        # 5. integrity
        with eng.connect() as conn:
            if run.db.backend == "sqlite":
                ok = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
                if ok != ["ok"]:
                    v.append(f"integrity_check: {ok}")
                fk = list(conn.exec_driver_sql("PRAGMA foreign_key_check"))
                if fk:
                    v.append(f"foreign_key_check: {fk[:5]}")
            else:
                bad = conn.execute(
                    text(
                        "select count(*) from pg_constraint where not convalidated"
                        " and connamespace = (select oid from pg_namespace where nspname = current_schema())"
                    )
                ).scalar()
                if bad:
                    v.append(f"{bad} constraints not validated")
                orphans = conn.execute(
                    text(
                        "select count(*) from position_legs l left join positions p on p.id = l.position_id"
                        " where p.id is null"
                    )
                ).scalar()
                if orphans:
                    v.append(f"{orphans} position legs without a position")
            heads = list(conn.execute(text("select version_num from alembic_version")))
            if len(heads) != 1:
                v.append(f"alembic_version has {len(heads)} rows")
        with Session(eng) as s:
            sugs = {r.id: r for r in s.query(SuggestionRow)}
            positions = {r.id: r for r in s.query(PositionRow)}
            audit = list(s.query(TradeDecisionRow).order_by(TradeDecisionRow.id))
            outbox = list(s.query(OutboxMessageRow).order_by(OutboxMessageRow.id))
            risk = s.get(RiskStateRow, 1)
            points = list(s.query(EquityPointRow).order_by(EquityPointRow.id))
            from core.persistence.desk_repo import DeskRepository

            repo = DeskRepository(s)
            domain_positions = {p.id: p for p in repo.open_positions()}
        st.suggestions, st.positions, st.audit_rows = len(sugs), len(positions), len(audit)
        st.outbox_rows = len(outbox)

        # 1. one position per executed suggestion, none twice, none lost
        by_sug = Counter(p.suggestion_id for p in positions.values())
        for sid, n in by_sug.items():
            if n > 1:
                v.append(f"suggestion #{sid} opened {n} positions")
        opens = Counter(a.suggestion_id for a in audit if a.action == "open")
        for sid, n in opens.items():
            if n > 1:
                v.append(f"suggestion #{sid} has {n} open audit rows")
        for a in audit:
            if a.action == "open" and a.position_id not in positions:
                v.append(f"audit opened position #{a.position_id} that is not in the database")
        for p in positions.values():
            s_row = sugs.get(p.suggestion_id) if p.suggestion_id is not None else None
            if s_row is None or s_row.status != "executed" or s_row.position_id != p.id:
                v.append(f"position #{p.id}: its suggestion is not executed with this position")
            if opens.get(p.suggestion_id, 0) != 1:
                v.append(f"position #{p.id} has no open audit row")
        for sid, r in sugs.items():
            if r.status == "executed" and (r.position_id not in positions):
                v.append(f"suggestion #{sid} executed but its position #{r.position_id} is missing")

        # 2. every claimed approval ended executed or refused with a reason; nothing in between
        claimed = {a.suggestion_id for a in audit if a.action == "approve"}
        for sid, r in sugs.items():
            if r.status == "approved":
                v.append(f"suggestion #{sid} stuck in approved")
            if sid in claimed and r.status not in ("executed", "refused"):
                v.append(f"suggestion #{sid} was claimed but is {r.status}")
            if r.status == "refused" and not (r.status_reason or "").strip():
                v.append(f"suggestion #{sid} refused without a reason")
            if r.status == "refused" and "restarted" in (r.status_reason or ""):
                st.refused_by_recovery += 1
        st.executed = sum(1 for r in sugs.values() if r.status == "executed")
        st.refused = sum(1 for r in sugs.values() if r.status == "refused")
        decided_audit = {a.suggestion_id for a in audit if a.action in ("open", "refuse", "reject", "expire")}
        for sid, r in sugs.items():
            if r.status in ("executed", "refused", "rejected", "expired") and sid not in decided_audit:
                v.append(f"suggestion #{sid} is {r.status} without its audit row")

        # 3. every outbox message delivered, shown once, and no decided suggestion shows live buttons
        v += _check_outbox(run, outbox, sugs)

        # 4. P&L and risk state from a replay of the audit trail
        exits = [a for a in audit if a.action == "exit"]
        ex_by_pos = Counter(a.position_id for a in exits)
        for pid, n in ex_by_pos.items():
            if n > 1:
                v.append(f"position #{pid} has {n} exit audit rows")
        for a in audit:
            if a.action == "open":
                p = positions.get(a.position_id)
                if p is not None:
                    paid = sum((_dec(x) for x in (p.entry_charges or {}).values()), Decimal(0))
                    if _dec(a.details.get("charges")) != paid:
                        v.append(
                            f"position #{p.id}: entry charges {paid} != audit {a.details.get('charges')}"
                        )
        for a in exits:
            p = positions.get(a.position_id)
            if p is None or p.status != "closed":
                v.append(f"audit exit of #{a.position_id} but the position is not closed")
                continue
            if _dec(p.net_pnl) != _dec(a.pnl) or _dec(p.gross_pnl) != _dec(a.details.get("gross")):
                v.append(
                    f"position #{p.id}: net/gross {p.net_pnl}/{p.gross_pnl} != audit {a.pnl}/{a.details}"
                )
        for p in positions.values():
            if p.status == "closed" and ex_by_pos.get(p.id, 0) != 1:
                v.append(f"position #{p.id} closed without an exit audit row")
        st.closed = sum(1 for p in positions.values() if p.status == "closed")
        realized = sum((_dec(a.pnl) for a in exits), Decimal(0))
        db_realized = sum((_dec(p.net_pnl) for p in positions.values() if p.status == "closed"), Decimal(0))
        if realized != db_realized:
            v.append(f"realized P&L: audit replay {realized} != positions {db_realized}")
        for pt in points:  # every point of the equity curve counts exactly the exits audited before it
            upto = sum((_dec(a.pnl) for a in exits if a.at <= pt.at), Decimal(0))
            if _dec(pt.realized) != upto:
                v.append(f"equity point {pt.id} at {pt.at}: realized {pt.realized} != audit replay {upto}")
                break
        trips = {b for a in audit if a.action == "trip" for b in a.details.get("breakers", [])}
        resets = [a for a in audit if a.action == "reset"]
        if risk is not None:
            if not resets and set(filter(None, (risk.tripped or "").split(","))) != trips:
                v.append(f"risk row tripped {risk.tripped!r} != audit trips {sorted(trips)}")
            if risk.day_start_equity is not None and _dec(risk.day_start_equity) != CAPITAL:
                v.append(f"day start equity {risk.day_start_equity} != capital (nothing closed before today)")
            peak = max([CAPITAL, *(_dec(pt.equity) for pt in points)])
            if _dec(risk.peak_equity) < peak:
                v.append(f"peak equity {risk.peak_equity} below the equity curve's peak {peak}")
            from core.paper.risk import equity

            now_equity = equity(CAPITAL, realized, list(domain_positions.values()))
            last = points[-1] if points else None
            if (
                last
                and last.at >= max((a.at for a in audit), default=last.at)
                and _dec(last.equity) != now_equity
            ):
                v.append(f"last equity point {points[-1].equity} != replayed equity {now_equity}")
        elif positions:
            v.append("positions exist but there is no risk row")

        # every request the bot made was well formed (the emulator checks each against the Bot API spec)
        v += [f"malformed {x.method}: {x.description}" for x in emu.violations if not x.strict_only]
        # the child never left loopback
        log = (run.workdir / "child.log").read_text(errors="replace")
        logs = "".join(
            f.read_text(errors="replace") for f in (run.workdir / "logs").glob("*.log*") if f.is_file()
        )
        if "NetworkBlockedError" in log + logs:
            v.append("the bot tried to reach a host that is not on loopback")
    finally:
        eng.dispose()
    return v


def _check_outbox(run: CrashRun, outbox: list[Any], sugs: dict[int, Any]) -> list[str]:
    emu = run.emu
    assert emu is not None
    v: list[str] = []
    st = run.stats
    for r in outbox:
        if r.status != "sent":
            v.append(f"outbox #{r.id} ({r.kind}, {r.op}) is {r.status}: {r.last_error}")
            continue
        if r.telegram_message_id is None or emu.message(r.chat_id, r.telegram_message_id) is None:
            v.append(f"outbox #{r.id} marked sent but message {r.telegram_message_id} is not in the chat")
        st.messages_checked += 1
    # duplicates: successful sends of the same text to the same chat beyond the outbox rows with it
    rows_by = Counter((r.chat_id, r.text or "") for r in outbox if r.op != "edit")
    sends: dict[tuple[int, str], list[float]] = {}
    for q in emu.requests:
        if q.method in ("sendMessage", "sendPhoto") and q.chat_id is not None:
            body = str(q.params.get("text") if q.method == "sendMessage" else q.params.get("caption") or "")
            sends.setdefault((q.chat_id, body), []).append(q.at)
    outbox_sends: dict[int, list[float]] = {}
    for (chat, body), times in sends.items():
        if (chat, body) in rows_by:
            outbox_sends.setdefault(chat, []).extend(times)
    for key, times in sends.items():
        if key not in rows_by:
            continue  # a direct reply to a command, not an outbox message
        extra = len(times) - rows_by[key]
        if extra <= 0:
            continue
        # The documented window: the process was killed after sending and before the commit that marks
        # the row sent, so the next life sends the row again. Such a copy is the last send of its life,
        # that life ended with SIGKILL, and the next copy comes in a later life. A life's sends end at
        # the next spawn, not at the kill: a request the child wrote just before SIGKILL is still read
        # and recorded by the emulator (it runs in this process's event loop) after the kill was noted.
        explained = 0
        for first, second in itertools.pairwise(times):
            life = bisect.bisect_right(run.spawn_times, first) - 1
            killed = 0 <= life < len(run.kill_times)  # every life but the last ended with SIGKILL
            end = run.spawn_times[life + 1] if life + 1 < len(run.spawn_times) else math.inf
            last = killed and not any(first < t < end for t in outbox_sends[key[0]])
            if last and bisect.bisect_right(run.spawn_times, second) - 1 > life:
                explained += 1
        if explained >= extra:
            st.explained_duplicates += extra
        else:
            v.append(f"chat {key[0]} shows {len(times)} copies of an outbox message: {key[1][:60]!r}")
    # a decided suggestion never keeps live Approve buttons in the chat (a copy the outbox never recorded
    # is a crash-window duplicate, already judged above)
    recorded = {(r.chat_id, r.telegram_message_id) for r in outbox if r.op != "edit"}
    for m in emu.messages(DESK_CHAT):
        for data in m.button_data():
            hit = _AP.match(data)
            if hit and hit.group(1) == "ap":
                sid = int(hit.group(2))
                r = sugs.get(sid)
                if r is not None and r.status != "pending" and (DESK_CHAT, m.message_id) in recorded:
                    v.append(f"message {m.message_id} shows Approve for #{sid}, which is {r.status}")
    return v
