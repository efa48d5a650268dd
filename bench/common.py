"""Shared helpers for the ingest benchmarks: seeded synthetic trades and timing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from services.ingest.domain.trades import TRADE_SCHEMA

DAY_START_US = 1_704_067_200_000_000  # 2024-01-01 UTC
TICKS = np.array(["PlusTick", "ZeroPlusTick", "MinusTick", "ZeroMinusTick"])


def synthetic_trades(
    n: int, days: float = 1.0, seed: int = 7, start_us: int = DAY_START_US
) -> pl.DataFrame:
    """`n` trades in the stored schema, sorted by time, spread over `days` (a random walk)."""
    rng = np.random.default_rng(seed)
    span = int(days * 86_400_000_000)
    ts = np.sort(rng.integers(0, span, n)) + start_us
    price = 60_000 + np.cumsum(rng.normal(0, 0.5, n)).round(1)
    size = rng.exponential(0.05, n).round(6) + 1e-6
    side = np.where(rng.random(n) < 0.5, "Buy", "Sell")
    return pl.DataFrame(
        {
            "timestamp": pl.Series(ts).cast(pl.Datetime("us", "UTC")),
            "price": price,
            "size": size,
            "side": side,
            "tick_direction": TICKS[rng.integers(0, 4, n)],
            "trade_id": pl.Series([None] * n, dtype=pl.String),
            "occurrence": pl.Series(np.zeros(n, np.uint32)),
        },
        schema=TRADE_SCHEMA,
    )


def median_seconds(fn: Callable[[], Any], repeats: int) -> float:
    """Median wall time of `repeats` runs after one warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(runs: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median wall time of each run, after one warm-up round; the runs take turns in every
    round, so a burst of load on this shared machine hits all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(repeats + 1):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def polars_bar_aggs() -> list[pl.Expr]:
    """The polars peers' 1m bar: OHLCV, buy/sell volume, trade count, vwap (one definition,
    so every benchmark's polars peer computes the same bar)."""
    size = pl.col("size")
    return [
        pl.col("price").first().alias("open"),
        pl.col("price").max().alias("high"),
        pl.col("price").min().alias("low"),
        pl.col("price").last().alias("close"),
        size.sum().alias("volume"),
        size.filter(pl.col("side") == "Buy").sum().alias("buy_volume"),
        size.filter(pl.col("side") == "Sell").sum().alias("sell_volume"),
        pl.len().alias("trade_count"),
        ((pl.col("price") * size).sum() / size.sum()).alias("vwap"),
    ]
