"""Compiled loops for the recursive indicators (numba): EMA, RSI, ATR, MACD, ADX.

A recursive average is one sequential pass; written as nested polars expressions its seed and
inputs are re-evaluated many times (ADX took ~0.4 s per 130k bars that way, a few ms here).
Inputs are float64 arrays with NaN for missing values; results are NaN during warm-up and are
written into `out` arrays the caller owns, so the whole-set matrix (indicator_matrix.py) is
filled in place. Compiled with numpy's error model (x/0 gives inf or NaN instead of raising)
and without the GIL, so the timeframes' indicators can run on several threads.

The same kernels serve the polars expressions of indicators.py (checked against TA-Lib) and
the whole-set matrix, so both compute every value with the same operations.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy", nogil=True)
def seed_row(values: np.ndarray, window: int, first_row: int) -> int:  # pragma: no cover
    """The row where the first `window` consecutive non-NaN values complete, not before
    `first_row`; -1 if there is none."""
    run = 0
    for i in range(values.shape[0]):
        if np.isnan(values[i]):
            run = 0
            continue
        run += 1
        if run >= window and i >= first_row:
            return i
    return -1


@njit(cache=True, error_model="numpy", nogil=True)
def _seed(
    values: np.ndarray, window: int, seed_scale: float, first_row: int
) -> tuple[int, float]:  # pragma: no cover - compiled
    """(seed row, seed value) of a recursive average: seed_scale * the sum of the first
    `window` consecutive non-NaN values, on the row where they complete; (-1, 0) if none."""
    start = seed_row(values, window, first_row)
    if start < 0:
        return -1, 0.0
    total = 0.0
    for j in range(start - window + 1, start + 1):
        total += values[j]
    return start, total * seed_scale


@njit(cache=True, error_model="numpy", nogil=True)
def recursive_average_into(
    values: np.ndarray, window: int, seed_scale: float, alpha: float, first_row: int,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled  # fmt: skip
    """Seed = seed_scale * sum of the first `window` consecutive non-NaN values, placed on the
    row where they complete (but not before `first_row`); then
    avg[t] = alpha * values[t] + (1 - alpha) * avg[t-1]. NaN before the seed.

    `out` may be `values` itself: each row is read before it is written (no scratch array,
    whose fresh pages cost more than the loop at 1M rows).
    """
    start, average = _seed(values, window, seed_scale, first_row)
    out[: values.shape[0] if start < 0 else start] = np.nan
    if start < 0:
        return
    out[start] = average
    keep = 1.0 - alpha
    for i in range(start + 1, values.shape[0]):
        average = alpha * values[i] + keep * average
        out[i] = average


@njit(cache=True, error_model="numpy", nogil=True)
def subtract_recursive_average(
    values: np.ndarray, window: int, seed_scale: float, alpha: float, first_row: int,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled  # fmt: skip
    """out[t] -= the recursive average of `values` at t (recursive_average_into's), NaN where
    that average is undefined. `out` may be `values` itself."""
    start, average = _seed(values, window, seed_scale, first_row)
    out[: values.shape[0] if start < 0 else start] = np.nan
    if start < 0:
        return
    out[start] = out[start] - average
    keep = 1.0 - alpha
    for i in range(start + 1, values.shape[0]):
        average = alpha * values[i] + keep * average
        out[i] = out[i] - average


@njit(cache=True, error_model="numpy", nogil=True)
def ema_distance_and_slope(
    close: np.ndarray, period: int, distance: np.ndarray, slope: np.ndarray
) -> None:  # pragma: no cover - compiled
    """distance = close / EMA - 1, slope = EMA[t] / EMA[t-1] - 1, in one pass (the EMA is
    the recursion of recursive_average_into, kept in a register; NaN where undefined)."""
    start = seed_row(close, period, 0)
    end = close.shape[0] if start < 0 else start
    distance[:end] = np.nan
    slope[: end + 1] = np.nan
    if start < 0:
        return
    total = 0.0
    for j in range(start - period + 1, start + 1):
        total += close[j]
    average = total * (1.0 / period)
    distance[start] = close[start] / average - 1.0
    alpha = 2.0 / (period + 1)
    keep = 1.0 - alpha
    for i in range(start + 1, close.shape[0]):
        previous = average
        average = alpha * close[i] + keep * average
        distance[i] = close[i] / average - 1.0
        slope[i] = average / previous - 1.0


@njit(cache=True, error_model="numpy", nogil=True)
def atr(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """Wilder's ATR: the true range (max(high - low, |high - prev close|, |low - prev close|),
    NaN on the first row) averaged with alpha 1/period from the mean of its first `period`
    values, i.e. from row `period` (TA-Lib ATR)."""
    if close.shape[0] > 0:
        out[0] = np.nan
    for i in range(1, close.shape[0]):
        out[i] = max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
    alpha = 1.0 / period
    recursive_average_into(out, period, alpha, alpha, 0, out)


@njit(cache=True, error_model="numpy", nogil=True)
def macd_histogram(
    close: np.ndarray, fast: int, slow: int, signal: int, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """MACD line minus its signal line (see indicators.macd_histogram for the seeding)."""
    recursive_average_into(close, fast, 1.0 / fast, 2.0 / (fast + 1), slow - 1, out)
    subtract_recursive_average(close, slow, 1.0 / slow, 2.0 / (slow + 1), 0, out)  # the line
    subtract_recursive_average(out, signal, 1.0 / signal, 2.0 / (signal + 1), 0, out)


@njit(cache=True, error_model="numpy", nogil=True)
def adx(
    high: np.ndarray, low: np.ndarray, period: int, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """Wilder's ADX (see indicators.adx for the definition), in two passes: DX, then its
    average in place.

    +DM and -DM are never NaN (a comparison with NaN is false: 0), so their averages always
    start on row period-1, seeded with the sum of the DMs of rows 1..period-1 (TA-Lib's
    sums, scaled to an average of period); DX starts on row `period`.
    """
    n = high.shape[0]
    alpha = 1.0 / period
    keep = 1.0 - alpha
    out[: min(period, n)] = np.nan  # row period-1 holds only the seeds
    plus_average = 0.0
    minus_average = 0.0
    for i in range(1, n):
        up = high[i] - high[i - 1]
        down = low[i - 1] - low[i]
        plus = up if (up > 0 and up > down) else 0.0
        minus = down if (down > 0 and down > up) else 0.0
        if i < period:
            plus_average += plus
            minus_average += minus
            if i == period - 1:
                plus_average *= alpha
                minus_average *= alpha
            continue
        plus_average = alpha * plus + keep * plus_average
        minus_average = alpha * minus + keep * minus_average
        total = plus_average + minus_average
        # 0/0 (no directional movement at all) is no trend: 0.
        out[i] = 0.0 if total == 0.0 else 100.0 * abs(plus_average - minus_average) / total
    recursive_average_into(out, period, alpha, alpha, 0, out)


@njit(cache=True, error_model="numpy", nogil=True)
def rsi(close: np.ndarray, period: int, out: np.ndarray) -> None:  # pragma: no cover
    """Wilder's RSI (see indicators.rsi): gains and losses of close-to-close changes averaged
    with alpha 1/period from the mean of the first `period` changes; 0/0 (flat) gives 50."""
    n = close.shape[0]
    out[:] = np.nan
    if n <= period:
        return
    gain = 0.0
    loss = 0.0
    for i in range(1, period + 1):
        change = close[i] - close[i - 1]
        gain += max(change, 0.0)
        loss += max(-change, 0.0)
    gain /= period
    loss /= period
    alpha = 1.0 / period
    keep = 1.0 - alpha
    for i in range(period, n):
        if i > period:
            change = close[i] - close[i - 1]
            gain = alpha * max(change, 0.0) + keep * gain
            loss = alpha * max(-change, 0.0) + keep * loss
        total = gain + loss
        out[i] = 50.0 if total == 0.0 else 100.0 * gain / total
