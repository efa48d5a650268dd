"""The EV engine's bar loop: one numba pass over the bars, one position at a time.

The order of events in bar j (docs/backtest.md spells out each rule):
  1. at the open: the exit decided at the previous close (time, signal), then its entry;
  2. inside the bar, while in position: a gap through the stop or target at the open (not on
     the entry bar), then the low/high against the levels, then the detail bars when the
     range holds both levels;
  3. at the close: mark the equity, then decide (max hold, opposite signal, or the flat rule),
     except on the last bar, where an open position exits at the close.
State lives in local variables; the trades are written into preallocated arrays (a bar can
close at most one trade and open at most one; entries need a signal).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba as nb
import numpy as np
import numpy.typing as npt

from services.engine.gate import FLAT, choose_side

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

STOP, TAKE_PROFIT, TIME, SIGNAL, END = 0, 1, 2, 3, 4
EXIT_REASONS = ("stop", "take_profit", "time", "signal", "end")
"""Exit reason names by kernel code."""
FLIP, CLOSE, IGNORE = 0, 1, 2


class RawTrades(NamedTuple):
    """The kernel's output: trade columns (one row per closed trade) and per-bar equity."""

    side: npt.NDArray[np.int8]
    signal_bar: IntArray
    entry_bar: IntArray
    exit_bar: IntArray
    probability: FloatArray
    expected_value: FloatArray
    entry_price: FloatArray
    exit_price: FloatArray
    take_profit: FloatArray
    stop_loss: FloatArray
    entry_fill: FloatArray
    exit_fill: FloatArray
    exit_reason: npt.NDArray[np.int8]
    net_return: FloatArray
    gross_return: FloatArray
    fees: FloatArray
    bars_held: IntArray
    equity: FloatArray
    equity_gross: FloatArray
    position: npt.NDArray[np.int8]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _touches(side: int, low: float, high: float, stop: float, target: float) -> tuple[bool, bool]:
    """(stop reached, target reached) by a bar's range."""
    if side > 0:
        return low <= stop, high >= target
    return high >= stop, low <= target


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _gaps(side: int, open_: float, stop: float, target: float) -> tuple[bool, bool]:
    """(open at or beyond the stop, open at or beyond the target)."""
    if side > 0:
        return open_ <= stop, open_ >= target
    return open_ >= stop, open_ <= target


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _inside_detail(
    side: int,
    stop: float,
    target: float,
    first: int,
    last: int,
    d_open: FloatArray,
    d_high: FloatArray,
    d_low: FloatArray,
) -> tuple[int, float]:
    """(reason, raw exit price) from the detail bars [first, last) of a bar whose range holds
    both levels; the stop when they cannot decide (none, or both inside one detail bar)."""
    for k in range(first, last):
        if k > first:
            gap_stop, gap_target = _gaps(side, d_open[k], stop, target)
            if gap_stop:
                return STOP, d_open[k]
            if gap_target:
                return TAKE_PROFIT, d_open[k]
        hit_stop, hit_target = _touches(side, d_low[k], d_high[k], stop, target)
        if hit_stop:
            return STOP, stop
        if hit_target:
            return TAKE_PROFIT, target
    return STOP, stop


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _close(
    exits_f: FloatArray,
    exits_i: IntArray,
    row: int,
    bar: int,
    reason: int,
    held: int,
    side: int,
    entry_raw: float,
    entry_fill: float,
    exit_raw: float,
    fee: float,
    slippage: float,
) -> tuple[float, float]:
    """Write trade `row`'s exit and return its (net, gross) return. Every fill but a
    take-profit (a resting limit) pays slippage; fees are paid on both sides (rule 6)."""
    exit_fill = exit_raw if reason == TAKE_PROFIT else exit_raw * (1.0 - side * slippage)
    ratio = exit_fill / entry_fill
    if side > 0:
        net = ratio - 1.0 - fee * (1.0 + ratio)
        gross = exit_raw / entry_raw - 1.0
    else:
        net = 1.0 - ratio - fee * (1.0 + ratio)
        gross = 1.0 - exit_raw / entry_raw
    exits_f[row, 0] = exit_raw
    exits_f[row, 1] = exit_fill
    exits_f[row, 2] = net
    exits_f[row, 3] = gross
    exits_f[row, 4] = fee * (1.0 + ratio)
    exits_i[row, 0] = bar
    exits_i[row, 1] = reason
    exits_i[row, 2] = held
    return net, gross


@nb.njit(cache=True, nogil=True, error_model="numpy")
def run_kernel(
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    signal_bar: IntArray,
    p_long: FloatArray,
    p_short: FloatArray,
    atr: FloatArray,
    detail_first: IntArray,
    detail_last: IntArray,
    d_open: FloatArray,
    d_high: FloatArray,
    d_low: FloatArray,
    k_tp: float,
    k_sl: float,
    ev_margin: float,
    fee: float,
    slippage: float,
    max_hold_bars: int,
    on_opposite: int,
    allow_long: bool,
    allow_short: bool,
    equity: FloatArray,
    equity_gross: FloatArray,
    position: npt.NDArray[np.int8],
) -> RawTrades:
    """Run the EV rule over n bars. Inputs are validated by services.engine.inputs: prices
    finite and positive; signals sparse (`signal_bar` strictly increasing bar indices, with
    p_long, p_short and atr for each, NaN for "none"); detail index ranges per bar.

    `equity`, `equity_gross` and `position` (n each, written in full) come from the caller:
    numpy's allocator asks Linux for huge pages for large arrays, numba's does not, and first
    writes to fresh memory fault one page at a time (17 MB of 4 KiB pages: milliseconds)."""
    n = len(close)
    round_trip = 2.0 * (fee + slippage)
    # Every trade is entered on a bar with a signal, so their count bounds the trades.
    capacity = len(signal_bar) + 1
    entries_i = np.empty((capacity, 3), np.int64)  # side, signal bar, entry bar
    entries_f = np.empty((capacity, 6))  # probability, ev, entry price, tp, stop, entry fill
    exits_f = np.empty((capacity, 5))  # exit price, exit fill, net, gross, fees
    exits_i = np.empty((capacity, 3), np.int64)  # exit bar, reason, bars held

    count = 0  # closed trades; row `count` holds the open one
    realised = 1.0
    realised_gross = 1.0
    side = 0  # the open position: 1 long, -1 short, 0 flat
    entry_bar = 0
    entry_raw = 0.0
    entry_fill = 0.0
    stop = 0.0
    target = 0.0
    # Decided at a close, carried out at the next open.
    exit_next = -1  # reason code, or -1
    enter_next = 0  # side, or 0
    enter_atr = 0.0
    next_signal = 0  # the first signal row not yet reached

    for j in range(n):
        # 1. At the open: a pending exit, then a pending entry.
        if exit_next >= 0:
            net, gross = _close(
                exits_f, exits_i, count, j, exit_next, j - entry_bar, side,
                entry_raw, entry_fill, open_[j], fee, slippage,
            )  # fmt: skip
            count += 1
            realised *= 1.0 + net
            realised_gross *= 1.0 + gross
            side = 0
            exit_next = -1
        if enter_next != 0:
            side = enter_next
            enter_next = 0
            entry_bar = j
            entry_raw = open_[j]
            entry_fill = entry_raw * (1.0 + side * slippage)
            target = entry_raw + side * k_tp * enter_atr
            stop = entry_raw - side * k_sl * enter_atr
            entries_f[count, 2] = entry_raw
            entries_f[count, 3] = target
            entries_f[count, 4] = stop
            entries_f[count, 5] = entry_fill
            entries_i[count, 2] = j

        # 2. Inside the bar: a gap at the open (not on the entry bar), the range, the detail.
        if side != 0:
            reason = -1
            level = 0.0
            held = j - entry_bar + 1
            if j > entry_bar:
                gap_stop, gap_target = _gaps(side, open_[j], stop, target)
                if gap_stop or gap_target:
                    reason = STOP if gap_stop else TAKE_PROFIT
                    level = open_[j]
                    held = j - entry_bar  # out at the open: bar j was not held
            if reason < 0:
                hit_stop, hit_target = _touches(side, low[j], high[j], stop, target)
                if hit_stop and hit_target:
                    reason, level = _inside_detail(
                        side, stop, target, detail_first[j], detail_last[j], d_open, d_high, d_low
                    )
                elif hit_stop:
                    reason, level = STOP, stop
                elif hit_target:
                    reason, level = TAKE_PROFIT, target
            if reason >= 0:
                net, gross = _close(
                    exits_f, exits_i, count, j, reason, held, side,
                    entry_raw, entry_fill, level, fee, slippage,
                )  # fmt: skip
                count += 1
                realised *= 1.0 + net
                realised_gross *= 1.0 + gross
                side = 0

        position[j] = side  # held at this close, or closed out at it (the last bar)
        if j == n - 1 and side != 0:
            net, gross = _close(
                exits_f, exits_i, count, j, END, j - entry_bar + 1, side,
                entry_raw, entry_fill, close[j], fee, slippage,
            )  # fmt: skip
            count += 1
            realised *= 1.0 + net
            realised_gross *= 1.0 + gross
            side = 0
        if side != 0:
            ratio = close[j] / entry_fill
            if side > 0:  # the entry's fee is paid, the exit's not yet
                equity[j] = realised * (ratio - fee)
                equity_gross[j] = realised_gross * (close[j] / entry_raw)
            else:
                equity[j] = realised * (2.0 - ratio - fee)
                equity_gross[j] = realised_gross * (2.0 - close[j] / entry_raw)
        else:
            equity[j] = realised
            equity_gross[j] = realised_gross
        if j == n - 1:
            break  # no decision at the last bar
        candidate, ev_long, ev_short = FLAT, math.nan, math.nan
        p_l = p_s = a = math.nan
        if next_signal < len(signal_bar) and signal_bar[next_signal] == j:
            p_l, p_s, a = p_long[next_signal], p_short[next_signal], atr[next_signal]
            next_signal += 1
            candidate, ev_long, ev_short = choose_side(
                p_l, p_s, a, close[j], k_tp, k_sl, round_trip, ev_margin, allow_long, allow_short
            )
        enter = False
        if side != 0:
            if j - entry_bar + 1 >= max_hold_bars:
                exit_next = TIME
                enter = candidate != 0  # the flat rule applies at the same close
            elif candidate == -side and on_opposite != IGNORE:
                exit_next = SIGNAL
                enter = on_opposite == FLIP
        else:
            enter = candidate != 0
        if enter:
            enter_next = candidate
            enter_atr = a
            row = count + 1 if exit_next >= 0 else count  # the open trade closes first
            entries_i[row, 0] = candidate
            entries_i[row, 1] = j
            entries_f[row, 0] = p_l if candidate > 0 else p_s
            entries_f[row, 1] = ev_long if candidate > 0 else ev_short

    return RawTrades(
        entries_i[:count, 0].astype(np.int8),
        entries_i[:count, 1].copy(),
        entries_i[:count, 2].copy(),
        exits_i[:count, 0].copy(),
        entries_f[:count, 0].copy(),
        entries_f[:count, 1].copy(),
        entries_f[:count, 2].copy(),
        exits_f[:count, 0].copy(),
        entries_f[:count, 3].copy(),
        entries_f[:count, 4].copy(),
        entries_f[:count, 5].copy(),
        exits_f[:count, 1].copy(),
        exits_i[:count, 1].astype(np.int8),
        exits_f[:count, 2].copy(),
        exits_f[:count, 3].copy(),
        exits_f[:count, 4].copy(),
        exits_i[:count, 2].copy(),
        equity,
        equity_gross,
        position,
    )
