"""The whole multi-timeframe feature set on ~1M 1m bars, beside TA-Lib computing the same
indicators on the same bars in the same run; and one live update beside a full recompute.

.venv/bin/python -m bench.features [--rows 1000000] [--repeats 5]

Bars: the real BTCUSDT spot 1m candles of ../shared/data (598k rows over several years),
laid end to end on consecutive minutes until `--rows` (each repeat scaled to continue from the
previous close), then resampled to 5m/15m/1h/4h (resampling is ingest's job: not timed).
- ours (full): every feature of configs/ml.example.yaml on all five timeframes, joined onto
  the 1m rows without look-ahead, plus time of day: the dataset's feature columns.
- ours (indicators only): the same indicators on each timeframe's bars, without the joins.
- TA-Lib (same indicators): EMA 9/21/50/200 (+ numpy distance and slope), RSI, ATR, MACD,
  BBANDS, ADX, STOCH, and returns / realised vol / volume z / VWAP from numpy + TA-Lib
  SUM/SMA/STDDEV, on each timeframe's bars.
- TA-Lib (six core on 1m): EMA, RSI, ATR, MACD, BBANDS, ADX on the 1m bars only.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import talib

from services.features.domain.config import TIMEFRAME_MINUTES, load_feature_settings
from services.features.domain.dataset import feature_frame
from services.features.domain.live import latest_vector, warmup_bars
from services.features.domain.multitimeframe import indicator_exprs

REPO = Path(__file__).resolve().parents[1]
CANDLES = REPO.parent / "shared/data/candles/binance_spot_BTCUSDT_1m_segments.csv.gz"
CONFIG = load_feature_settings((REPO / "configs/ml.example.yaml").read_text()).features


def median_seconds(fn: Callable[[], Any], repeats: int) -> float:
    fn()  # warm-up (numba compile cache, allocator)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def one_minute_bars(rows: int) -> pl.DataFrame:
    real = pl.read_csv(CANDLES).select("open", "high", "low", "close", "volume")
    parts, scale = [], 1.0
    while sum(p.height for p in parts) < rows:
        part = real.with_columns(pl.col("open", "high", "low", "close") * scale)
        parts.append(part)
        scale *= float(real["close"][0]) and float(part["close"][-1]) / float(real["open"][0])
    bars = pl.concat(parts).head(rows)
    start = pl.datetime(2024, 1, 1, time_zone="UTC").dt.cast_time_unit("ms")
    times = pl.datetime_range(
        start, start + pl.duration(minutes=rows - 1), "1m", eager=True, time_unit="ms"
    )
    return bars.with_columns(times.alias("open_time"), pl.lit(None, pl.Float64).alias("vwap"))


def resample(one: pl.DataFrame) -> dict[str, pl.DataFrame]:
    out = {"1m": one}
    for tf in TIMEFRAME_MINUTES:
        if tf != "1m":
            out[tf] = (
                one.group_by_dynamic("open_time", every=tf)
                .agg(
                    pl.col("open").first(),
                    pl.col("high").max(),
                    pl.col("low").min(),
                    pl.col("close").last(),
                    pl.col("volume").sum(),
                )
                .with_columns(pl.lit(None, pl.Float64).alias("vwap"))
            )
    return out


def talib_same(bars: dict[str, pl.DataFrame]) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for frame in bars.values():
        h, lo, c, v = (frame[col].to_numpy() for col in ("high", "low", "close", "volume"))
        for p in CONFIG.return_periods:
            out.append(np.log(c[p:] / c[:-p]))
        for p in CONFIG.ema_periods:
            e = talib.EMA(c, p)
            out += [c / e - 1.0, e[1:] / e[:-1] - 1.0]
        out.append(talib.RSI(c, 14))
        out.append(talib.ATR(h, lo, c, 14) / c)
        out.append(talib.MACD(c, 12, 26, 9)[2] / c)
        upper, middle, lower = talib.BBANDS(c, 20, 2.0, 2.0)
        out += [(c - lower) / (upper - lower), (upper - lower) / middle]
        out.append(talib.ADX(h, lo, c, 14))
        out += list(talib.STOCH(h, lo, c, 14, 3, 0, 3, 0))
        r = np.log(c[1:] / c[:-1])
        out.append(talib.STDDEV(r, 20, 1.0) * np.sqrt(20 / 19))
        out.append((v - talib.SMA(v, 20)) / (talib.STDDEV(v, 20, 1.0) * np.sqrt(20 / 19)))
        typical = (h + lo + c) / 3.0
        out.append(c / (talib.SUM(typical * v, 20) / talib.SUM(v, 20)) - 1.0)
    return out


def talib_six(frame: pl.DataFrame) -> list[Any]:
    h, lo, c = (frame[col].to_numpy() for col in ("high", "low", "close"))
    return [
        talib.EMA(c, 21), talib.RSI(c, 14), talib.ATR(h, lo, c, 14), talib.MACD(c, 12, 26, 9),
        talib.BBANDS(c, 20, 2.0, 2.0), talib.ADX(h, lo, c, 14),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    bars = resample(one_minute_bars(args.rows))
    lazy = {tf: b.lazy() for tf, b in bars.items()}
    total = sum(b.height for b in bars.values())

    def ours_full() -> pl.DataFrame:
        return feature_frame(lazy, CONFIG).collect()

    def ours_indicators() -> list[pl.DataFrame]:
        return pl.collect_all(
            [lazy[tf].select(indicator_exprs(CONFIG, tf)) for tf in CONFIG.timeframes]
        )

    full = median_seconds(ours_full, args.repeats)
    only = median_seconds(ours_indicators, args.repeats)
    same = median_seconds(lambda: talib_same(bars), args.repeats)
    six = median_seconds(lambda: talib_six(bars["1m"]), args.repeats)

    window = warmup_bars(CONFIG)
    close = bars["1m"]["open_time"][-1]
    tail = {tf: b.filter(pl.col("open_time") <= close).tail(window + 1) for tf, b in bars.items()}
    live = median_seconds(lambda: latest_vector("BTCUSDT", tail, CONFIG), args.repeats)

    columns = ours_full().width - 6
    print(f"bars: {args.rows} x 1m (+ 5m/15m/1h/4h = {total} bars), {columns} feature columns")
    print(f"median of {args.repeats} runs, seconds")
    print(f"ours, full set joined onto 1m rows   {full:8.3f}   {full / same:5.2f}x TA-Lib same")
    print(f"ours, indicators only (no joins)     {only:8.3f}   {only / same:5.2f}x TA-Lib same")
    print(f"TA-Lib, same indicators, 5 tfs       {same:8.3f}")
    print(f"TA-Lib, six core on 1m only          {six:8.3f}")
    print(f"live update ({window}-bar window)    {live:8.3f}   {live / full:6.3f}x full recompute")


if __name__ == "__main__":
    main()
