"""1m bars -> the higher timeframes, exactly as if the bars had been built from the trades."""

from __future__ import annotations

import polars as pl

from services.ingest.domain.bars import BAR_SCHEMA, TICK_COUNT_COLUMNS, conform_bars

TIMEFRAMES = ("1m", "5m", "15m", "1h", "4h")
HIGHER_TIMEFRAMES = TIMEFRAMES[1:]
TIMEFRAME_MS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "4h": 14_400_000}


def _complete_or_null(value: pl.Expr, column: str) -> pl.Expr:
    """`value` when every constituent 1m bar has `column`, else null.

    Order flow is null for a whole bar if ANY of its minutes lacks it (a minute imported from
    candles), not only when all do: a partial sum would understate buy/sell volume and trade
    count next to a complete volume, and a vwap of part of the volume is not the bar's vwap.
    Null says "unknown"; a wrong number would be silently used as a feature.
    """
    return pl.when(pl.col(column).null_count() == 0).then(value).otherwise(None)


def resample(bars_1m: pl.DataFrame, timeframe: str) -> pl.DataFrame:
    """Aggregate sorted 1m bars into `timeframe` bars (UTC-aligned, labelled by open time):
    open=first, high=max, low=min, close=last, volumes and counts summed, vwap weighted by
    volume. Periods without any 1m bar have no row."""
    if timeframe not in TIMEFRAMES:
        raise ValueError(f"unknown timeframe {timeframe!r}; use one of {', '.join(TIMEFRAMES)}")
    bars_1m = conform_bars(bars_1m)  # a frame without the tick counts has them unknown
    if timeframe == "1m":
        return bars_1m
    volume = pl.col("volume")
    # Float sums depend on the path polars takes (chunk layout, whether the frame is flagged
    # sorted), so normalise both first: the same bars in memory or read back from disk must
    # resample to the same bits, or rebuilds would not be byte-stable.
    bars = (
        bars_1m.rechunk()
        .sort("open_time", maintain_order=True)
        .group_by(pl.col("open_time").dt.truncate(timeframe))
        .agg(
            pl.col("open").first(),
            pl.col("high").max(),
            pl.col("low").min(),
            pl.col("close").last(),
            volume.sum(),
            _complete_or_null(pl.col("buy_volume").sum(), "buy_volume"),
            _complete_or_null(pl.col("sell_volume").sum(), "sell_volume"),
            _complete_or_null(pl.col("trade_count").sum(), "trade_count"),
            _complete_or_null((pl.col("vwap") * volume).sum() / volume.sum(), "vwap").alias("vwap"),
            *(_complete_or_null(pl.col(name).sum(), name) for name in TICK_COUNT_COLUMNS),
        )
        .sort("open_time")
    )
    return bars.select(BAR_SCHEMA.names()).cast(BAR_SCHEMA)


def resample_touched(
    bars_1m: pl.DataFrame, stored: pl.DataFrame, timeframe: str, touched: pl.Series
) -> pl.DataFrame:
    """The `timeframe` series after the 1m bars at the open times `touched` changed:
    `stored` (the series before) with only the periods containing a touched minute
    recomputed from `bars_1m` (the whole, already updated 1m series). Equals
    `resample(bars_1m, timeframe)` when `stored` was that series for the old 1m bars and
    no 1m bar outside `touched` changed (tested); costs time in the touched periods, not in
    the symbol's history.
    """
    if timeframe == "1m":
        raise ValueError("1m bars are merged, not resampled")
    periods = touched.cast(BAR_SCHEMA["open_time"]).dt.truncate(timeframe).unique()
    in_touched = pl.col("open_time").dt.truncate(timeframe).is_in(periods.implode())
    fresh = resample(conform_bars(bars_1m).filter(in_touched), timeframe)
    kept = conform_bars(stored).filter(~pl.col("open_time").is_in(periods.implode()))
    return pl.concat([kept, fresh]).sort("open_time")
