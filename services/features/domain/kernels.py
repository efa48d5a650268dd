"""Compiled loops for the recursive indicators (numba), called from polars expressions.

A recursive average is one sequential pass; written as nested polars expressions its seed and
inputs are re-evaluated many times (ADX took ~0.4 s per 130k bars that way, 5 ms here). Inputs
are float64 arrays with NaN for missing values; outputs are NaN during warm-up. Compiled with
numpy's error model: x/0 gives inf or NaN (as in numpy) instead of raising.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def recursive_average(
    values: np.ndarray, window: int, seed_scale: float, alpha: float, first_row: int
) -> np.ndarray:  # pragma: no cover - compiled
    """Seed = seed_scale * sum of the first `window` consecutive non-NaN values, placed on the
    row where they complete (but not before `first_row`); then
    avg[t] = alpha * values[t] + (1 - alpha) * avg[t-1]. NaN before the seed."""
    n = values.shape[0]
    out = np.full(n, np.nan)
    run = 0
    start = -1
    for i in range(n):
        if np.isnan(values[i]):
            run = 0
            continue
        run += 1
        if run >= window and i >= first_row:
            start = i
            break
    if start < 0:
        return out
    total = 0.0
    for j in range(start - window + 1, start + 1):
        total += values[j]
    avg = total * seed_scale
    out[start] = avg
    keep = 1.0 - alpha
    for i in range(start + 1, n):
        avg = alpha * values[i] + keep * avg
        out[i] = avg
    return out


@njit(cache=True, error_model="numpy")
def directional_movement(
    high: np.ndarray, low: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """(+DM, -DM) per bar as TA-Lib defines them; NaN on the first row."""
    n = high.shape[0]
    plus = np.full(n, np.nan)
    minus = np.full(n, np.nan)
    for i in range(1, n):
        up = high[i] - high[i - 1]
        down = low[i - 1] - low[i]
        plus[i] = up if (up > 0 and up > down) else 0.0
        minus[i] = down if (down > 0 and down > up) else 0.0
    return plus, minus


def adx(high: np.ndarray, low: np.ndarray, period: int) -> np.ndarray:
    """Wilder's ADX (see indicators.adx for the definition)."""
    plus, minus = directional_movement(high, low)
    alpha = 1.0 / period
    # Seeds: the sum of the first period-1 DMs (TA-Lib), scaled to an average of period.
    s_plus = recursive_average(plus, period - 1, alpha, alpha, 0)
    s_minus = recursive_average(minus, period - 1, alpha, alpha, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = 100.0 * np.abs(s_plus - s_minus) / (s_plus + s_minus)
    dx[np.isnan(dx) & ~np.isnan(s_plus)] = 0.0
    dx[:period] = np.nan  # the first smoothed value (row period-1) is only the seed
    return recursive_average(dx, period, alpha, alpha, 0)


@njit(cache=True, error_model="numpy")
def bollinger(
    values: np.ndarray, window: int, k: float
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """(%B, width) of Bollinger bands mean +- k * population std over each full window.

    Each window is summed afresh, in two passes, on values minus the window's first value:
    running sums of squares cancel ~10 digits at BTC prices, and a window of prices a few
    ticks apart has a std of ~0.005 at ~1e5, where %B is ill-conditioned unless the
    differences stay exact (a difference of nearby floats is exact). NaN until `window`
    values; NaN inputs propagate; a flat window gives NaN %B (0/0).
    """
    n = values.shape[0]
    pct_b = np.full(n, np.nan)
    width = np.full(n, np.nan)
    for i in range(window - 1, n):
        anchor = values[i - window + 1]
        mean = 0.0
        for j in range(i - window + 1, i + 1):
            mean += values[j] - anchor
        mean /= window
        total = 0.0
        for j in range(i - window + 1, i + 1):
            deviation = (values[j] - anchor) - mean
            total += deviation * deviation
        spread = k * np.sqrt(total / window)
        pct_b[i] = ((values[i] - anchor) - mean + spread) / (2.0 * spread)
        width[i] = 2.0 * spread / (anchor + mean)
    return pct_b, width


@njit(cache=True, error_model="numpy")
def rsi(close: np.ndarray, period: int) -> np.ndarray:  # pragma: no cover - compiled
    """Wilder's RSI (see indicators.rsi): gains and losses of close-to-close changes averaged
    with alpha 1/period from the mean of the first `period` changes; 0/0 (flat) gives 50."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    if n <= period:
        return out
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
    return out


@njit(cache=True, error_model="numpy")
def stochastic(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int, smooth: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """(slow %K, slow %D): fast %K over `period` bars (0 for an empty range, as TA-Lib), then
    two simple moving averages of `smooth` bars each."""
    n = close.shape[0]
    fast = np.full(n, np.nan)
    for i in range(period - 1, n):
        lowest = low[i]
        highest = high[i]
        for j in range(i - period + 1, i):
            lowest = min(lowest, low[j])
            highest = max(highest, high[j])
        span = highest - lowest
        fast[i] = 0.0 if span == 0.0 else (close[i] - lowest) / (span / 100.0)
    slow_k = _sma(fast, smooth)
    return slow_k, _sma(slow_k, smooth)


@njit(cache=True, error_model="numpy")
def _sma(values: np.ndarray, window: int) -> np.ndarray:  # pragma: no cover - compiled
    """Mean of each full window (summed afresh; NaN where the window holds a NaN)."""
    n = values.shape[0]
    out = np.full(n, np.nan)
    for i in range(window - 1, n):
        total = 0.0
        for j in range(i - window + 1, i + 1):
            total += values[j]
        out[i] = total / window
    return out
