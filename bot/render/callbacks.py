"""Callback data for inline buttons: a compact versioned format, always ≤ 64 bytes.

Wire format ``v1:<action>[:<arg>...]`` in ASCII, for example::

    v1:ap:123        approve suggestion 123        v1:cl:45          close position 45 (asks first)
    v1:rj:123        reject suggestion 123         v1:cc:45          confirm closing position 45
    v1:dt:123        details of suggestion 123     v1:cx:45          cancel closing position 45
    v1:py:123        payoff chart of suggestion    v1:pp:45          payoff chart of position 45
    v1:cr:20261201   refresh the chain of 01 Dec   v1:cg:20261201    IV smile / OI chart of 01 Dec
    v1:rs            reset the risk breakers       v1:rc / v1:rx     confirm / cancel the reset
    v1:st:fl:s       fills → silent                v1:qh:1 / v1:qh:0 quiet hours on / off
    v1:pg:hi:2       page 2 of /history

Only an action and an id travel: everything else is loaded fresh when the button is pressed (never
trust a price or a state carried in a button). :func:`decode` accepts exactly what :func:`encode`
produces and returns ``None`` for anything else (unknown version or action, bad id, extra fields,
non-ASCII, oversized), so a forged or stale button can do nothing but be ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.render.notifications import NotificationType, NotifyMode

VERSION = "v1"
MAX_BYTES = 64
MAX_ID = 2**53  # ids are database integers; this bound keeps the wire short and exact everywhere
MAX_PAGE = 9999

_ID = re.compile(r"[1-9][0-9]{0,15}")
_PAGE = re.compile(r"0|[1-9][0-9]{0,3}")
_DATE = re.compile(r"[0-9]{8}")


class CallbackAction(StrEnum):
    APPROVE = "ap"
    REJECT = "rj"
    DETAILS = "dt"
    PAYOFF = "py"
    CLOSE = "cl"
    CONFIRM_CLOSE = "cc"
    CANCEL_CLOSE = "cx"
    POSITION_PAYOFF = "pp"
    CHAIN_REFRESH = "cr"
    CHAIN_CHART = "cg"
    RESET = "rs"
    CONFIRM_RESET = "rc"
    CANCEL_RESET = "rx"
    SETTING = "st"
    QUIET_HOURS = "qh"
    PAGE = "pg"


SUGGESTION_ACTIONS = frozenset(
    {CallbackAction.APPROVE, CallbackAction.REJECT, CallbackAction.DETAILS, CallbackAction.PAYOFF}
)
POSITION_ACTIONS = frozenset(
    {
        CallbackAction.CLOSE,
        CallbackAction.CONFIRM_CLOSE,
        CallbackAction.CANCEL_CLOSE,
        CallbackAction.POSITION_PAYOFF,
    }
)
CHAIN_ACTIONS = frozenset({CallbackAction.CHAIN_REFRESH, CallbackAction.CHAIN_CHART})
RISK_ACTIONS = frozenset({CallbackAction.RESET, CallbackAction.CONFIRM_RESET, CallbackAction.CANCEL_RESET})


class PageView(StrEnum):
    """Lists that page; the value is the wire id."""

    PENDING = "pe"
    HISTORY = "hi"
    AUDIT = "au"


def _check_id(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValueError(f"{what} must be an integer in 1..{MAX_ID}, not {value!r}")


@dataclass(frozen=True)
class SuggestionCallback:
    action: CallbackAction  # APPROVE, REJECT, DETAILS or PAYOFF
    id: int  # the suggestion's id

    def __post_init__(self) -> None:
        if self.action not in SUGGESTION_ACTIONS:
            raise ValueError(f"{self.action!r} is not a suggestion action")
        _check_id(self.id, "suggestion id")


@dataclass(frozen=True)
class PositionCallback:
    action: CallbackAction  # CLOSE, CONFIRM_CLOSE, CANCEL_CLOSE or POSITION_PAYOFF
    id: int  # the position's id

    def __post_init__(self) -> None:
        if self.action not in POSITION_ACTIONS:
            raise ValueError(f"{self.action!r} is not a position action")
        _check_id(self.id, "position id")


@dataclass(frozen=True)
class ChainCallback:
    action: CallbackAction  # CHAIN_REFRESH or CHAIN_CHART
    expiry: date

    def __post_init__(self) -> None:
        if self.action not in CHAIN_ACTIONS:
            raise ValueError(f"{self.action!r} is not a chain action")
        if not isinstance(self.expiry, date) or self.expiry.year < 1000:
            raise ValueError(f"expiry must be a date with a 4-digit year, not {self.expiry!r}")


@dataclass(frozen=True)
class RiskCallback:
    action: CallbackAction  # RESET, CONFIRM_RESET or CANCEL_RESET

    def __post_init__(self) -> None:
        if self.action not in RISK_ACTIONS:
            raise ValueError(f"{self.action!r} is not a risk action")


@dataclass(frozen=True)
class SettingCallback:
    notification: NotificationType
    mode: NotifyMode


@dataclass(frozen=True)
class QuietHoursCallback:
    enabled: bool


@dataclass(frozen=True)
class PageCallback:
    view: PageView
    page: int  # 0-based

    def __post_init__(self) -> None:
        if isinstance(self.page, bool) or not isinstance(self.page, int) or not 0 <= self.page <= MAX_PAGE:
            raise ValueError(f"page must be an integer in 0..{MAX_PAGE}, not {self.page!r}")


Callback = (
    SuggestionCallback
    | PositionCallback
    | ChainCallback
    | RiskCallback
    | SettingCallback
    | QuietHoursCallback
    | PageCallback
)


def encode(cb: Callback) -> str:
    """The wire string for a button (≤ 64 bytes, ASCII)."""
    match cb:
        case SuggestionCallback(action, sid):
            fields = [action.value, str(sid)]
        case PositionCallback(action, pid):
            fields = [action.value, str(pid)]
        case ChainCallback(action, expiry):
            fields = [action.value, f"{expiry:%Y%m%d}"]
        case RiskCallback(action):
            fields = [action.value]
        case SettingCallback(kind, mode):
            fields = [CallbackAction.SETTING.value, kind.value, mode.wire]
        case QuietHoursCallback(enabled):
            fields = [CallbackAction.QUIET_HOURS.value, "1" if enabled else "0"]
        case PageCallback(view, page):
            fields = [CallbackAction.PAGE.value, view.value, str(page)]
        case _:
            raise TypeError(f"not a callback: {cb!r}")
    data = ":".join([VERSION, *fields])
    assert len(data.encode()) <= MAX_BYTES, data
    return data


def _expiry(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        d = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return d if d.year >= 1000 else None


def decode(data: object) -> Callback | None:
    """The typed callback for a wire string, or ``None`` for anything malformed or unknown."""
    if not isinstance(data, str) or not data.isascii() or len(data) > MAX_BYTES:
        return None
    fields = data.split(":")
    if len(fields) < 2 or fields[0] != VERSION:
        return None
    try:
        action = CallbackAction(fields[1])
    except ValueError:
        return None
    args = fields[2:]
    if action in SUGGESTION_ACTIONS or action in POSITION_ACTIONS:
        if len(args) != 1 or not _ID.fullmatch(args[0]) or int(args[0]) > MAX_ID:
            return None
        if action in SUGGESTION_ACTIONS:
            return SuggestionCallback(action, int(args[0]))
        return PositionCallback(action, int(args[0]))
    if action in CHAIN_ACTIONS:
        expiry = _expiry(args[0]) if len(args) == 1 else None
        return None if expiry is None else ChainCallback(action, expiry)
    if action in RISK_ACTIONS:
        return RiskCallback(action) if not args else None
    if action is CallbackAction.SETTING:
        if len(args) != 2:
            return None
        try:
            kind = NotificationType(args[0])
        except ValueError:
            return None
        mode = NotifyMode.from_wire(args[1])
        return None if mode is None else SettingCallback(kind, mode)
    if action is CallbackAction.QUIET_HOURS:
        if args not in (["0"], ["1"]):
            return None
        return QuietHoursCallback(args[0] == "1")
    # PAGE
    if len(args) != 2 or not _PAGE.fullmatch(args[1]):
        return None
    try:
        view = PageView(args[0])
    except ValueError:
        return None
    return PageCallback(view, int(args[1]))
