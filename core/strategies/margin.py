"""Margin estimate for a defined-risk structure, per lot, in rupees. The whole model is one function.

Model (an estimate, not the exchange's SPAN): for a hedged, defined-risk position a broker blocks about
the position's worst loss (what SPAN's scenarios find once the hedge is recognised) plus the EXPOSURE
margin on every short leg, charged on its notional value (underlying spot × units):

    margin = max_loss + Σ_short legs exposure_rate × spot × lot_size × ratio
             (+ expiry_day_extra × the same notional when the legs expire today)

``exposure_rate`` is 2% for index options (NSE extreme-loss margin); SEBI added a further 2% on short
index options on their expiry day (circular of 1 Oct 2024, from 20 Nov 2024). Long legs carry no
exposure margin. For a debit spread ``max_loss`` is the net debit, which the broker blocks as premium.
Real blocks differ by a few per cent from this (SPAN files change daily); treat it as a sizing guide.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core.domain.money import ZERO, paise, to_decimal
from core.domain.trading import Action, StructureLeg

EXPOSURE_RATE = Decimal("0.02")
EXPIRY_DAY_EXTRA = Decimal("0.02")


def estimate_margin(
    legs: Sequence[StructureLeg],
    lot_size: int,
    spot: float,
    max_loss: Decimal,
    *,
    expiry_day: bool = False,
    exposure_rate: Decimal = EXPOSURE_RATE,
    expiry_day_extra: Decimal = EXPIRY_DAY_EXTRA,
) -> Decimal:
    """Estimated margin blocked for one lot of the structure (rupees, paise); see the module doc."""
    rate = exposure_rate + (expiry_day_extra if expiry_day else ZERO)
    notional = to_decimal(spot) * lot_size
    short_units = sum(leg.ratio for leg in legs if leg.action is Action.SELL)
    return paise(max(max_loss, ZERO) + rate * notional * short_units)
