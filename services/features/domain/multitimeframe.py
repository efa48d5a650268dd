"""The indicator set on each timeframe's own bars, joined onto 1m rows without look-ahead.

A 1m row stands for what is known when its bar closes, at ``open_time + 1m``. A bar of
timeframe L opened at T is complete only at ``T + L``, so it may feed a 1m row only when
``open_time + 1m >= T + L``. The join is a backward as-of join of the row's close time on the
bar's close time: each row gets the newest bar of that timeframe that had closed by then.
There is no staleness limit: after a gap in trading the newest closed bar may be old, but it is
still the truth as known at that moment.

Feature names follow ``{indicator}_{params}_{timeframe}`` (docs/features.md is generated from
`catalogue()`); order flow and time of day are properties of the 1m row itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import polars as pl

from services.features.domain import indicators
from services.features.domain.config import TIMEFRAME_MINUTES, FeaturesConfig
from services.ingest.domain.bars import BAR_SCHEMA, PRICE_COLUMNS

TIME = "open_time"
TIME_DTYPE = pl.Datetime("ms", "UTC")
_AVAILABLE = "_available_at"
"""Helper column: when a bar (or a 1m row) becomes known, i.e. its close time."""
OPTIONAL_COLUMNS: dict[str, pl.DataType] = {
    name: dtype for name, dtype in BAR_SCHEMA.items() if name not in ("open_time", *PRICE_COLUMNS)
}
"""Order-flow bar columns (ingest's bar schema): null for candle imports, absent in old files."""
TICKS = ("plus_tick", "zero_plus_tick", "minus_tick", "zero_minus_tick")


def indicator_exprs(config: FeaturesConfig, timeframe: str) -> list[pl.Expr]:
    """The configured indicators for one timeframe, aliased `{indicator}_{params}_{tf}`.

    Order is fixed (the groups in config.INDICATORS order, each by ascending period), so the
    feature columns come out in the same order for the same config.
    """
    c, tf = config, timeframe
    groups: dict[str, list[pl.Expr]] = {
        "returns": [
            indicators.log_return(period=p).alias(f"ret_{p}_{tf}") for p in c.return_periods
        ],
        "ema": [
            expr
            for p in c.ema_periods
            for expr in (
                indicators.ema_distance(period=p).alias(f"ema_dist_{p}_{tf}"),
                indicators.ema_slope(period=p).alias(f"ema_slope_{p}_{tf}"),
            )
        ],
        "rsi": [indicators.rsi(period=c.rsi_period).alias(f"rsi_{c.rsi_period}_{tf}")],
        "atr": [indicators.atr_ratio(period=c.atr_period).alias(f"atr_{c.atr_period}_{tf}")],
        "macd": [
            (
                indicators.macd_histogram(fast=c.macd_fast, slow=c.macd_slow, signal=c.macd_signal)
                / pl.col("close")
            ).alias(f"macd_hist_{c.macd_fast}_{c.macd_slow}_{c.macd_signal}_{tf}")
        ],
        "bbands": _pair(
            indicators.bollinger(period=c.bbands_period, k=c.bbands_k),
            (f"bb_pctb_{c.bbands_period}_{tf}", f"bb_width_{c.bbands_period}_{tf}"),
        ),
        "adx": [indicators.adx(period=c.adx_period).alias(f"adx_{c.adx_period}_{tf}")],
        "stoch": _pair(
            indicators.stochastic(period=c.stoch_period, smooth=c.stoch_smooth),
            (f"stoch_k_{c.stoch_period}_{tf}", f"stoch_d_{c.stoch_period}_{tf}"),
        ),
        "realized_vol": [
            indicators.realized_volatility(window=c.realized_vol_window).alias(
                f"rvol_{c.realized_vol_window}_{tf}"
            )
        ],
        "volume_z": [
            indicators.volume_zscore(window=c.volume_z_window).alias(
                f"vol_z_{c.volume_z_window}_{tf}"
            )
        ],
        "vwap": [
            indicators.vwap_distance(window=c.vwap_window).alias(f"vwap_dist_{c.vwap_window}_{tf}")
        ],
    }
    return [expr for group in c.indicators for expr in groups[group]]


def _pair(exprs: tuple[pl.Expr, pl.Expr], names: tuple[str, str]) -> list[pl.Expr]:
    return [exprs[0].alias(names[0]), exprs[1].alias(names[1])]


def row_exprs(config: FeaturesConfig) -> list[pl.Expr]:
    """Features of the 1m row itself: order flow (when configured) and time of day/week."""
    exprs: list[pl.Expr] = []
    if config.order_flow:
        buy, sell = pl.col("buy_volume"), pl.col("sell_volume")
        ticks = pl.sum_horizontal(*(pl.col(f"{t}_count") for t in TICKS))
        exprs += [
            ((buy - sell) / (buy + sell)).alias("of_imbalance_1m"),
            pl.col("trade_count").cast(pl.Float64).alias("of_trades_1m"),
            (pl.col("volume") / pl.col("trade_count")).alias("of_mean_size_1m"),
            *((pl.col(f"{t}_count") / ticks).alias(f"of_{t}_share_1m") for t in TICKS),
        ]
    if config.time_of_day:
        # Encoded at the row's close (when its features are known), as points on a circle.
        closed = pl.col(TIME) + pl.duration(minutes=1)
        minute = (closed.dt.hour().cast(pl.Float64) * 60 + closed.dt.minute()) / 1440.0
        weekday = (closed.dt.weekday().cast(pl.Float64) - 1 + minute) / 7.0
        tau = 2 * math.pi
        exprs += [
            (tau * minute).sin().alias("time_day_sin"),
            (tau * minute).cos().alias("time_day_cos"),
            (tau * weekday).sin().alias("time_week_sin"),
            (tau * weekday).cos().alias("time_week_cos"),
        ]
    return exprs


def feature_names(config: FeaturesConfig) -> list[str]:
    """All feature column names: timeframe by timeframe in canonical order, then the row's."""
    names = [
        expr.meta.output_name() for tf in config.timeframes for expr in indicator_exprs(config, tf)
    ]
    return names + [expr.meta.output_name() for expr in row_exprs(config)]


def with_optional_columns(bars: pl.LazyFrame) -> pl.LazyFrame:
    """Add the order-flow columns a bar frame lacks, as nulls (older or candle-built bars)."""
    present = set(bars.collect_schema().names())
    missing = [
        pl.lit(None, dtype).alias(n) for n, dtype in OPTIONAL_COLUMNS.items() if n not in present
    ]
    return bars.with_columns(missing) if missing else bars


def timeframe_features(
    bars: pl.LazyFrame, *, config: FeaturesConfig, timeframe: str
) -> pl.LazyFrame:
    """One timeframe's bars -> (close time, its features), sorted by close time."""
    length = pl.duration(minutes=TIMEFRAME_MINUTES[timeframe])
    return (
        with_optional_columns(bars)
        .with_columns(pl.col(TIME).cast(TIME_DTYPE))
        .sort(TIME)
        .select((pl.col(TIME) + length).alias(_AVAILABLE), *indicator_exprs(config, timeframe))
    )


def join_timeframes(
    base: pl.LazyFrame, per_timeframe: Mapping[str, pl.LazyFrame], *, config: FeaturesConfig
) -> pl.LazyFrame:
    """Attach every timeframe's features to the 1m rows of `base` as of each row's close,
    then the row's own features.

    Args:
        base: the 1m bars, sorted by `open_time` (other columns are kept as they are); the
            1m features are computed on them directly.
        per_timeframe: bars of each configured timeframe (same bar schema, any order).
    Raises:
        ValueError: a configured timeframe has no bars frame.
    """
    missing = [tf for tf in config.timeframes if tf not in per_timeframe]
    if missing:
        raise ValueError(f"no bars given for timeframe(s) {missing}")
    one_minute = pl.duration(minutes=1)
    joined = base.with_columns(pl.col(TIME).cast(TIME_DTYPE))
    if "1m" in config.timeframes:  # the rows are the 1m bars: their features need no join
        joined = with_optional_columns(joined).with_columns(indicator_exprs(config, "1m"))
    joined = joined.with_columns((pl.col(TIME) + one_minute).alias(_AVAILABLE))
    for tf in config.timeframes:
        if tf != "1m":
            features = timeframe_features(per_timeframe[tf], config=config, timeframe=tf)
            joined = joined.join_asof(features, on=_AVAILABLE, strategy="backward")
    return joined.drop(_AVAILABLE)
