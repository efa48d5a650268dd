"""Long-only, fixed-holding, one-position-at-a-time trade simulation.

The rule, in bar indices (rows of the frame, so gaps in the data are simply skipped):
a signal at bar t (known at its close: probability >= threshold) buys at the OPEN of bar t+1
and sells at the OPEN of bar t+1+H, holding the H bars t+1 .. t+H. A signal while a position is
open is ignored, so the next signal that counts is at bar t+1+H or later. When the data ends
before the exit bar, the trade is sold at the last bar's close and flagged `closed_at_end`.
A signal on the last bar has no bar to enter on and is dropped.

Everything is vectorised with numpy except choosing which signals to take, which is inherently
sequential; that loop runs once per *trade* (via searchsorted), not once per bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from services.common.errors import InvalidInput
from services.engine.rule import ThresholdRule

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
TIME = pl.Datetime("ms", "UTC")

TRADE_SCHEMA: dict[str, pl.DataType] = {
    "signal_time": TIME,
    "entry_time": TIME,
    "exit_time": TIME,
    "probability": pl.Float64(),
    "entry_price": pl.Float64(),
    "exit_price": pl.Float64(),
    "entry_fill": pl.Float64(),
    "exit_fill": pl.Float64(),
    "gross_return": pl.Float64(),
    "net_return": pl.Float64(),
    "bars_held": pl.Int64(),
    "closed_at_end": pl.Boolean(),
    "fee_paid": pl.Float64(),
    "slippage_paid": pl.Float64(),
}
"""Trades table. Times label bars by their open_time: the entry and a normal exit happen at that
bar's open, a `closed_at_end` exit at that (last) bar's close. Fills include costs; returns are
`exit/entry - 1` on raw prices (gross) and on fills (net). `fee_paid`/`slippage_paid` are in
units of the starting equity (1.0)."""


@dataclass(frozen=True)
class Simulation:
    """`trades` (TRADE_SCHEMA) and `equity`: one row per bar with open_time, open, close,
    equity (starts at 1.0; marked at the close while in a position) and in_position."""

    trades: pl.DataFrame
    equity: pl.DataFrame


def simulate(bars: pl.DataFrame, probabilities: npt.ArrayLike, rule: ThresholdRule) -> Simulation:
    """Run the trading rule over `bars` (open_time, open, close; sorted, unique).

    Args:
        bars: one row per bar; `open_time` as Datetime(ms, UTC).
        probabilities: P(up) per bar, known at that bar's close; NaN never signals.
        rule: threshold, holding period and costs.

    Raises:
        InvalidInput: empty bars, mismatched lengths, unsorted times or non-positive prices.
    """
    times, open_, close = _validated_columns(bars)
    probs = np.asarray(probabilities, dtype=np.float64)
    n = len(close)
    if probs.shape != (n,):
        raise InvalidInput(f"got {probs.shape[0] if probs.ndim else 0} probabilities for {n} bars")

    signal_bars = _take_signals(probs, rule.threshold, rule.holding_bars)
    hold = rule.holding_bars
    cost = rule.per_side

    entry_bar = signal_bars + 1
    planned_exit = entry_bar + hold
    closed_at_end = planned_exit > n - 1
    exit_bar = np.where(closed_at_end, n - 1, planned_exit)
    entry_price = open_[entry_bar]
    exit_price = np.where(closed_at_end, close[n - 1], open_[np.minimum(planned_exit, n - 1)])
    bars_held = np.where(closed_at_end, n - entry_bar, hold).astype(np.int64)

    entry_fill = entry_price * (1.0 + cost)
    exit_fill = exit_price * (1.0 - cost)
    net = exit_fill / entry_fill - 1.0
    equity_after = np.asarray(np.cumprod(1.0 + net), dtype=np.float64)
    equity_before = np.concatenate(([1.0], equity_after))[:-1]
    # All equity goes into each trade, so the quantity bought is equity / fill price.
    quantity = equity_before / entry_fill
    notional = quantity * (entry_price + exit_price)

    trades = pl.DataFrame(
        {
            "signal_time": times[signal_bars],
            "entry_time": times[entry_bar],
            "exit_time": times[exit_bar],
            "probability": probs[signal_bars],
            "entry_price": entry_price,
            "exit_price": exit_price,
            "entry_fill": entry_fill,
            "exit_fill": exit_fill,
            "gross_return": exit_price / entry_price - 1.0,
            "net_return": net,
            "bars_held": bars_held,
            "closed_at_end": closed_at_end,
            "fee_paid": notional * rule.fee,
            "slippage_paid": notional * rule.slippage,
        },
        schema=TRADE_SCHEMA,
    )
    equity, in_position = _equity_curve(
        close, entry_bar, exit_bar, closed_at_end, quantity, equity_after
    )
    curve = pl.DataFrame(
        {
            "open_time": times,
            "open": open_,
            "close": close,
            "equity": equity,
            "in_position": in_position,
        },
        schema={
            "open_time": TIME,
            "open": pl.Float64(),
            "close": pl.Float64(),
            "equity": pl.Float64(),
            "in_position": pl.Boolean(),
        },
    )
    return Simulation(trades=trades, equity=curve)


def _take_signals(probs: FloatArray, threshold: float, hold: int) -> IntArray:
    """Indices of the signals that open a trade (signals during a position are skipped)."""
    candidates = np.flatnonzero(probs[:-1] >= threshold)  # NaN compares False
    taken: list[int] = []
    i = 0
    while i < len(candidates):
        t = int(candidates[i])
        taken.append(t)
        # The exit happens at the open of t+1+hold; a signal at that bar's close may trade.
        i = int(np.searchsorted(candidates, t + 1 + hold, side="left"))
    return np.asarray(taken, dtype=np.int64)


def _equity_curve(
    close: FloatArray,
    entry_bar: IntArray,
    exit_bar: IntArray,
    closed_at_end: npt.NDArray[np.bool_],
    quantity: FloatArray,
    equity_after: FloatArray,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    n = len(close)
    # Flat bars carry the equity realised by the last trade whose exit bar is at or before them.
    realised = np.concatenate(([1.0], equity_after))
    done = np.searchsorted(exit_bar, np.arange(n), side="right")
    equity = realised[done]
    # Held bars entry..exit-1 are marked to market at their close (a closed_at_end trade's last
    # bar is its exit, already realised above).
    held = exit_bar - entry_bar
    trade_of_bar = np.repeat(np.arange(len(entry_bar)), held)
    offsets = np.arange(int(held.sum())) - np.repeat(np.cumsum(held) - held, held)
    held_bars = entry_bar[trade_of_bar] + offsets
    equity[held_bars] = quantity[trade_of_bar] * close[held_bars]
    in_position = np.zeros(n, dtype=np.bool_)
    in_position[held_bars] = True
    in_position[exit_bar[closed_at_end]] = True
    return equity, in_position


def _validated_columns(bars: pl.DataFrame) -> tuple[pl.Series, FloatArray, FloatArray]:
    missing = {"open_time", "open", "close"} - set(bars.columns)
    if missing:
        raise InvalidInput(f"bars lack columns {sorted(missing)}")
    if bars.height == 0:
        raise InvalidInput("no bars to backtest")
    times = bars["open_time"].cast(TIME)
    if times.null_count() or not (times.diff().drop_nulls().dt.total_milliseconds() > 0).all():
        raise InvalidInput("bar open_time must be non-null and strictly increasing")
    open_ = bars["open"].cast(pl.Float64).to_numpy()
    close = bars["close"].cast(pl.Float64).to_numpy()
    prices = np.concatenate((open_, close))
    if not (np.isfinite(prices).all() and (prices > 0).all()):
        raise InvalidInput("bar open and close prices must be finite and positive")
    return times, open_, close
