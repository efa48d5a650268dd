"""The EV gate: one function for backtests, tuning and live decisions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.engine.gate import FLAT, LONG, SHORT, choose_side, decide, expected_value, gate_sides
from services.engine.rule import EvRule

RULE = EvRule(k_tp=2.0, k_sl=1.0, fee_bps=5.0, slippage_bps=5.0, ev_margin=0.0)
# atr/close = 1%: tp = 2%, sl = 1%, round trip 2(0.0005 + 0.0005) = 0.2%.


def test_expected_value_formula() -> None:
    assert expected_value(0.5, 1.0, 100.0, 2.0, 1.0, 0.002) == pytest.approx(
        0.5 * 0.02 - 0.5 * 0.01 - 0.002
    )


def test_long_when_its_ev_beats_the_margin() -> None:
    d = decide(0.5, None, 1.0, 100.0, RULE)
    assert d.action == "long"
    assert d.expected_value == pytest.approx(0.003)
    assert math.isnan(d.ev_short)
    assert (d.take_profit, d.stop_loss, d.entry_reference) == (102.0, 99.0, 100.0)


def test_short_mirrors_and_the_larger_ev_wins() -> None:
    d = decide(0.45, 0.6, 1.0, 100.0, RULE)
    assert d.action == "short"
    assert d.expected_value == pytest.approx(0.6 * 0.02 - 0.4 * 0.01 - 0.002)
    assert (d.take_profit, d.stop_loss) == (98.0, 101.0)


def test_exact_tie_margin_and_no_signal_give_flat() -> None:
    assert decide(0.5, 0.5, 1.0, 100.0, RULE).action == "flat"
    # p = 0.4: EV = 0.008 - 0.006 - 0.002 = 0 exactly at the margin: not above it.
    assert choose_side(0.4, math.nan, 1.0, 100.0, 2.0, 1.0, 0.002, 0.0, True, True)[0] == FLAT
    assert decide(0.9, None, 0.0, 100.0, RULE).action == "flat"  # no atr
    assert decide(0.9, None, math.nan, 100.0, RULE).action == "flat"
    assert decide(None, None, 1.0, 100.0, RULE).action == "flat"
    margin = RULE.model_copy(update={"ev_margin": 0.01})
    assert decide(0.5, None, 1.0, 100.0, margin).action == "flat"


def test_sides_restrict_the_gate() -> None:
    only_short = RULE.model_copy(update={"sides": "short"})
    assert decide(0.9, 0.1, 1.0, 100.0, only_short).action == "flat"
    only_long = RULE.model_copy(update={"sides": "long"})
    assert decide(0.1, 0.9, 1.0, 100.0, only_long).action == "flat"


def test_gate_sides_is_the_gate_bar_by_bar() -> None:
    rng = np.random.default_rng(3)
    n = 500
    p_long = np.where(rng.random(n) < 0.3, np.nan, rng.random(n))
    p_short = np.where(rng.random(n) < 0.3, np.nan, rng.random(n))
    atr = rng.uniform(-0.1, 2.0, n)
    close = rng.uniform(90, 110, n)
    sides = gate_sides(p_long, p_short, atr, close, RULE)
    for i in range(n):
        pl_ = None if math.isnan(p_long[i]) else p_long[i]
        ps_ = None if math.isnan(p_short[i]) else p_short[i]
        action = decide(pl_, ps_, atr[i], close[i], RULE).action
        assert sides[i] == {"long": LONG, "short": SHORT, "flat": FLAT}[action]
