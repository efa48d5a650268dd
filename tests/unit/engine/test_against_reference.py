"""The engine against the independent reference (`reference.py`): random bars with missing rows
and price gaps, sparse random signals with nulls, random rules, with and without 1m detail bars
consistent with their parents; then the real bundled candles (15m signal bars, 1m detail).
Trade by trade on every column (floats to 1e-9) and in final equity (1e-9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.engine.rule import EvRule
from services.engine.simulate import simulate
from tests.unit.engine.cases import BTC_1M, ETH_1M, random_market, real_market, rules
from tests.unit.engine.helpers import assert_agree
from tests.unit.engine.reference import reference_simulate

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, bool, float, int, EvRule, bool]:
    grid = draw(st.booleans())
    return (
        draw(st.integers(0, 2**32 - 1)),
        grid,
        draw(st.sampled_from([0.05, 0.2, 0.5, 0.9])),
        draw(st.integers(2, 120)),
        draw(rules(grid=grid)),
        draw(st.booleans()),
    )


@PROPERTY
@given(scenarios())
def test_engine_agrees_with_the_reference(
    scenario: tuple[int, bool, float, int, EvRule, bool],
) -> None:
    seed, grid, density, n_bars, rule, with_detail = scenario
    market = random_market(seed, n_bars, grid, density)
    detail = market.detail if with_detail else None
    engine = simulate(market.bars, market.signals, rule, detail)
    ref = reference_simulate(market.bars, market.signals, rule, detail)
    assert_agree(engine, ref, f"seed={seed} grid={grid} density={density} n={n_bars} {rule!r}")


def test_random_cases_exercise_every_exit_reason() -> None:
    """Guard against vacuous agreement: the random cases do produce every kind of exit,
    including detail-resolved take-profits and stops at a detail bar's gapped open."""
    reasons: set[str] = set()
    for seed in range(40):
        market = random_market(seed, 60, seed % 2 == 0, 0.5)
        for opp in ("flip", "close"):
            rule = EvRule(k_tp=1.5, k_sl=1.0, max_hold_bars=8, on_opposite=opp)  # type: ignore[arg-type]
            ref = reference_simulate(market.bars, market.signals, rule, market.detail)
            reasons |= {t["exit_reason"] for t in ref.trades}
    assert reasons == {"stop", "take_profit", "time", "signal", "end"}


REAL_RULES = [
    EvRule(k_tp=2.0, k_sl=1.0, fee_bps=5.5, slippage_bps=1.0, max_hold_bars=16),
    EvRule(
        k_tp=1.0,
        k_sl=0.5,
        ev_margin=0.0005,
        fee_bps=2.0,
        slippage_bps=0.5,
        max_hold_bars=40,
        on_opposite="close",
        sides="long",
    ),
    # narrow levels: many 15m bars hold both, so the 1m detail decides
    EvRule(
        k_tp=0.6,
        k_sl=0.4,
        fee_bps=0.0,
        slippage_bps=0.0,
        max_hold_bars=8,
        on_opposite="ignore",
        sides="short",
    ),
]


@pytest.mark.parametrize("path", [ETH_1M, BTC_1M], ids=["ETHUSDT", "BTCUSDT"])
@pytest.mark.parametrize("rule", REAL_RULES, ids=["flip-both", "close-long", "ignore-short"])
def test_engine_agrees_with_the_reference_on_real_bars(path: Path, rule: EvRule) -> None:
    """Three months of real 1m candles, 15m signal bars, 1m detail, ATR(14) and seeded
    random probabilities on ~30% of the bars."""
    market = real_market(path, "15m", seed=7, density=0.3, rows=200_000)
    refs = []
    for detail in (market.detail, None):
        engine = simulate(market.bars, market.signals, rule, detail)
        ref = reference_simulate(market.bars, market.signals, rule, detail)
        assert len(ref.trades) > 200
        assert_agree(engine, ref, f"{path.name} detail={detail is not None} {rule!r}")
        refs.append(ref.trades)
    if rule.k_tp + rule.k_sl < 2:
        assert refs[0] != refs[1], "the detail bars decide some exits"
