"""The instruments dump is cached once per day in the database; closing OI is kept for oi_change."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.clock import IST, FixedClock
from core.errors import DataFetchError
from core.market_hours import default_calendar
from core.marketdata.kite_instruments import cache_is_fresh
from core.marketdata.kite_oi import OiDays, oi_days
from core.marketdata.kite_payloads import nifty_option_contracts, nifty_options_from_csv
from core.persistence.db import session_factory
from core.persistence.models.kite import KiteInstrument, KiteInstrumentDump, KiteOiClose
from tests.fakes.kite_server import DATA, FakeKiteMarket, kite_registry, kite_source, running

CAL = default_calendar()
NOW = datetime(2026, 11, 18, 11, 0, tzinfo=IST)
DEC1 = date(2026, 12, 1)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=IST)


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def server(clock):
    with running(FakeKiteMarket(CAL, clock)) as srv:
        yield srv


# ---- pure rules -------------------------------------------------------------------------------------
def test_a_dump_serves_its_own_day_and_one_fetched_early_only_until_0830():
    day = date(2026, 11, 18)
    assert cache_is_fresh(day, at(18, 8, 45), at(18, 23, 59))
    assert not cache_is_fresh(day, at(18, 8, 45), at(19, 0, 1))
    assert cache_is_fresh(day, at(18, 7, 0), at(18, 8, 29))
    assert not cache_is_fresh(day, at(18, 7, 0), at(18, 8, 30))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(18, 11), OiDays(date(2026, 11, 18), date(2026, 11, 17), final=False)),
        (at(18, 15, 45), OiDays(date(2026, 11, 18), date(2026, 11, 17), final=True)),
        (at(18, 8, 0), OiDays(date(2026, 11, 17), date(2026, 11, 16), final=True)),
        (at(24, 11), OiDays(date(2026, 11, 23), date(2026, 11, 20), final=True)),  # a holiday
        (at(22, 11), OiDays(date(2026, 11, 20), date(2026, 11, 19), final=True)),  # a Sunday
    ],
)
def test_which_close_a_quote_is_measured_from(now, expected):
    assert oi_days(now, CAL) == expected


def test_the_dump_filter_keeps_only_nifty_options_and_rejects_bad_rows():
    rows = [
        {"instrument_token": 1, "tradingsymbol": "NIFTY26D0123700CE", "name": "NIFTY", "expiry": DEC1,
         "strike": 23700.0, "tick_size": 0.05, "lot_size": 65, "instrument_type": "CE",
         "segment": "NFO-OPT", "exchange": "NFO"},
        {"instrument_token": 2, "tradingsymbol": "NIFTY26DECFUT", "name": "NIFTY", "expiry": DEC1,
         "strike": 0.0, "tick_size": 0.1, "lot_size": 65, "instrument_type": "FUT",
         "segment": "NFO-FUT", "exchange": "NFO"},
        {"instrument_token": 3, "tradingsymbol": "BANKNIFTY26DEC52000CE", "name": "BANKNIFTY",
         "expiry": DEC1, "strike": 52000.0, "tick_size": 0.05, "lot_size": 30,
         "instrument_type": "CE", "segment": "NFO-OPT", "exchange": "NFO"},
    ]  # fmt: skip
    assert [c.tradingsymbol for c in nifty_option_contracts(rows)] == ["NIFTY26D0123700CE"]
    with pytest.raises(ValueError, match="lot_size"):
        nifty_option_contracts([{**rows[0], "lot_size": 0}])
    with pytest.raises(ValueError, match="expiry"):
        nifty_option_contracts([{**rows[0], "expiry": ""}])


def test_the_raw_dump_is_filtered_before_rows_are_converted():
    raw = (DATA / "instruments_nfo.csv").read_bytes()
    contracts = nifty_options_from_csv(raw)
    assert [(c.tradingsymbol, c.expiry, c.strike, c.option_type, c.lot_size) for c in contracts] == [
        ("NIFTY26D0123700CE", DEC1, 23700.0, "CE", 65),
        ("NIFTY26D0123700PE", DEC1, 23700.0, "PE", 65),
        ("NIFTY26DEC23700CE", date(2026, 12, 29), 23700.0, "CE", 65),
    ]
    assert contracts[0].instrument_token == 10624258 and contracts[0].tick_size == 0.05
    with pytest.raises(DataFetchError, match=r"lacks the column\(s\) strike, tick_size") as err:
        nifty_options_from_csv(b"instrument_token,tradingsymbol,name,expiry\n1,X,NIFTY,2026-12-01\n")
    assert not err.value.transient


# ---- the database cache ---------------------------------------------------------------------------------
@pytest.mark.db
async def test_the_dump_is_downloaded_once_a_day_and_a_restart_reads_the_cache(engine, server, clock):
    sessions = session_factory(engine)
    src = kite_source(server, sessions, kite_registry())
    book = await src.contracts(NOW)
    assert len(book) == len(server.market.contracts())
    await src.expiries(NOW + timedelta(hours=2))
    restarted = kite_source(server, sessions, kite_registry())
    again = await restarted.contracts(NOW + timedelta(hours=3))
    assert len(server.calls("instruments")) == 1
    assert set(again.contracts) == set(book.contracts)  # tokens, strikes, lot and tick sizes round-trip

    clock.set(at(19, 9, 20))
    later = await restarted.contracts(at(19, 9, 20))
    assert len(server.calls("instruments")) == 2 and later.day == date(2026, 11, 19)
    with sessions() as s:
        assert s.scalars(select(KiteInstrumentDump.day)).all() == [date(2026, 11, 19)]
        assert s.scalar(select(func.count()).select_from(KiteInstrument)) == len(later)
        assert s.scalar(select(func.count()).where(KiteInstrument.day != date(2026, 11, 19))) == 0


@pytest.mark.db
async def test_a_dump_fetched_before_0830_is_fetched_again_after(engine, server, clock):
    src = kite_source(server, session_factory(engine), kite_registry())
    clock.set(at(18, 7, 45))
    await src.contracts(at(18, 7, 45))
    await src.contracts(at(18, 8, 29))
    assert len(server.calls("instruments")) == 1
    await src.contracts(at(18, 8, 31))
    await src.contracts(at(18, 15, 0))
    assert len(server.calls("instruments")) == 2


@pytest.mark.db
async def test_only_nifty_options_of_the_dump_are_kept(engine, server):
    sent = server.market.instruments_csv()
    assert "BANKNIFTY26DEC52000CE" in sent and "NIFTY26DECFUT" in sent and "NIFTYNXT5026DEC68000CE" in sent
    book = await kite_source(server, session_factory(engine), kite_registry()).contracts(NOW)
    symbols = {c.tradingsymbol for c in book.contracts}
    assert symbols == {c.symbol for c in server.market.contracts()}
    assert {c.option_type for c in book.contracts} == {"CE", "PE"}


@pytest.mark.db
async def test_a_dump_without_nifty_options_is_an_error_and_is_not_cached(engine, server, monkeypatch):
    monkeypatch.setattr(server.market, "contracts", lambda day=None: [])
    sessions = session_factory(engine)
    with pytest.raises(DataFetchError, match="no NIFTY options") as err:
        await kite_source(server, sessions, kite_registry()).contracts(NOW)
    assert not err.value.transient
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(KiteInstrumentDump)) == 0


@pytest.mark.db
async def test_oi_change_is_measured_from_the_recorded_close(engine, server, clock, caplog):
    sessions = session_factory(engine)
    src = kite_source(server, sessions, kite_registry(quote_rate=100))
    caplog.set_level(logging.INFO, logger="core.marketdata")

    clock.set(at(17, 11))  # in session, nothing recorded for the 16th: oi_change 0, said once
    first = await src.chain(DEC1, 23900.0, 10, at(17, 11))
    await src.chain(DEC1, 23900.0, 10, at(17, 11, 1))
    assert (first["oi_change"] == 0).all()
    assert sum("no closing OI recorded" in r.getMessage() for r in caplog.records) == 1

    clock.set(at(17, 16))  # after the close: this quote's OI is the 17th's close and is recorded
    close = await src.chain(DEC1, 23900.0, 10, at(17, 16))
    with sessions() as s:
        stored = dict(s.execute(select(KiteOiClose.instrument_token, KiteOiClose.oi)).all())
    assert stored == dict(zip(close["instrument_token"], close["oi"], strict=True))

    clock.set(at(18, 11))
    today = await src.chain(DEC1, 23900.0, 10, at(18, 11))
    expected = today["oi"] - today["instrument_token"].map(stored)
    assert (today["oi_change"] == expected).all()
    assert (today["oi_change"] != 0).any()
