"""Frames in, validated arrays out: the engine's input checks, with the row and column named.

Bars are rows (a missing minute is simply absent); a signal names the bar it was decided at by
its open_time; a detail bar belongs to the signal bar whose [open_time, open_time + bar length)
holds its open_time, the bar length being the smallest gap between consecutive bars.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
import numpy.typing as npt
import polars as pl

from services.common.arrays import read_only
from services.common.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
TIME = "open_time"
OHLC = ("open", "high", "low", "close")
SIGNAL_COLUMNS = ("p_long", "p_short", "atr")


@dataclass(frozen=True)
class Bars:
    """open_time as Unix ms and OHLC as float64, validated."""

    times_ms: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray

    def __len__(self) -> int:
        return len(self.times_ms)

    @property
    def bar_ms(self) -> int:
        """The bar length: the smallest gap between consecutive bars (0 for a single bar)."""
        return int(np.diff(self.times_ms).min()) if len(self.times_ms) > 1 else 0


@dataclass(frozen=True)
class Signals:
    """Sparse signals: `bar` (strictly increasing bar indices) and, for each, p_long, p_short
    and atr, NaN where there is none. Bars not in `bar` have no signal."""

    bar: IntArray
    p_long: FloatArray
    p_short: FloatArray
    atr: FloatArray

    def dense(self, n: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        """p_long, p_short and atr for each of n bars (NaN without a signal)."""
        out = []
        for values in (self.p_long, self.p_short, self.atr):
            full = np.full(n, np.nan)
            full[self.bar] = values
            out.append(full)
        return out[0], out[1], out[2]


@dataclass(frozen=True)
class Detail:
    """Detail bars' open/high/low and, per signal bar, the index range [first, last)."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    first: IntArray
    last: IntArray


def epoch_ms(frame: pl.DataFrame, what: str) -> IntArray:
    """`open_time` as Unix ms: a Datetime (any unit, any zone) or integers already in ms."""
    if TIME not in frame.columns:
        raise InvalidInput(f"{what}: no `{TIME}` column (have {frame.columns})")
    column = frame.get_column(TIME)
    if column.dtype == pl.Datetime:
        column = column.dt.epoch("ms")
    elif column.dtype == pl.Date:
        column = column.cast(pl.Datetime("ms")).dt.epoch("ms")
    elif not column.dtype.is_integer():
        raise InvalidInput(
            f"{what}: `{TIME}` must be a datetime or integer Unix ms, got {column.dtype}"
        )
    if column.null_count():
        row = int(column.is_null().arg_max() or 0)
        raise InvalidInput(f"{what}: row {row}: `{TIME}` is null")
    return read_only(np.ascontiguousarray(column.cast(pl.Int64).to_numpy()))


def _increasing(times: IntArray, what: str) -> None:
    steps = np.diff(times)
    if len(steps) and steps.min() <= 0:
        row = int(np.argmax(steps <= 0)) + 1
        raise InvalidInput(
            f"{what}: row {row}: `{TIME}` {times[row]} is not after the previous row's "
            f"{times[row - 1]}: rows must be in strictly increasing time order"
        )


def _float_columns(frame: pl.DataFrame, names: tuple[str, ...], what: str) -> list[FloatArray]:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise InvalidInput(f"{what}: missing columns {missing} (have {frame.columns})")
    arrays = []
    for name in names:
        try:
            column = frame.get_column(name).cast(pl.Float64)
        except pl.exceptions.PolarsError as exc:
            raise InvalidInput(f"{what}: column `{name}` is not numeric: {exc}") from exc
        arrays.append(read_only(np.ascontiguousarray(_float_array(column))))
    return arrays


def _float_array(column: pl.Series) -> FloatArray:
    """A Float64 column as numpy, nulls as NaN; without nulls, polars' own buffer (no copy)."""
    if column.null_count():
        column = column.fill_null(np.nan)
    return column.to_numpy()


def _positive(arrays: list[FloatArray], names: tuple[str, ...], what: str) -> None:
    for name, values in zip(names, arrays, strict=True):
        bad = ~(np.isfinite(values) & (values > 0.0))
        if bad.any():
            row = int(np.argmax(bad))
            raise InvalidInput(
                f"{what}: row {row}: `{name}` is {values[row]}; prices must be finite and > 0"
            )


def _consistent(open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray,
                what: str) -> None:  # fmt: skip
    bad = (high < low) | (high < open_) | (high < close) | (low > open_) | (low > close)
    if bad.any():
        row = int(np.argmax(bad))
        raise InvalidInput(
            f"{what}: row {row}: high {high[row]} / low {low[row]} do not hold open "
            f"{open_[row]} and close {close[row]}"
        )


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _all_good(times: IntArray, o: FloatArray, h: FloatArray, lo: FloatArray,
              c: FloatArray) -> bool:  # fmt: skip
    """One pass over the bars: increasing times, finite positive prices, consistent ranges.
    The numpy checks run only when this finds a problem, to name it. Branch-free (bitwise
    `&`, no early exit) so the compiler vectorises it: valid data, the common case, is read
    at memory speed. NaN compares False, so it fails the price checks."""
    n = len(times)
    ok = True
    for i in range(1, n):
        ok &= times[i] > times[i - 1]
    for i in range(n):
        ok &= (lo[i] > 0.0) & (lo[i] <= o[i]) & (o[i] <= h[i]) & (h[i] < np.inf)
        ok &= (lo[i] <= c[i]) & (c[i] <= h[i])
    return ok


def read_bars(frame: pl.DataFrame, what: str = "bars") -> Bars:
    """Validated bars. Raises InvalidInput naming the row and column at fault."""
    if frame.height == 0:
        raise InvalidInput(f"{what}: no rows")
    times = epoch_ms(frame, what)
    prices = _float_columns(frame, OHLC, what)
    if not _all_good(times, prices[0], prices[1], prices[2], prices[3]):
        _increasing(times, what)
        _positive(prices, OHLC, what)
        _consistent(prices[0], prices[1], prices[2], prices[3], what)
    return Bars(times, *prices)


def read_signals(frame: pl.DataFrame, bars: Bars, what: str = "signals") -> Signals:
    """Signals of the bars, in bar order. A missing p_long/p_short column is all null; a null
    probability or atr means no signal. Probabilities must lie in [0, 1]; atr is in price
    units (<= 0 means no signal). Every signal must name a bar, at most once."""
    if "atr" not in frame.columns:
        raise InvalidInput(f"{what}: no `atr` column (the stop and target are ATR multiples)")
    if frame.height == 0:
        empty = np.zeros(0)
        return _signals(np.zeros(0, np.int64), {name: empty for name in SIGNAL_COLUMNS})
    times = epoch_ms(frame, what)
    position, problem = _align(bars.times_ms, times)
    order = None
    if problem == _UNSORTED:  # signals in any order are fine: sort them (rare, slower)
        order = np.argsort(times, kind="stable")
        times = read_only(times[order])
        position, problem = _align(bars.times_ms, times)  # sorted: a problem is a row now
    if problem >= 0:
        _refuse_alignment(bars, times, order, what)
    columns: dict[str, FloatArray] = {}
    for name in SIGNAL_COLUMNS:
        if name not in frame.columns:
            columns[name] = np.full(frame.height, np.nan)
            continue
        try:
            values = _float_array(frame.get_column(name).cast(pl.Float64))
        except pl.exceptions.PolarsError as exc:
            raise InvalidInput(f"{what}: column `{name}` is not numeric: {exc}") from exc
        if name == "atr":
            bad = np.isinf(values)
            rule = "finite (or null)"
        else:
            bad = ~np.isnan(values) & ~((values >= 0.0) & (values <= 1.0))
            rule = "in [0, 1] (or null)"
        if bad.any():
            row = int(np.argmax(bad))
            raise InvalidInput(f"{what}: row {row}: `{name}` is {values[row]}; must be {rule}")
        columns[name] = values if order is None else values[order]
    return _signals(position.astype(np.int64), columns)


_UNSORTED = -2


@nb.njit(cache=True, nogil=True)
def _align(bar_times: IntArray, times: IntArray) -> tuple[IntArray, int]:
    """Each signal's bar index, walking both sorted sequences once (a galloping search from
    the previous hit). Returns (positions, -1) when every signal names a bar once, in order;
    (_, _UNSORTED) when the signals are out of order; (_, row) for the first row naming no
    bar or the bar of the row before."""
    out = np.empty(len(times), np.int64)
    lo = 0
    n = len(bar_times)
    # Bars are mostly evenly spaced: guess a signal's bar from the time since the previous hit
    # and the first step; a right guess is exact (bar times strictly increase), a wrong one
    # (a gap in the bars) falls back to the search. The guess uses the previous hit's time
    # (the previous signal's), not a load of bar_times[lo]: that would chain one cache miss
    # per signal behind the last, ~80 ns each.
    spacing = bar_times[1] - bar_times[0] if n > 1 else 1
    lo_time = bar_times[0]
    for k in range(len(times)):
        t = times[k]
        if k and t <= times[k - 1]:
            return out, (k if t == times[k - 1] else _UNSORTED)
        if t >= lo_time:
            guess = lo + (t - lo_time) // spacing
            if guess < n and bar_times[guess] == t:
                out[k] = lo = guess
                lo_time = t
                continue
        step = 1
        hi = lo
        while hi < n and bar_times[hi] < t:
            lo = hi
            hi += step
            step *= 2
        hi = min(hi, n)
        while lo < hi:  # the first bar whose time >= t, in [lo, hi]
            mid = (lo + hi) // 2
            if bar_times[mid] < t:
                lo = mid + 1
            else:
                hi = mid
        if lo >= n or bar_times[lo] != t:
            return out, k
        out[k] = lo
        lo_time = t
    return out, -1


def _refuse_alignment(bars: Bars, times: IntArray, order: IntArray | None, what: str) -> None:
    """Name the first signal row that names no bar, or a bar twice (in the caller's rows)."""
    position = np.searchsorted(bars.times_ms, times)
    unknown = bars.times_ms[np.minimum(position, len(bars) - 1)] != times
    if unknown.any():
        k = int(np.argmax(unknown))
        row = int(order[k]) if order is not None else k
        raise InvalidInput(f"{what}: row {row}: no bar opens at {TIME} {times[k]} ms")
    twice = np.diff(position) == 0
    bar = int(position[int(np.argmax(twice))])
    raise InvalidInput(f"{what}: two rows for the bar at {TIME} {bars.times_ms[bar]} ms")


def _signals(bar: IntArray, columns: dict[str, FloatArray]) -> Signals:
    # Kernel inputs are always read-only: one numba specialisation (see common.arrays).
    return Signals(
        read_only(np.ascontiguousarray(bar)),
        *(read_only(np.ascontiguousarray(columns[name])) for name in SIGNAL_COLUMNS),
    )


def read_detail(
    frame: pl.DataFrame | None, bars: Bars, bar_ms: int | None = None, *, what: str = "detail"
) -> Detail:
    """Detail bars and each signal bar's range of them (empty without detail).

    `bar_ms` is the signal bars' length. Give it when it is known (a backtest knows its
    timeframe): inferred, it is the smallest gap between bars over the whole data, so a bar
    after t could change which detail bars belong to bar t."""
    if bar_ms is not None and bar_ms <= 0:
        raise InvalidInput(f"{what}: the bar length must be positive, got {bar_ms} ms")
    n = len(bars)
    if frame is None or frame.height == 0:
        empty = read_only(np.zeros(0))
        none = read_only(np.zeros(n, np.int64))
        return Detail(empty, empty, empty, none, none)
    times = epoch_ms(frame, what)
    open_, high, low, close = prices = _float_columns(frame, OHLC, what)
    if not _all_good(times, prices[0], prices[1], prices[2], prices[3]):
        _increasing(times, what)
        _positive(prices, OHLC, what)
        _consistent(open_, high, low, close, what)
    length = bar_ms or bars.bar_ms or np.iinfo(np.int64).max // 2
    ends = bars.times_ms + length
    if n > 1:
        ends[:-1] = np.minimum(ends[:-1], bars.times_ms[1:])
    first = np.searchsorted(times, bars.times_ms, side="left").astype(np.int64)
    last = np.searchsorted(times, ends, side="left").astype(np.int64)
    return Detail(*(read_only(a) for a in (open_, high, low, first, last)))
