"""The EV gate: the one function that turns probabilities into a side, everywhere.

Backtests, tuning (through the kernel) and live decisions (through `decide`) all call
`choose_side`, so what the tuner scored is what the backtest runs and what the predictor says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numba as nb
import numpy as np
import numpy.typing as npt

from services.common.arrays import read_only
from services.engine.rule import EvRule

LONG, SHORT, FLAT = 1, -1, 0


@nb.njit(cache=True, nogil=True, error_model="numpy")
def expected_value(
    p: float, atr: float, close: float, k_tp: float, k_sl: float, round_trip_cost: float
) -> float:
    """EV = p*tp - (1-p)*sl - 2(f+s), with tp = k_tp*atr/close and sl = k_sl*atr/close."""
    tp = k_tp * atr / close
    sl = k_sl * atr / close
    return p * tp - (1.0 - p) * sl - round_trip_cost


@nb.njit(cache=True, nogil=True, error_model="numpy")
def choose_side(
    p_long: float,
    p_short: float,
    atr: float,
    close: float,
    k_tp: float,
    k_sl: float,
    round_trip_cost: float,
    ev_margin: float,
    allow_long: bool,
    allow_short: bool,
) -> tuple[int, float, float]:
    """(side, ev_long, ev_short) at a bar's close: side is LONG, SHORT or FLAT.

    A side has an EV when it is allowed, its probability is not NaN and atr > 0 (NaN otherwise).
    The side with the larger EV is the candidate when its EV > ev_margin; an exact tie between
    long and short gives no candidate.
    """
    ev_long = math.nan
    ev_short = math.nan
    if atr > 0.0 and close > 0.0:  # NaN atr compares False
        if allow_long and not math.isnan(p_long):
            ev_long = expected_value(p_long, atr, close, k_tp, k_sl, round_trip_cost)
        if allow_short and not math.isnan(p_short):
            ev_short = expected_value(p_short, atr, close, k_tp, k_sl, round_trip_cost)
    side = FLAT
    if math.isnan(ev_short):
        if ev_long > ev_margin:
            side = LONG
    elif math.isnan(ev_long):
        if ev_short > ev_margin:
            side = SHORT
    elif ev_long > ev_short:
        if ev_long > ev_margin:
            side = LONG
    elif ev_short > ev_long and ev_short > ev_margin:
        side = SHORT
    return side, ev_long, ev_short


Action = Literal["long", "short", "flat"]


@dataclass(frozen=True)
class Decision:
    """The rule's decision at a bar's close, for the next bar's open.

    `expected_value` is the chosen side's EV (when flat: the best side's, NaN if neither side
    has one); levels are from the close the decision is made at (the fill will be the next
    open, which is not known yet) and None when flat.
    """

    action: Action
    expected_value: float
    ev_long: float
    ev_short: float
    entry_reference: float
    take_profit: float | None
    stop_loss: float | None


def decide(
    p_long: float | None, p_short: float | None, atr: float, close: float, rule: EvRule
) -> Decision:
    """The live decision: the same gate the engine runs, on one bar's close."""
    side, ev_long, ev_short = choose_side(
        math.nan if p_long is None else float(p_long),
        math.nan if p_short is None else float(p_short),
        float(atr),
        float(close),
        rule.k_tp,
        rule.k_sl,
        rule.round_trip_cost,
        rule.ev_margin,
        rule.allows_long,
        rule.allows_short,
    )
    if side == FLAT:
        evs = [ev for ev in (ev_long, ev_short) if not math.isnan(ev)]
        return Decision("flat", max(evs) if evs else math.nan, ev_long, ev_short, close, None, None)
    sign = 1.0 if side == LONG else -1.0
    return Decision(
        action="long" if side == LONG else "short",
        expected_value=ev_long if side == LONG else ev_short,
        ev_long=ev_long,
        ev_short=ev_short,
        entry_reference=close,
        take_profit=close + sign * rule.k_tp * atr,
        stop_loss=close - sign * rule.k_sl * atr,
    )


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _gate_kernel(
    p_long: npt.NDArray[np.float64],
    p_short: npt.NDArray[np.float64],
    atr: npt.NDArray[np.float64],
    close: npt.NDArray[np.float64],
    k_tp: float,
    k_sl: float,
    round_trip_cost: float,
    ev_margin: float,
    allow_long: bool,
    allow_short: bool,
) -> npt.NDArray[np.int8]:
    out = np.zeros(len(close), np.int8)
    for i in range(len(close)):
        out[i] = choose_side(
            p_long[i], p_short[i], atr[i], close[i], k_tp, k_sl, round_trip_cost, ev_margin,
            allow_long, allow_short,
        )[0]  # fmt: skip
    return out


def gate_sides(
    p_long: npt.ArrayLike,
    p_short: npt.ArrayLike,
    atr: npt.ArrayLike,
    close: npt.ArrayLike,
    rule: EvRule,
) -> npt.NDArray[np.int8]:
    """The gate's side (LONG, SHORT, FLAT) at each of many closes (NaN = no probability)."""

    def floats(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
        # A read-only copy: one numba specialisation whatever the caller passes.
        return read_only(np.array(values, dtype=np.float64))

    return _gate_kernel(
        floats(p_long), floats(p_short), floats(atr), floats(close), rule.k_tp, rule.k_sl,
        rule.round_trip_cost, rule.ev_margin, rule.allows_long, rule.allows_short,
    )  # fmt: skip
