"""Text building blocks for Telegram HTML: escaping, numbers, money, times and monospace tables.

Conventions (what every template shows):
- every dynamic string goes through :func:`esc` (text) or :func:`attr` (attribute values);
- rupees with Indian digit grouping and the ₹ sign (``₹1,23,456.78``); P&L always signed
  (``+₹1,234.50`` / ``-₹980.00``, zero unsigned);
- volatility stored as a decimal is shown as a percent (0.1234 → ``12.3%``); percentiles 0-100 as whole
  numbers; price changes as signed percents (``+0.52%``);
- times in IST with the zone named (``25 Nov 11:05 IST``); a naive datetime is a programming error;
  dates as ``Tue 01 Dec``;
- unknown numbers (``None`` or NaN) are shown as ``n/a`` in prose and ``-`` in tables, never as 0.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from core.clock import IST
from core.domain.money import format_inr

NA = "n/a"
DASH = "-"
PHONE_COLUMNS = 40  # widest monospace line that fits a phone screen without wrapping

Number = float | int | Decimal


def esc(value: object) -> str:
    """Escape text for Telegram HTML (``&``, ``<``, ``>``); quotes are fine outside attributes."""
    return html.escape(str(value), quote=False)


def attr(value: object) -> str:
    """Escape an attribute value (also ``"`` and ``'``)."""
    return html.escape(str(value), quote=True)


def bold(text: object) -> str:
    return f"<b>{esc(text)}</b>"


def italic(text: object) -> str:
    return f"<i>{esc(text)}</i>"


def code(text: object) -> str:
    return f"<code>{esc(text)}</code>"


def pre(lines: Sequence[str]) -> str:
    """A monospace block of raw (unescaped) lines."""
    return "<pre>" + esc("\n".join(lines)) + "</pre>"


def known(x: Number | None) -> bool:
    """True for a finite number (``None`` and NaN are unknown)."""
    if x is None:
        return False
    if isinstance(x, Decimal):
        return x.is_finite()
    return math.isfinite(x)


# ---- numbers -------------------------------------------------------------------------------------------
def group_indian(whole: str) -> str:
    """Indian grouping of a string of digits: ``1234567`` → ``12,34,567``."""
    if len(whole) <= 3:
        return whole
    head, tail = whole[:-3], whole[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ",".join([*groups, tail])


def num(x: Number | None, digits: int = 2, *, na: str = NA, sign: bool = False) -> str:
    """A plain number with Indian grouping: ``num(24051.345)`` → ``24,051.35`` (half up)."""
    if x is None or not known(x):
        return na
    d = Decimal(repr(x)) if isinstance(x, float) else Decimal(x)
    q = d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)  # never "-0.00"
    whole, _, frac = f"{abs(q):.{digits}f}".partition(".")
    prefix = "-" if q < 0 else ("+" if sign and q > 0 else "")
    return prefix + group_indian(whole) + (f".{frac}" if frac else "")


def strike(x: float | None) -> str:
    """A strike or index level without decimals: ``24,000``."""
    return num(x, 0)


def inr(amount: Number | None, *, na: str = NA) -> str:
    """Rupees: ``₹1,23,456.78``."""
    return na if amount is None or not known(amount) else format_inr(amount)


def pnl(amount: Number | None, *, na: str = NA) -> str:
    """Signed rupees for P&L: ``+₹1,234.50``, ``-₹980.00``, ``₹0.00``."""
    return na if amount is None or not known(amount) else format_inr(amount, sign=True)


def price(x: Number | None, *, na: str = NA) -> str:
    """A premium per unit (2 decimals, no sign, no ₹): ``152.35``."""
    return num(x, 2, na=na)


def vol(x: float | None, digits: int = 1, *, na: str = NA) -> str:
    """Volatility held as a decimal, shown as a percent: ``0.1234`` → ``12.3%``."""
    return na if x is None or not known(x) else f"{x * 100:.{digits}f}%"


def change(pct: float | None, digits: int = 2, *, na: str = NA) -> str:
    """A change already in percent, signed: ``+0.52%``."""
    if pct is None or not known(pct):
        return na
    r = round(pct, digits)
    return f"{'+' if r > 0 else ''}{0.0 if r == 0 else r:.{digits}f}%"


def pctile(x: float | None, *, na: str = NA) -> str:
    """A 0-100 percentile as a whole number: ``83``."""
    return na if x is None or not known(x) else f"{x:.0f}"


def fraction(x: float | None, *, na: str = NA) -> str:
    """A 0-1 fraction as a whole percent: ``0.72`` → ``72%``."""
    return na if x is None or not known(x) else f"{x * 100:.0f}%"


def compact(n: Number | None, *, sign: bool = False, na: str = DASH) -> str:
    """Contracts in Indian compact units: ``950``, ``45.2k``, ``12.3L`` (lakh), ``1.2Cr`` (crore)."""
    if n is None or not known(n):
        return na
    v = float(n)
    a = abs(v)
    if a < 1_000:
        body = f"{a:.0f}"
    elif a < 100_000:
        body = f"{a / 1_000:.1f}k" if a < 99_950 else f"{a / 100_000:.1f}L"
    elif a < 10_000_000:
        body = f"{a / 100_000:.1f}L" if a < 9_995_000 else f"{a / 10_000_000:.1f}Cr"
    elif a < 999_500_000:
        body = f"{a / 10_000_000:.1f}Cr"
    else:
        body = f"{a / 10_000_000:.0f}Cr"
    if body in ("0", "0.0k"):
        return "0"
    prefix = "-" if v < 0 else ("+" if sign and v > 0 else "")
    return prefix + body


def lots(n: int) -> str:
    """``1 lot`` / ``3 lots``."""
    return f"{n} lot{'' if n == 1 else 's'}"


def score(x: float) -> str:
    """A 0-100 score with one decimal, half up: ``74.25`` → ``74.3``."""
    return num(x, 1)


def usd(amount: Number | None) -> str:
    return NA if amount is None or not known(amount) else f"${Decimal(str(amount)):,.2f}"


# ---- times ---------------------------------------------------------------------------------------------
def _ist(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt!r}: the renderer only shows aware times")
    return dt.astimezone(IST)


def when(dt: datetime | None, *, na: str = NA) -> str:
    """``25 Nov 11:05 IST``."""
    return na if dt is None else f"{_ist(dt):%d %b %H:%M} IST"


def short_date(dt: datetime | None, *, na: str = DASH) -> str:
    """``25 Nov`` (the IST date of an aware datetime)."""
    return na if dt is None else f"{_ist(dt):%d %b}"


def clock_time(dt: datetime | None, *, na: str = NA) -> str:
    """``11:05 IST``."""
    return na if dt is None else f"{_ist(dt):%H:%M} IST"


def day(d: date | datetime | None, *, na: str = NA) -> str:
    """``Tue 01 Dec`` (a datetime is taken in IST)."""
    if d is None:
        return na
    if isinstance(d, datetime):
        d = _ist(d).date()
    return f"{d:%a %d %b}"


def long_day(d: date) -> str:
    """``Wednesday 25 Nov 2026``."""
    return f"{d:%A %d %b %Y}"


def age(seconds: float) -> str:
    """A short age: ``12 s``, ``4 min``, ``2 h 05 min``, ``3 d``."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d"


# ---- tables --------------------------------------------------------------------------------------------
Align = Literal["<", ">", "^"]


def table(rows: Sequence[Sequence[str]], aligns: Sequence[Align], *, gap: int = 1) -> list[str]:
    """Raw monospace lines with each column padded to its widest cell (escape with :func:`pre`)."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(aligns))]
    sep = " " * gap
    return [
        sep.join(f"{cell:{a}{w}}" for cell, a, w in zip(row, aligns, widths, strict=True)).rstrip()
        for row in rows
    ]


def clip(text: str, width: int) -> str:
    """Shorten ``text`` to ``width`` characters with an ellipsis."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
