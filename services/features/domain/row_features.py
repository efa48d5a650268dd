"""Features of the 1m row itself: order flow (when configured) and time of day and week.

Time is encoded at the row's close (when its features are known) as points on two circles.
It depends only on the minute of the week, so the sines and cosines are computed once for the
10,080 minutes of a week and looked up per row (polars' datetime fields and four sin/cos on
1M rows took ~0.24 s, longer than all of TA-Lib's indicators).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import polars as pl
from numba import njit

from services.common.arrays import read_only
from services.features.domain.config import FeaturesConfig

TICKS = ("plus_tick", "zero_plus_tick", "minus_tick", "zero_minus_tick")
TIME_NAMES = ("time_day_sin", "time_day_cos", "time_week_sin", "time_week_cos")
MINUTE_MS = 60_000
MINUTES_PER_DAY = 1440
DAY_MS = MINUTES_PER_DAY * MINUTE_MS
EPOCH_WEEKDAY = 3
"""1970-01-01 was a Thursday: weekday 3 counting Monday as 0."""


def order_flow_exprs() -> list[pl.Expr]:
    """Order flow of the 1m bar (null for candle imports, which have none)."""
    buy, sell = pl.col("buy_volume"), pl.col("sell_volume")
    ticks = pl.sum_horizontal(*(pl.col(f"{t}_count") for t in TICKS))
    return [
        ((buy - sell) / (buy + sell)).alias("of_imbalance_1m"),
        pl.col("trade_count").cast(pl.Float64).alias("of_trades_1m"),
        (pl.col("volume") / pl.col("trade_count")).alias("of_mean_size_1m"),
        *((pl.col(f"{t}_count") / ticks).alias(f"of_{t}_share_1m") for t in TICKS),
    ]


def row_feature_names(config: FeaturesConfig) -> list[str]:
    """The row's own feature columns, in order: order flow, then time."""
    names = [e.meta.output_name() for e in order_flow_exprs()] if config.order_flow else []
    return names + (list(TIME_NAMES) if config.time_of_day else [])


def row_features(rows: pl.DataFrame, config: FeaturesConfig) -> pl.DataFrame:
    """The row features of `rows` (1m bars with `open_time` and the order-flow columns),
    non-finite values as null."""
    columns: list[pl.Series] = []
    if config.order_flow:
        flow = rows.select(
            pl.when(e.is_finite()).then(e).alias(e.meta.output_name()) for e in order_flow_exprs()
        )
        columns += flow.get_columns()
    if config.time_of_day:
        encoded = np.empty((len(TIME_NAMES), rows.height))
        encode_time(read_only(rows.get_column("open_time").dt.epoch("ms").to_numpy()), encoded)
        columns += [pl.Series(name, encoded[i]) for i, name in enumerate(TIME_NAMES)]
    return pl.DataFrame(columns)


def encode_time(open_ms: np.ndarray, out: np.ndarray) -> None:
    """The TIME_NAMES rows of `out` (4 x rows) for bars opening at `open_ms` (epoch ms)."""
    day, week = _circles()
    _encode_time(open_ms, day, week, out)


@cache
def _circles() -> tuple[np.ndarray, np.ndarray]:
    """(sin, cos) of the time of day for each minute of a day, and of the time of week for
    each minute of a week (Monday 00:00 first)."""
    tau = 2 * math.pi
    day_fraction = np.arange(MINUTES_PER_DAY, dtype=np.float64) / MINUTES_PER_DAY
    week_fraction = ((np.arange(7, dtype=np.float64)[:, None] + day_fraction) / 7.0).ravel()
    day = np.stack([np.sin(tau * day_fraction), np.cos(tau * day_fraction)])
    week = np.stack([np.sin(tau * week_fraction), np.cos(tau * week_fraction)])
    return day, week


@njit(cache=True, nogil=True)
def _encode_time(
    open_ms: np.ndarray, day: np.ndarray, week: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    for i in range(open_ms.shape[0]):
        closed = open_ms[i] + MINUTE_MS
        minute = (closed // MINUTE_MS) % MINUTES_PER_DAY
        weekday = (closed // DAY_MS + EPOCH_WEEKDAY) % 7
        at = weekday * MINUTES_PER_DAY + minute
        out[0, i] = day[0, minute]
        out[1, i] = day[1, minute]
        out[2, i] = week[0, at]
        out[3, i] = week[1, at]
