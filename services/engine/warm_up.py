"""The engine's numba kernels, run once on a few bars of numpy arrays.

A queue worker (backtests, tuning) calls this before it forks work horses, so each job inherits
compiled kernels instead of paying numba's first call. numpy only: polars must not run in a
process that forks afterwards. The arrays have the types the real path passes (read-only
float64 and int64; tests/unit/engine/test_warm_up.py holds a real run, with its metrics and
robustness checks, to adding nothing).
"""

from __future__ import annotations

import numpy as np

from services.common.arrays import read_only
from services.engine.gate import gate_sides
from services.engine.inputs import Bars, Detail, Signals, _align, _all_good
from services.engine.metrics import drawdown_duration_ms
from services.engine.robustness import bootstrap, random_entries
from services.engine.rule import EvRule
from services.engine.simulate import simulate_arrays

_BARS = 32


def warm_kernels() -> None:
    """Compile (or load from numba's cache) the engine's kernels."""
    rng = np.random.default_rng(0)
    close = 100.0 + np.cumsum(rng.normal(0.0, 0.1, _BARS))
    times = read_only(np.arange(_BARS, dtype=np.int64) * 60_000)
    bars = Bars(times, *(read_only(a) for a in (close, close + 0.1, close - 0.1, close.copy())))
    p = read_only(rng.random(_BARS))
    index = read_only(np.arange(_BARS, dtype=np.int64))
    signals = Signals(index, p, p, read_only(np.full(_BARS, 0.1)))
    detail = Detail(bars.open, bars.high, bars.low, index, read_only(index + 1))
    rule = EvRule(k_tp=2.0, k_sl=1.0)
    _all_good(bars.times_ms, bars.open, bars.high, bars.low, bars.close)
    _align(bars.times_ms, read_only(times[::2].copy()))
    raw = simulate_arrays(bars, signals, rule, detail)
    gate_sides(p, p, signals.atr, close, rule)
    drawdown_duration_ms(raw.equity, times)
    returns = np.array([0.01, -0.01, 0.02])  # a few trades, whatever the run above did
    bootstrap(returns, samples=8)
    random_entries(
        bars.open, np.array([1, 2, 1], np.int64), np.array([1.0, -1.0, 1.0]), fee=rule.fee,
        slippage=rule.slippage, strategy_return=0.0, runs=4,
    )  # fmt: skip
