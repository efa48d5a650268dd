"""Bars: built from trades, and merged into a symbol's 1m series.

A bar is labelled by its open time (UTC) and covers [open_time, open_time + timeframe). A
period without trades has no row. Bars built from trades carry order flow (buy/sell volume,
trade count, vwap); bars imported from candles have those fields null, which is also how the
two are told apart in a merged series.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

BAR_SCHEMA = pl.Schema(
    {
        "open_time": pl.Datetime("ms", "UTC"),
        "open": pl.Float64(),
        "high": pl.Float64(),
        "low": pl.Float64(),
        "close": pl.Float64(),
        "volume": pl.Float64(),
        "buy_volume": pl.Float64(),
        "sell_volume": pl.Float64(),
        "trade_count": pl.Int64(),
        "vwap": pl.Float64(),
    }
)
PRICE_COLUMNS = ("open", "high", "low", "close", "volume")
ORDER_FLOW_COLUMNS = ("buy_volume", "sell_volume", "trade_count", "vwap")


def empty_bars() -> pl.DataFrame:
    return BAR_SCHEMA.to_frame()


def bars_from_trades(trades: pl.DataFrame, every: str = "1m") -> pl.DataFrame:
    """OHLCV + order flow per `every` period from trades sorted by time (ties in trade
    order: open is the first trade of the period, close the last)."""
    size = pl.col("size")
    notional = pl.col("price") * size
    bars = (
        # Normalised layout and sorted flag: they change float sums (see resample()).
        trades.rechunk()
        .sort("timestamp", maintain_order=True)
        .group_by(pl.col("timestamp").dt.truncate(every).alias("open_time"))
        .agg(
            pl.col("price").first().alias("open"),
            pl.col("price").max().alias("high"),
            pl.col("price").min().alias("low"),
            pl.col("price").last().alias("close"),
            size.sum().alias("volume"),
            size.filter(pl.col("side") == "Buy").sum().alias("buy_volume"),
            size.filter(pl.col("side") == "Sell").sum().alias("sell_volume"),
            pl.len().cast(pl.Int64).alias("trade_count"),
            (notional.sum() / size.sum()).alias("vwap"),
        )
        .with_columns(pl.col("open_time").dt.cast_time_unit("ms"))
        .sort("open_time")
    )
    return bars.select(BAR_SCHEMA.names()).cast(BAR_SCHEMA)


def merge_trade_bars(stored_1m: pl.DataFrame, rebuilt_1m: pl.DataFrame) -> pl.DataFrame:
    """Put freshly rebuilt trade bars into the stored 1m series.

    A bar built from trades replaces whatever the series held for that minute, including a
    bar imported from candles: trades are the primary source, and after a trade ingest the
    minute's order flow must be there. (A minute only partly covered by a trade file is then
    a partial bar; import candles for it or ingest its missing trades.)
    """
    kept = stored_1m.join(rebuilt_1m.select("open_time"), on="open_time", how="anti")
    return pl.concat([kept.cast(BAR_SCHEMA), rebuilt_1m.cast(BAR_SCHEMA)]).sort("open_time")


@dataclass(frozen=True)
class CandleMerge:
    bars: pl.DataFrame
    stored: int
    """Candles that added a minute or changed a stored candle bar."""
    skipped: int
    """Candles already stored as they are, or for minutes that have a trade-built bar."""


def merge_candle_bars(stored_1m: pl.DataFrame, candles: pl.DataFrame) -> CandleMerge:
    """Merge imported 1m candles (order flow null) into the stored 1m series by open time.

    Existing trade-built bars win (they are finer data); for a minute that already holds an
    imported candle, the new candle replaces it, so a corrected file can be re-imported.
    """
    trade_built = stored_1m.filter(pl.col("trade_count").is_not_null()).select("open_time")
    incoming = candles.join(trade_built, on="open_time", how="anti")
    unchanged = incoming.join(stored_1m, on=BAR_SCHEMA.names(), how="semi", nulls_equal=True)
    kept = stored_1m.join(incoming.select("open_time"), on="open_time", how="anti")
    merged = pl.concat([kept.cast(BAR_SCHEMA), incoming.cast(BAR_SCHEMA)])
    stored = incoming.height - unchanged.height
    return CandleMerge(merged.sort("open_time"), stored, candles.height - stored)
