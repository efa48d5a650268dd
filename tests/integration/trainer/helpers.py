"""Real BTCUSDT candles stored as bars through the ingest service's own store, and the live
features + trainer servers the trainer's integration tests drive."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from services.common.grpc_server import ServerHandle
from services.features.main import load_default_config
from services.features.service import FeatureService
from services.features.servicer import build_server as build_features_server
from services.features.store import DatasetStore
from services.ingest.bar_store import BarStore
from services.ingest.domain.bars import BAR_SCHEMA
from services.ingest.domain.resample import TIMEFRAMES, resample

REPO = Path(__file__).resolve().parents[3]
CANDLES = REPO / "data/sample/candles/binance_spot_BTCUSDT_1m_20250520-20250818.feather"
CONFIG = REPO / "configs/ml.example.yaml"
SYMBOL = "BTCUSDT"
BARS = 20_000  # ~14 days of 1m bars: enough for the 4h indicators to warm up, yet fast

LiveGrpc = Callable[[Callable[[], ServerHandle]], str]


def write_candle_bars(data_dir: Path, rows: int = BARS, symbol: str = SYMBOL) -> pl.DataFrame:
    """Store the first `rows` sample candles as 1m bars (order flow null, as for candle
    imports) and every higher timeframe, via ingest's BarStore. Returns the 1m bars."""
    candles = pl.read_ipc(CANDLES).head(rows)
    bars = candles.select(
        pl.col("date").cast(pl.Datetime("ms", "UTC")).alias("open_time"),
        *(pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close", "volume")),
        *(pl.lit(None, BAR_SCHEMA[c]).alias(c) for c in ("buy_volume", "sell_volume")),
        pl.lit(None, pl.Int64).alias("trade_count"),
        pl.lit(None, pl.Float64).alias("vwap"),
    ).sort("open_time")
    store = BarStore(data_dir)
    for timeframe in TIMEFRAMES:
        store.write(symbol, timeframe, resample(bars, timeframe))
    return bars


def start_features_server(live_grpc: LiveGrpc, data_dir: Path) -> str:
    service = FeatureService(
        BarStore(data_dir), DatasetStore(data_dir), load_default_config(CONFIG)
    )
    return live_grpc(lambda: build_features_server(service, 0))


def flip_middle_byte(path: Path) -> None:
    """Tamper with a file the smallest possible way."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
