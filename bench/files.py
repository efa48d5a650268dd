"""Synthetic trade CSVs for the file benchmarks (Bybit short form, seconds with a fraction)."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl

from bench.common import DAY_START_US, synthetic_trades

HEADER = "timestamp,price,size,side,tickDirection"


def write_trade_csv(path: Path, rows: int, days: float = 1.0, seed: int = 7) -> Path:
    """`rows` trades as `timestamp,price,size,side,tickDirection` (gzip if path ends .gz)."""
    data = _csv_text(synthetic_trades(rows, days, seed), header=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, 1) if path.suffix == ".gz" else data)
    return path


def write_big_trade_csv(path: Path, gigabytes: float, days: int = 31) -> int:
    """A plain CSV of about `gigabytes`, sorted, spread evenly over `days`, written piece by
    piece (never held in memory whole). Returns its size in bytes."""
    piece_rows = 2_000_000  # ~106 MB of text
    pieces = max(1, round(gigabytes * 1e9 / 106e6))
    span_us = days * 86_400_000_000 // pieces
    with open(path, "wb") as out:
        for i in range(pieces):
            start = DAY_START_US + i * span_us
            trades = synthetic_trades(piece_rows, span_us / 86_400_000_000, i, start)
            out.write(_csv_text(trades, header=i == 0))
    return path.stat().st_size


def _csv_text(trades: pl.DataFrame, header: bool) -> bytes:
    text = trades.select(
        (pl.col("timestamp").dt.epoch("us") / 1e6).round(6).cast(pl.String).alias("timestamp"),
        pl.col("price").cast(pl.String),
        pl.col("size").cast(pl.String),
        "side",
        pl.col("tick_direction").alias("tickDirection"),
    ).write_csv(include_header=header)
    return text.encode()
