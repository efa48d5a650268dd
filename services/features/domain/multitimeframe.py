"""The indicator set on each timeframe's own bars, joined onto 1m rows without look-ahead.

A 1m row stands for what is known when its bar closes, at ``open_time + 1m``. A bar of
timeframe L opened at T is complete only at ``T + L``, so it may feed a 1m row only when
``open_time + 1m >= T + L``. The join is a backward as-of join of the row's close time on the
bar's close time: each row gets the newest bar of that timeframe that had closed by then.
There is no staleness limit: after a gap in trading the newest closed bar may be old, but it is
still the truth as known at that moment.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from services.features.domain import indicators
from services.features.domain.config import TIMEFRAME_MINUTES, FeaturesConfig

TIME = "open_time"
TIME_DTYPE = pl.Datetime("ms", "UTC")
_AVAILABLE = "_available_at"
"""Helper column: when a bar (or a 1m row) becomes known, i.e. its close time."""


def indicator_exprs(config: FeaturesConfig, timeframe: str) -> list[pl.Expr]:
    """The configured indicators for one timeframe, aliased `{indicator}_{param}_{tf}`.

    Order is fixed (returns, EMA distances, RSI, ATR, volume z-score, each by ascending
    period), so the feature columns come out in the same order for the same config.
    """
    exprs = [
        indicators.log_return(period=p).alias(f"ret_{p}_{timeframe}") for p in config.return_periods
    ]
    exprs += [
        indicators.ema_distance(period=p).alias(f"ema_dist_{p}_{timeframe}")
        for p in config.ema_periods
    ]
    exprs.append(
        indicators.rsi(period=config.rsi_period).alias(f"rsi_{config.rsi_period}_{timeframe}")
    )
    exprs.append(
        indicators.atr_ratio(period=config.atr_period).alias(f"atr_{config.atr_period}_{timeframe}")
    )
    exprs.append(
        indicators.volume_zscore(window=config.volume_z_window).alias(
            f"vol_z_{config.volume_z_window}_{timeframe}"
        )
    )
    return exprs


def feature_names(config: FeaturesConfig) -> list[str]:
    """All feature column names, timeframe by timeframe in canonical order."""
    return [
        expr.meta.output_name() for tf in config.timeframes for expr in indicator_exprs(config, tf)
    ]


def timeframe_features(
    bars: pl.LazyFrame, *, config: FeaturesConfig, timeframe: str
) -> pl.LazyFrame:
    """One timeframe's bars -> (close time, its features), sorted by close time."""
    length = pl.duration(minutes=TIMEFRAME_MINUTES[timeframe])
    return (
        bars.with_columns(pl.col(TIME).cast(TIME_DTYPE))
        .sort(TIME)
        .select((pl.col(TIME) + length).alias(_AVAILABLE), *indicator_exprs(config, timeframe))
    )


def join_timeframes(
    base: pl.LazyFrame, per_timeframe: Mapping[str, pl.LazyFrame], *, config: FeaturesConfig
) -> pl.LazyFrame:
    """Attach every timeframe's features to the 1m rows of `base` as of each row's close.

    Args:
        base: 1m rows sorted by `open_time` (other columns are kept as they are).
        per_timeframe: bars of each configured timeframe (same bar schema, any order).
    Raises:
        ValueError: a configured timeframe has no bars frame.
    """
    missing = [tf for tf in config.timeframes if tf not in per_timeframe]
    if missing:
        raise ValueError(f"no bars given for timeframe(s) {missing}")
    one_minute = pl.duration(minutes=1)
    joined = base.with_columns(pl.col(TIME).cast(TIME_DTYPE)).with_columns(
        (pl.col(TIME) + one_minute).alias(_AVAILABLE)
    )
    for tf in config.timeframes:
        features = timeframe_features(per_timeframe[tf], config=config, timeframe=tf)
        joined = joined.join_asof(features, on=_AVAILABLE, strategy="backward")
    return joined.drop(_AVAILABLE)
