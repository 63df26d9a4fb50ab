"""Strike selection on LISTED strikes: by target |delta|, and wings by a width in points.

Deltas are per unit from the enriched chain (calls positive, puts negative); targets are absolute
(0.20 means a 0.20-delta call or a -0.20-delta put). Strikes are index points. Nothing here invents a
strike: the step is 50 near the money and wider far from it, so a wing is snapped to what is listed.
Each function returns the chosen chain row, or a reason a trader can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

OptionType = Literal["CE", "PE"]


@dataclass(frozen=True)
class Pick:
    """A chosen row of the chain, or why none was chosen."""

    row: dict[str, Any] | None
    reason: str = ""


def side(frame: pd.DataFrame, option_type: OptionType) -> pd.DataFrame:
    """Rows of one option type, one per strike, sorted by strike."""
    rows = frame[frame["option_type"] == option_type]
    return rows.drop_duplicates("strike").sort_values("strike", kind="stable").reset_index(drop=True)


def _row(rows: pd.DataFrame, i: int) -> dict[str, Any]:
    return {str(k): v for k, v in rows.iloc[i].items()}


def _name(option_type: OptionType) -> str:
    return "call" if option_type == "CE" else "put"


def by_delta(
    rows: pd.DataFrame,
    option_type: OptionType,
    target: float,
    tolerance: float,
    *,
    spot: float,
    min_distance: float | None = None,
) -> Pick:
    """The strike whose |delta| is nearest ``target`` (ties: the lower |delta|, further out of the money).

    ``min_distance`` (points) keeps only out-of-the-money strikes at least that far from ``spot``:
    puts at or below ``spot - min_distance``, calls at or above ``spot + min_distance``. ``None`` allows
    any strike. The pick must lie within ``tolerance`` of the target.
    """
    kind = _name(option_type)
    strikes = rows["strike"].to_numpy(float)
    delta = np.abs(rows["delta"].to_numpy(float))
    ok = np.isfinite(delta)
    where = ""
    if min_distance is not None:
        way = "below" if option_type == "PE" else "above"
        ok &= strikes <= spot - min_distance if option_type == "PE" else strikes >= spot + min_distance
        least = f"at least {min_distance:,.0f} points " if min_distance > 0 else ""
        where = f" {least}{way} spot {spot:,.2f}"
    if not ok.any():
        return Pick(None, f"no {kind} strike with a known delta{where}")
    idx = np.flatnonzero(ok)
    gap = np.abs(delta[idx] - target)
    best = idx[np.lexsort((delta[idx], gap))[0]]
    if abs(delta[best] - target) > tolerance:
        return Pick(
            None,
            f"no {kind} near {target:.2f} delta{where} (closest: the {strikes[best]:,.0f} "
            f"{option_type} at {delta[best]:.2f}, tolerance {tolerance:.2f})",
        )
    return Pick(_row(rows, int(best)))


def wing(rows: pd.DataFrame, option_type: OptionType, anchor: float, width: float, direction: int) -> Pick:
    """The listed strike nearest ``anchor + direction × width`` beyond ``anchor`` (``direction`` +1 for
    higher strikes, -1 for lower), within half the width of that target (ties: the narrower wing)."""
    strikes = rows["strike"].to_numpy(float)
    target = anchor + direction * width
    beyond = np.flatnonzero(strikes > anchor) if direction > 0 else np.flatnonzero(strikes < anchor)
    way = "above" if direction > 0 else "below"
    want = f"no listed {option_type} {width:,.0f} points {way} the {anchor:,.0f} {option_type}"
    if beyond.size == 0:
        return Pick(None, f"{want}: the chain has no strike {way} {anchor:,.0f}")
    gap = np.abs(strikes[beyond] - target)
    best = beyond[np.lexsort((np.abs(strikes[beyond] - anchor), gap))[0]]
    if abs(strikes[best] - target) > width / 2:
        return Pick(None, f"{want} (nearest listed: {strikes[best]:,.0f})")
    return Pick(_row(rows, int(best)))
