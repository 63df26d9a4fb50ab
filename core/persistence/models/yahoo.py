"""The Yahoo daily-bar cache: bars as Yahoo gave them, and how far each ticker has been asked for.

``day`` is the bar's date in the ticker's own exchange time zone (a ^GSPC bar of 23 Nov is the New York
session of 23 Nov). Prices are floats in the instrument's quote units (index points, USD, INR, yield
percent for ^TNX). Only bars with a finite close are stored; open/high/low/volume are NULL when Yahoo
had none.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.models.base import Base, UTCDateTime


class YahooDailyBar(Base):
    """One daily bar of one Yahoo ticker."""

    __tablename__ = "yahoo_daily_bars"

    ticker: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    open: Mapped[float | None] = mapped_column(Float, nullable=True)
    high: Mapped[float | None] = mapped_column(Float, nullable=True)
    low: Mapped[float | None] = mapped_column(Float, nullable=True)
    close: Mapped[float] = mapped_column(Float, nullable=False)
    volume: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class YahooFetch(Base):
    """The contiguous day range ``[covered_from, covered_through]`` already asked of Yahoo for a ticker.

    A day inside the range with no bar is a day Yahoo had nothing for (a holiday, a gap): it is not
    asked again until the freshness rule in ``core.marketdata.yahoo`` says so.
    """

    __tablename__ = "yahoo_fetches"

    ticker: Mapped[str] = mapped_column(String(32), primary_key=True)
    covered_from: Mapped[date] = mapped_column(Date, nullable=False)
    covered_through: Mapped[date] = mapped_column(Date, nullable=False)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
