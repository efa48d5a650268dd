"""The EV engine on 1M 1m bars beside vectorbt's `Portfolio.from_signals` (numba engine,
warmed) on the same bars and signals, and beside the plain loop-rate limit, in the same run;
then the whole `trady simulate` command as a process on the same data written to files.

.venv/bin/python -m bench.engine [--bars 1000000] [--repeats 5] [--process-repeats 3]

Data (seeded): a random walk of 1m OHLC bars (each open a small gap from the previous close),
an ATR(14) of it, and signals on ~5% of the bars (p_long and p_short each in [0.25, 0.75], a
fifth of each null). Rule: k_tp 4, k_sl 2, fees 5.5 bps and slippage 1 bp per side, flip on an
opposite signal, no time exit (max_hold_bars = the bar count: vectorbt has no bar-count exit).
- ours, end to end: `services.engine.simulate.simulate` from the polars frames (validation,
  arrays, kernel, the trades and per-bar equity frames).
- ours, arrays: `simulate_arrays`, the kernel on validated arrays (what the tuner calls).
- vectorbt: `Portfolio.from_signals` with entries at the next bar's open (`price=open`, the
  decision at bar i entered at i+1), per-entry `sl_stop`/`tp_stop` fractions of that open
  (the same levels, E -/+ k*atr_i), fees, slippage (`stop_exit_price="stopmarket"`: slippage on
  stops and targets alike; ours takes none on a target), long and short entries, reverse on an
  opposite entry, one unit per trade with cash that never runs out. Timed: the from_signals
  call (broadcasting, then the simulation). Not timed but reported: the preparation it needs
  (the EV gate and the shift to the next bar, in numpy), reading its trades out
  (`pf.trades.records_readable`), and its first, compiling call.
- loop limit: one numba pass over the same bars reading open/high/low/close with one compare
  per bar: what no bar-by-bar engine can beat.
Each repeat times every line once, in turn (warm-up round first); median and min of wall time.
Trade counts of ours and vectorbt are printed: they differ by ~1% because vectorbt checks
stops only from the bar after the entry (ours from the entry bar on, as the contract says) and
lets a stop reached anywhere in a bar pre-empt that bar's reversal at its open (ours exits and
flips at the open, then watches the new position's levels).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt
import polars as pl

from services.engine.inputs import read_bars, read_detail, read_signals
from services.engine.rule import EvRule
from services.engine.simulate import simulate, simulate_arrays

REPO = Path(__file__).resolve().parents[1]
START_MS = 1_704_067_200_000  # 2024-01-01 UTC
MINUTE_MS = 60_000
ATR_PERIOD = 14
SIGNAL_SHARE = 0.05
FloatArray = npt.NDArray[np.float64]


def synthetic_bars(n: int, seed: int = 9) -> pl.DataFrame:
    """`n` consecutive 1m bars of a random walk (~0.08% per minute), opens gapping slightly."""
    rng = np.random.default_rng(seed)
    gap = rng.normal(0.0, 0.0001, n)
    move = rng.normal(0.0, 0.0008, n)
    close = 60_000.0 * np.exp(np.cumsum(gap + move))
    open_ = close / np.exp(move)
    wick = np.abs(rng.normal(0.0, 0.0004, (2, n)))
    high = np.maximum(open_, close) * np.exp(wick[0])
    low = np.minimum(open_, close) * np.exp(-wick[1])
    times = START_MS + MINUTE_MS * np.arange(n, dtype=np.int64)
    return pl.DataFrame(
        {"open_time": times, "open": open_, "high": high, "low": low, "close": close}
    ).with_columns(pl.col("open_time").cast(pl.Datetime("ms", "UTC")))


def true_range_atr(bars: pl.DataFrame) -> FloatArray:
    """Simple-average true range over ATR_PERIOD bars (NaN before the first full window)."""
    high, low, close = (bars[c].to_numpy() for c in ("high", "low", "close"))
    previous = np.concatenate(([close[0]], close[:-1]))
    tr = np.maximum(high - low, np.maximum(np.abs(high - previous), np.abs(low - previous)))
    sums = np.cumsum(np.concatenate(([0.0], tr)))
    atr = np.full(len(tr), np.nan)
    atr[ATR_PERIOD - 1 :] = (sums[ATR_PERIOD:] - sums[:-ATR_PERIOD]) / ATR_PERIOD
    return atr


def synthetic_signals(bars: pl.DataFrame, seed: int = 11) -> pl.DataFrame:
    """Signals on ~SIGNAL_SHARE of the bars (after the ATR's warm-up), a fifth of each side null."""
    rng = np.random.default_rng(seed)
    n = bars.height
    rows = np.flatnonzero(rng.random(n) < SIGNAL_SHARE)
    rows = rows[rows >= ATR_PERIOD - 1]
    p_long = rng.uniform(0.25, 0.75, len(rows))
    p_short = rng.uniform(0.25, 0.75, len(rows))
    return pl.DataFrame(
        {
            "open_time": bars["open_time"].gather(rows),
            "p_long": np.where(rng.random(len(rows)) < 0.2, np.nan, p_long),
            "p_short": np.where(rng.random(len(rows)) < 0.2, np.nan, p_short),
            "atr": true_range_atr(bars)[rows],
        }
    ).with_columns(pl.col("p_long", "p_short").fill_nan(None))


def bench_rule(n: int) -> EvRule:
    return EvRule(
        k_tp=4.0,
        k_sl=2.0,
        ev_margin=0.0,
        fee_bps=5.5,
        slippage_bps=1.0,
        max_hold_bars=n,
        on_opposite="flip",
        sides="both",
    )


def vectorbt_inputs(bars: pl.DataFrame, signals: pl.DataFrame, rule: EvRule) -> dict[str, Any]:
    """from_signals' arguments: the EV gate at each signal bar's close (the contract's rule 1,
    in numpy), shifted to the next bar, whose open fills; stop and target as fractions of it."""
    n = bars.height
    open_, high, low, close = (bars[c].to_numpy() for c in ("open", "high", "low", "close"))
    rows = np.searchsorted(bars["open_time"].to_numpy(), signals["open_time"].to_numpy())
    atr = signals["atr"].to_numpy()
    scale = atr / close[rows]
    cost = rule.round_trip_cost
    ev = {}
    for side in ("p_long", "p_short"):
        p = signals[side].fill_null(np.nan).to_numpy()
        value = p * rule.k_tp * scale - (1.0 - p) * rule.k_sl * scale - cost
        ev[side] = np.where(np.isnan(value), -np.inf, value)
    long = (ev["p_long"] > ev["p_short"]) & (ev["p_long"] > rule.ev_margin) & (atr > 0)
    short = (ev["p_short"] > ev["p_long"]) & (ev["p_short"] > rule.ev_margin) & (atr > 0)
    keep = rows < n - 1  # no decision at the last bar
    entry_rows = rows[keep] + 1
    entries, short_entries = np.zeros(n, bool), np.zeros(n, bool)
    entries[entry_rows] = long[keep]
    short_entries[entry_rows] = short[keep]
    sl_stop, tp_stop = np.full(n, np.nan), np.full(n, np.nan)
    sl_stop[entry_rows] = rule.k_sl * atr[keep] / open_[entry_rows]
    tp_stop[entry_rows] = rule.k_tp * atr[keep] / open_[entry_rows]
    return {
        "close": close,
        "entries": entries,
        "short_entries": short_entries,
        "price": open_,
        "open": open_,
        "high": high,
        "low": low,
        "sl_stop": sl_stop,
        "tp_stop": tp_stop,
        "fees": rule.fee,
        "slippage": rule.slippage,
        "stop_entry_price": "price",
        "stop_exit_price": "stopmarket",
        "upon_opposite_entry": "reverse",
        "accumulate": False,
        "size": 1.0,  # one unit per trade and cash that never binds: the trades do not
        "init_cash": 1e12,  # depend on the money left, as ours (compounded returns) do not
        "freq": "1min",
    }


@nb.njit(cache=True, nogil=True)
def loop_limit(
    open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray, level: float
) -> int:
    """One pass reading each bar's four prices, one compare per bar."""
    hits = 0
    for i in range(len(open_)):
        if open_[i] + high[i] - low[i] - close[i] > level:
            hits += 1
    return hits


def timed_rounds(
    fns: dict[str, Callable[[], Any]], repeats: int
) -> dict[str, tuple[float, float, float]]:
    """(first call, median, min) wall seconds of each function: one warm-up round, then
    `repeats` rounds in which every function runs once, in turn."""
    first = {}
    for name, fn in fns.items():
        start = time.perf_counter()
        fn()
        first[name] = time.perf_counter() - start
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {n: (first[n], statistics.median(t), min(t)) for n, t in times.items()}


def process_seconds(bars: pl.DataFrame, signals: pl.DataFrame, rule: EvRule,
                    repeats: int) -> dict[str, list[float]]:  # fmt: skip
    """Wall seconds of `trady simulate` on the data as Parquet files, each run a fresh process:
    the first with no Python bytecode cache (a fresh install; this machine's environment sets
    PYTHONDONTWRITEBYTECODE, so every process would compile every module from source), then
    `repeats` runs with the cache that run wrote (kept in a temporary PYTHONPYCACHEPREFIX, the
    install untouched); and, for scale, a process that only imports the `trady` command."""
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        work = Path(tmp)
        bars.write_parquet(work / "bars.parquet")
        signals.write_parquet(work / "signals.parquet")
        lines = [f"{k}: {v}" for k, v in rule.model_dump(mode="json").items()]
        (work / "rule.yaml").write_text("\n".join(lines) + "\n")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        trady = str(Path(sys.executable).with_name("trady"))
        command = [trady, "simulate", "--bars", str(work / "bars.parquet"),
                   "--signals", str(work / "signals.parquet"), "--rule", str(work / "rule.yaml"),
                   "--out", str(work / "trades.parquet")]  # fmt: skip
        imports = [sys.executable, "-c", "import services.cli.main"]
        seconds: dict[str, list[float]] = {"first": [], "simulate": [], "imports": []}
        for name, argv, times in (("first", command, 1), ("simulate", command, repeats),
                                  ("imports", imports, repeats)):  # fmt: skip
            for _ in range(times):
                start = time.perf_counter()
                subprocess.run(argv, check=True, capture_output=True, env=env, cwd=REPO)
                seconds[name].append(time.perf_counter() - start)
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--process-repeats", type=int, default=3)
    args = parser.parse_args()
    import vectorbt as vbt  # ~5 s to import: after argparse, so --help is quick

    n = args.bars
    bars, rule = synthetic_bars(n), bench_rule(n)
    signals = synthetic_signals(bars)
    checked = read_bars(bars)
    arrays = (checked, read_signals(signals, checked), rule, read_detail(None, checked))
    prep_start = time.perf_counter()
    vbt_args = vectorbt_inputs(bars, signals, rule)
    prep = time.perf_counter() - prep_start
    o, h, lo, c = (bars[name].to_numpy() for name in ("open", "high", "low", "close"))

    first_start = time.perf_counter()
    ours = simulate(bars, signals, rule)  # the first call in this process: numba cache loads
    first_call = time.perf_counter() - first_start
    load_before = os.getloadavg()[0]
    results = timed_rounds(
        {
            "ours": lambda: simulate(bars, signals, rule),
            "arrays": lambda: simulate_arrays(*arrays),
            "vectorbt": lambda: vbt.Portfolio.from_signals(**vbt_args),
            "limit": lambda: loop_limit(o, h, lo, c, 0.0),
        },
        args.repeats,
    )
    portfolio = vbt.Portfolio.from_signals(**vbt_args)
    read_start = time.perf_counter()
    theirs = portfolio.trades.records_readable
    read = time.perf_counter() - read_start

    counts = {side: int((ours.trades["side"] == side).sum()) for side in ("long", "short")}
    print(f"bars: {n:,} x 1m; signal rows: {signals.height:,} ({signals.height / n:.1%}); "
          f"rule {rule.model_dump(mode='json')}")  # fmt: skip
    print(f"trades: ours {ours.trades.height:,} ({counts}), "
          f"vectorbt {len(theirs):,} ({theirs['Direction'].value_counts().to_dict()}); "
          f"mean net return per trade ours {ours.trades['net_return'].to_numpy().mean():.6f}, "
          f"vectorbt {theirs['Return'].mean():.6f}; ours exiting on their entry bar "
          f"{(ours.trades['entry_time'] == ours.trades['exit_time']).sum():,}")  # fmt: skip
    print(f"first call, median and min of {args.repeats} interleaved rounds; load average "
          f"(1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")  # fmt: skip
    print(f"{'':44}{'first s':>9}{'median s':>10}{'min s':>9}{'M bars/s':>10}"
          f"{'vbt / this':>12}{'this / limit':>14}")  # fmt: skip
    vbt_median, limit_median = results["vectorbt"][1], results["limit"][1]
    labels = {
        "ours": "ours: simulate, polars frames end to end",
        "arrays": "ours: simulate_arrays (validated arrays)",
        "vectorbt": "vectorbt Portfolio.from_signals (warmed)",
        "limit": "loop limit (4 reads + 1 compare per bar)",
    }
    for name, label in labels.items():
        first, median, least = results[name]
        print(f"{label:44}{first:9.3f}{median:10.4f}{least:9.4f}{n / median / 1e6:10.1f}"
              f"{vbt_median / median:11.1f}x{median / limit_median:13.1f}x")  # fmt: skip
    print(f"vectorbt also needs: inputs (EV gate, shift to the next bar) {prep:.3f} s, "
          f"trades read out (records_readable) {read:.3f} s; ours' first call in this "
          f"process (numba cache loads) {first_call:.3f} s")  # fmt: skip
    if args.process_repeats:
        runs = process_seconds(bars, signals, rule, args.process_repeats)
        first, later, imports = runs["first"][0], runs["simulate"], runs["imports"]
        print(f"`trady simulate` on these bars and signals as Parquet files, whole process: "
              f"{first:.2f} s the first time (no bytecode cache), then median "
              f"{statistics.median(later):.2f} s, min {min(later):.2f} s of {len(later)}; "
              f"a process only importing services.cli.main: median "
              f"{statistics.median(imports):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
