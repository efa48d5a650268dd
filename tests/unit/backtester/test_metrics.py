"""Summary metrics on hand-computed equity curves."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from services.backtester.domain.metrics import bar_ms, max_drawdown, sharpe_ratio, summarize
from services.engine.fixed_hold import TRADE_SCHEMA, Simulation
from tests.unit.backtester.helpers import MINUTE_MS, TIME


def make_sim(
    equity: list[float], in_position: list[bool], net_returns: list[float], step_ms: int = MINUTE_MS
) -> Simulation:
    n = len(equity)
    curve = pl.DataFrame(
        {
            "open_time": pl.Series([i * step_ms for i in range(n)]).cast(TIME),
            "open": [100.0 + i for i in range(n)],
            "close": [100.5 + i for i in range(n)],
            "equity": equity,
            "in_position": in_position,
        }
    )
    k = len(net_returns)
    trades = pl.DataFrame(
        {
            "signal_time": pl.Series([0] * k).cast(TIME),
            "entry_time": pl.Series([0] * k).cast(TIME),
            "exit_time": pl.Series([0] * k).cast(TIME),
            "probability": [0.7] * k,
            "entry_price": [100.0] * k,
            "exit_price": [100.0] * k,
            "entry_fill": [100.0] * k,
            "exit_fill": [100.0] * k,
            "gross_return": net_returns,
            "net_return": net_returns,
            "bars_held": [1] * k,
            "closed_at_end": [False] * (k - 1) + [True] if k else [],
            "fee_paid": [0.001] * k,
            "slippage_paid": [0.0002] * k,
        },
        schema=TRADE_SCHEMA,
    )
    return Simulation(trades=trades, equity=curve)


def test_summary_on_hand_computed_curve() -> None:
    # Per-bar returns: +10%, -10%, +10%, 0%.
    equity = [1.0, 1.1, 0.99, 1.089, 1.089]
    sim = make_sim(equity, [False, True, True, True, False], [0.1, -0.05])
    s = summarize(sim)
    returns = [0.1, -0.1, 0.1, 0.0]
    mean = 0.1 / 4
    std = math.sqrt(sum((r - mean) ** 2 for r in returns) / 3)
    assert s["total_return"] == pytest.approx(0.089)
    assert s["sharpe"] == pytest.approx(mean / std * math.sqrt(525_600))
    assert s["max_drawdown"] == pytest.approx(0.99 / 1.1 - 1)  # -10%
    assert s["win_rate"] == 0.5
    assert s["trades"] == 2.0
    assert s["avg_trade_return"] == pytest.approx(0.025)
    assert s["exposure"] == pytest.approx(3 / 5)
    assert s["buy_hold_return"] == pytest.approx(104.5 / 100.0 - 1)  # first open -> last close
    assert s["fees_paid"] == pytest.approx(0.002)
    assert s["slippage_paid"] == pytest.approx(0.0004)
    assert s["closed_at_end"] == 1.0
    assert s["bars"] == 5.0
    assert s["bar_minutes"] == 1.0
    assert s["periods_per_year"] == 525_600


def test_no_trades_gives_zeros_not_nan() -> None:
    s = summarize(make_sim([1.0] * 4, [False] * 4, []))
    assert s["sharpe"] == 0.0 and s["win_rate"] == 0.0 and s["avg_trade_return"] == 0.0
    assert s["max_drawdown"] == 0.0 and s["total_return"] == 0.0 and s["trades"] == 0.0
    assert all(math.isfinite(v) for v in s.values())


def test_bar_length_is_inferred_and_ignores_gaps() -> None:
    times = np.array([0, 5, 10, 20, 25, 30]) * MINUTE_MS  # one missing 5m bar
    assert bar_ms(times) == 5 * MINUTE_MS
    s = summarize(make_sim([1.0, 1.01, 1.0, 1.02], [True] * 4, [0.02], step_ms=5 * MINUTE_MS))
    assert s["periods_per_year"] == pytest.approx(105_120)
    returns = np.array([0.01, 1.0 / 1.01 - 1, 0.02])
    expected = returns.mean() / returns.std(ddof=1) * math.sqrt(105_120)
    assert s["sharpe"] == pytest.approx(expected)


def test_drawdown_and_sharpe_edge_cases() -> None:
    assert max_drawdown(np.array([1.0, 1.2, 0.9, 1.3, 0.65])) == pytest.approx(-0.5)
    assert max_drawdown(np.array([1.0, 1.1, 1.2])) == 0.0
    assert sharpe_ratio(np.array([1.0, 1.0, 1.0]), 525_600) == 0.0
    assert sharpe_ratio(np.array([1.0, 1.1]), 525_600) == 0.0  # one return has no spread
