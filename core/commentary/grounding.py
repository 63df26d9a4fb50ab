"""Grounding: every number in a reply must come from the facts.

A reply is scanned into dates, times, identifiers and numbers; each must be backed by the facts or the
reply is rejected (the service then sends the deterministic text and logs the event). The rules:

Numbers
  - Written forms read: ``24087.04``, ``24,087``, Indian grouping ``1,23,456.78``, a sign or ``±``,
    ``₹``/``Rs``/``INR`` before, and after: ``%``/``percent``, or a scale word ``k`` (×1,000),
    ``L``/``lakh`` (×1,00,000), ``cr``/``crore`` (×1,00,00,000), ``mn``, ``bn``.
  - A number written with ``n`` decimals (after scaling) stands for any fact within half a unit of its
    last digit, inclusive: the fact 24,087.04 may appear as ``24,087.04``, ``24,087.0``, ``24087``,
    ``24.1k`` or ``24.09k``, but not as ``24,090`` or ``24,100`` (a rounded integer claims to be
    exact; write ``24.1k`` instead) nor ``24,087.043`` (more digits than the fact has).
  - Signs are not compared (the words carry the direction: "fell 0.42%" for a change of -0.42).
  - Percent: facts are stored in percent units (``*_pct`` fields; 0.1345 was stored as 13.45), so a
    number written with ``%`` must match a percent fact (a field ending ``_pct``, a percentile or
    rank, or a number written with ``%`` inside a fact string). A number without ``%`` may match any
    fact. Fractions are never scaled: "POP 0.62" does not match ``pop_pct`` 62.
  - Facts are every number in the facts, the numbers written inside fact strings (gate reasons,
    notes, names such as "S&P 500"), and the length of every list in the facts (so "two open
    positions" or "4 legs" is grounded). Derived numbers (sums, differences, conversions) are not
    facts and are rejected.

Innocent numbers (not checked, or checked as what they are)
  - Dates (``2026-11-24``, ``24/11/2026``, ``24 Nov``, ``Nov 24, 2026``, ``24-Nov-26``, ``Nov 2026``)
    must be dates in the facts (year compared when written); a bare year (1900-2100) must be the year
    of a fact date; an ordinal above 10 ("the 25th", "42nd percentile") must be the day of a fact
    date or a fact number (to the nearest integer).
  - Times of day (``15:40``, ``9:15 am``) must be times in the facts.
  - Not checked: list markers at the start of a line (``1.``, ``2)``, ``(3)``); ordinals up to 10th;
    period or term compounds (``25-delta``, ``20-day``, ``4-leg``, ``EMA20``, ``RSI(14)``); index
    names (``NIFTY 50``, ``S&P 500``, ``Nikkei 225`` ...).
  - Identifiers with digits glued to letters (``NIFTY26DEC24000CE``) must be words of the facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel

from core.clock import IST

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_MON = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

KNOWN_NAMES = (
    "NIFTY 50",
    "NIFTY50",
    "Nifty Bank",
    "S&P 500",
    "S&P500",
    "Nikkei 225",
    "FTSE 100",
    "DAX 40",
    "CAC 40",
    "Russell 2000",
    "Sensex 30",
)
_NAMES = re.compile("|".join(re.escape(n) for n in KNOWN_NAMES), re.IGNORECASE)

_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<![\d/.-])(?P<d>\d{1,2})[/-](?P<m>\d{1,2})[/-](?P<y>\d{4}|\d{2})(?![\d/-])"),
    re.compile(
        r"(?<![\w.,])(?P<d>\d{1,2})(?:st|nd|rd|th)?[ -](?:of )?"
        + _MON
        + r"(?:[ ,-]+'?(?P<y>\d{4}|\d{2})(?![\d,.]\d|\w))?(?!\w)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b" + _MON + r" (?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,? (?P<y>\d{4}))?(?![\d,.]\d|\w)", re.IGNORECASE
    ),
    re.compile(r"\b" + _MON + r"[ ']+(?P<y>\d{4})(?!\d)", re.IGNORECASE),  # "Nov 2026": month only
)
_TIME = re.compile(
    r"(?<![\d:.])(?P<h>\d{1,2})(?::(?P<min>\d{2}))?\s?(?P<ampm>[ap]\.?m\.?)(?!\w)|"
    r"(?<![\d:.])(?P<h2>\d{1,2}):(?P<min2>\d{2})(?![\d:])",
    re.IGNORECASE,
)
_LIST_MARKER = re.compile(r"^[ \t]*(?:\(\d{1,2}\)|\d{1,2}[.)])(?=\s)", re.MULTILINE)
_TERMS = (
    r"delta|day|days|week|weeks|month|months|period|minute|minutes|min|hour|hours|session|sessions"
    r"|strike|strikes|lot|lots|leg|legs|year|years|bar|bars|candle|candles|point|sided|way|ema|sma|dma"
)
_TERM = re.compile(r"(?<![\w.,])\d{1,3}-(?:" + _TERMS + r")\b", re.IGNORECASE)
_INDICATOR = re.compile(
    r"\b(?:EMA|SMA|DMA|RSI|ATR|RV|IV|BB|ADX|MA)(?:\(\d{1,3}\)|\d{1,3}(?![\d.,]))", re.IGNORECASE
)
_IDENT = re.compile(r"\b[A-Za-z][A-Za-z&^=_]*\d[\w^=]*")
_ORDINAL = re.compile(r"(?<![\w.])(?P<n>\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-+±])?\s?(?:₹|Rs\.?|INR)?\s?(?P<sign2>[-+±])?"
    r"(?P<int>\d{1,2}(?:,\d{2})+,\d{3}(?!\d)|\d{1,3}(?:,\d{3})+(?!\d)|\d+)"
    r"(?:\.(?P<frac>\d+))?"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b)"
    r"|(?P<scale>k\b|K\b|L\b|lakhs?\b|lacs?\b|cr\b|crores?\b|mn\b|bn\b)"
    r"|(?<=\d) (?P<scale2>lakhs?|lacs?|crores?|cr)\b)?"
)
_SCALES = {
    "k": 3,
    "l": 5,
    "lakh": 5,
    "lakhs": 5,
    "lac": 5,
    "lacs": 5,
    "cr": 7,
    "crore": 7,
    "crores": 7,
    "mn": 6,
    "bn": 9,
}
_PERCENT_FIELDS = ("_pct", "percentile", "iv_rank")


@dataclass(frozen=True)
class NumberToken:
    """A number as written: ``value`` (absolute, scaled) stands for anything within ``tolerance``."""

    text: str
    value: Decimal
    tolerance: Decimal
    percent: bool


@dataclass
class Scan:
    """What a text contains, by kind. ``dates`` hold (text, year or None, month, day or None)."""

    dates: list[tuple[str, int | None, int, int | None]] = field(default_factory=list)
    times: list[tuple[str, int, int]] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    ordinals: list[tuple[str, int]] = field(default_factory=list)
    numbers: list[NumberToken] = field(default_factory=list)


def _blank(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    return 2000 + int(raw) if len(raw) == 2 else int(raw)


def normalise(text: str) -> str:
    """Unicode minus and dashes to ASCII, exotic spaces to spaces (positions are kept)."""
    for src, dst in (("\u2212", "-"), ("\u2013", "-"), ("\u2011", "-"), ("\u00a0", " "), ("\u202f", " ")):
        text = text.replace(src, dst)
    return text.replace("\u2009", " ")


def number_token(match: re.Match[str]) -> NumberToken:
    whole = match.group("int").replace(",", "")
    frac = match.group("frac") or ""
    places = len(frac)
    value = Decimal(f"{whole}.{frac}" if frac else whole)
    scale_word = (match.group("scale") or match.group("scale2") or "").lower()
    power = _SCALES.get(scale_word, 0)
    unit = Decimal(1).scaleb(power - places)
    return NumberToken(
        text=match.group(0).strip(),
        value=value.scaleb(power),
        tolerance=unit / 2,
        percent=match.group("pct") is not None,
    )


def scan(text: str) -> Scan:
    """Split ``text`` into dates, times, identifiers, ordinals and numbers (see the module rules)."""
    out = Scan()
    text = normalise(text)
    for m in _NAMES.finditer(text):
        text = _blank(text, m.span())
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            month = _MONTHS[groups["mon"].lower()] if groups.get("mon") else int(groups["m"])
            day = int(groups["d"]) if groups.get("d") else None
            if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
                continue
            out.dates.append((m.group(0), _year(groups.get("y")), month, day))
            text = _blank(text, m.span())
    for m in _TIME.finditer(text):
        hour = int(m.group("h") or m.group("h2"))
        minute = int(m.group("min") or m.group("min2") or 0)
        ampm = (m.group("ampm") or "").lower()
        if ampm.startswith("p") and hour < 12:
            hour += 12
        if ampm.startswith("a") and hour == 12:
            hour = 0
        if hour <= 23 and minute <= 59:
            out.times.append((m.group(0), hour, minute))
            text = _blank(text, m.span())
    for pattern in (_LIST_MARKER, _TERM, _INDICATOR):
        for m in pattern.finditer(text):
            text = _blank(text, m.span())
    for m in _IDENT.finditer(text):
        out.identifiers.append(m.group(0))
        text = _blank(text, m.span())
    for m in _ORDINAL.finditer(text):
        out.ordinals.append((m.group(0), int(m.group("n"))))
        text = _blank(text, m.span())
    for m in _NUMBER.finditer(text):
        out.numbers.append(number_token(m))
    return out


@dataclass
class FactIndex:
    """Everything a reply may cite: numbers (absolute, with a percent flag), dates, times, words."""

    numbers: set[Decimal] = field(default_factory=set)
    percents: set[Decimal] = field(default_factory=set)
    dates: set[date] = field(default_factory=set)
    partial_dates: set[tuple[int | None, int, int | None]] = field(default_factory=set)
    ordinals: set[int] = field(default_factory=set)
    times: set[tuple[int, int]] = field(default_factory=set)
    words: set[str] = field(default_factory=set)

    def add_number(self, value: Decimal, *, percent: bool = False) -> None:
        self.numbers.add(abs(value))
        if percent:
            self.percents.add(abs(value))

    def add_text(self, text: str) -> None:
        found = scan(text)
        self.partial_dates.update((y, m, d) for _, y, m, d in found.dates)
        self.ordinals.update(n for _, n in found.ordinals)
        self.times.update((h, mi) for _, h, mi in found.times)
        for number in found.numbers:
            self.add_number(number.value, percent=number.percent)
        self.words.update(w.lower() for w in found.identifiers)
        self.words.update(w.lower() for w in re.findall(r"[\w&^=]+", normalise(text)))

    def add(self, value: object, name: str = "") -> None:
        if isinstance(value, BaseModel):
            for key in type(value).model_fields:
                self.add(getattr(value, key), key)
        elif isinstance(value, (tuple, list)):
            self.add_number(Decimal(len(value)))
            for item in value:
                self.add(item, name)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, Decimal):
            self.add_number(value, percent=any(s in name for s in _PERCENT_FIELDS))
        elif isinstance(value, int):
            self.add_number(Decimal(value))
        elif isinstance(value, datetime):
            local = value.astimezone(IST) if value.tzinfo else value
            self.dates.add(local.date())
            self.times.add((local.hour, local.minute))
        elif isinstance(value, date):
            self.dates.add(value)
        elif isinstance(value, str):
            self.add_text(value)

    def supports(self, token: NumberToken) -> bool:
        pool = self.percents if token.percent else self.numbers
        return any(abs(fact - token.value) <= token.tolerance for fact in pool)


def index_facts(*facts: object) -> FactIndex:
    """The index of everything the given facts (models, strings, numbers, dates) let a reply cite."""
    index = FactIndex()
    for item in facts:
        index.add(item)
    return index


@dataclass(frozen=True)
class Grounding:
    """The verdict on a reply: ``unsupported`` lists what was written without a fact behind it."""

    unsupported: tuple[str, ...]
    checked: int

    @property
    def ok(self) -> bool:
        return not self.unsupported


def _same(a: int | None, b: int | None) -> bool:
    return a is None or b is None or a == b


def _date_ok(index: FactIndex, year: int | None, month: int, day: int | None) -> bool:
    """A written date is backed by a fact date (or a date written in a fact string) that agrees on
    the month and on the year and day wherever both sides give them."""
    parts = {(d.year, d.month, d.day) for d in index.dates} | index.partial_dates
    return any(m == month and _same(y, year) and _same(d, day) for y, m, d in parts)


def _unsupported(reply: Scan, index: FactIndex) -> Iterator[str]:
    for text, year, month, day in reply.dates:
        if not _date_ok(index, year, month, day):
            yield text
    for text, hour, minute in reply.times:
        if (hour, minute) not in index.times:
            yield text
    for ident in reply.identifiers:
        if ident.lower() not in index.words:
            yield ident
    for text, n in reply.ordinals:
        if n <= 10 or n in index.ordinals or any(d.day == n for d in index.dates):
            continue
        if not index.supports(NumberToken(text, Decimal(n), Decimal("0.5"), percent=False)):
            yield text
    years = {d.year for d in index.dates}
    for token in reply.numbers:
        is_year = token.tolerance == Decimal("0.5") and not token.percent and 1900 <= token.value <= 2100
        if is_year and int(token.value) in years:
            continue
        if not index.supports(token):
            yield token.text


def check(reply: str, index: FactIndex) -> Grounding:
    """Check every date, time, identifier and number of ``reply`` against ``index``."""
    found = scan(reply)
    checked = (
        len(found.dates)
        + len(found.times)
        + len(found.identifiers)
        + len(found.ordinals)
        + len(found.numbers)
    )
    return Grounding(unsupported=tuple(_unsupported(found, index)), checked=checked)
