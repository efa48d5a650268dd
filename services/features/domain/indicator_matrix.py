"""Every configured indicator of one timeframe, as the rows of one float64 matrix.

This is how the dataset computes its features: each timeframe's bars go once through the numba
kernels (kernels.py, window_kernels.py), every indicator group writing its own rows in place,
rather than one polars expression per column (4x TA-Lib's time that way, before any join).
indicators.py wraps the same kernels as polars expressions: test_talib_parity checks those
against TA-Lib, and test_indicator_matrix holds each column here equal to its expression.

Columns are named `{indicator}_{params}_{timeframe}` and ordered by config.INDICATORS, each
group by ascending period. Undefined and non-finite values are NaN (null in the frame).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import polars as pl
from numba import njit

from services.common.arrays import read_only
from services.features.domain import kernels, window_kernels
from services.features.domain.config import FeaturesConfig
from services.features.domain.indicators import vwap_price

BAR_COLUMNS = ("high", "low", "close", "volume")


@dataclass(frozen=True)
class BarArrays:
    """One timeframe's bars as float64 arrays (NaN where missing), sorted by open time."""

    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    vwap_price: np.ndarray  # the bar's VWAP, else its typical price (indicators.vwap_price)

    @property
    def rows(self) -> int:
        return int(self.close.shape[0])


def bar_array_exprs() -> list[pl.Expr]:
    """What `bar_arrays` reads, from bars with the (possibly null) `vwap` column."""
    return [
        *(pl.col(c).cast(pl.Float64) for c in BAR_COLUMNS),
        vwap_price().cast(pl.Float64).alias("vwap_price"),
    ]


def bar_arrays(frame: pl.DataFrame) -> BarArrays:
    """The arrays of a frame selected with `bar_array_exprs` (nulls become NaN)."""
    arrays = [
        read_only(frame.get_column(c).to_numpy().astype(np.float64, copy=False))
        for c in (*BAR_COLUMNS, "vwap_price")
    ]
    return BarArrays(*arrays)


def timeframe_matrix(
    config: FeaturesConfig, timeframe: str, bars: BarArrays, extra_bar: bool
) -> tuple[np.ndarray, list[Callable[[], None]]]:
    """The (columns x bars) matrix of one timeframe's indicators, not yet filled, and the
    tasks that fill it. With `extra_bar`, the matrix has one more, all-NaN column (a higher
    timeframe's: where rows before its first close point)."""
    groups = indicator_groups(config, timeframe)
    columns = sum(len(group.names) for group in groups)
    matrix = np.empty((columns, bars.rows + extra_bar))
    matrix[:, bars.rows :] = np.nan
    return matrix, matrix_tasks(groups, bars, matrix[:, : bars.rows])


Writer = Callable[[BarArrays, np.ndarray], None]
"""Fills a group's rows (a (columns, bars) view of the matrix) from the bars."""


@dataclass(frozen=True)
class Group:
    """Indicator columns that one kernel call computes together."""

    names: tuple[str, ...]
    write: Writer


def indicator_groups(config: FeaturesConfig, timeframe: str) -> list[Group]:
    """The configured groups for one timeframe, in column order."""
    c, tf = config, timeframe
    macd = f"{c.macd_fast}_{c.macd_slow}_{c.macd_signal}"
    groups: dict[str, list[Group]] = {
        "returns": [Group((f"ret_{p}_{tf}",), partial(_returns, p)) for p in c.return_periods],
        "ema": [
            Group((f"ema_dist_{p}_{tf}", f"ema_slope_{p}_{tf}"), partial(_ema, p))
            for p in c.ema_periods
        ],
        "rsi": [Group((f"rsi_{c.rsi_period}_{tf}",), partial(_rsi, c.rsi_period))],
        "atr": [Group((f"atr_{c.atr_period}_{tf}",), partial(_atr_ratio, c.atr_period))],
        "macd": [
            Group(
                (f"macd_hist_{macd}_{tf}",),
                partial(_macd_ratio, c.macd_fast, c.macd_slow, c.macd_signal),
            )
        ],
        "bbands": [
            Group(
                (f"bb_pctb_{c.bbands_period}_{tf}", f"bb_width_{c.bbands_period}_{tf}"),
                partial(_bollinger, c.bbands_period, c.bbands_k),
            )
        ],
        "adx": [Group((f"adx_{c.adx_period}_{tf}",), partial(_adx, c.adx_period))],
        "stoch": [
            Group(
                (f"stoch_k_{c.stoch_period}_{tf}", f"stoch_d_{c.stoch_period}_{tf}"),
                partial(_stochastic, c.stoch_period, c.stoch_smooth),
            )
        ],
        "realized_vol": [
            Group(
                (f"rvol_{c.realized_vol_window}_{tf}",),
                partial(_realized_vol, c.realized_vol_window),
            )
        ],
        "volume_z": [
            Group((f"vol_z_{c.volume_z_window}_{tf}",), partial(_volume_z, c.volume_z_window))
        ],
        "vwap": [Group((f"vwap_dist_{c.vwap_window}_{tf}",), partial(_vwap, c.vwap_window))],
    }
    return [group for name in c.indicators for group in groups[name]]


def indicator_names(config: FeaturesConfig, timeframe: str) -> list[str]:
    """Column names of one timeframe's matrix, in row order."""
    return [name for group in indicator_groups(config, timeframe) for name in group.names]


def matrix_tasks(
    groups: list[Group], bars: BarArrays, matrix: np.ndarray
) -> list[Callable[[], None]]:
    """One task per group, each filling its own rows of `matrix` (columns x bars.rows), for
    parallel.run_all; non-finite results become NaN."""
    tasks: list[Callable[[], None]] = []
    row = 0
    for group in groups:
        rows = matrix[row : row + len(group.names)]
        tasks.append(partial(_fill, group.write, bars, rows))
        row += len(group.names)
    return tasks


def _fill(write: Writer, bars: BarArrays, rows: np.ndarray) -> None:
    write(bars, rows)
    nan_where_not_finite(rows)


@njit(cache=True, nogil=True)
def nan_where_not_finite(rows: np.ndarray) -> None:  # pragma: no cover - compiled
    """inf (a zero price or volume) to NaN, in place: downstream treats null as unknown."""
    for r in range(rows.shape[0]):
        for i in range(rows.shape[1]):
            if not np.isfinite(rows[r, i]):
                rows[r, i] = np.nan


def _returns(period: int, bars: BarArrays, out: np.ndarray) -> None:
    window_kernels.log_return(bars.close, period, out[0])


def _ema(period: int, bars: BarArrays, out: np.ndarray) -> None:
    kernels.ema_distance_and_slope(bars.close, period, out[0], out[1])


def _rsi(period: int, bars: BarArrays, out: np.ndarray) -> None:
    kernels.rsi(bars.close, period, out[0])


def _atr_ratio(period: int, bars: BarArrays, out: np.ndarray) -> None:
    kernels.atr(bars.high, bars.low, bars.close, period, out[0])
    _divide(out[0], bars.close)


def _macd_ratio(fast: int, slow: int, signal: int, bars: BarArrays, out: np.ndarray) -> None:
    kernels.macd_histogram(bars.close, fast, slow, signal, out[0])
    _divide(out[0], bars.close)


def _divide(values: np.ndarray, by: np.ndarray) -> None:
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero close: inf, then NaN
        np.divide(values, by, out=values)


def _bollinger(period: int, k: float, bars: BarArrays, out: np.ndarray) -> None:
    window_kernels.bollinger(bars.close, period, k, out[0], out[1])


def _adx(period: int, bars: BarArrays, out: np.ndarray) -> None:
    kernels.adx(bars.high, bars.low, period, out[0])


def _stochastic(period: int, smooth: int, bars: BarArrays, out: np.ndarray) -> None:
    window_kernels.stochastic(bars.high, bars.low, bars.close, period, smooth, out[0], out[1])


def _realized_vol(window: int, bars: BarArrays, out: np.ndarray) -> None:
    window_kernels.realized_volatility(bars.close, window, out[0])


def _volume_z(window: int, bars: BarArrays, out: np.ndarray) -> None:
    window_kernels.volume_zscore(bars.volume, window, out[0])


def _vwap(window: int, bars: BarArrays, out: np.ndarray) -> None:
    window_kernels.vwap_distance(bars.vwap_price, bars.volume, bars.close, window, out[0])
