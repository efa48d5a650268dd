"""The trading rule on a hand-computed 10-bar case, and against a naive per-bar reference."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import InvalidInput
from services.engine.fixed_hold import simulate
from services.engine.rule import ThresholdRule
from tests.unit.backtester.helpers import MINUTE_MS, bars

OPENS = [100, 102, 101, 105, 104, 108, 110, 109, 111, 112]
CLOSES = [101, 101, 104, 104, 107, 109, 110, 110, 112, 115]
# Signals (>= 0.6) at bars 0, 1, 2, 3, 4, 8 and 9: 1, 2 (still held: the exit is at bar 3's
# open) and 4 fall inside a position, as does 9 (the last trade runs to the end of the data).
PROBS = [0.7, 0.8, 0.75, 0.9, 0.6, 0.1, 0.3, 0.2, 0.65, 0.9]
FEE, SLIP = 0.0006, 0.0004  # 6 + 4 bps per side
RULE = ThresholdRule(threshold=0.6, holding_bars=2, fee_bps=6.0, slippage_bps=4.0)


def test_ten_bar_case_trades() -> None:
    trades = simulate(bars(OPENS, CLOSES), PROBS, RULE).trades
    # Signal 0 -> buy bar 1 open 102, sell bar 3 open 105; signal 3 -> buy bar 4 open 104,
    # sell bar 6 open 110; signal 8 -> buy bar 9 open 112, data ends: sell at bar 9 close 115.
    assert trades["signal_time"].dt.epoch("ms").to_list() == [0, 3 * MINUTE_MS, 8 * MINUTE_MS]
    assert trades["entry_time"].dt.epoch("ms").to_list() == [
        MINUTE_MS,
        4 * MINUTE_MS,
        9 * MINUTE_MS,
    ]
    assert trades["exit_time"].dt.epoch("ms").to_list() == [
        3 * MINUTE_MS,
        6 * MINUTE_MS,
        9 * MINUTE_MS,
    ]
    assert trades["entry_price"].to_list() == [102.0, 104.0, 112.0]
    assert trades["exit_price"].to_list() == [105.0, 110.0, 115.0]
    assert trades["bars_held"].to_list() == [2, 2, 1]
    assert trades["closed_at_end"].to_list() == [False, False, True]
    assert trades["probability"].to_list() == [0.7, 0.9, 0.65]
    assert trades["entry_fill"].to_list() == pytest.approx([102 * 1.001, 104 * 1.001, 112 * 1.001])
    assert trades["exit_fill"].to_list() == pytest.approx([105 * 0.999, 110 * 0.999, 115 * 0.999])
    assert trades["gross_return"].to_list() == pytest.approx(
        [105 / 102 - 1, 110 / 104 - 1, 115 / 112 - 1]
    )
    assert trades["net_return"].to_list() == pytest.approx(
        [
            105 * 0.999 / (102 * 1.001) - 1,
            110 * 0.999 / (104 * 1.001) - 1,
            115 * 0.999 / (112 * 1.001) - 1,
        ]
    )


def test_ten_bar_case_equity_and_costs() -> None:
    sim = simulate(bars(OPENS, CLOSES), PROBS, RULE)
    e1 = 105 * 0.999 / (102 * 1.001)  # equity after trade 1
    q1 = 1 / (102 * 1.001)  # units bought with equity 1.0
    q2 = e1 / (104 * 1.001)
    e2 = q2 * 110 * 0.999
    q3 = e2 / (112 * 1.001)
    e3 = q3 * 115 * 0.999
    expected = [1.0, q1 * 101, q1 * 104, e1, q2 * 107, q2 * 109, e2, e2, e2, e3]
    assert sim.equity["equity"].to_list() == pytest.approx(expected, rel=1e-12)
    assert sim.equity["in_position"].to_list() == [
        False,
        True,
        True,
        False,
        True,
        True,
        False,
        False,
        False,
        True,
    ]
    fees = [q1 * (102 + 105) * FEE, q2 * (104 + 110) * FEE, q3 * (112 + 115) * FEE]
    slips = [q1 * (102 + 105) * SLIP, q2 * (104 + 110) * SLIP, q3 * (112 + 115) * SLIP]
    assert sim.trades["fee_paid"].to_list() == pytest.approx(fees)
    assert sim.trades["slippage_paid"].to_list() == pytest.approx(slips)


def test_signal_at_exit_bar_trades_again_and_last_bar_signal_is_dropped() -> None:
    # Holding 2: signal 0 exits at bar 3's open, so a signal at bar 3's close may enter at 4.
    probs = [0.9, 0, 0, 0.9, 0, 0, 0, 0, 0, 0.9]
    trades = simulate(bars(OPENS, CLOSES), probs, RULE).trades
    assert trades["entry_time"].dt.epoch("ms").to_list() == [MINUTE_MS, 4 * MINUTE_MS]


def test_no_signal_keeps_flat_equity() -> None:
    sim = simulate(bars(OPENS, CLOSES), [0.1] * 10, RULE)
    assert sim.trades.height == 0
    assert sim.equity["equity"].to_list() == [1.0] * 10
    assert not sim.equity["in_position"].any()


def test_nan_probability_never_signals() -> None:
    sim = simulate(bars(OPENS, CLOSES), [math.nan] * 10, RULE)
    assert sim.trades.height == 0


def test_bad_input_is_refused() -> None:
    with pytest.raises(InvalidInput):
        simulate(bars(OPENS, CLOSES), PROBS[:5], RULE)
    with pytest.raises(InvalidInput):
        simulate(bars([100, -1], [100, 100]), [0.0, 0.0], RULE)
    with pytest.raises(InvalidInput):
        ThresholdRule(threshold=0.0, holding_bars=2, fee_bps=1.0, slippage_bps=1.0)
    with pytest.raises(InvalidInput):
        ThresholdRule(threshold=0.5, holding_bars=0, fee_bps=1.0, slippage_bps=1.0)
    with pytest.raises(InvalidInput):
        ThresholdRule(0.5, 2, fee_bps=-1.0, slippage_bps=0.0)


def reference(
    opens: list[float],
    closes: list[float],
    probs: list[float],
    threshold: float,
    hold: int,
    c: float,
) -> tuple[list[tuple[int, int, float, float]], list[float]]:
    """A naive bar-by-bar simulation: (entry bar, exit bar, entry, exit) and equity per bar."""
    n = len(opens)
    trades: list[tuple[int, int, float, float]] = []
    equity: list[float] = []
    cash, units, exit_at, entry_bar = 1.0, 0.0, -1, -1
    pending = False
    for i in range(n):
        if pending:  # buy at this bar's open
            units, cash, entry_bar, exit_at, pending = (
                cash / (opens[i] * (1 + c)),
                0.0,
                i,
                i + hold,
                False,
            )
        if units and i == exit_at:  # sell at this bar's open
            cash, units = units * opens[i] * (1 - c), 0.0
            trades.append((entry_bar, i, opens[entry_bar], opens[i]))
        if units and i == n - 1:  # data ends: sell at the last close
            cash, units = units * closes[i] * (1 - c), 0.0
            trades.append((entry_bar, i, opens[entry_bar], closes[i]))
        equity.append(cash + units * closes[i])
        if not units and i < n - 1 and probs[i] >= threshold:
            pending = True
    return trades, equity


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 80),
    hold=st.integers(1, 6),
    threshold=st.floats(0.05, 0.95),
)
def test_matches_naive_reference(seed: int, n: int, hold: int, threshold: float) -> None:
    rng = np.random.default_rng(seed)
    opens = list(100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))))
    closes = list(np.array(opens) * np.exp(rng.normal(0, 0.005, n)))
    probs = list(rng.random(n))
    sim = simulate(bars(opens, closes), probs, ThresholdRule(threshold, hold, 5.0, 2.0))
    ref_trades, ref_equity = reference(opens, closes, probs, threshold, hold, 0.0007)
    got = list(
        zip(
            (sim.trades["entry_time"].dt.epoch("ms") // MINUTE_MS).to_list(),
            (sim.trades["exit_time"].dt.epoch("ms") // MINUTE_MS).to_list(),
            sim.trades["entry_price"].to_list(),
            sim.trades["exit_price"].to_list(),
            strict=True,
        )
    )
    assert got == ref_trades
    assert sim.equity["equity"].to_list() == pytest.approx(ref_equity, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), t=st.integers(1, 198), hold=st.integers(1, 10))
def test_no_look_ahead(seed: int, t: int, hold: int) -> None:
    """Changing probabilities and prices after bar t leaves every trade that exited by bar t
    (at or before its open) and the equity up to bar t unchanged."""
    rng = np.random.default_rng(seed)
    n = 200
    opens = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    closes = opens * np.exp(rng.normal(0, 0.005, n))
    probs = rng.random(n)
    rule = ThresholdRule(0.6, hold, 5.5, 1.0)
    base = simulate(bars(list(opens), list(closes)), probs, rule)
    later = slice(t + 1, n)
    opens2, closes2, probs2 = opens.copy(), closes.copy(), probs.copy()
    opens2[later] *= rng.uniform(0.5, 1.5, n - t - 1)
    closes2[later] *= rng.uniform(0.5, 1.5, n - t - 1)
    probs2[later] = rng.random(n - t - 1)
    changed = simulate(bars(list(opens2), list(closes2)), probs2, rule)

    # Exit bars are <= t < n - 1 here, so none of these trades was closed at the end.
    cutoff = pl.col("exit_time").dt.epoch("ms") <= t * MINUTE_MS
    assert base.trades.filter(cutoff).equals(changed.trades.filter(cutoff))
    assert base.equity["equity"][: t + 1].to_list() == changed.equity["equity"][: t + 1].to_list()


def test_costs_of_a_whole_price_are_refused() -> None:
    with pytest.raises(InvalidInput, match="below 10000"):
        ThresholdRule(0.5, 2, fee_bps=9_000.0, slippage_bps=1_000.0)
    with pytest.raises(InvalidInput):
        ThresholdRule(0.5, 2, fee_bps=float("inf"), slippage_bps=0.0)
