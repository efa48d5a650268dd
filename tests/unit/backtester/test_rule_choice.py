"""The rule a backtest runs: the config's, with the request's keys over it."""

from __future__ import annotations

import pytest

from services.backtester.domain.config import BacktestConfig
from services.backtester.domain.rule_choice import resolve_rule
from services.common.errors import InvalidInput
from services.engine.rule import EvRule, ThresholdRule

CONFIG = BacktestConfig(k_tp=3.0, k_sl=1.5, fee_bps=4.0, slippage_bps=1.0, threshold=0.4)


def test_ev_rule_from_config_with_the_label_horizon() -> None:
    rule = resolve_rule(CONFIG, {}, horizon_bars=15, model_threshold=0.3)
    assert isinstance(rule, EvRule)
    assert (rule.k_tp, rule.k_sl, rule.fee_bps, rule.max_hold_bars) == (3.0, 1.5, 4.0, 15)


def test_request_keys_override() -> None:
    rule = resolve_rule(
        CONFIG,
        {"k_tp": 2.5, "sides": "long", "max_hold_bars": 7, "on_opposite": "close", "k_sl": None},
        horizon_bars=15,
        model_threshold=0.3,
    )
    assert isinstance(rule, EvRule)
    assert (rule.k_tp, rule.k_sl, rule.sides, rule.max_hold_bars) == (2.5, 1.5, "long", 7)
    assert rule.on_opposite == "close"


def test_threshold_mode_prefers_the_request_then_the_model() -> None:
    rule = resolve_rule(CONFIG, {"mode": "threshold"}, horizon_bars=15, model_threshold=0.3)
    assert rule == ThresholdRule(0.3, 15, 4.0, 1.0)
    given = resolve_rule(
        CONFIG, {"mode": "threshold", "threshold": 0.6, "holding_bars": 5},
        horizon_bars=15, model_threshold=0.3,
    )  # fmt: skip
    assert given == ThresholdRule(0.6, 5, 4.0, 1.0)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"k_tpp": 1.0}, "k_tpp"),
        ({"k_sl": -1.0}, "k_sl"),
        ({"sides": "up"}, "sides"),
        ({"mode": "magic"}, "mode"),
        ({"max_hold_bars": 0}, "max_hold_bars"),
    ],
)
def test_bad_keys_are_named(overrides: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidInput, match=named):
        resolve_rule(CONFIG, overrides, horizon_bars=15, model_threshold=0.3)


def test_no_horizon_and_no_holding_period_is_refused() -> None:
    with pytest.raises(InvalidInput, match="max_hold_bars"):
        resolve_rule(BacktestConfig(), {}, horizon_bars=0, model_threshold=0.0)
