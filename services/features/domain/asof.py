"""Which higher-timeframe bar each 1m row may see: a backward as-of match on close times.

A 1m row is known at its close; a bar of timeframe L opened at T is known at T + L. Each row
takes the newest bar whose close time is <= the row's close time (the last of equal close
times). The match is computed once per timeframe as row positions, and every column of that
timeframe is then gathered with them (one as-of join per timeframe over all its columns cost
more than all of TA-Lib's indicators).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def closed_bar_positions(
    row_close: np.ndarray, bar_close: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """For each row, the position of the last bar with bar_close <= row_close, as uint32
    (polars' row index type). A row before the first bar's close gets len(bar_close): one past
    the last bar, where the caller puts an all-null row.

    `bar_close` must be sorted ascending. Sorted `row_close` is matched in one merge pass;
    where it steps back, the search restarts by bisection, so any order gives the right answer.
    """
    n = row_close.shape[0]
    none = bar_close.shape[0]
    out = np.empty(n, dtype=np.uint32)
    closed = 0  # bars closed by the current row's close
    for i in range(n):
        if i > 0 and row_close[i] < row_close[i - 1]:
            closed = np.searchsorted(bar_close, row_close[i], side="right")
        while closed < none and bar_close[closed] <= row_close[i]:
            closed += 1
        out[i] = closed - 1 if closed > 0 else none
    return out
