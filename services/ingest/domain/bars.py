"""Bars: built from trades, and merged into a symbol's 1m series.

A bar is labelled by its open time (UTC) and covers [open_time, open_time + timeframe). A
period without trades has no row. Bars built from trades carry order flow (buy/sell volume,
trade count, vwap); bars imported from candles have those fields null, which is also how the
two are told apart in a merged series.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from services.common.arrays import read_only
from services.ingest.domain.kernel import bar_arrays
from services.ingest.domain.trades import TICK_DIRECTION

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
        # Trades per Bybit tick direction; a trade without one is in none of the four.
        "plus_tick_count": pl.Int64(),
        "zero_plus_tick_count": pl.Int64(),
        "minus_tick_count": pl.Int64(),
        "zero_minus_tick_count": pl.Int64(),
    }
)
PRICE_COLUMNS = ("open", "high", "low", "close", "volume")
TICK_COUNT_COLUMNS = (
    "plus_tick_count",
    "zero_plus_tick_count",
    "minus_tick_count",
    "zero_minus_tick_count",
)
"""In the order of kernel.TICK_CODES."""
ORDER_FLOW_COLUMNS = ("buy_volume", "sell_volume", "trade_count", "vwap", *TICK_COUNT_COLUMNS)
EVERY_US = {"1m": 60_000_000, "5m": 300_000_000, "15m": 900_000_000, "1h": 3_600_000_000,
            "4h": 14_400_000_000}  # fmt: skip


def empty_bars() -> pl.DataFrame:
    return BAR_SCHEMA.to_frame()


def conform_bars(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` in BAR_SCHEMA; columns it lacks (files written before a column existed)
    are null, i.e. unknown, exactly as for imported candles."""
    missing = [pl.lit(None, BAR_SCHEMA[n]).alias(n) for n in BAR_SCHEMA if n not in frame.columns]
    return frame.with_columns(missing).select(BAR_SCHEMA.names()).cast(BAR_SCHEMA)


def bars_from_trades(trades: pl.DataFrame, every: str = "1m") -> pl.DataFrame:
    """OHLCV + order flow per `every` period from trades sorted by time (ties in trade
    order: open is the first trade of the period, close the last). Sums run in trade order
    (see kernel), so the same trades always give the same bits, in batch or live."""
    if every not in EVERY_US:
        raise ValueError(f"unknown period {every!r}; use one of {', '.join(EVERY_US)}")
    if not trades["timestamp"].is_sorted():  # a check is ~50x cheaper than a no-op sort
        trades = trades.sort("timestamp", maintain_order=True)
    columns = trades.select(
        pl.col("timestamp").dt.cast_time_unit("us").dt.epoch("us"),
        pl.col("price").cast(pl.Float64),
        pl.col("size").cast(pl.Float64),
        (pl.col("side") == "Buy").fill_null(False),
        # The Enum's physical value is kernel.TICK_CODES' code (a no-op cast when stored).
        pl.col("tick_direction").cast(TICK_DIRECTION).to_physical().cast(pl.Int8).fill_null(-1),
    )
    ts, price, size, is_buy, tick = (
        read_only(columns.to_series(i).to_numpy(allow_copy=True)) for i in range(5)
    )
    arrays = bar_arrays(ts, price, size, is_buy, tick, EVERY_US[every])
    frame = pl.DataFrame(
        {
            "open_time": arrays.open_time_us // 1000,
            "open": arrays.open,
            "high": arrays.high,
            "low": arrays.low,
            "close": arrays.close,
            "volume": arrays.volume,
            "buy_volume": arrays.buy_volume,
            "sell_volume": arrays.sell_volume,
            "trade_count": arrays.trade_count,
            "vwap": arrays.notional / arrays.volume,
            **{name: arrays.ticks[:, i] for i, name in enumerate(TICK_COUNT_COLUMNS)},
        }
    )
    return frame.with_columns(pl.col("open_time").cast(pl.Datetime("ms", "UTC"))).cast(BAR_SCHEMA)


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
