"""Bars on disk for the features integration tests, written through ingest's BarStore (the
layout and bar schema of docs/architecture.md), from real BTCUSDT candles."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from services.ingest.bar_store import BarStore
from services.ingest.domain.bars import conform_bars

REPO = Path(__file__).resolve().parents[3]
CANDLES = REPO / "data/sample/candles/binance_spot_BTCUSDT_1m_20250520-20250818.feather"
CONFIG = REPO / "configs/ml.example.yaml"
TIMEFRAMES = {"1m": "1m", "5m": "5m", "15m": "15m", "1h": "1h", "4h": "4h"}


def candles(rows: int) -> pl.DataFrame:
    frame = pl.read_ipc(CANDLES).head(rows)
    return frame.select(
        pl.col("date").cast(pl.Datetime("ms", "UTC")).alias("open_time"),
        "open", "high", "low", "close", "volume",
    )  # fmt: skip


def write_bars(data_dir: Path, symbol: str, one_minute: pl.DataFrame) -> None:
    """Resample to every timeframe and store with candle-style null order-flow fields."""
    store = BarStore(data_dir)
    for tf, every in TIMEFRAMES.items():
        bars = (
            one_minute.group_by_dynamic("open_time", every=every)
            .agg(
                pl.col("open").first(),
                pl.col("high").max(),
                pl.col("low").min(),
                pl.col("close").last(),
                pl.col("volume").sum(),
            )
            .with_columns(
                pl.lit(None, pl.Float64).alias("buy_volume"),
                pl.lit(None, pl.Float64).alias("sell_volume"),
                pl.lit(None, pl.Int64).alias("trade_count"),
                pl.lit(None, pl.Float64).alias("vwap"),
            )
        )
        store.write(symbol, tf, conform_bars(bars))


def ms(frame: pl.DataFrame, row: int) -> int:
    return int(frame.get_column("open_time").dt.epoch("ms")[row])
