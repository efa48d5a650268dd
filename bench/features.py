"""The whole multi-timeframe feature set on ~1M 1m bars, beside TA-Lib computing the same
indicators on the same bars in the same run; and one live update beside a full recompute.

.venv/bin/python -m bench.features [--rows 1000000] [--repeats 5]

Bars: the real BTCUSDT spot 1m candles of ../shared/data (598k rows over several years),
laid end to end on consecutive minutes until `--rows` (each repeat scaled to continue from the
previous close), then resampled to 5m/15m/1h/4h (resampling is ingest's job: not timed).
- ours (full): every feature of configs/ml.example.yaml on all five timeframes, joined onto
  the 1m rows without look-ahead, plus time of day: the dataset's feature columns.
- ours (indicators only): the same indicators on each timeframe's bars, without attaching
  them to the 1m rows (feature_frame's first phase); the difference to the full set is the
  rest of feature_frame (inputs, as-of gather onto the 1m rows, NaN -> null, time of day).
- TA-Lib (same indicators): EMA 9/21/50/200 (+ numpy distance and slope), RSI, ATR, MACD,
  BBANDS, ADX, STOCH, and returns / realised vol / volume z / VWAP from numpy + TA-Lib
  SUM/SMA/STDDEV, on each timeframe's bars.
- TA-Lib (six core on 1m): EMA, RSI, ATR, MACD, BBANDS, ADX on the 1m bars only.
Each repeat times every line once, in turn (interleaved), so that the shared machine's load
changes fall on ours and TA-Lib alike; figures are medians of wall time, with the user and
system CPU time of all threads beside them (ours runs its kernels on every core, TA-Lib on one;
system time is mostly the kernel handing out fresh pages for the outputs).
"""

from __future__ import annotations

import argparse
import os
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
from services.features.domain.indicator_matrix import (
    bar_array_exprs,
    bar_arrays,
    indicator_groups,
    matrix_tasks,
)
from services.features.domain.live import latest_vector, warmup_bars
from services.features.domain.parallel import run_all

REPO = Path(__file__).resolve().parents[1]
CANDLES = REPO.parent / "shared/data/candles/binance_spot_BTCUSDT_1m_segments.csv.gz"
CONFIG = load_feature_settings((REPO / "configs/ml.example.yaml").read_text()).features


def median_seconds(
    fns: dict[str, Callable[[], Any]], repeats: int
) -> dict[str, tuple[float, float, float]]:
    """Median (wall, user CPU, system CPU) seconds of each function, CPU summed over all
    threads. Each round runs every function once, in turn, so a change in the shared
    machine's load falls on all of them alike, not on one block."""
    for fn in fns.values():
        fn()  # warm-up (numba compile cache, allocator)
    times: dict[str, list[tuple[float, float, float]]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            wall, cpu = time.perf_counter(), os.times()
            fn()
            after = os.times()
            times[name].append(
                (time.perf_counter() - wall, after.user - cpu.user, after.system - cpu.system)
            )
    medians = {}
    for name, runs in times.items():
        wall_s, user_s, system_s = zip(*runs, strict=True)
        medians[name] = (
            statistics.median(wall_s),
            statistics.median(user_s),
            statistics.median(system_s),
        )
    return medians


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
        return feature_frame(lazy, CONFIG)

    def ours_indicators() -> dict[str, np.ndarray]:
        # feature_frame's first phase: every timeframe's kernels on its own bars.
        tasks: list[Callable[[], None]] = []
        matrices: dict[str, np.ndarray] = {}
        for tf in CONFIG.timeframes:
            groups = indicator_groups(CONFIG, tf)
            arrays = bar_arrays(bars[tf].select(bar_array_exprs()))
            matrices[tf] = np.empty((sum(len(g.names) for g in groups), arrays.rows))
            tasks += matrix_tasks(groups, arrays, matrices[tf])
        run_all(tasks)
        return matrices

    window = warmup_bars(CONFIG)
    close = bars["1m"]["open_time"][-1]
    tail = {tf: b.filter(pl.col("open_time") <= close).tail(window + 1) for tf, b in bars.items()}
    load_before = os.getloadavg()[0]
    seconds = median_seconds(
        {
            "full": ours_full,
            "only": ours_indicators,
            "same": lambda: talib_same(bars),
            "six": lambda: talib_six(bars["1m"]),
            "live": lambda: latest_vector("BTCUSDT", tail, CONFIG),
        },
        args.repeats,
    )
    (full, *full_cpu), (only, *only_cpu), (same, *same_cpu), (six, *six_cpu), (live, *_) = (
        seconds[k] for k in ("full", "only", "same", "six", "live")
    )
    rest = full - only

    columns = ours_full().width - 6
    print(f"bars: {args.rows} x 1m (+ 5m/15m/1h/4h = {total} bars), {columns} feature columns")
    print(f"median of {args.repeats} interleaved runs; load average (1 min) "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after")  # fmt: skip
    print(f"{'':38}{'wall s':>8}  {'x TA-Lib same':>13}  {'CPU s user / system':>20}")
    lines = [
        ("ours, full set joined onto 1m rows", full, full_cpu),
        ("ours, indicators only (no joins)", only, only_cpu),
        ("  difference: attach to 1m rows etc.", rest, []),
        ("TA-Lib, same indicators, 5 tfs", same, same_cpu),
        ("TA-Lib, six core on 1m only", six, six_cpu),
    ]
    for label, wall, cpu in lines:
        ratio = f"{wall / same:12.2f}x" if label.startswith(("ours", " ")) else ""
        usage = f"{cpu[0]:.3f} / {cpu[1]:.3f}" if cpu else ""
        print(f"{label:38}{wall:8.3f}  {ratio:>13}  {usage:>20}")
    label = f"live update ({window}-bar window)"
    print(f"{label:38}{live:8.3f}  {live / full:12.3f}x full recompute")


if __name__ == "__main__":
    main()
