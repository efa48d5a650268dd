"""The engine's metrics on hand-computed frames, on real engine runs, and at a million bars."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import polars as pl
import pytest

from services.engine.metrics import (
    EXIT_REASONS,
    MS_PER_DAY,
    bar_ms,
    cagr,
    daily_returns,
    drawdown_duration_ms,
    flat_summary,
    flatten,
    max_drawdown,
    summarize,
)
from services.engine.rule import EvRule
from services.engine.simulate import TRADE_SCHEMA, EngineResult, simulate
from tests.unit.engine.engine_result_frames import (
    START_MS,
    TIME,
    random_walk_result,
    trade_frame,
)

HOUR_MS = 3_600_000
RULE = EvRule(k_tp=2.0, k_sl=1.0, fee_bps=5.5, slippage_bps=1.0)
SEED_KEYS = (
    "total_return",
    "sharpe",
    "max_drawdown",
    "win_rate",
    "trades",
    "avg_trade_return",
    "exposure",
    "buy_hold_return",
    "fees_paid",
    "slippage_paid",
    "bars",
    "bar_minutes",
    "periods_per_year",
)


def daily_result() -> EngineResult:
    """Five daily bars, two trades: a long take-profit (+10%) and a short stop (-1%)."""
    n = 5
    curve = pl.DataFrame(
        {
            "open_time": pl.Series(START_MS + np.arange(n) * MS_PER_DAY).cast(TIME),
            "open": [100.0, 101.0, 102.0, 103.0, 104.0],
            "close": [101.0, 102.0, 103.0, 104.0, 110.0],
            "equity": [1.0, 1.1, 0.99, 1.089, 1.089],
            "equity_gross": [1.0, 1.12, 1.02, 1.13, 1.13],
            "position": pl.Series([0, 1, -1, -1, 0], dtype=pl.Int8),
        }
    )
    rows = [
        {
            "side": side,
            "signal_time": START_MS,
            "entry_time": START_MS,
            "exit_time": START_MS,
            "probability": 0.6,
            "expected_value": 0.001,
            "entry_price": 100.0,
            "exit_price": 100.0,
            "take_profit": 101.0,
            "stop_loss": 99.0,
            "entry_fill": 100.0,
            "exit_fill": 100.0,
            "exit_reason": reason,
            "net_return": net,
            "gross_return": gross,
            "fees": 0.001,
            "slippage": 0.0002,
            "bars_held": held,
        }
        for side, reason, net, gross, held in (
            ("long", "take_profit", 0.1, 0.12, 1),
            ("short", "stop", -0.01, 0.01, 2),
        )
    ]
    return EngineResult(trades=trade_frame(rows), equity=curve, rule=RULE)


def test_hand_computed_summary_with_and_without_costs() -> None:
    s = summarize(daily_result())
    net, gross = s["with_costs"], s["without_costs"]
    daily = np.array([0.0, 0.1, -0.1, 0.1, 0.0])  # the first day from the starting 1.0
    assert net["total_return"] == pytest.approx(0.089)
    assert gross["total_return"] == pytest.approx(0.13)
    assert net["sharpe"] == pytest.approx(daily.mean() / daily.std(ddof=1) * math.sqrt(365))
    downside = math.sqrt(np.mean(np.minimum(daily, 0) ** 2))
    assert net["sortino"] == pytest.approx(daily.mean() / downside * math.sqrt(365))
    assert net["max_drawdown"] == pytest.approx(0.99 / 1.1 - 1)
    assert gross["max_drawdown"] == pytest.approx(1.02 / 1.12 - 1)
    # Peak on day 1, never regained: under water until the last bar, three days later.
    assert net["max_drawdown_duration_ms"] == 3 * MS_PER_DAY
    assert net["max_drawdown_duration_days"] == 3.0
    years = 5 / 365  # first open to the end of the last daily bar
    assert net["cagr"] == pytest.approx(1.089 ** (1 / years) - 1)
    assert net["calmar"] == pytest.approx(net["cagr"] / (1 - 0.99 / 1.1))
    assert net["profit_factor"] == pytest.approx(0.1 / 0.01)
    assert gross["profit_factor"] == 0.0  # no losing trade without costs: undefined -> 0.0
    assert net["win_rate"] == 0.5 and gross["win_rate"] == 1.0
    assert net["expectancy"] == pytest.approx(0.045) == net["avg_trade_return"]
    assert net["avg_win"] == pytest.approx(0.1) and net["avg_loss"] == pytest.approx(-0.01)
    assert net["avg_bars_held"] == 1.5 and net["avg_holding_ms"] == 1.5 * MS_PER_DAY
    assert net["exposure"] == s["exposure"] == pytest.approx(3 / 5)
    assert net["fees_paid"] == pytest.approx(0.002) and gross["fees_paid"] == 0.0
    assert net["slippage_paid"] == pytest.approx(0.0004) and gross["slippage_paid"] == 0.0
    # Buy & hold: first open 100 -> last close 110, with costs filled as contract rule 6.
    f, sl = 5.5e-4, 1e-4
    ratio = 110 * (1 - sl) / (100 * (1 + sl))
    assert s["buy_hold_return"] == pytest.approx(ratio - 1 - f * (1 + ratio))
    assert s["buy_hold_return_gross"] == pytest.approx(0.1)
    assert s["bars"] == 5 and s["bar_ms"] == MS_PER_DAY and s["periods_per_year"] == 365


def test_per_side_and_exit_reason_tables() -> None:
    s = summarize(daily_result())
    assert s["long"]["with_costs"]["trades"] == 1 and s["short"]["with_costs"]["trades"] == 1
    assert s["long"]["with_costs"]["total_return"] == pytest.approx(0.1)
    assert s["short"]["with_costs"]["win_rate"] == 0.0
    assert s["short"]["without_costs"]["win_rate"] == 1.0
    assert s["short"]["with_costs"]["fees_paid"] == pytest.approx(0.001)
    reasons = s["exit_reasons"]
    assert tuple(reasons) == EXIT_REASONS  # every contract reason, always
    assert reasons["take_profit"] == {
        "count": 1.0,
        "share": 0.5,
        "mean_net_return": pytest.approx(0.1),
        "mean_gross_return": pytest.approx(0.12),
        "win_rate": 1.0,
    }
    assert reasons["stop"]["win_rate"] == 0.0 and reasons["time"]["count"] == 0.0


def test_flat_summary_keeps_the_seed_keys_and_adds_gross_and_sides() -> None:
    result = daily_result()
    flat = flat_summary(result)
    assert set(SEED_KEYS) <= set(flat)
    assert all(isinstance(v, float) and math.isfinite(v) for v in flat.values())
    nested = summarize(result)
    for key, value in nested["with_costs"].items():
        assert flat[key] == value
        assert flat[f"{key}_gross"] == nested["without_costs"][key]
    assert flat["long_trades"] == 1.0 and flat["short_win_rate_gross"] == 1.0
    assert flat["exit_stop_count"] == 1.0 and flat["closed_at_end"] == 0.0
    assert flat == flatten(nested)
    json.dumps(nested, allow_nan=False)  # nested summary is strict JSON


def test_no_trades_and_flat_equity_give_zeros_not_nan() -> None:
    n = 10
    curve = pl.DataFrame(
        {
            "open_time": pl.Series(START_MS + np.arange(n) * 60_000).cast(TIME),
            "open": np.full(n, 100.0),
            "close": np.full(n, 100.0),
            "equity": np.ones(n),
            "equity_gross": np.ones(n),
            "position": pl.Series(np.zeros(n), dtype=pl.Int8),
        }
    )
    empty = pl.DataFrame(schema=TRADE_SCHEMA)
    flat = flat_summary(EngineResult(trades=empty, equity=curve, rule=RULE))
    assert all(math.isfinite(v) for v in flat.values())
    for key in ("sharpe", "sortino", "calmar", "cagr", "max_drawdown", "profit_factor", "trades"):
        assert flat[key] == 0.0 and flat[f"{key}_gross"] == 0.0


def test_daily_returns_carry_missing_days_flat() -> None:
    times = np.array([0, 12 * HOUR_MS, 2 * MS_PER_DAY + 6 * HOUR_MS]) + START_MS
    daily = daily_returns(np.array([1.0, 1.05, 1.1]), times)
    np.testing.assert_allclose(daily, [0.05, 0.0, 1.1 / 1.05 - 1])


def test_drawdown_duration_ends_where_the_peak_is_regained() -> None:
    times = START_MS + np.arange(6) * HOUR_MS
    equity = np.array([1.0, 1.2, 1.0, 1.1, 1.25, 1.2])
    assert drawdown_duration_ms(equity, times) == 3 * HOUR_MS  # peak bar 1, regained bar 4
    assert drawdown_duration_ms(np.array([0.9, 1.0]), times[:2]) == HOUR_MS  # start is a peak
    assert drawdown_duration_ms(np.array([1.0, 1.1, 1.2]), times[:3]) == 0.0
    assert max_drawdown(np.array([1.0, 1.2, 0.9, 1.3, 0.65])) == pytest.approx(-0.5)
    assert max_drawdown(np.array([0.8, 1.0])) == pytest.approx(-0.2)


def test_bar_length_and_cagr_edges() -> None:
    assert bar_ms(np.array([0, 5, 10, 20, 25]) * 60_000) == 5 * 60_000  # a gap is not a bar
    assert bar_ms(np.array([0])) == 0.0
    assert cagr(-1.0, 1.0) == -1.0 and cagr(0.5, 0.0) == 0.0
    assert cagr(0.1, 1e-9) == 0.0  # annualising ten minutes overflows: undefined -> 0.0
    assert cagr(0.21, 2.0) == pytest.approx(0.1)


def test_summary_of_a_real_engine_run_agrees_with_its_frames() -> None:
    rng = np.random.default_rng(11)
    n = 3_000
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.concatenate(([100.0], close[:-1]))
    bars = pl.DataFrame(
        {
            "open_time": START_MS + np.arange(n, dtype=np.int64) * 60_000,
            "open": open_,
            "high": np.maximum(open_, close) * 1.001,
            "low": np.minimum(open_, close) * 0.999,
            "close": close,
        }
    )
    rows = np.flatnonzero(rng.random(n) < 0.1)
    p = rng.uniform(0.3, 0.9, len(rows))
    signals = pl.DataFrame(
        {
            "open_time": bars["open_time"].gather(rows),
            "p_long": p,
            "p_short": 1 - p,
            "atr": close[rows] * 0.004,
        }
    )
    result = simulate(bars, signals, RULE)
    s = summarize(result)
    assert result.trades.height > 20
    assert s["with_costs"]["total_return"] == pytest.approx(result.final_equity - 1)
    assert s["with_costs"]["trades"] == result.trades.height
    assert s["long"]["with_costs"]["trades"] + s["short"]["with_costs"]["trades"] == (
        result.trades.height
    )
    assert sum(row["count"] for row in s["exit_reasons"].values()) == result.trades.height
    assert s["exposure"] == pytest.approx(float((result.equity["position"] != 0).mean()))
    assert s["without_costs"]["total_return"] > s["with_costs"]["total_return"]


def test_a_million_bars_are_summarised_fast() -> None:
    result = random_walk_result(1_000_000)
    summarize(result)  # warm (numba compile or cache load)
    start = time.perf_counter()
    flat_summary(result)
    took = time.perf_counter() - start
    assert took < 0.25, f"{took:.3f} s for 1M bars"  # ~20 ms on an idle machine
