"""Compiled loops for the windowed indicators (numba): returns, Bollinger, stochastic, realised
volatility, volume z-score, VWAP distance.

Every window is summed afresh, left to right, rather than kept as a running sum: running sums
of squares cancel ~10 digits at BTC prices, and a running sum never forgets a NaN or inf. To
keep fresh sums cheap, rows go in blocks of BLOCK: for each offset inside the window, one loop
over two plain slices (the block's totals and the values that offset back), which the compiler
turns into vector instructions (indexing the whole array at a computed offset instead was ~20x
slower). Each row still adds the same values in the same order as a plain loop would.

Inputs are float64 arrays with NaN for missing values; results are NaN until a full window
exists and wherever the window holds a NaN, and are written into `out` arrays the caller owns.
Compiled without the GIL (see kernels.py); logarithms are numpy's, which releases it too.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BLOCK = 256
"""Rows per block: the block's running totals stay in L1 cache."""


@njit(cache=True, error_model="numpy", nogil=True)
def _block_sums(
    values: np.ndarray, window: int, start: int, stop: int, total: np.ndarray
) -> None:  # pragma: no cover - compiled
    """total[t] = the sum of the window ending on row start + t, for rows start..stop-1."""
    rows = stop - start
    total[:rows] = 0.0
    for back in range(window - 1, -1, -1):
        added = values[start - back : stop - back]
        for t in range(rows):
            total[t] += added[t]


@njit(cache=True, error_model="numpy", nogil=True)
def _block_mean_and_std(
    values: np.ndarray, window: int, ddof: int, start: int, stop: int,
    mean: np.ndarray, std: np.ndarray,
) -> None:  # pragma: no cover - compiled  # fmt: skip
    """Mean and standard deviation (divisor window - ddof) of the windows ending on rows
    start..stop-1, in two passes (squared deviations from the window's own mean: no
    cancellation)."""
    rows = stop - start
    _block_sums(values, window, start, stop, mean)
    for t in range(rows):
        mean[t] /= window
    std[:rows] = 0.0
    for back in range(window - 1, -1, -1):
        added = values[start - back : stop - back]
        for t in range(rows):
            deviation = added[t] - mean[t]
            std[t] += deviation * deviation
    for t in range(rows):
        std[t] = np.sqrt(std[t] / (window - ddof))


@njit(cache=True, error_model="numpy", nogil=True)
def window_sums(values: np.ndarray, window: int, out: np.ndarray) -> None:  # pragma: no cover
    """out[i] = values[i - window + 1] + ... + values[i] for each full window; NaN before.
    `out` must not be `values`."""
    n = values.shape[0]
    out[: min(window - 1, n)] = np.nan
    total = np.empty(BLOCK)
    for start in range(window - 1, n, BLOCK):
        stop = min(start + BLOCK, n)
        _block_sums(values, window, start, stop, total)
        out[start:stop] = total[: stop - start]


@njit(cache=True, error_model="numpy", nogil=True)
def window_std(
    values: np.ndarray, window: int, ddof: int, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """Standard deviation (divisor window - ddof) of each full window; NaN before.

    `out` may be `values` itself: blocks go from the last to the first, and a block reads
    only its own and earlier rows, which are still unwritten (no scratch array, whose fresh
    pages cost more than the loop at 1M rows).
    """
    n = values.shape[0]
    mean = np.empty(BLOCK)
    std = np.empty(BLOCK)
    blocks = (n - window + BLOCK) // BLOCK if n >= window else 0
    for block in range(blocks - 1, -1, -1):
        start = window - 1 + block * BLOCK
        stop = min(start + BLOCK, n)
        _block_mean_and_std(values, window, ddof, start, stop, mean, std)
        out[start:stop] = std[: stop - start]
    out[: min(window - 1, n)] = np.nan  # last: the first block still read these rows


def log_return(close: np.ndarray, period: int, out: np.ndarray) -> None:
    """ln(close[t] / close[t - period]); NaN on the first `period` rows.

    The logarithm is numpy's (vectorised, ~1 ns a value; a compiled scalar log is ~9 ns).
    """
    _ratio(close, period, out)
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero close: -inf or inf
        np.log(out, out=out)


@njit(cache=True, error_model="numpy", nogil=True)
def _ratio(close: np.ndarray, period: int, out: np.ndarray) -> None:  # pragma: no cover
    n = close.shape[0]
    out[: min(period, n)] = np.nan
    for i in range(period, n):
        out[i] = close[i] / close[i - period]


def realized_volatility(close: np.ndarray, window: int, out: np.ndarray) -> None:
    """Sample std (ddof=1) of the last `window` one-bar log returns; from row `window`."""
    log_return(close, 1, out)
    window_std(out, window, 1, out)


@njit(cache=True, error_model="numpy", nogil=True)
def volume_zscore(volume: np.ndarray, window: int, out: np.ndarray) -> None:  # pragma: no cover
    """(volume - mean) / sample std over each full window; 0 where the window is flat."""
    n = volume.shape[0]
    out[: min(window - 1, n)] = np.nan
    mean = np.empty(BLOCK)
    std = np.empty(BLOCK)
    for start in range(window - 1, n, BLOCK):
        stop = min(start + BLOCK, n)
        _block_mean_and_std(volume, window, 1, start, stop, mean, std)
        for t in range(stop - start):
            # Identical volumes have no spread, so no surprise either: 0 rather than 0/0.
            out[start + t] = 0.0 if std[t] == 0.0 else (volume[start + t] - mean[t]) / std[t]


@njit(cache=True, error_model="numpy", nogil=True)
def vwap_distance(
    price: np.ndarray, volume: np.ndarray, close: np.ndarray, window: int, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """close / (sum(price * volume) / sum(volume)) - 1 over each full window; a window
    without volume gives NaN (0/0)."""
    n = close.shape[0]
    out[: min(window - 1, n)] = np.nan
    notional = np.empty(BLOCK)
    traded = np.empty(BLOCK)
    for start in range(window - 1, n, BLOCK):
        stop = min(start + BLOCK, n)
        rows = stop - start
        notional[:] = 0.0
        traded[:] = 0.0
        for back in range(window - 1, -1, -1):
            bar_price = price[start - back : stop - back]
            bar_volume = volume[start - back : stop - back]
            for t in range(rows):
                notional[t] += bar_price[t] * bar_volume[t]
                traded[t] += bar_volume[t]
        for t in range(rows):
            out[start + t] = close[start + t] / (notional[t] / traded[t]) - 1.0


@njit(cache=True, error_model="numpy", nogil=True)
def bollinger(
    values: np.ndarray, window: int, k: float, pct_b: np.ndarray, width: np.ndarray
) -> None:  # pragma: no cover - compiled
    """%B and width of Bollinger bands mean +- k * population std over each full window.

    Two passes on values minus the window's first value: a difference of nearby floats is
    exact, and a window of prices a few ticks apart has a std of ~0.005 at ~1e5, where %B is
    ill-conditioned unless the differences stay exact. A flat window gives NaN %B (0/0).
    """
    n = values.shape[0]
    pct_b[: min(window - 1, n)] = np.nan
    width[: min(window - 1, n)] = np.nan
    mean = np.empty(BLOCK)
    total = np.empty(BLOCK)
    for start in range(window - 1, n, BLOCK):
        stop = min(start + BLOCK, n)
        rows = stop - start
        anchor = values[start - window + 1 : stop - window + 1]  # each window's first value
        mean[:] = 0.0
        for back in range(window - 1, -1, -1):
            added = values[start - back : stop - back]
            for t in range(rows):
                mean[t] += added[t] - anchor[t]
        mean /= window
        total[:] = 0.0
        for back in range(window - 1, -1, -1):
            added = values[start - back : stop - back]
            for t in range(rows):
                deviation = (added[t] - anchor[t]) - mean[t]
                total[t] += deviation * deviation
        for t in range(rows):
            i = start + t
            spread = k * np.sqrt(total[t] / window)
            pct_b[i] = ((values[i] - anchor[t]) - mean[t] + spread) / (2.0 * spread)
            width[i] = 2.0 * spread / (anchor[t] + mean[t])


@njit(cache=True, error_model="numpy", nogil=True)
def stochastic(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int, smooth: int,
    slow_k: np.ndarray, slow_d: np.ndarray,
) -> None:  # pragma: no cover - compiled  # fmt: skip
    """Slow %K and %D: fast %K over `period` bars (0 for an empty range, as TA-Lib), then two
    simple moving averages of `smooth` bars each."""
    n = close.shape[0]
    fast = slow_d  # fast %K is only needed until slow %D overwrites it
    fast[: min(period - 1, n)] = np.nan
    lowest = np.empty(BLOCK)
    highest = np.empty(BLOCK)
    for start in range(period - 1, n, BLOCK):
        stop = min(start + BLOCK, n)
        rows = stop - start
        lowest[:rows] = low[start:stop]
        highest[:rows] = high[start:stop]
        for back in range(period - 1, 0, -1):
            earlier_low = low[start - back : stop - back]
            earlier_high = high[start - back : stop - back]
            for t in range(rows):
                lowest[t] = min(lowest[t], earlier_low[t])
                highest[t] = max(highest[t], earlier_high[t])
        for t in range(rows):
            span = highest[t] - lowest[t]
            above = close[start + t] - lowest[t]
            fast[start + t] = 0.0 if span == 0.0 else above / (span / 100.0)
    window_sums(fast, smooth, slow_k)
    slow_k /= smooth
    window_sums(slow_k, smooth, slow_d)
    slow_d /= smooth
