"""A fake Kite Connect API on 127.0.0.1 for tests that drive the REAL ``kiteconnect`` client.

:class:`FakeKiteMarket` makes the data: an NFO instruments dump with current NIFTY options (lot 65,
Tuesday weeklies moved back on holidays, monthly = last Tuesday, strikes every 50 within 10% of the
market and every 100 out to 20%) and prices from :class:`core.marketdata.simulator.SimulatedMarket` at
the clock's time, so quotes, candles and history agree with each other. Response shapes are copied from
Zerodha's published mocks into ``tests/data/kite/`` and filled from the simulator.

:class:`FakeKiteServer` serves what the client calls, with Kite's envelopes and Content-Type headers:

    GET  /instruments/NFO                              CSV dump
    GET  /quote, /quote/ltp, /quote/ohlc               i=EXCHANGE:SYMBOL ... (max 500 / 1000 / 1000)
    GET  /instruments/historical/{token}/{interval}    minute and day candles of NIFTY 50 and INDIA VIX
    GET  /user/profile
    POST /session/token                                request_token + checksum -> access_token

Every request is recorded (method, path, endpoint, params, monotonic time, authorised?). Faults are
injected per endpoint (``inject``): 429, 403 TokenException, 500, 502 (an HTML page), 400, a malformed
body and a slow answer; ``stop()`` gives connection refused, ``start()`` brings the same port back.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from core.clock import IST, Clock
from core.config.schema import BreakerConfig, EngineConfig, SourceLimits
from core.errors import CalendarCoverageError
from core.market_hours import NSECalendar
from core.marketdata.kite import KiteSource
from core.marketdata.ports import INDIA_VIX, NIFTY
from core.marketdata.simulator import SimulatedMarket, round_tick, tradingsymbol
from core.persistence.db import make_engine, session_factory, upgrade
from core.resilience.guard import GuardRegistry

DATA = Path(__file__).resolve().parents[1] / "data" / "kite"
T = TypeVar("T")

NIFTY_TOKEN, VIX_TOKEN = 256265, 264969
INDEX_BY_KEY = {"NSE:NIFTY 50": (NIFTY, NIFTY_TOKEN), "NSE:INDIA VIX": (INDIA_VIX, VIX_TOKEN)}
INDEX_BY_TOKEN = {NIFTY_TOKEN: NIFTY, VIX_TOKEN: INDIA_VIX}
MAX_INSTRUMENTS = {"quote": 500, "ltp": 1000, "ohlc": 1000}
MAX_SPAN_DAYS = {"minute": 60, "day": 2000}


def load(name: str) -> Any:
    """A JSON file from tests/data/kite."""
    return json.loads((DATA / name).read_text("utf-8"))


def _sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never awaits anything (the simulator's) without an event loop."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("the coroutine awaited; _sync only runs ones that do not")


def _stamp(dt: datetime) -> str:
    """Kite's naive IST timestamp text."""
    return dt.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")


def _candle_stamp(dt: datetime) -> str:
    return dt.astimezone(IST).strftime("%Y-%m-%dT%H:%M:%S+0530")


class Fault(StrEnum):
    RATE_LIMIT = "rate_limit"  # 429 NetworkException
    TOKEN = "token"  # 403 TokenException
    SERVER_ERROR = "server_error"  # 500 GeneralException
    BAD_GATEWAY = "bad_gateway"  # 502 with an HTML page (a proxy in front of Kite)
    INPUT = "input"  # 400 InputException
    MALFORMED = "malformed"  # 200 with a body that does not parse
    SLOW = "slow"  # a normal answer after ``delay`` seconds
    INCOMPLETE = "incomplete"  # 200 with the usual shape but a required field missing


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    endpoint: str
    params: dict[str, list[str]]
    at: float  # time.monotonic() when it arrived
    authorized: bool


@dataclass(frozen=True)
class Contract:
    token: int
    symbol: str
    expiry: date
    strike: float
    kind: str
    lot_size: int


class FakeKiteMarket:
    """Instruments and prices of a simulated NIFTY market as Kite would serve them at ``clock.now()``."""

    def __init__(
        self,
        calendar: NSECalendar,
        clock: Clock,
        *,
        seed: int = 7,
        weeklies: int = 6,
        lot_sizes: dict[date, int] | None = None,
    ) -> None:
        self.calendar = calendar
        self.clock = clock
        self.sim = SimulatedMarket(calendar, seed=seed)
        self.weeklies = weeklies
        self.lot_sizes = lot_sizes or {}
        self.oi_shift = 0  # added to every option's OI (tests move OI between sessions)
        self._lock = threading.Lock()
        self._chains: dict[tuple[date, datetime], dict[tuple[float, str], dict[str, Any]]] = {}
        self._dumps: dict[date, list[Contract]] = {}
        self._tokens: dict[str, int] = {}
        self._used_tokens: set[int] = set()
        self._quote_template = next(iter(load("quote_option.json")["data"].values()))
        self._index_templates = load("quote_index.json")["data"]

    # ---- instruments ------------------------------------------------------------------------------
    def expiries(self, day: date) -> list[date]:
        out: set[date] = set()
        cursor = day
        while len(out) < self.weeklies:
            try:
                e = self.calendar.next_weekly_expiry(cursor)
            except CalendarCoverageError:
                break  # no holiday list for that year: the fake lists no contract it cannot date
            out.add(e)
            cursor = e + timedelta(days=1)
        for months in range(3):
            y, m = day.year + (day.month - 1 + months) // 12, (day.month - 1 + months) % 12 + 1
            try:
                e = self.calendar.monthly_expiry(y, m)
            except CalendarCoverageError:
                break
            if e >= day:
                out.add(e)
        return sorted(out)

    def contracts(self, day: date | None = None) -> list[Contract]:
        day = day or self.clock.now().astimezone(IST).date()
        with self._lock:
            if day not in self._dumps:
                self._dumps[day] = self._make_contracts(day)
            return self._dumps[day]

    def _make_contracts(self, day: date) -> list[Contract]:
        opening = datetime.combine(day, datetime.min.time(), IST)
        prev_close = _sync(self.sim.index_quote(NIFTY, opening)).prev_close or 23500.0
        ref = round(prev_close / 50) * 50
        near = np.arange(ref - 0.10 * ref // 50 * 50, ref + 0.10 * ref // 50 * 50 + 1, 50)
        far_lo = np.arange(near[0] - 100, ref * 0.8, -100)
        far_hi = np.arange(near[-1] + 100, ref * 1.2, 100)
        strikes = sorted({*near.tolist(), *far_lo.tolist(), *far_hi.tolist()})
        out: list[Contract] = []
        for e in self.expiries(day):
            monthly = self.calendar.monthly_expiry(e.year, e.month) == e
            for k in strikes:
                for kind in ("CE", "PE"):
                    sym = tradingsymbol(e, k, kind, monthly)
                    out.append(Contract(self._token(sym), sym, e, float(k), kind, self.lot_sizes.get(e, 65)))
        return out

    def _token(self, symbol: str) -> int:
        """A stable instrument token per symbol (exchange token * 256 + 2, as NFO tokens are)."""
        token = self._tokens.get(symbol)
        if token is None:
            exchange_token = (
                int.from_bytes(hashlib.blake2b(symbol.encode(), digest_size=4).digest(), "big") % 900_000
            )
            token = (exchange_token + 35_000) * 256 + 2
            while token in self._used_tokens:
                token += 256
            self._tokens[symbol] = token
            self._used_tokens.add(token)
        return token

    def instruments_csv(self) -> str:
        lines = (DATA / "instruments_nfo.csv").read_text("utf-8").splitlines()
        header, others = lines[0], [ln for ln in lines[1:] if ',"NIFTY",' not in ln or "NFO-FUT" in ln]
        rows = [
            f'{c.token},{c.token // 256},{c.symbol},"NIFTY",0,{c.expiry},{c.strike:g},0.05,{c.lot_size},'
            f"{c.kind},NFO-OPT,NFO"
            for c in self.contracts()
        ]
        return "\n".join([header, *rows, *others]) + "\n"

    def by_symbol(self) -> dict[str, Contract]:
        return {c.symbol: c for c in self.contracts()}

    # ---- quotes -----------------------------------------------------------------------------------
    def _chain(self, expiry: date) -> dict[tuple[float, str], dict[str, Any]]:
        now = self.clock.now()
        key = (expiry, now.replace(second=0, microsecond=0))
        with self._lock:
            if key in self._chains:
                return self._chains[key]
        spot = _sync(self.sim.index_quote(NIFTY, now)).last
        frame = _sync(self.sim.chain(expiry, spot, 130, now))
        rows = {(float(r["strike"]), str(r["option_type"])): r for r in frame.to_dict("records")}
        with self._lock:
            self._chains = {k: v for k, v in self._chains.items() if k[1] == key[1]}
            self._chains[key] = rows
        return rows

    def option_quote(self, contract: Contract) -> dict[str, Any] | None:
        row = self._chain(contract.expiry).get((contract.strike, contract.kind))
        if row is None:
            return None
        q = dict(self._quote_template)  # every nested value is replaced below
        now = self.clock.now()
        bid, ask, ltp = (float(row[c]) for c in ("bid", "ask", "ltp"))
        oi = int(row["oi"]) + self.oi_shift
        q.update(
            instrument_token=contract.token,
            timestamp=_stamp(now),
            last_trade_time=_stamp(now - timedelta(seconds=2)),
            last_price=ltp,
            volume=int(row["volume"]),
            oi=oi,
            oi_day_high=oi + abs(int(row["oi_change"])),
            oi_day_low=max(oi - abs(int(row["oi_change"])), 0),
            buy_quantity=int(row["bid_qty"]) * 40,
            sell_quantity=int(row["ask_qty"]) * 40,
            average_price=ltp,
            ohlc={
                "open": ltp,
                "high": float(round_tick(ltp * 1.08)),
                "low": float(round_tick(ltp * 0.93)),
                "close": float(round_tick(ltp * 1.03)),
            },
        )
        levels = range(5)
        q["depth"] = {
            "buy": [
                {"price": 0, "quantity": 0, "orders": 0}
                if not np.isfinite(bid) or bid - 0.05 * i <= 0
                else {
                    "price": round(bid - 0.05 * i, 2),
                    "quantity": int(row["bid_qty"]) + 65 * i,
                    "orders": 1 + i,
                }
                for i in levels
            ],
            "sell": [
                {"price": round(ask + 0.05 * i, 2), "quantity": int(row["ask_qty"]) + 65 * i, "orders": 1 + i}
                for i in levels
            ],
        }
        return q

    def index_quote(self, key: str) -> dict[str, Any]:
        symbol, _ = INDEX_BY_KEY[key]
        now = self.clock.now()
        iq = _sync(self.sim.index_quote(symbol, now))
        q = copy.deepcopy(self._index_templates[key])
        q.update(timestamp=_stamp(iq.timestamp), last_trade_time=_stamp(iq.timestamp), last_price=iq.last)
        q["net_change"] = round(iq.last - (iq.prev_close or iq.last), 2)
        q["ohlc"] = {
            "open": iq.prev_close,
            "high": max(iq.last, iq.prev_close or 0),
            "low": min(iq.last, iq.prev_close or iq.last),
            "close": iq.prev_close,
        }
        return q

    def quotes(self, keys: list[str], kind: str) -> dict[str, Any]:
        symbols = self.by_symbol()
        out: dict[str, Any] = {}
        for key in keys:
            if key in INDEX_BY_KEY:
                q = self.index_quote(key)
            else:
                exchange, _, sym = key.partition(":")
                c = symbols.get(sym) if exchange == "NFO" else None
                q = self.option_quote(c) if c is not None else None
            if q is None:
                continue  # Kite leaves unknown instruments out
            if kind == "ltp":
                q = {"instrument_token": q["instrument_token"], "last_price": q["last_price"]}
            elif kind == "ohlc":
                q = {
                    "instrument_token": q["instrument_token"],
                    "last_price": q["last_price"],
                    "ohlc": q["ohlc"],
                }
            out[key] = q
        return out

    # ---- history ----------------------------------------------------------------------------------
    def candles(self, token: int, interval: str, start: datetime, end: datetime) -> list[list[Any]]:
        symbol = INDEX_BY_TOKEN[token]
        now = self.clock.now()
        if interval == "minute":
            out: list[list[Any]] = []
            d = start.date()
            while d <= end.date():
                upto = min(now, datetime.combine(d, datetime.max.time(), IST))
                bars = _sync(self.sim.candles(upto + timedelta(minutes=1)))  # with the forming bar
                if symbol == INDIA_VIX:
                    bars = bars.iloc[0:0]
                for ts, r in bars.iterrows():
                    if start <= ts.to_pydatetime() <= end:
                        out.append(
                            [
                                _candle_stamp(ts),
                                *(round(float(r[c]), 2) for c in ("open", "high", "low", "close")),
                                0,
                            ]
                        )
                d += timedelta(days=1)
            return out
        today = now.astimezone(IST).date()
        hist = _sync(self.sim.daily_history(symbol, now, 3000))
        out = []
        prev = None
        for ts, r in hist.iterrows():
            d = pd.Timestamp(ts).date()
            if not (start.date() <= d <= end.date()) or d >= today:
                prev = float(r["close"])
                continue
            c = float(r["close"])
            hi, lo = float(r.get("high", c)), float(r.get("low", c))
            o = prev if prev is not None else c
            o = min(max(o, lo), hi)
            out.append(
                [
                    _candle_stamp(datetime.combine(d, datetime.min.time(), IST)),
                    round(o, 2),
                    round(hi, 2),
                    round(lo, 2),
                    round(c, 2),
                    0,
                ]
            )
            prev = c
        return out


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeKiteServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is expected here


class FakeKiteServer:
    """The fake Kite API; use as a context manager or call ``start()``/``stop()``."""

    def __init__(
        self,
        market: FakeKiteMarket,
        *,
        api_key: str = "kiteapikey1234",
        api_secret: str = "kiteapisecret5678",
        access_token: str = "accesstokenABCDEF123456",
        user_id: str = "ZX4821",
    ) -> None:
        self.market = market
        self.api_key, self.api_secret, self.user_id = api_key, api_secret, user_id
        self.access_tokens = {access_token}
        self.request_tokens: set[str] = set()
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []  # exceptions inside the fake itself (tests assert it stays empty)
        self._faults: dict[str, list[list[Any]]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self._errors = load("errors.json")

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> FakeKiteServer:
        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", self.port), _Handler)
        self._httpd.fake = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: the next request gets connection refused (threads answering slowly wake up)."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> FakeKiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- control ----------------------------------------------------------------------------------
    def inject(self, endpoint: str, fault: Fault, *, times: int | None = 1, delay: float = 2.0) -> None:
        """Make the next ``times`` requests to ``endpoint`` fail with ``fault`` (None: until cleared)."""
        with self._lock:
            self._faults.setdefault(endpoint, []).append([fault, times, delay])

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def issue_request_token(self) -> str:
        """What Kite puts in the redirect after a successful login."""
        token = secrets.token_hex(16)
        self.request_tokens.add(token)
        return token

    def calls(self, endpoint: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    def _take_fault(self, endpoint: str) -> tuple[Fault, float] | None:
        with self._lock:
            queue = self._faults.get(endpoint)
            if not queue:
                return None
            fault, times, delay = queue[0]
            if times is not None:
                queue[0][1] = times - 1
                if times - 1 <= 0:
                    queue.pop(0)
            return fault, delay

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)


def _route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    parts = [p for p in path.split("/") if p]
    if method == "GET" and parts == ["instruments", "NFO"]:
        return "instruments", {}
    if method == "GET" and parts == ["quote"]:
        return "quote", {}
    if method == "GET" and parts in (["quote", "ltp"], ["quote", "ohlc"]):
        return parts[1], {}
    if method == "GET" and len(parts) == 4 and parts[:2] == ["instruments", "historical"]:
        return "historical", {"token": parts[2], "interval": parts[3]}
    if method == "GET" and parts == ["user", "profile"]:
        return "profile", {}
    if method == "POST" and parts == ["session", "token"]:
        return "session", {}
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    incomplete = False

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._guarded("GET")

    def do_POST(self) -> None:
        self._guarded("POST")

    def _guarded(self, method: str) -> None:
        try:
            self._handle(method)
        except Exception as exc:  # a bug in the fake: make it loud, not a hung-up connection
            self.server.fake.errors.append(f"{method} {self.path}: {type(exc).__name__}: {exc}")
            self._send(500, f"fake Kite server bug: {exc!r}".encode(), "text/plain")

    # ---- responses --------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _ok(self, data: Any) -> None:
        self._json(200, {"status": "success", "data": data})

    def _error(self, kind: str, **fmt: Any) -> None:
        spec = copy.deepcopy(self.server.fake._errors[kind])
        spec["body"]["message"] = spec["body"]["message"].format(**fmt) if fmt else spec["body"]["message"]
        self._json(spec["http_status"], spec["body"])

    # ---- dispatch ---------------------------------------------------------------------------------
    def _handle(self, method: str) -> None:
        fake = self.server.fake
        split = urlsplit(self.path)
        params = parse_qs(split.query, keep_blank_values=True)
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            params.update(parse_qs(self.rfile.read(length).decode(), keep_blank_values=True))
        route = _route(method, split.path)
        endpoint = route[0] if route else "unknown"
        auth = self.headers.get("Authorization", "")
        authorized = any(auth == f"token {fake.api_key}:{t}" for t in fake.access_tokens)
        fake._record(RecordedRequest(method, split.path, endpoint, params, time.monotonic(), authorized))
        if route is None:
            self._json(
                404,
                {
                    "status": "error",
                    "message": "Route not found",
                    "data": None,
                    "error_type": "GeneralException",
                },
            )
            return
        fault = fake._take_fault(endpoint)
        if fault is not None:
            kind, delay = fault
            if kind is Fault.SLOW:
                fake._stopping.wait(delay)
            elif kind is Fault.BAD_GATEWAY:
                self._send(502, fake._errors["bad_gateway_html"].encode(), "text/html")
                return
            elif kind is Fault.MALFORMED:
                if endpoint == "instruments":
                    self._send(200, b"instrument_token,tradingsymbol\nnot-a-number,NIFTY\n", "text/csv")
                else:
                    self._send(200, b'{"status": "success", "data": {', "application/json")
                return
            elif kind is not Fault.INCOMPLETE:
                self._error(kind.value)
                return
        if endpoint != "session" and not authorized:
            self._error("token")
            return
        self.incomplete = fault is not None and fault[0] is Fault.INCOMPLETE
        getattr(self, f"_{endpoint}")(params, route[1])

    def _instruments(self, params: dict[str, list[str]], args: dict[str, str]) -> None:
        text = self.server.fake.market.instruments_csv()
        if self.incomplete:  # drop the strike column
            text = "\n".join(
                ",".join(c for i, c in enumerate(ln.split(",")) if i != 6) for ln in text.splitlines()
            )
        self._send(200, text.encode(), "text/csv")

    def _quotes(self, params: dict[str, list[str]], kind: str) -> None:
        keys = params.get("i", [])
        if len(keys) > MAX_INSTRUMENTS[kind]:
            self._error("too_many_instruments")
            return
        data = self.server.fake.market.quotes(keys, kind)
        if self.incomplete:
            for entry in data.values():
                entry.pop("depth", None)
                entry.pop("ohlc", None)
                entry.pop("last_price", None)
        self._ok(data)

    def _quote(self, params: dict[str, list[str]], args: dict[str, str]) -> None:
        self._quotes(params, "quote")

    def _ltp(self, params: dict[str, list[str]], args: dict[str, str]) -> None:
        self._quotes(params, "ltp")

    def _ohlc(self, params: dict[str, list[str]], args: dict[str, str]) -> None:
        self._quotes(params, "ohlc")

    def _historical(self, params: dict[str, list[str]], args: dict[str, str]) -> None:
        interval = args["interval"]
        try:
            token = int(args["token"])
            start, end = (datetime.fromisoformat(params[k][0]).replace(tzinfo=IST) for k in ("from", "to"))
        except (KeyError, ValueError):
            self._error("input")
            return
        if token not in INDEX_BY_TOKEN or interval not in MAX_SPAN_DAYS:
            self._error("input")
            return
        if (end - start).days > MAX_SPAN_DAYS[interval]:
            self._error("span", days=MAX_SPAN_DAYS[interval])
            return
        candles = self.server.fake.market.candles(token, interval, start, end)
        if self.incomplete:
            candles = [c[:4] for c in candles]
        self._ok({"candles": candles})

    def _profile(self, params: dict[str, list[str]], args: dict[str, str]) -> None:
        data = load("profile.json")["data"]
        data["user_id"] = self.server.fake.user_id
        if self.incomplete:
            del data["user_id"]
        self._ok(data)

    def _session(self, params: dict[str, list[str]], args: dict[str, str]) -> None:
        fake = self.server.fake
        api_key = (params.get("api_key") or [""])[0]
        token = (params.get("request_token") or [""])[0]
        checksum = (params.get("checksum") or [""])[0]
        expected = hashlib.sha256((api_key + token + fake.api_secret).encode()).hexdigest()
        if api_key != fake.api_key or token not in fake.request_tokens or checksum != expected:
            self._error("request_token")
            return
        fake.request_tokens.discard(token)
        access = secrets.token_hex(16)
        fake.access_tokens.add(access)
        data = load("session_token.json")["data"]
        data.update(
            user_id=fake.user_id,
            api_key=api_key,
            access_token=access,
            public_token=secrets.token_hex(8),
            login_time=_stamp(fake.market.clock.now()),
        )
        self._ok(data)


@contextmanager
def running(market: FakeKiteMarket, **kwargs: Any) -> Iterator[FakeKiteServer]:
    """A started :class:`FakeKiteServer` for the duration of the block."""
    server = FakeKiteServer(market, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, server.errors


class Sleeps:
    """A sleep for the guards' retry backoff that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Ticker:
    """A monotonic clock the test moves by hand (breaker recovery without sleeping)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def kite_registry(
    *,
    quote_rate: float | None = None,
    max_retries: int = 2,
    threshold: int = 5,
    recovery: float = 30.0,
    guard_timeout: float = 10.0,
    sleep: Sleeps | None = None,
    monotonic: Ticker | None = None,
) -> GuardRegistry:
    """Guards with the production Kite rate limits (or a faster quote limit), a fake sleep and clock."""
    limits = dict(EngineConfig().rate_limits)
    for key in ("kite_quote", "kite_other", "kite_historical"):
        rate = (
            limits[key].rate_per_second
            if quote_rate is None
            else max(quote_rate, limits[key].rate_per_second)
        )
        burst = limits[key].burst if quote_rate is None else max(int(rate), 1)
        limits[key] = SourceLimits(
            rate_per_second=rate, burst=burst, timeout_seconds=guard_timeout, max_retries=max_retries
        )
    config = EngineConfig(
        rate_limits=limits, breaker=BreakerConfig(failure_threshold=threshold, recovery_seconds=recovery)
    )
    kwargs: dict[str, Any] = {"sleep": sleep or Sleeps()}
    if monotonic is not None:
        kwargs["monotonic"] = monotonic
    return GuardRegistry(config, **kwargs)


def kite_source(
    server: FakeKiteServer,
    sessions: sessionmaker[Session],
    registry: GuardRegistry,
    *,
    access_token: str | None = None,
    timeout: float = 5.0,
) -> KiteSource:
    """A KiteSource with the real client pointed at ``server``."""
    token = access_token if access_token is not None else next(iter(server.access_tokens))
    return KiteSource(
        server.api_key,
        token,
        root=server.url,
        timeout=timeout,
        registry=registry,
        sessions=sessions,
        calendar=server.market.calendar,
    )


@contextmanager
def sqlite_sessions(path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite database file at ``path`` (for tests that are not about the database)."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()
