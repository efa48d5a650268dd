"""The `backtest` section of the ML config."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.backtester.domain.config import BacktestConfig, parse_backtest_config
from services.common.errors import InvalidInput

EXAMPLE = Path(__file__).resolve().parents[3] / "configs" / "ml.example.yaml"


def test_example_config_parses() -> None:
    config = parse_backtest_config(EXAMPLE.read_text())
    assert config == BacktestConfig(
        mode="ev",
        k_tp=2.0,
        k_sl=1.0,
        ev_margin=0.0,
        max_hold_bars=15,
        on_opposite="flip",
        sides="both",
        threshold=0.30,
        holding_bars=15,
        fee_bps=5.5,
        slippage_bps=1.0,
    )


def test_missing_section_gives_defaults_and_no_horizon_override() -> None:
    config = parse_backtest_config("features: {}\n")
    assert config.holding_bars is None and config.max_hold_bars is None
    assert config.mode == "ev"
    assert config.fee_bps == 5.5 and config.slippage_bps == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "backtest: {threshhold: 0.6}",  # typo
        "backtest: {fee_bps: -1}",
        "backtest: {holding_bars: 0}",
        "backtest: {threshold: 1.5}",
        "backtest: [1, 2]",
        "backtest: {threshold: [",
    ],
)
def test_bad_config_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_backtest_config(text)
