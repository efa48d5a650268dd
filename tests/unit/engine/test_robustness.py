"""The bootstrap and random-entry checks: seeded, hand-checkable cases, and speed at a year."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from services.engine.robustness import assess, bootstrap, random_entries
from tests.unit.engine.engine_result_frames import Trade, random_walk_result, replay, rule_with


def test_bootstrap_is_seeded_and_its_percentiles_are_ordered() -> None:
    returns = np.random.default_rng(1).normal(0.001, 0.01, 300)
    a, b = bootstrap(returns, samples=500, seed=3), bootstrap(returns, samples=500, seed=3)
    assert a == b
    assert a != bootstrap(returns, samples=500, seed=4)
    for key in ("total_return", "max_drawdown"):
        assert a[key]["p5"] <= a[key]["p50"] <= a[key]["p95"]
    assert a["max_drawdown"]["p95"] <= 0.0
    assert 0.0 <= a["prob_loss"] <= 1.0 and a["samples"] == 500 and a["trades"] == 300


def test_bootstrap_of_identical_trades_has_no_spread() -> None:
    result = bootstrap(np.full(10, 0.01), samples=50)
    assert result["total_return"]["p5"] == pytest.approx(1.01**10 - 1)
    assert result["total_return"]["p95"] == pytest.approx(1.01**10 - 1)
    assert result["max_drawdown"]["p50"] == 0.0 and result["prob_loss"] == 0.0
    losing = bootstrap(np.array([-0.1, -0.1]), samples=20)
    assert losing["max_drawdown"]["p50"] == pytest.approx(0.81 - 1)  # from the start, a peak
    assert losing["prob_loss"] == 1.0


def test_random_entries_keep_holding_times_sides_and_costs() -> None:
    # On an exponential trend every long trade of h bars returns exp(g*h) - 1 wherever it is
    # placed, so all runs equal exp(g * total bars held) when they keep the holding times.
    g, n = 0.001, 500
    opens = np.exp(g * np.arange(n))
    held = np.array([3, 7, 1, 20])
    out = random_entries(
        opens, held, np.ones(4), fee=0, slippage=0, strategy_return=0.0, runs=50, seed=1
    )
    assert out["total_return"]["p5"] == pytest.approx(math.expm1(g * held.sum()))
    assert out["total_return"]["p95"] == pytest.approx(math.expm1(g * held.sum()))
    assert out["share_beating"] == 1.0
    # Shorts lose on the same trend; costs as rule 6 on a flat market: each trade loses
    # slippage and fees alone.
    short = random_entries(
        opens, held, -np.ones(4), fee=0, slippage=0, strategy_return=0.0, runs=10, seed=1
    )
    assert short["total_return"]["p95"] < 0 and short["share_beating"] == 0.0
    f, s = 5e-4, 1e-4
    flat = random_entries(
        np.full(n, 100.0), held, np.ones(4), fee=f, slippage=s, strategy_return=-1.0, runs=5
    )
    ratio = (1 - s) / (1 + s)
    assert flat["total_return"]["p50"] == pytest.approx((ratio - f * (1 + ratio)) ** 4 - 1)


def test_random_entries_never_overlap_or_leave_the_period() -> None:
    # Trades holding every bar but two fit exactly once: entry at bar 1, exits at the last open.
    n = 12
    opens = np.arange(1.0, n + 1)
    held = np.array([4, 6])  # 10 bars = n - 2
    out = random_entries(opens, held, np.ones(2), fee=0, slippage=0, strategy_return=0.0, runs=8)
    assert out["skipped"] is None
    assert out["total_return"]["p5"] == pytest.approx(opens[-1] / opens[1] - 1)
    assert out["total_return"]["p95"] == pytest.approx(opens[-1] / opens[1] - 1)
    too_long = random_entries(
        opens, np.array([11]), np.ones(1), fee=0, slippage=0, strategy_return=0
    )
    assert too_long["skipped"] and too_long["share_beating"] == 0.0


def test_assess_reads_the_run_and_is_strict_json() -> None:
    opens = 100 + np.sin(np.arange(200) / 5)
    result = replay(
        opens,
        opens,
        [Trade("long", 5, 10, "take_profit"), Trade("short", 20, 23, "stop")],
        rule_with(5.5, 1.0),
    )
    out = assess(result, samples=100, runs=20, seed=2)
    assert out == assess(result, samples=100, runs=20, seed=2)
    assert out["bootstrap"]["trades"] == 2 and out["random_entries"]["trades"] == 2
    net = result.trades["net_return"].to_numpy()
    assert out["random_entries"]["strategy_total_return"] == pytest.approx(np.prod(1 + net) - 1)
    json.dumps(out, allow_nan=False)


def test_no_trades_is_quietly_empty() -> None:
    out = random_entries(
        np.ones(10),
        np.zeros(0, np.int64),
        np.zeros(0),
        fee=0,
        slippage=0,
        strategy_return=0.0,
        runs=5,
    )
    assert out["share_beating"] == 0.0 and out["trades"] == 0
    assert bootstrap(np.zeros(0))["total_return"]["p50"] == 0.0


def test_a_year_of_minutes_is_checked_within_seconds() -> None:
    result = random_walk_result(525_600, trade_every=40, hold=12)  # ~13k trades
    assess(result, samples=10, runs=10)  # warm the kernels
    start = time.perf_counter()
    assess(result)
    took = time.perf_counter() - start
    assert took < 3.0, f"{took:.2f} s"  # ~0.5 s on an idle machine
