"""Money: ``Decimal`` rupees, rounded to paise at the edges; prices round to the 0.05 tick."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PAISA = Decimal("0.01")
TICK = Decimal("0.05")
ZERO = Decimal("0")


def to_decimal(value: object) -> Decimal:
    """Exact conversion (floats go through ``repr`` so 0.1 stays 0.1); rejects NaN and infinity."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, float):
        d = Decimal(repr(value))
    elif isinstance(value, (int, str)):
        try:
            d = Decimal(value)
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    else:
        raise TypeError(f"cannot make money of {type(value).__name__}")
    if not d.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return d


def paise(value: object) -> Decimal:
    """Round an amount to paise, half away from zero (as brokers' contract notes do)."""
    return to_decimal(value).quantize(PAISA, rounding=ROUND_HALF_UP)


def round_to_tick(price: object, tick: Decimal = TICK) -> Decimal:
    """Nearest multiple of the tick (0.05 for NIFTY options), half up; result has 2 decimals."""
    d = to_decimal(price)
    return ((d / tick).quantize(Decimal(1), rounding=ROUND_HALF_UP) * tick).quantize(PAISA)


def format_inr(amount: object, *, sign: bool = False, symbol: bool = True) -> str:
    """Indian digit grouping: ``format_inr(123456.78)`` is ``₹1,23,456.78``."""
    d = paise(amount)
    negative = d < 0
    whole, _, frac = f"{abs(d):.2f}".partition(".")
    if len(whole) > 3:
        head, tail = whole[:-3], whole[-3:]
        groups: list[str] = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        whole = ",".join([*groups, tail])
    prefix = "-" if negative else ("+" if sign and d > 0 else "")
    return f"{prefix}{'₹' if symbol else ''}{whole}.{frac}"
