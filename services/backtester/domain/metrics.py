"""Summary statistics of a simulation: returns, risk, activity and costs.

Every value is a plain float so the summary crosses gRPC as `map<string, double>` and JSON
without special cases; undefined ratios (no trades, flat equity) are reported as 0.0.
"""

from __future__ import annotations

import math

import numpy as np

from services.engine.fixed_hold import Simulation

MS_PER_YEAR = 365 * 24 * 60 * 60 * 1000
"""Crypto trades around the clock, so a year is 365 full days (1m bars: 525,600 per year)."""


def bar_ms(open_times_ms: np.ndarray) -> float:
    """The bar length, inferred as the median gap between consecutive open times; the median
    ignores the occasional missing minute. Returns 0.0 when there are fewer than two bars."""
    if len(open_times_ms) < 2:
        return 0.0
    return float(np.median(np.diff(open_times_ms.astype(np.int64))))


def sharpe_ratio(equity: np.ndarray, periods_per_year: float) -> float:
    """Annualised Sharpe of per-bar equity returns (risk-free rate 0, sample std with ddof=1)."""
    if len(equity) < 3 or periods_per_year <= 0:
        return 0.0
    returns = equity[1:] / equity[:-1] - 1.0
    std = float(np.std(returns, ddof=1))
    if std == 0.0 or not math.isfinite(std):
        return 0.0
    return float(np.mean(returns)) / std * math.sqrt(periods_per_year)


def max_drawdown(equity: np.ndarray) -> float:
    """The deepest fall from a running peak, as a negative fraction (0.0 if never below a peak)."""
    if len(equity) == 0:
        return 0.0
    return float(min(0.0, np.min(drawdown(equity))))


def drawdown(equity: np.ndarray) -> np.ndarray:
    """Per-bar distance below the running peak (<= 0)."""
    result: np.ndarray = equity / np.maximum.accumulate(equity) - 1.0
    return result


def summarize(sim: Simulation) -> dict[str, float]:
    """The report's summary: every key is always present."""
    equity = sim.equity["equity"].to_numpy()
    times_ms = sim.equity["open_time"].dt.epoch("ms").to_numpy()
    net = sim.trades["net_return"].to_numpy()
    step_ms = bar_ms(times_ms)
    periods_per_year = MS_PER_YEAR / step_ms if step_ms > 0 else 0.0
    first_open = float(sim.equity["open"].to_numpy()[0])
    last_close = float(sim.equity["close"].to_numpy()[-1])
    n_trades = len(net)
    return {
        "total_return": float(equity[-1] - 1.0),
        "sharpe": sharpe_ratio(equity, periods_per_year),
        "max_drawdown": max_drawdown(equity),
        "win_rate": float(np.mean(net > 0.0)) if n_trades else 0.0,
        "trades": float(n_trades),
        "avg_trade_return": float(np.mean(net)) if n_trades else 0.0,
        "exposure": float(np.mean(sim.equity["in_position"].to_numpy())),
        "buy_hold_return": last_close / first_open - 1.0,
        "fees_paid": float(sim.trades["fee_paid"].sum()),
        "slippage_paid": float(sim.trades["slippage_paid"].sum()),
        "closed_at_end": float(sim.trades["closed_at_end"].sum()),
        "bars": float(len(equity)),
        "bar_minutes": step_ms / 60_000.0,
        "periods_per_year": periods_per_year,
    }
